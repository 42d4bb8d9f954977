"""The timer on AWS (decision 0075): alarms as messages of the stack's timer queue, each hidden for its
`DelaySeconds`; the queue's event source mapping hands them to the dispatch function once they show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from serverless_jobs.adapters.lambda_events import timer_body
from serverless_jobs.ports import Alarm

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

logger = Logger(child=True)

# SendMessageBatch takes at most 10 entries.
BATCH = 10


class SqsTimer:
    """`SendMessageBatch` to the timer queue, 10 alarms a request. An alarm SQS refused is returned (the
    caller falls back: a tick sleeps towards it, a write wakes the tick); one whose fate is unknown (no
    answer) is taken as sent: at worst the minute's tick claims its job, up to that minute late."""

    def __init__(self, client: Callable[[], SQSClient], queue_url: str) -> None:
        self._client_of = client
        self._queue_url = queue_url

    def set(self, alarms: Sequence[Alarm]) -> list[Alarm]:
        unsent: list[Alarm] = []
        for start in range(0, len(alarms), BATCH):
            unsent += self._send(list(alarms[start : start + BATCH]))
        return unsent

    def _send(self, alarms: list[Alarm]) -> list[Alarm]:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(number), "MessageBody": timer_body(alarm), "DelaySeconds": alarm.delay_seconds}
            for number, alarm in enumerate(alarms)
        ]
        try:
            answer = self._client_of().send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except ClientError:
            logger.exception("timer refused", extra={"alarms": len(alarms)})
            return alarms
        except Exception:
            logger.exception("timer unconfirmed", extra={"alarms": len(alarms)})
            return []
        failed = [alarms[int(entry["Id"])] for entry in answer.get("Failed", [])]
        if failed:
            logger.error("timer refused", extra={"alarms": len(failed), "failed": answer.get("Failed")})
        return failed
