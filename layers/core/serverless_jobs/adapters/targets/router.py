"""The TargetSender the executor uses: each target type's adapter, over the function's lazily made clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from serverless_jobs.adapters.targets.eventbridge_target import EventBridgeTarget
from serverless_jobs.adapters.targets.failures import Delivered
from serverless_jobs.adapters.targets.http_target import HttpTarget, Resolver, resolve
from serverless_jobs.adapters.targets.lambda_target import LambdaTarget
from serverless_jobs.adapters.targets.sqs_target import SqsTarget
from serverless_jobs.adapters.targets.stepfunctions_target import StepFunctionsTarget
from serverless_jobs.adapters.targets.webhook_secret import WebhookSecret
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target
from serverless_jobs.ports import Clock, TargetSender
from serverless_jobs.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

NEEDS_AWS = "a lambda target needs AWS: the local stack (make dev) has no Lambda service to invoke"
OWN_RESOURCE = "refused: the target is one of this stack's own functions or queues, never a target"


class TargetClients(Protocol):
    """The clients the targets call, each made by its first call (wiring.AwsClients)."""

    @property
    def lambda_invoke(self) -> LambdaClient: ...  # a lambda target waits on Invoke as long as it runs

    @property
    def sqs(self) -> SQSClient: ...

    @property
    def events(self) -> EventBridgeClient: ...

    @property
    def stepfunctions(self) -> SFNClient: ...

    @property
    def ssm(self) -> SSMClient: ...


class AwsTargets:
    """Sends each run to its target's adapter. No client is made before a run of its type needs it: a cold
    executor whose first run is a handler's (or a webhook's) makes none of the AWS targets' clients."""

    def __init__(self, clients: TargetClients, settings: Settings, clock: Clock, resolver: Resolver = resolve) -> None:
        secret = WebhookSecret(lambda: clients.ssm, settings.webhook_secret_parameter)
        self._local = settings.local_stack
        self._own = settings.own_resources
        self._senders: dict[str, TargetSender] = {
            "lambda": LambdaTarget(lambda: clients.lambda_invoke),
            "http": HttpTarget(
                secret.value, local=settings.local_stack, resolver=resolver, clock=lambda: clock.now().timestamp()
            ),
            "sqs": SqsTarget(lambda: clients.sqs),
            "eventbridge": EventBridgeTarget(lambda: clients.events),
            "stepfunctions": StepFunctionsTarget(lambda: clients.stepfunctions),
        }

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        if target.type == "lambda" and self._local:
            return Outcome(False, NEEDS_AWS, retryable=False), None
        if self._own.holds(target):  # a job stored before the API refused it (the API knows all of them)
            return Outcome(False, OWN_RESOURCE, retryable=False), None
        return self._senders[target.type].send(target, data, run, timeout_seconds)
