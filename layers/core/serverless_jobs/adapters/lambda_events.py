"""The events the functions send one another by async `Invoke`: a wake of the tick, a shard for a dispatch
invocation, a closed run's notification for the executor. Their shapes only, no AWS and no logger, so the
local stack and the test harness can build and read them without importing an adapter (whose Powertools
child logger takes its service at import).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from serverless_jobs.domain.timefmt import iso_z, to_millis

WAKE_SOURCE = "serverless-jobs.wake"


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


def shard_event(shard: str, due_by: datetime) -> dict[str, Any]:
    """The event a dispatch invocation receives: the shard of the `due` index and the handing pass's instant."""
    return {"shard": shard, "dueBy": to_millis(due_by)}


def notify_event(job_id: str, run_id: str, claimed_at: int) -> dict[str, Any]:
    """The event an executor receives to notify a run another function closed (usecases/notify)."""
    return {"notify": {"jobId": job_id, "runId": run_id, "claimedAt": claimed_at}}
