"""Opaque page tokens: where a listing resumes, bound to the query it came from and signed with a secret.

The key is the stack's own random secret (`SigningKey`: 32 bytes kept where only the functions read them),
so no caller can make a token: one that was truncated, edited, made up or taken from another query is
refused as bad input (400 naming `nextToken`) instead of resuming a query from an arbitrary key. Whatever a
token holds, decoding it never raises anything else: every shape that is not ours is the same refusal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from serverless_jobs.domain.errors import InvalidInput

# Reads the stack's signing key (its bytes); called once, when the first token is encoded or decoded.
SigningKey = Callable[[], bytes]

_SIGNATURE_LENGTH = 16  # of HMAC-SHA256's 32 bytes: 128 bits, past any guessing
# Far beyond any token this API issues (the merged listing's, with six index keys, is about 1.5 KB).
_MAX_TOKEN_LENGTH = 8_192
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
# Index keys inside cursors: DynamoDB attribute values of one type each, or cursors nested in a cursor.
_MAX_DEPTH = 3
_NOT_OURS = "is not a token this API returned, or was made before an upgrade; start the listing again"


class PageTokens:
    """Encodes and checks page tokens, signed with the stack's secret key (read once, on first use)."""

    def __init__(self, key: SigningKey) -> None:
        self._read_key = key
        self._key: bytes | None = None

    def encode(self, last_key: dict[str, Any] | None, query: str) -> str | None:
        if not last_key:
            return None
        body = json.dumps({"q": query, "k": last_key}, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(self._sign(body) + body).decode().rstrip("=")

    def decode(self, token: str | None, query: str) -> dict[str, Any] | None:
        """The key to resume from, or None for the first page; InvalidInput names `nextToken` otherwise."""
        if token is None or token == "":
            return None
        if len(token) > _MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
            raise InvalidInput("nextToken", _NOT_OURS)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidInput("nextToken", _NOT_OURS) from None
        signature, body = raw[:_SIGNATURE_LENGTH], raw[_SIGNATURE_LENGTH:]
        if len(signature) < _SIGNATURE_LENGTH or not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidInput("nextToken", _NOT_OURS)
        decoded = _loads(body)
        if not isinstance(decoded, dict) or decoded.keys() != {"q", "k"} or not isinstance(decoded["q"], str):
            raise InvalidInput("nextToken", _NOT_OURS)
        if decoded["q"] != query:
            raise InvalidInput("nextToken", "belongs to a different query; repeat the query's other parameters")
        last_key = decoded["k"]
        if not isinstance(last_key, dict) or not last_key or not _is_cursor(last_key, 1):
            raise InvalidInput("nextToken", _NOT_OURS)
        return last_key

    def _sign(self, body: bytes) -> bytes:
        if self._key is None:
            self._key = self._read_key()
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_SIGNATURE_LENGTH]


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # not UTF-8, not JSON
        return None


def _is_cursor(value: dict[str, Any], depth: int) -> bool:
    """Whether `value` has the shape of a cursor this API makes: names of DynamoDB attribute values
    (`{"S": text}` or `{"N": digits}`), or of cursors nested in it."""
    for name, entry in value.items():
        if not isinstance(name, str) or not isinstance(entry, dict) or not entry:
            return False
        if _is_attribute_value(entry):
            continue
        if depth >= _MAX_DEPTH or not _is_cursor(entry, depth + 1):
            return False
    return True


def _is_attribute_value(entry: dict[str, Any]) -> bool:
    if len(entry) != 1:
        return False
    ((kind, text),) = entry.items()
    if kind == "S":
        return isinstance(text, str)
    return kind == "N" and isinstance(text, str) and re.fullmatch(r"-?\d{1,38}", text) is not None
