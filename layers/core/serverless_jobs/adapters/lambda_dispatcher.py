"""Handing claimed runs to the executor on AWS: Lambda async invoke, ids only, many at once."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from serverless_jobs.domain.job import RunRequest

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = Logger(child=True)


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
