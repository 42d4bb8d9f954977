"""Page tokens round-trip, and anything but an untouched token of the same query and key is refused as a 400
naming `nextToken`, whatever its shape (never another exception: that would be a 500)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

import pytest

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.http.page_tokens import PageTokens

SECRET = os.urandom(32)
TOKENS = PageTokens(lambda: SECRET)
encode_token, decode_token = TOKENS.encode, TOKENS.decode

KEY = {"id": {"S": "abc"}, "status": {"S": "pending"}, "createdAt": {"N": "1764320400000"}}
MERGED = {"pending": KEY, "completed": {"done": {"N": "1"}}}


def signed(body: bytes, key: bytes = SECRET) -> str:
    """A token as the API makes them: the first 16 bytes of HMAC-SHA256 over the body, then the body."""
    signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def refused(token: str, query: str = "jobs:") -> str:
    with pytest.raises(InvalidInput) as raised:
        decode_token(token, query)
    assert raised.value.field == "nextToken"
    return str(raised.value)


@pytest.mark.parametrize("key", [KEY, MERGED])
def test_round_trip(key: dict[str, object]) -> None:
    token = encode_token(key, "jobs:pending")
    assert token is not None
    assert decode_token(token, "jobs:pending") == key


def test_no_key_means_no_token_and_no_token_means_first_page() -> None:
    assert encode_token(None, "jobs:") is None
    assert encode_token({}, "jobs:") is None
    assert decode_token(None, "jobs:") is None
    assert decode_token("", "jobs:") is None


def test_token_is_opaque() -> None:
    token = encode_token(KEY, "jobs:")
    assert token is not None
    assert "abc" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("position", [0, 5, 17, 30, -1])
def test_any_changed_character_is_refused(position: int) -> None:
    token = encode_token(KEY, "jobs:")
    assert token is not None
    replacement = "A" if token[position] != "A" else "B"
    tampered = token[:position] + replacement + token[position + 1 :] if position != -1 else token[:-1] + replacement
    refused(tampered)


def test_token_of_another_query_is_refused() -> None:
    token = encode_token(KEY, "jobs:pending")
    assert token is not None
    assert "different query" in refused(token, "jobs:paused")


def test_a_token_signed_with_the_old_public_key_is_refused_and_says_start_again() -> None:
    """Before this release the key was made of the tables' names, which every caller can learn."""
    public = b"serverless-jobs:JobsTable:HistoryTable"
    forged = signed(json.dumps({"q": "jobs:", "k": KEY}).encode(), public)

    assert "start the listing again" in refused(forged)


def test_another_stacks_token_is_refused() -> None:
    other = PageTokens(lambda: os.urandom(32)).encode(KEY, "jobs:")
    assert other is not None
    refused(other)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"null",
        b'"text"',
        b"12",
        b"not json",
        b"\xff\xfe",
        b"{}",
        b'{"q": "jobs:"}',
        b'{"k": {"id": {"S": "a"}}}',
        b'{"q": 5, "k": {"id": {"S": "a"}}}',
        b'{"q": "jobs:", "k": []}',
        b'{"q": "jobs:", "k": {}}',
        b'{"q": "jobs:", "k": "abc"}',
        b'{"q": "jobs:", "k": {"id": "abc"}}',
        b'{"q": "jobs:", "k": {"id": {"S": 5}}}',
        b'{"q": "jobs:", "k": {"id": {"N": "1e5"}}}',
        b'{"q": "jobs:", "k": {"id": {"B": "AAAA"}}}',
        b'{"q": "jobs:", "k": {"id": {"S": "a", "N": "1"}}}',
        b'{"q": "jobs:", "k": {"a": {"b": {"c": {"d": {"S": "deep"}}}}}}',
        b'{"q": "jobs:", "k": {"id": {"S": "a"}}, "x": 1}',
    ],
)
def test_a_well_signed_token_that_is_not_ours_in_shape_is_refused(body: bytes) -> None:
    """What a caller holding the key could sign; the secret makes these unreachable, and they are still a 400."""
    refused(signed(body))


@pytest.mark.parametrize(
    "token",
    ["!!!", "bm90IGEgdG9rZW4", "a", "ab=", "x" * 20_000, "é", "abc def", "A" * 21, "%00", "a.b"],
)
def test_garbage_is_refused(token: str) -> None:
    refused(token)


def test_the_key_is_read_once_and_only_when_a_token_is_used() -> None:
    reads: list[int] = []

    def key() -> bytes:
        reads.append(1)
        return SECRET

    tokens = PageTokens(key)
    assert reads == []
    token = tokens.encode(KEY, "jobs:")
    assert token is not None
    tokens.decode(token, "jobs:")
    assert reads == [1]
