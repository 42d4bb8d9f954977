"""The events the functions send one another by async `Invoke`, each writer beside its reader: a run for the
executor, a closed run's notification for the executor, a shard for a dispatch invocation, a wake of the
tick; and the one the tick's rule sends (EventBridge's scheduled event), read here too. Their shapes only, no
AWS and no logger, so the local stack and the test harness can build and read them without importing an
adapter (whose Powertools child logger takes its service at import).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.lifecycle import MAX_DUE_SHARDS
from serverless_jobs.domain.timefmt import from_millis, iso_z, to_millis

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
