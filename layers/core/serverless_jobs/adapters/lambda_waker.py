"""Waking the tick on AWS: an async `Invoke` of the tick function with a wake event.

Lambda has no delayed invoke, so the woken invocation does what a minute's tick does: a pass, then sleeps
until the soonest due job, ending when nothing is due before the next minute's tick (usecases.tick).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from serverless_jobs.domain.timefmt import iso_z

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

logger = Logger(child=True)

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


class LambdaWaker:
    """`Invoke` of the tick with `InvocationType=Event`; a failure is logged, never raised: the job is
    stored, and the next minute's tick finds it (late by at most that minute)."""

    def __init__(self, client: Callable[[], LambdaClient], function_name: str) -> None:
        self._client_of = client
        self._function_name = function_name

    def wake(self, due_at: datetime) -> None:
        try:
            self._client_of().invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(wake_event(due_at)).encode(),
            )
        except Exception:
            logger.exception(
                "the tick could not be woken; the next minute's tick finds the job", extra={"dueAt": iso_z(due_at)}
            )
