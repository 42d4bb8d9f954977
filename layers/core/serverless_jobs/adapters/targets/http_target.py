"""An `http` target (a webhook): the job's data POSTed as JSON, signed; the status and body are the result.

2xx succeeds. 408, 429, 5xx, a timeout or a connection that fails are retried; any other status fails for
good (redirects are not followed). On AWS the host's every address must be public: a webhook never reaches
the instance metadata service (169.254.169.254), loopback or a private network, and the connection goes to
the address that was checked, so a DNS answer cannot change between the check and the call.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from serverless_jobs.adapters.targets.failures import Delivered
from serverless_jobs.adapters.targets.signing import signature_header
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import HEADER_PREFIX, SIGNATURE_HEADER, Target, is_public_address

# The part of a reply's body kept as the run's result.
BODY_LIMIT_BYTES = 64 * 1024
# Statuses that say "later": the run is retried. Every other non-2xx fails for good.
RETRYABLE_STATUSES = frozenset({408, 429})

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(entry[4][0]) for entry in found))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """A connection to an address checked beforehand, the Host header still naming the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As `_PinnedHTTPConnection`, with TLS verified against the URL's host name (SNI too)."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class HttpTarget:
    """One request per run, signed with the stack's webhook secret (`secret()` raises when it cannot be read).

    `local` (the local stack) lets a webhook reach loopback and private addresses; `resolver` and `clock`
    (epoch seconds, the signature's timestamp) are the system's unless the function or a test gives its own.
    """

    def __init__(
        self,
        secret: Callable[[], bytes],
        *,
        local: bool,
        resolver: Resolver = resolve,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._local = local
        self._resolve = resolver
        self._clock = clock

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        """The system's trust store and TLS defaults, loaded by the first https webhook."""
        return ssl.create_default_context()

    def _refusal(self, host: str, addresses: list[str]) -> str | None:
        """Why the webhook may not go to `host`, or None. Which address is not said: the run's error would
        otherwise map the network behind the stack for whoever may read the job's history."""
        if not addresses:
            return f"refused: {host} resolves to no address"
        if not self._local and not all(map(is_public_address, addresses)):
            return f"refused: {host} resolves to an address that is not public; webhooks go to public addresses only"
        return None

    def send(self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float) -> Delivered:
        parts = urlsplit(target.url)
        host, https = str(parts.hostname), parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        try:
            addresses = self._resolve(host, port)
            secret = self._secret()
        except Exception as error:  # DNS or SSM failing now may well answer later
            return Outcome(False, f"{type(error).__name__}: {error}"), None
        refusal = self._refusal(host, addresses)
        if refusal is not None:
            return Outcome(False, refusal, retryable=False), None
        body = compact(data).encode()
        stamp = str(int(self._clock()))
        headers = {
            **dict(target.headers),
            "Content-Type": "application/json",
            "User-Agent": "serverless-jobs",
            SIGNATURE_HEADER: signature_header(
                secret, stamp, target.method, target.url, run.jobId, run.runId, run.attempt, body
            ),
            f"{HEADER_PREFIX}Job-Id": run.jobId,
            f"{HEADER_PREFIX}Run-Id": run.runId,
            f"{HEADER_PREFIX}Attempt": str(run.attempt),
        }
        timeout = max(min(timeout_seconds, 900.0), 1.0)
        connection = (
            _PinnedHTTPSConnection(host, port, addresses[0], timeout, self._tls)
            if https
            else _PinnedHTTPConnection(host, port, addresses[0], timeout)
        )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(target.method, path, body=body, headers=headers)
            reply = connection.getresponse()
            content = reply.read(BODY_LIMIT_BYTES)
        except (OSError, http.client.HTTPException) as error:  # a timeout, a refused or dropped connection
            return Outcome(False, f"{type(error).__name__}: {error or 'no answer'} ({target.method} {host})"), None
        except ValueError as error:  # UnicodeEncodeError: stored before the API refused such URLs and headers
            unsendable = f"{type(error).__name__}: the URL or a header cannot be sent as is ({target.method} {host})"
            return Outcome(False, unsendable, retryable=False), None
        finally:
            connection.close()
        result = {"status": reply.status, "body": content.decode(errors="replace")}
        if 200 <= reply.status < 300:
            return Outcome(True), result
        retryable = reply.status in RETRYABLE_STATUSES or reply.status >= 500
        failure = f"HTTP {reply.status} {reply.reason} from {target.method} {host}"
        return Outcome(False, failure if retryable else f"{failure} (not retried)", retryable), result
