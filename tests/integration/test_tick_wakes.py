"""Writes that make a job due before the next minute's tick: an alarm on the SQS timer (decision 0075) for
a job due later than a second, which the dispatch function hears and waits out only the sub-second rest
of; a wake of the tick, which passes at once and sleeps under a second, for one due sooner.
`stack.fire_timers()` delivers the alarms as the event source mapping would, the dispatch function's waits
moving the manual clock (and recorded in `stack.sleeps`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devtools.clock import ManualClock
from devtools.stack import START, Stack, lateness
from harness.jitter import HighestJitter
from serverless_jobs.adapters.client_tuning import EXECUTOR_CLIENTS, TARGET_INVOKE_CLIENTS
from serverless_jobs.adapters.lambda_events import alarm_of
from serverless_jobs.domain.timefmt import from_millis, iso_z


def due_in(stack: Stack, seconds: float) -> str:
    return iso_z(stack.clock.now() + timedelta(seconds=seconds))


def alarms(stack: Stack, since: int = 0) -> list[tuple[str, tuple[str, ...], float]]:
    """Each timer message sent: the instant it is for, its shards, and how long after its sending it shows."""
    found = []
    for sent in stack.timers.sent[since:]:
        alarm = alarm_of(sent.body)
        assert alarm is not None
        found.append(
            (iso_z(from_millis(alarm.at)), alarm.shards, (from_millis(alarm.at) - sent.shows_at).total_seconds())
        )
    return found


def test_a_job_created_due_in_10_s_is_run_at_its_instant_by_an_alarm_no_invocation_asleep(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(runAt=due_in(stack, 10.4))

    stored = stack.jobs.get(job["id"])
    assert stored is not None
    assert alarms(stack) == [("2026-11-28T09:00:10.400Z", (stored.due_shard,), 0.4)]
    assert stack.invocations.wakes == []  # no tick woken to sleep 10 s
    [result] = stack.fire_timers()

    assert result == {"batchItemFailures": []}
    assert stack.sleeps == [0.4]  # the alarm showed at 09:00:10 (10 whole seconds); only the rest is waited
    [run] = stack.history(job["id"])
    assert lateness(run) == timedelta(0)


def test_alarms_of_one_batch_for_the_same_instant_make_one_pass(stack: Stack) -> None:
    stack.deliver_at_once()
    due = due_in(stack, 5)
    jobs = [stack.create(runAt=due) for _ in range(3)]
    assert len(stack.timers.sent) == 3

    [result] = stack.fire_timers()

    assert result == {"batchItemFailures": []}
    assert {stack.job(job["id"])["status"] for job in jobs} == {"completed"}
    assert stack.sleeps == []  # a whole-second instant: shown on time, nothing to wait


def test_a_job_due_within_a_second_wakes_the_tick_which_sleeps_under_a_second(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(runAt=due_in(stack, 0.6))

    assert stack.timers.sent == []
    assert [wake["detail"]["dueAt"] for wake in stack.invocations.wakes] == ["2026-11-28T09:00:00.600Z"]
    [report] = stack.wake()

    assert (report["passes"], report["slept"], report["dispatched"]) == (2, 0.6, 1)
    [run] = stack.history(job["id"])
    assert lateness(run) == timedelta(0)


def test_a_refused_alarm_falls_back_to_waking_the_tick(stack: Stack) -> None:
    stack.timers.refusing = "AWS.SimpleQueueService.NonExistentQueue"
    stack.deliver_at_once()
    job = stack.create(runAt=due_in(stack, 10))

    assert [wake["detail"]["dueAt"] for wake in stack.invocations.wakes] == ["2026-11-28T09:00:10.000Z"]
    [report] = stack.wake()  # the woken tick sleeps towards it, as before the timer
    assert report["dispatched"] == 1
    [run] = stack.history(job["id"])
    assert lateness(run) == timedelta(0)


def test_a_retry_due_before_the_next_minute_sets_an_alarm_from_the_executor(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), rng=HighestJitter())  # backoff at its ceiling: 5 s
    job = stack.create(handler="fail", maxAttempts=2, retryBackoffSeconds=5)  # dispatched by the API
    assert stack.timers.sent == []

    stack.deliver()  # attempt 1 fails; the retry is due at 09:00:05

    assert [at for at, _, _ in alarms(stack)] == ["2026-11-28T09:00:05.000Z"]
    stack.deliver_at_once()
    [result] = stack.fire_timers()
    assert result == {"batchItemFailures": []}
    retry, _first = stack.history(job["id"])
    assert (retry["trigger"], retry["startedAt"]) == ("retry", "2026-11-28T09:00:05.000Z")
    stack.close()


def test_a_2s_job_runs_every_2_s_through_the_timer_no_invocation_sleeping_over_a_second(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(schedule="2s")  # its first run 2 s from now: an alarm
    stack.tick(remaining_millis=65_000)  # the minute's tick: nothing due yet, nothing to sleep towards

    stack.fire_timers(until=START + timedelta(seconds=20))

    runs = stack.history(job["id"])
    assert len(runs) >= 10
    assert [lateness(run) for run in runs if run["trigger"] == "schedule"] == [timedelta(0)] * len(runs)
    assert max(stack.sleeps, default=0.0) <= 1.0
    assert stack.invocations.wakes == []


def test_a_next_occurrence_within_the_minute_sets_an_alarm_from_the_executor(stack: Stack) -> None:
    stack.clock.advance(-20)
    job = stack.create(schedule="20s")  # first run at 09:00:00, within the minute: an alarm too
    stack.clock.advance(20)
    assert stack.tick()["dispatched"] == 1
    sent = len(stack.timers.sent)

    stack.deliver()  # the run ends; the next occurrence, 09:00:20, is before the next minute's tick

    assert [at for at, _, _ in alarms(stack, sent)] == ["2026-11-28T09:00:20.000Z"]
    stack.alarms.fired = sent
    stack.fire_timers()
    assert stack.job(job["id"])["status"] == "running"
    assert stack.job(job["id"])["lastRunAt"] == "2026-11-28T09:00:20.000Z"


def test_updating_or_resuming_a_job_to_run_within_the_minute_sets_an_alarm(stack: Stack) -> None:
    job = stack.create(schedule="1h")
    assert stack.timers.sent == []

    stack.api.put(f"/jobs/{job['id']}", {"runAt": due_in(stack, 15)})
    stack.api.post(f"/jobs/{job['id']}/pause")
    stack.api.post(f"/jobs/{job['id']}/resume")

    assert [at for at, _, _ in alarms(stack)] == ["2026-11-28T09:00:15.000Z", "2026-11-28T09:00:15.000Z"]
    assert stack.invocations.wakes == []


def test_no_alarm_nor_wake_when_the_job_falls_due_after_the_next_minute_tick(stack: Stack) -> None:
    stack.create(runAt=due_in(stack, 60))
    job = stack.create(schedule="5m")
    stack.api.put(f"/jobs/{job['id']}", {"schedule": "2m"})
    stack.create()  # due now: the API starts it itself
    stack.deliver()  # a one-time job completes; nothing is due again

    assert stack.invocations.wakes == []
    assert stack.timers.sent == []
    assert stack.clock.now() == datetime.fromisoformat("2026-11-28T09:00:00+00:00")


def test_the_executor_sets_alarms_with_its_own_short_timeouts_not_a_lambda_targets_15_minutes(
    stack: Stack,
) -> None:
    waits: list[float] = []  # the read timeout of the client of each send the executor makes
    client = stack.executor_clients.sqs
    config: Any = client.meta.config
    client.meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda timeout=config.read_timeout, **_: waits.append(timeout)
    )
    stack.clock.advance(-20)
    stack.create(schedule="20s")
    stack.clock.advance(20)
    stack.tick()

    stack.deliver()  # the next occurrence, before the next minute's tick, sets an alarm

    assert waits == [EXECUTOR_CLIENTS.read_timeout]
    assert EXECUTOR_CLIENTS.read_timeout < TARGET_INVOKE_CLIENTS.read_timeout


def test_a_30s_job_gets_one_alarm_a_run_and_each_run_once_on_time(stack: Stack) -> None:
    stack.deliver_at_once()
    job = stack.create(schedule="30s")
    for minute in range(3):  # each minute's tick, and the alarms between
        stack.clock.set(START + timedelta(minutes=minute))
        stack.tick(remaining_millis=65_000)
        stack.fire_timers(until=START + timedelta(minutes=minute + 1, microseconds=-1))

    runs = stack.history(job["id"])
    every_30_s = [iso_z(START + timedelta(seconds=30 * n)) for n in range(1, 7)]
    assert sorted(run["scheduledAt"] for run in runs) == every_30_s[:-1]
    assert {lateness(run) for run in runs} == {timedelta(0)}
    # the create's alarm, then each finish's for the next run; the ticks' look-ahead adds none of its own
    assert [at for at, _, _ in alarms(stack)] == every_30_s
