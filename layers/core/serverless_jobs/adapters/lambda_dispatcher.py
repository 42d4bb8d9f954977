"""Handing claimed runs to the executor on AWS: Lambda async invoke, ids only."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

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

    @property
    def _client(self) -> LambdaClient:
        """Made by the first call that needs it: a cold start pays for no client its first request leaves unused."""
        return self._client_of()

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        return [run for run in runs if self._refused(run)]

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
