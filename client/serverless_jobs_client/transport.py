"""One HTTP exchange with the API, signed, retried when the API says "later", and read as JSON.

`Transport.exchange` is the one place a request is signed and sent: `request` retries it and reads its JSON,
the console's forwarder (console/forward.py) hands its answer to the browser as it came.

Retried: 429 (API Gateway's throttling), 503 (unavailable), and any answer carrying `Retry-After` (the
API's 409 for a create whose Idempotency-Key is still being answered), waiting what `Retry-After` says or
else exponential backoff with full jitter. A request that got no answer at all is retried only when
repeating it is harmless (`idempotent`): a trigger that got no answer may have run, so it fails at once.
Each retry is told to `on_retry` before its wait (the CLI prints it on stderr). Sleeping and the time are
injected, so tests wait for nothing.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from serverless_jobs_client.auth import Signer, no_auth
from serverless_jobs_client.errors import Unreachable, error_for
from serverless_jobs_client.version import USER_AGENT

RETRIED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Reply:
    """An answer as it came: its body is bytes, read as JSON only by `Transport.request`."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Send(Protocol):
    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
        """One HTTP exchange; raises OSError when there is no answer."""
        ...


def send_with_urllib(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
    request = urllib.request.Request(url, body, dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, dict(error.headers.items()), error.read())
    except http.client.HTTPException as error:  # a connection cut mid-answer: no answer, as a refused one
        raise ConnectionError(f"{type(error).__name__}: {error}") from error


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")  # an error page from a proxy: shown as its text


@dataclass
class Backoff:
    """How long to wait before retry `attempt` (1, 2, ...): Retry-After when given, else full jitter."""

    base_seconds: float = 0.25
    cap_seconds: float = 20.0
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    uniform: Callable[[float, float], float] = random.uniform

    def delay(self, attempt: int, retry_after: str | None) -> float:
        asked = self._retry_after(retry_after)
        if asked is not None:
            return min(asked, self.cap_seconds * 3)  # honoured, within reason
        return self.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))

    def _retry_after(self, value: str | None) -> float | None:
        """`Retry-After` as seconds from now: a number of seconds or an HTTP date (RFC 9110)."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - self.now()).total_seconds())


@dataclass(frozen=True)
class RetryNote:
    """A retry about to happen: which request, why, which attempt comes next (of how many), after how long."""

    request: str  # "GET /jobs"
    reason: str
    attempt: int
    attempts: int
    delay: float

    def __str__(self) -> str:
        return (
            f"{self.request}: {self.reason}; retrying ({self.attempt - 1} of {self.attempts - 1}) in {self.delay:.1f}s"
        )


def _ignore(note: RetryNote) -> None:
    return None


@dataclass
class Transport:
    """Sends requests to one API base URL; `request` returns the JSON body or raises an ApiError."""

    base_url: str
    signer: Signer = no_auth
    send: Send = send_with_urllib
    sleep: Callable[[float], None] = time.sleep
    backoff: Backoff = field(default_factory=Backoff)
    retries: int = 5
    timeout: float = 30.0
    on_retry: Callable[[RetryNote], None] = _ignore

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        idempotent: bool = True,
    ) -> Any:
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        plain = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        if data is not None:
            plain["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            try:
                # signed again on each attempt: a signature is valid for minutes, and credentials refresh
                reply = self.exchange(method, path, plain, data)
            except OSError as error:
                reason = f"no answer ({getattr(error, 'reason', error)})"
                if not idempotent:
                    raise Unreachable(
                        f"{method} {self.url(path)}: {reason}; not retried: repeating it is not safe"
                    ) from error
                if attempt > self.retries:
                    raise Unreachable(
                        f"{method} {self.url(path)}: {reason}; gave up after {attempt} attempts"
                    ) from error
                self._wait(method, path, reason, attempt, None)
                continue
            if reply.status < 400:
                return _json(reply.body)
            retry_after = _header(reply.headers, "Retry-After")
            if attempt <= self.retries and (reply.status in RETRIED_STATUSES or retry_after is not None):
                self._wait(method, path, f"HTTP {reply.status}", attempt, retry_after)
                continue
            raise error_for(reply.status, _json(reply.body))

    def _wait(self, method: str, path: str, reason: str, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff.delay(attempt, retry_after)
        self.on_retry(RetryNote(f"{method} {path.partition('?')[0]}", reason, attempt + 1, self.retries + 1, delay))
        self.sleep(delay)

    def exchange(self, method: str, path: str, headers: Mapping[str, str], body: bytes | None) -> Reply:
        """One attempt, signed over exactly the path, query and body that are sent; raises OSError when
        there is no answer, returns any status (a 4xx or 5xx too) as it came."""
        url = self.url(path)
        return self.send(method, url, self.signer(method, url, headers, body), body, self.timeout)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)
