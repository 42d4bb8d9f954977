"""The API's error replies: `{"message": ...}` with its status, in the resolver or, outside it, in API
Gateway's proxy format; and the 503-or-500 answer to an exception no route foresaw."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types

logger = Logger(child=True)

# How long a client should wait before sending a request that met throttling or a failing AWS service again.
RETRY_AFTER_SECONDS = 1
# Which exceptions mean "try again later" (adapters.aws_errors.is_transient, given by the function module).
IsTransient = Callable[[BaseException], bool]


def message(status: int, text: str, headers: dict[str, str] | None = None) -> Response[Any]:
    """An answer of `status` whose body is `{"message": text}`."""
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": text}, headers=headers
    )


def request_id(event: Mapping[str, Any]) -> str:
    """API Gateway's id of the request: the caller sees it (x-amzn-RequestId) and the log lines carry it."""
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or "unknown")


def failure_response(error: Exception, request: str, is_transient: IsTransient) -> Response[Any]:
    """503 with Retry-After for an AWS service throttling or failing, else 500 naming the request; both logged.

    Every write is one conditional write (or ends in one), so a request that fails here changed nothing
    or completed its change; the same request sent again converges.
    """
    if is_transient(error):
        logger.warning("AWS is throttling or failing; answered 503", exc_info=error, extra={"requestId": request})
        text = f"the service is busy or failing; retry in {RETRY_AFTER_SECONDS} s (request {request})"
        return message(503, text, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    logger.exception("unexpected error; answered 500", exc_info=error, extra={"requestId": request})
    return message(500, f"internal error; the log has it under request id {request}")


def refuse_non_json_body(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The API reads `application/json` only; any other body is bad input, not a reason for a 500 or a 415."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if not event.get("body") or content_type == "application/json":
        return None
    return proxy_reply(400, {"message": f"Content-Type: the body must be application/json, not {content_type}"})


def proxy_reply(status: int, body: Any, headers: Mapping[str, str | list[str]] | None = None) -> dict[str, Any]:
    """A JSON reply in API Gateway's proxy format, for answers given outside the resolver."""
    multi = {name: value if isinstance(value, list) else [value] for name, value in (headers or {}).items()}
    return {
        "statusCode": status,
        "multiValueHeaders": {**multi, "Content-Type": [content_types.APPLICATION_JSON]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
