"""The console's forwarder: each API call the pages make, sent once through the client's Transport.

`Transport.exchange` signs it (SigV4 for an execute-api URL, nothing on loopback) over exactly the method,
path, query and body the browser sent, and its answer goes back as it came: a 4xx or 5xx is the page's to
show, not an exception, and nothing is retried (the page polls again, and a create carries its own
Idempotency-Key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from serverless_jobs_client.console.server import Forward
from serverless_jobs_client.transport import Transport
from serverless_jobs_client.version import USER_AGENT

_PATH_REFUSED = json.dumps({"message": "path: must start with /"}).encode()


def forward_through(transport: Transport) -> Forward:
    """A Forward for ConsoleServer that sends each call to `transport`'s API."""

    def forward(
        method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        if not path.startswith("/"):
            # appended to the API's base URL, "@evil.example/..." would name another host to sign for
            return 400, {"Content-Type": "application/json"}, _PATH_REFUSED
        reply = transport.exchange(method, path, {"User-Agent": USER_AGENT, **headers}, body or None)
        return reply.status, reply.headers, reply.body

    return forward
