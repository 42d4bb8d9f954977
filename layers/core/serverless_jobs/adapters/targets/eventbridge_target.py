"""An `eventbridge` target: the job's data put on a bus as one event's detail; the event id is the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverless_jobs.adapters.aws_errors import TRANSIENT_CODES
from serverless_jobs.adapters.targets.failures import Delivered, aws_failure
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

# The `source` of every event a run puts; rules match it with the target's detailType.
EVENT_SOURCE = "serverless-jobs"


class EventBridgeTarget:
    """`PutEvents` with one entry. EventBridge answers 200 even when it refuses the entry, so the entry's own
    error code decides: a throttled or failed entry is retried, any other refusal fails for good."""

    def __init__(self, client: Callable[[], EventBridgeClient]) -> None:
        self._client = client

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        entry: PutEventsRequestEntryTypeDef = {
            "Source": EVENT_SOURCE,
            "DetailType": target.detail_type,
            "Detail": compact(data),
            "EventBusName": target.arn,
        }
        try:
            put = self._client().put_events(Entries=[entry])
        except Exception as error:
            return aws_failure(error)
        [answer] = put["Entries"]
        if "EventId" not in answer or answer.get("ErrorCode"):
            code = answer.get("ErrorCode", "Unknown")
            refusal = f"PutEvents refused the event: {code}: {answer.get('ErrorMessage', '')}"
            return Outcome(False, refusal, retryable=code in TRANSIENT_CODES), None
        return Outcome(True), {"eventId": answer["EventId"]}
