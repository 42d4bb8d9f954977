"""What can go wrong, as exceptions a caller can tell apart: one per kind of API answer, and no answer."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Anything this package raises for a request that did not succeed."""


class Unreachable(ClientError):
    """No HTTP answer at all (connection refused, DNS, timeout), after the retries."""


class ApiError(ClientError):
    """The API answered with an error: its status and its `{"message"}`, which names the field or the job."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{message} (HTTP {status})")
        self.status = status
        self.message = message
        self.body = body


class InvalidInput(ApiError):
    """400, 413 or 422: the request was refused and changed nothing; the message names the field."""


class AccessDenied(ApiError):
    """401 or 403: API Gateway refused the caller (no or wrong credentials, or no IAM permission)."""


class NotFound(ApiError):
    """404: no such job (or route)."""

    def naming(self, sent: str, typed: str) -> NotFound:
        """The same answer with the id as the caller wrote it wherever the message has it as it was sent."""
        if sent == typed or sent not in self.message:
            return self
        return NotFound(self.status, self.message.replace(sent, typed), self.body)


class Conflict(ApiError):
    """409: the job's state does not allow the request (e.g. triggering a running job)."""


class Throttled(ApiError):
    """429 or 503 still, after the retries."""


class ServerError(ApiError):
    """Any other 5xx."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidInput,
    401: AccessDenied,
    403: AccessDenied,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
    429: Throttled,
    503: Throttled,
}


def error_for(status: int, body: Any) -> ApiError:
    """The exception for an error answer; the API's message, or the whole body when it has none."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        message = str(body) if body not in (None, "") else f"HTTP {status}"
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, message, body)
