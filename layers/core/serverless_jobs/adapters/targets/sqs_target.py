"""An `sqs` target: the job's data sent as one message; the message id is the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverless_jobs.adapters.targets.failures import Delivered, aws_failure
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageRequestTypeDef


def queue_url(arn: str) -> str:
    """The queue's URL from its ARN (`arn:aws:sqs:<region>:<account>:<name>`), with no GetQueueUrl call."""
    _, partition, _, region, account, name = arn.split(":", 5)
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{suffix}/{account}/{name}"


class SqsTarget:
    """`SendMessage`: the body is the data as JSON, the run's ids are message attributes. On a FIFO queue
    the job is the message group (its runs stay in order) and the run id deduplicates a repeated send."""

    def __init__(self, client: Callable[[], SQSClient]) -> None:
        self._client = client

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        ids = {"jobId": run.jobId, "runId": run.runId, "attempt": str(run.attempt)}
        message: SendMessageRequestTypeDef = {
            "QueueUrl": queue_url(target.arn),
            "MessageBody": compact(data),
            "MessageAttributes": {key: {"DataType": "String", "StringValue": value} for key, value in ids.items()},
        }
        if target.arn.endswith(".fifo"):
            message["MessageGroupId"] = run.jobId
            message["MessageDeduplicationId"] = run.runId
        try:
            sent = self._client().send_message(**message)
        except Exception as error:
            return aws_failure(error)
        return Outcome(True), {"messageId": sent["MessageId"]}
