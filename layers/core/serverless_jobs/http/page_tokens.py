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

from serverless_jobs.domain.errors import InvalidInput

_SIGNATURE_LENGTH = 16


class PageTokens:
    """Encodes and checks page tokens, signed with a key bound to the stack's tables."""

    def __init__(self, jobs_table: str, history_table: str) -> None:
        self._key = f"serverless-jobs:{jobs_table}:{history_table}".encode()

    def encode(self, last_key: dict[str, Any] | None, query: str) -> str | None:
        if not last_key:
            return None
        body = json.dumps({"q": query, "k": last_key}, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(self._sign(body) + body).decode().rstrip("=")

    def decode(self, token: str | None, query: str) -> dict[str, Any] | None:
        """The key to resume from, or None for the first page; InvalidInput names `nextToken` otherwise."""
        if token is None or token == "":
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidInput("nextToken", "is not a token this API returned") from None
        signature, body = raw[:_SIGNATURE_LENGTH], raw[_SIGNATURE_LENGTH:]
        if not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidInput("nextToken", "is not a token this API returned")
        decoded = json.loads(body)
        if decoded.get("q") != query:
            raise InvalidInput("nextToken", "belongs to a different query; repeat the query's other parameters")
        last_key: dict[str, Any] = decoded["k"]
        return last_key

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_SIGNATURE_LENGTH]
