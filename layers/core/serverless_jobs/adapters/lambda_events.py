"""The events the functions send one another by async `Invoke`, each writer beside its reader: a run for the
executor, a closed run's notification for the executor, a shard for a dispatch invocation, a wake of the
tick; the timer's message (an SQS message body) and the batch of them the event source mapping delivers to
the dispatch function; and the one the tick's rule sends (EventBridge's scheduled event), read here too.
Their shapes only, no AWS and no logger, so the local stack and the test harness can build and read them
without importing an adapter (whose Powertools child logger takes its service at import).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.lifecycle import MAX_DUE_SHARDS
from serverless_jobs.domain.timefmt import from_millis, iso_z, to_millis
from serverless_jobs.ports import Alarm

WAKE_SOURCE = "serverless-jobs.wake"


def run_event(run: RunRequest) -> dict[str, Any]:
    """The event an executor receives to run a claimed run: ids only (the executor reads the job itself)."""
    return asdict(run)


def run_of(event: dict[str, Any]) -> RunRequest:
    """The run a `run_event` names; fields it does not know are ignored so older events stay readable."""
    return RunRequest(
        jobId=str(event["jobId"]),
        runId=str(event["runId"]),
        attempt=int(event.get("attempt", 1)),
        scheduledAt=event.get("scheduledAt"),
        trigger=event.get("trigger", "schedule"),
    )


@dataclass(frozen=True)
class ClosedRun:
    """A run another function closed, whose notification the executor sends (usecases/notify)."""

    job_id: str
    run_id: str
    claimed_at: int


def notify_event(job_id: str, run_id: str, claimed_at: int) -> dict[str, Any]:
    """The event an executor receives to notify a run another function closed (usecases/notify)."""
    return {"notify": {"jobId": job_id, "runId": run_id, "claimedAt": claimed_at}}


def closed_run_of(event: dict[str, Any]) -> ClosedRun | None:
    """The run a `notify_event` names; None for any other event (a run to execute). A notify event missing
    a field raises, as a malformed run event does."""
    if "notify" not in event:
        return None
    run = event["notify"]
    return ClosedRun(run["jobId"], run["runId"], int(run["claimedAt"]))


def shard_event(shard: str, due_by: datetime) -> dict[str, Any]:
    """The event a dispatch invocation receives: the shard of the `due` index and the handing pass's instant."""
    return {"shard": shard, "dueBy": to_millis(due_by)}


def shard_of(event: dict[str, Any]) -> tuple[str, datetime] | None:
    """A `shard_event`'s shard and instant, or None when the event is not one the tick sends."""
    shard, due_by = event.get("shard"), event.get("dueBy")
    if not isinstance(shard, str) or not shard.isdigit() or int(shard) >= MAX_DUE_SHARDS:
        return None
    if not isinstance(due_by, int) or isinstance(due_by, bool):
        return None
    try:
        return shard, from_millis(due_by)
    except (OverflowError, ValueError):
        return None


def wake_event(due_at: datetime) -> dict[str, Any]:
    """The event a woken tick receives: who sent it and when the job that woke it falls due."""
    return {"source": WAKE_SOURCE, "detail-type": "Wake", "detail": {"dueAt": iso_z(due_at)}}


def woken_for(event: dict[str, Any]) -> datetime | None:
    """The due time a wake event carries; None for any other event (the rule's)."""
    if event.get("source") != WAKE_SOURCE:
        return None
    try:
        return datetime.fromisoformat(event["detail"]["dueAt"])
    except (KeyError, TypeError, ValueError):
        return None


def fired_at(event: dict[str, Any]) -> datetime | None:
    """The minute EventBridge fired the tick for (its scheduled event's `time`); None for a wake or a
    hand-made event without a readable `time`."""
    try:
        moment = datetime.fromisoformat(event["time"])
    except (KeyError, TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def timer_body(alarm: Alarm) -> str:
    """The timer message's body (decision 0075): the instant it is for, the shards to pass over and the end
    of the chain it belongs to, epoch ms; its delay is the queue's, not the body's."""
    return json.dumps({"timer": {"at": alarm.at, "shards": list(alarm.shards), "until": alarm.until}})


def alarm_of(body: str) -> Alarm | None:
    """The alarm a `timer_body` names; None for any other body (it is no timer message)."""
    try:
        timer = json.loads(body)["timer"]
        at, until, shards = timer["at"], timer["until"], timer["shards"]
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(moment, int) and not isinstance(moment, bool) for moment in (at, until)):
        return None
    if not isinstance(shards, list) or not shards:
        return None
    if not all(isinstance(shard, str) and shard.isdigit() and int(shard) < MAX_DUE_SHARDS for shard in shards):
        return None
    try:
        from_millis(at), from_millis(until)
    except (OverflowError, ValueError):
        return None
    return Alarm(at, tuple(shards), until)


def sqs_records(event: dict[str, Any]) -> list[tuple[str, str]] | None:
    """An SQS event source mapping's batch: each record's message id and body; None for any other event."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(record, dict) and record.get("eventSource") == "aws:sqs" for record in records):
        return None
    return [(str(record.get("messageId", "")), str(record.get("body", ""))) for record in records]


def sqs_event(messages: list[tuple[str, str]], queue_arn: str) -> dict[str, Any]:
    """The event an SQS event source mapping delivers for `messages` (id and body each), as the local stack
    and the tests play it."""
    return {
        "Records": [
            {"messageId": message_id, "body": body, "eventSource": "aws:sqs", "eventSourceARN": queue_arn}
            for message_id, body in messages
        ]
    }
