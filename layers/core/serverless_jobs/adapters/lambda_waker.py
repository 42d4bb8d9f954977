"""Waking the tick on AWS: an async `Invoke` of the tick function with a wake event.

Lambda has no delayed invoke, so the woken invocation does what a minute's tick does: a pass, then sleeps
until the soonest due job, ending when nothing is due before the next minute's tick (usecases.tick).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from serverless_jobs.adapters.lambda_dispatcher import invoke_async
from serverless_jobs.adapters.lambda_events import wake_event
from serverless_jobs.domain.timefmt import iso_z

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class LambdaWaker:
    """`Invoke` of the tick with `InvocationType=Event`; a failure is logged, never raised: the job is
    stored, and the next minute's tick finds it (late by at most that minute)."""

    def __init__(self, client: Callable[[], LambdaClient], function_name: str) -> None:
        self._client_of = client
        self._function_name = function_name

    def wake(self, due_at: datetime) -> None:
        invoke_async(self._client_of, self._function_name, wake_event(due_at), {"dueAt": iso_z(due_at)}, "wake")
