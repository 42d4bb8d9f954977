"""Each event one function sends another reads back, by its reader, as what its writer was given; and a
reader takes no other function's event for its own."""

from __future__ import annotations

from datetime import UTC, datetime

from serverless_jobs.adapters.lambda_events import (
    ClosedRun,
    alarm_of,
    closed_run_of,
    fired_at,
    notify_event,
    run_event,
    run_of,
    shard_event,
    shard_of,
    sqs_event,
    sqs_records,
    timer_body,
    wake_event,
    woken_for,
)
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.ports import Alarm

MOMENT = datetime(2026, 11, 28, 9, 45, 39, 123000, tzinfo=UTC)
RUN = RunRequest(jobId="j1", runId="r1", attempt=2, scheduledAt="2026-11-28T09:45:00.000Z", trigger="retry")


def test_each_event_reads_back_as_written() -> None:
    assert run_of(run_event(RUN)) == RUN
    assert closed_run_of(notify_event("j1", "r1", 1_795_859_139_123)) == ClosedRun("j1", "r1", 1_795_859_139_123)
    assert shard_of(shard_event("7", MOMENT)) == ("7", MOMENT)
    assert woken_for(wake_event(MOMENT)) == MOMENT


def test_the_wire_shapes_are_the_released_ones() -> None:
    assert run_event(RUN) == {
        "jobId": "j1",
        "runId": "r1",
        "attempt": 2,
        "scheduledAt": "2026-11-28T09:45:00.000Z",
        "trigger": "retry",
    }
    assert notify_event("j1", "r1", 5) == {"notify": {"jobId": "j1", "runId": "r1", "claimedAt": 5}}
    assert shard_event("7", MOMENT) == {"shard": "7", "dueBy": 1_795_859_139_123}


def test_a_reader_takes_no_other_event_for_its_own() -> None:
    assert closed_run_of(run_event(RUN)) is None
    assert shard_of(run_event(RUN)) is None
    assert shard_of({"shard": "64", "dueBy": 0}) is None  # past the due index's shards
    assert shard_of({"shard": "1", "dueBy": True}) is None
    assert woken_for({"time": "2026-11-28T09:45:00Z"}) is None
    assert fired_at(wake_event(MOMENT)) is None


def test_an_older_run_event_without_attempt_or_trigger_still_reads() -> None:
    assert run_of({"jobId": "j1", "runId": "r1"}) == RunRequest("j1", "r1", 1, None, "schedule")


def test_the_rule_s_event_names_its_minute_in_utc_when_it_names_no_zone() -> None:
    assert fired_at({"time": "2026-11-28T09:45:00Z"}) == datetime(2026, 11, 28, 9, 45, tzinfo=UTC)
    assert fired_at({"time": "2026-11-28T09:45:00"}) == datetime(2026, 11, 28, 9, 45, tzinfo=UTC)


def test_a_timer_message_reads_back_as_written_without_its_delay_and_nothing_else_is_one() -> None:
    alarm = Alarm(1_795_859_139_123, ("0", "7"), 1_795_859_160_000, delay_seconds=12)
    assert alarm_of(timer_body(alarm)) == Alarm(alarm.at, alarm.shards, alarm.until)  # the delay is the queue's
    for body in (
        "",
        "[]",
        '{"timer": {}}',
        '{"timer": {"at": 1, "until": 2, "shards": []}}',
        '{"timer": {"at": 1, "until": 2, "shards": ["64"]}}',
        '{"timer": {"at": true, "until": 2, "shards": ["1"]}}',
        '{"timer": {"at": 1e30, "until": 2, "shards": ["1"]}}',
        run_event(RUN).__repr__(),
    ):
        assert alarm_of(body) is None, body


def test_an_sqs_batch_is_read_only_from_sqs_records() -> None:
    event = sqs_event([("m1", "a"), ("m2", "b")], "arn:aws:sqs:us-east-1:123456789012:TimerQueue")
    assert sqs_records(event) == [("m1", "a"), ("m2", "b")]
    assert sqs_records(shard_event("7", MOMENT)) is None
    assert sqs_records({"Records": [{"eventSource": "aws:sns"}]}) is None
    assert sqs_records({"Records": []}) is None
