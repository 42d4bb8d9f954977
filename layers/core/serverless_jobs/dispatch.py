"""Handing claimed runs to the executor. On AWS: Lambda async invoke with ids only; locally: a worker pool."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = Logger(child=True)

Trigger = Literal["schedule", "manual", "retry"]


@dataclass(frozen=True)
class RunRequest:
    """The dispatch event, ids only: the executor reads the job itself, so no stale data runs."""

    jobId: str
    runId: str
    attempt: int
    scheduledAt: str | None
    trigger: Trigger

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    def log_keys(self) -> dict[str, Any]:
        """The keys every log line about this run carries, so one Logs Insights filter finds them all."""
        return run_log_keys(self.jobId, self.runId, self.attempt, self.trigger)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RunRequest:
        """The executor's event; fields it does not know are ignored so older events stay readable."""
        return cls(
            jobId=str(payload["jobId"]),
            runId=str(payload["runId"]),
            attempt=int(payload.get("attempt", 1)),
            scheduledAt=payload.get("scheduledAt"),
            trigger=payload.get("trigger", "schedule"),
        )


def run_log_keys(job_id: str, run_id: str, attempt: int, trigger: str) -> dict[str, Any]:
    return {"jobId": job_id, "runId": run_id, "attempt": attempt, "trigger": trigger}


class Dispatcher(Protocol):
    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        """Start every run without waiting for it; return the runs that certainly will not start.

        A run whose fate is unknown (the call timed out after sending) is not returned: it may be running,
        and if it is not, its lease expires and the tick recovers it.
        """
        ...


class LambdaDispatcher:
    """`Invoke` with `InvocationType=Event`, many at once: each call is a network round trip."""

    def __init__(self, client: LambdaClient, function_name: str, concurrency: int = 32) -> None:
        self._client = client
        self._function_name = function_name
        self._concurrency = concurrency

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        if len(runs) <= 1:
            return [run for run in runs if self._refused(run)]
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(runs))) as pool:
            # Each invoke runs in a copy of the caller's context (contextvars), as it would without the pool.
            calls = [pool.submit(contextvars.copy_context().run, self._refused, run) for run in runs]
            refused = [call.result() for call in calls]
        return [run for run, was_refused in zip(runs, refused, strict=True) if was_refused]

    def _refused(self, run: RunRequest) -> bool:
        """Invoke; True only when Lambda answered that it will not queue the event."""
        try:
            self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(run.to_payload()).encode(),
            )
        except ClientError:
            # Lambda answered with an error (after botocore's retries): the event was not queued.
            logger.exception("dispatch refused", extra=run.log_keys())
            return True
        except Exception:
            # No answer (a timeout, a lost connection): the event may be queued, so the run is left to its lease.
            logger.exception("dispatch unconfirmed", extra=run.log_keys())
        return False
