"""Lambda's synchronous `Invoke` as a lambda target meets it, answered on the wire: moto runs functions only in
Docker, so the tests say what the function did (returned, raised, ran out of time, or never answered) and
botocore parses Lambda's reply (its `X-Amz-Function-Error` header, the payload) as on AWS."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ReadTimeoutError

# What Lambda answers for a function that raised, and for one its timeout ended (the runtime's own shapes).
RAISED = {"errorMessage": "invoice 42 not found", "errorType": "KeyError", "stackTrace": ["  File ..."]}
TIMED_OUT = {
    "errorType": "Sandbox.Timedout",
    "errorMessage": "RequestId: 1f0c Error: Task timed out after 3.00 seconds",
}


class _Body(io.BytesIO):
    """A raw HTTP body as botocore reads it: `stream()` for the content, `read()` for a streaming payload."""

    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


@dataclass
class LambdaTargetService:
    """Answers every synchronous Invoke of the clients it is attached to: with `payload`, as a function error
    of kind `function_error` when set (`Unhandled`), or with no answer at all (`no_answer`: the client's read
    timeout). `invoked` keeps each request's payload."""

    payload: Any = None
    function_error: str | None = None
    no_answer: bool = False
    invoked: list[Any] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send.lambda.Invoke", self._answer)

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        self.invoked.append(json.loads(request.body))
        if self.no_answer:
            raise ReadTimeoutError(endpoint_url=request.url)
        body = json.dumps(self.payload).encode()
        headers = HTTPHeaders()
        headers["Content-Length"] = str(len(body))
        headers["X-Amz-Executed-Version"] = "$LATEST"
        if self.function_error is not None:
            headers["X-Amz-Function-Error"] = self.function_error
        return AWSResponse(request.url, 200, headers, _Body(body))
