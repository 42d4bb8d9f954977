"""Opaque page tokens: DynamoDB's LastEvaluatedKey, bound to the query it came from and signed.

The signature is an integrity check, not a secret: a token that was truncated, edited or taken from another
query is rejected as bad input instead of resuming a query from an arbitrary key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from serverless_jobs.config import settings
from serverless_jobs.errors import InvalidInput

_KEY = f"serverless-jobs:{settings.jobs_table}:{settings.history_table}".encode()
_SIGNATURE_LENGTH = 16


def encode_token(last_key: dict[str, Any] | None, query: str) -> str | None:
    if not last_key:
        return None
    body = json.dumps({"q": query, "k": last_key}, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(_KEY, body, hashlib.sha256).digest()[:_SIGNATURE_LENGTH]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def decode_token(token: str | None, query: str) -> dict[str, Any] | None:
    """The key to resume from, or None for the first page; InvalidInput names `nextToken` otherwise."""
    if token is None or token == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("nextToken", "is not a token this API returned") from None
    signature, body = raw[:_SIGNATURE_LENGTH], raw[_SIGNATURE_LENGTH:]
    expected = hmac.new(_KEY, body, hashlib.sha256).digest()[:_SIGNATURE_LENGTH]
    if not hmac.compare_digest(signature, expected):
        raise InvalidInput("nextToken", "is not a token this API returned")
    decoded = json.loads(body)
    if decoded.get("q") != query:
        raise InvalidInput("nextToken", "belongs to a different query; repeat the query's other parameters")
    last_key: dict[str, Any] = decoded["k"]
    return last_key
