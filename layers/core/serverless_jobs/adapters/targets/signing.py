"""How a webhook is signed: `X-Serverless-Jobs-Signature: t=<unix seconds>,v1=<hex>,v2=<hex>`.

`v2` binds the delivery: an HMAC-SHA256, with the stack's secret, of the lines `v2`, the timestamp, the
method, the URL exactly as the target names it, the job id, the run id and the attempt, then the body
(`canonical_v2`). A receiver recomputes it with its own URL and the ids the request's headers carry, so a
captured delivery replayed to another receiver, or with another run id, does not verify; a stale `t` is a
replay. No field but the body may hold a line break (the API refuses control characters in a URL, and the
ids are `A-Z a-z 0-9 _ -`), so the lines cannot be shifted into one another.

`v1` (timestamp and body only, the scheme of earlier releases) is still sent beside it, so a receiver that
checks v1 keeps working through the upgrade while it moves to v2; it is deprecated and will be dropped.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v2"


def canonical_v2(timestamp: str, method: str, url: str, job_id: str, run_id: str, attempt: int, body: bytes) -> bytes:
    """What `v2` signs: one line per field of the delivery, then the body as sent."""
    lines = (SCHEME, timestamp, method, url, job_id, run_id, str(attempt), "")
    return "\n".join(lines).encode() + body


def signature_header(
    secret: bytes, timestamp: str, method: str, url: str, job_id: str, run_id: str, attempt: int, body: bytes
) -> str:
    """The signature header's value: the timestamp, the deprecated v1 and the delivery-bound v2."""
    v1 = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    signed = canonical_v2(timestamp, method, url, job_id, run_id, attempt, body)
    v2 = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={v1},v2={v2}"
