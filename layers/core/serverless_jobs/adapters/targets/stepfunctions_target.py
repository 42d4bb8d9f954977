"""A `stepfunctions` target: an execution started with the job's data; its ARN is the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverless_jobs.adapters.targets.failures import Delivered, aws_failure
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsTarget:
    """`StartExecution` named by the run's id: a standard workflow started twice for one run (a repeated
    send) is one execution, since Step Functions answers the same name and input with the same execution."""

    def __init__(self, client: Callable[[], SFNClient]) -> None:
        self._client = client

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        try:
            started = self._client().start_execution(stateMachineArn=target.arn, name=run.runId, input=compact(data))
        except Exception as error:
            return aws_failure(error)
        return Outcome(True), {"executionArn": started["executionArn"]}
