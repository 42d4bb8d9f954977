"""Seeded AWS faults at the botocore boundary: calls fail before they are applied, or after (the ambiguous write).

An event handler on each client: `before-call` (registered first, ahead of the harness's Invoke recorder)
fails a call before AWS sees it, with throttling, a 5xx or a timeout; `after-call` fails it once AWS has
applied it, as a timeout whose answer was lost or, for a conditional write, as the condition failure that
botocore's retry of an applied write meets. The faults are what the functions see once botocore's own
retries gave up, so they come without botocore's sleeps. Only the functions' calls fail (a test's own
reads do not), and only while `active`.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, cast

from botocore.exceptions import ClientError, ReadTimeoutError

from devtools.aws_calls import running_function

# Error codes of the throttling and server faults, per service (as each service names them).
_THROTTLING = {
    "dynamodb": "ProvisionedThroughputExceededException",
    "lambda": "TooManyRequestsException",
    "events": "ThrottlingException",
}
_SERVER = {"dynamodb": "InternalServerError", "lambda": "ServiceException", "events": "InternalException"}
# Every write the functions make is conditional: a retry of one that was applied fails its condition.
_CONDITIONAL_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


class FaultInjector:
    """Fails each function call with probability `rate`: half before AWS applies it, half after; only the
    calls of `functions` (logical ids) when given."""

    def __init__(self, rng: random.Random, rate: float, functions: frozenset[str] | None = None) -> None:
        self.rng = rng
        self.rate = rate
        self.functions = functions
        self.active = False
        self.injected: Counter[str] = Counter()  # by "<before|after> <kind> <Operation>"
        self._clients: list[Any] = []

    def attach(self, clients: list[Any]) -> None:
        for client in clients:
            client.meta.events.register_first(_before_call(client), self._before)
            client.meta.events.register("after-call", self._after)
            self._clients.append(client)

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister(_before_call(client), self._before)
            client.meta.events.unregister("after-call", self._after)
        self._clients.clear()

    def _strikes(self) -> bool:
        function = running_function.get()
        if not self.active or function is None or (self.functions is not None and function not in self.functions):
            return False
        return self.rng.random() < self.rate / 2

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self._strikes():
            return
        service = model.service_model.endpoint_prefix
        kind = self.rng.choice(("throttling", "server", "timeout"))
        self.injected[f"before {kind} {model.name}"] += 1
        if kind == "timeout":
            raise ReadTimeoutError(endpoint_url=params.get("url", "injected"))
        code = _THROTTLING[service] if kind == "throttling" else _SERVER[service]
        status = 400 if kind == "throttling" else 500
        raise aws_error(code, status, model.name)

    def _after(self, model: Any, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if not self._strikes() or int(getattr(http_response, "status_code", 200)) >= 300:
            return
        if model.name in _CONDITIONAL_WRITES and self.rng.random() < 0.5:
            self.injected[f"after conflict {model.name}"] += 1
            raise aws_error("ConditionalCheckFailedException", 400, model.name)
        self.injected[f"after timeout {model.name}"] += 1
        raise ReadTimeoutError(endpoint_url="injected after applying")


def _before_call(client: Any) -> str:
    """The harness answers Invoke in a handler of its own for that operation, which botocore runs before any
    less specific one: a fault before Invoke must be registered for the operation itself to come first."""
    return "before-call.lambda.Invoke" if client.meta.service_model.service_name == "lambda" else "before-call"


def aws_error(code: str, status: int, operation: str) -> ClientError:
    """The error botocore raises when AWS answers `status` with `code`."""
    response = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(cast(Any, response), operation)
