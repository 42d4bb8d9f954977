"""Page tokens round-trip, and anything but an untouched token of the same query is refused."""

from __future__ import annotations

import pytest

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.http.page_tokens import PageTokens

TOKENS = PageTokens("JobsTable", "HistoryTable")
encode_token, decode_token = TOKENS.encode, TOKENS.decode

KEY = {"id": {"S": "abc"}, "status": {"S": "pending"}, "createdAt": {"N": "1764320400000"}}


def test_round_trip() -> None:
    token = encode_token(KEY, "jobs:pending")
    assert token is not None
    assert decode_token(token, "jobs:pending") == KEY


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
    with pytest.raises(InvalidInput) as raised:
        decode_token(tampered, "jobs:")
    assert raised.value.field == "nextToken"


def test_token_of_another_query_is_refused() -> None:
    token = encode_token(KEY, "jobs:pending")
    with pytest.raises(InvalidInput, match="different query"):
        decode_token(token, "jobs:paused")
