"""Handing claimed runs to the executor, and shards of a herd to the dispatch function, on AWS: Lambda async
invoke, ids only."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from serverless_jobs.adapters.lambda_events import notify_event, run_event, shard_event
from serverless_jobs.domain.job import RunRequest

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = Logger(child=True)


class LambdaDispatcher:
    """`Invoke` with `InvocationType=Event`, in the caller's thread: the tick overlaps its runs' dispatches
    itself, each by the thread that claimed the run (usecases.tick), and the API dispatches one run."""

    def __init__(self, client: Callable[[], LambdaClient], function_name: str) -> None:
        self._client_of = client
        self._function_name = function_name

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        return [run for run in runs if self._refused(run)]

    def _refused(self, run: RunRequest) -> bool:
        """Invoke; True only when Lambda answered that it will not queue the event."""
        return not invoke_async(self._client_of, self._function_name, run_event(run), run.log_keys())


class LambdaNotificationHandOff:
    """Hands a closed run's notification to the executor, the one function whose role reaches the targets:
    `Invoke` with `InvocationType=Event` and `{"notify": {jobId, runId, claimedAt}}`."""

    def __init__(self, client: Callable[[], LambdaClient], function_name: str) -> None:
        self._client_of = client
        self._function_name = function_name

    def hand_off(self, job_id: str, run_id: str, claimed_at: int) -> bool:
        event = notify_event(job_id, run_id, claimed_at)
        return invoke_async(self._client_of, self._function_name, event, {"jobId": job_id, "runId": run_id})


class LambdaShardDispatcher:
    """Hands a shard of a herd to the dispatch function: `Invoke` with `InvocationType=Event`, the shard and
    the pass's instant (epoch ms) in the event (functions/dispatch)."""

    def __init__(self, client: Callable[[], LambdaClient], function_name: str) -> None:
        self._client_of = client
        self._function_name = function_name

    def hand_off(self, shard: str, due_by: datetime) -> bool:
        return invoke_async(self._client_of, self._function_name, shard_event(shard, due_by), {"shard": shard})


def invoke_async(
    client: Callable[[], LambdaClient],
    function_name: str,
    event: dict[str, Any],
    log_keys: dict[str, Any],
    action: str = "dispatch",
) -> bool:
    """Queue `event` for `function_name`; False only when Lambda answered that it will not (never raises).

    The client is made by the first call that needs it (a cold start pays for no client its first request
    leaves unused), inside the guard, so a client that cannot be made is logged like a refusal. `action`
    names the call in the log lines (`dispatch refused`, `wake unconfirmed`).
    """
    try:
        client().invoke(FunctionName=function_name, InvocationType="Event", Payload=json.dumps(event).encode())
    except ClientError:
        # Lambda answered with an error (after botocore's retries): the event was not queued.
        logger.exception(f"{action} refused", extra={"function": function_name, **log_keys})
        return False
    except Exception:
        # No answer (a timeout, a lost connection): the event may be queued, so it is taken as queued.
        logger.exception(f"{action} unconfirmed", extra={"function": function_name, **log_keys})
    return True
