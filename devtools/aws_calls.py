"""Every AWS call a function makes, as IAM sees it: the function, the action and the resource's ARN.

moto enforces no IAM, so the tests prove the deployed roles allow what the functions do by recording each
call here and checking it against the role SAM deploys (tests/harness/permissions.py). Three functions share
one process (and pynamodb's connections) locally and in tests, so a call belongs to the function whose
handler is running: `attributed` marks it in a context variable, which threads started for a handler's
work inherit only when they are given its context (a tick pass's threads and the job handler's thread are).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.client import BaseClient

from devtools.template import ACCOUNT

# Set by `make dev` (and the end-to-end tests) to a file that receives one JSON line per call.
CALL_LOG_VARIABLE = "SERVERLESS_JOBS_CALL_LOG"

running_function: ContextVar[str | None] = ContextVar("running_function", default=None)

# The operations whose IAM action is not named after them.
_ACTIONS = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "lambda:InvokeFunction",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
}
# The IAM prefix of a service whose endpoint prefix differs from it.
_IAM_PREFIXES = {"monitoring": "cloudwatch"}
# A DynamoDB transaction is authorised item by item, as the single-item action.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class AwsCall:
    """One authorisation AWS makes: `resource` is None when this module cannot name the call's ARN."""

    function: str
    action: str
    resource: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> AwsCall:
        return cls(**json.loads(line))


Handler = Callable[[dict[str, Any], Any], Any]


def attributed(function: str, handler: Handler) -> Handler:
    """`handler`, with every AWS call made while it runs counted as `function`'s."""

    @functools.wraps(handler)
    def call(event: dict[str, Any], context: Any) -> Any:
        token = running_function.set(function)
        try:
            return handler(event, context)
        finally:
            running_function.reset(token)

    return call


def authorisations(service: str, operation: str, params: dict[str, Any], region: str) -> list[tuple[str, str | None]]:
    """The (IAM action, resource ARN) pairs AWS checks for one API call."""
    prefix = _IAM_PREFIXES.get(service, service)
    action = _ACTIONS.get((prefix, operation), f"{prefix}:{operation}")
    if prefix == "dynamodb":
        return _dynamodb(operation, params, region)
    arns = _resources(prefix, params, f"{region}:{ACCOUNT}")
    return [(action, arn) for arn in arns] if arns else [(action, None)]


def _resources(prefix: str, params: dict[str, Any], where: str) -> list[str]:
    """The ARNs a call names (`where` is its region and account), or none this module knows of."""
    found: list[str] = []
    if prefix == "lambda":
        name = str(params["FunctionName"])
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{where}:function:{name}"
        found.append(f"{arn}:{params['Qualifier']}" if "Qualifier" in params else arn)
    elif prefix == "events" and ("Name" in params or "Rule" in params):
        bus = params.get("EventBusName", "default")
        rule = params.get("Name", params.get("Rule"))
        found.append(f"arn:aws:events:{where}:" + (f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}"))
    elif prefix == "events" and "Entries" in params:
        buses = [str(entry.get("EventBusName", "default")) for entry in params["Entries"]]
        found.extend(bus if bus.startswith("arn:") else f"arn:aws:events:{where}:event-bus/{bus}" for bus in buses)
    elif prefix == "cloudwatch" and "AlarmNames" in params:
        found.extend(f"arn:aws:cloudwatch:{where}:alarm:{name}" for name in params["AlarmNames"])
    elif prefix == "states" and "stateMachineArn" in params:
        found.append(str(params["stateMachineArn"]))
    elif prefix == "ssm" and "Name" in params:
        found.append(f"arn:aws:ssm:{where}:parameter/{str(params['Name']).lstrip('/')}")
    elif prefix == "sqs" and "QueueUrl" in params:
        found.append(f"arn:aws:sqs:{where}:{urlsplit(params['QueueUrl']).path.rstrip('/').rsplit('/', 1)[-1]}")
    return found


def _dynamodb(operation: str, params: dict[str, Any], region: str) -> list[tuple[str, str | None]]:
    def table(name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"

    if operation in {"BatchWriteItem", "BatchGetItem"}:
        return [(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]]
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        return [
            (f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(request["TableName"]))
            for item in params["TransactItems"]
            for kind, request in item.items()
        ]
    if "TableName" not in params:
        return [(f"dynamodb:{operation}", None)]
    arn = table(params["TableName"])
    return [(f"dynamodb:{operation}", f"{arn}/index/{params['IndexName']}" if "IndexName" in params else arn)]


Sink = Callable[[AwsCall], None]


@dataclass
class _Recording:
    sink: Sink | None = None


_recording = _Recording()


def record_calls(sink: Sink) -> None:
    """From now on, hand every AWS call a function makes in this process to `sink`.

    Hooked into botocore's BaseClient, under every client (boto3's and pynamodb's) and before any handler
    of the call's events, so a call a test answers itself (the harness's Invoke) is seen as well.
    """
    if _recording.sink is None:
        original = BaseClient._make_api_call  # type: ignore[attr-defined]

        def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            function = running_function.get()
            if function is not None and _recording.sink is not None:
                service = client.meta.service_model.endpoint_prefix
                for action, resource in authorisations(service, operation, params, client.meta.region_name):
                    _recording.sink(AwsCall(function, action, resource))
            return original(client, operation, params)

        BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
    _recording.sink = sink


@contextmanager
def also_recorded(sink: Sink) -> Iterator[None]:
    """For the block, hand every AWS call to `sink` as well as to the sink recording them already (the test
    session's, whose permission checks need every call), which records alone again afterwards."""
    before = _recording.sink

    def both(call: AwsCall) -> None:
        sink(call)
        if before is not None:
            before(call)

    record_calls(both)
    try:
        yield
    finally:
        _recording.sink = before


class CallFile:
    """A sink writing one JSON line per call, each written at once: the process may be killed any time."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the process's life
        self._lock = threading.Lock()

    def __call__(self, call: AwsCall) -> None:
        with self._lock:
            self._file.write(call.to_json() + "\n")
