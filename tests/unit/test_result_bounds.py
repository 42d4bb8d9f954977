"""A handler's result as history stores it: within 64 KB as stored, and cut as little as the limit needs,
however much of it JSON must escape."""

from __future__ import annotations

import pytest

from serverless_jobs.domain.jsonvalue import compact
from serverless_jobs.domain.results import RESULT_LIMIT_BYTES, bounded_result

TOO_LARGE = RESULT_LIMIT_BYTES + 10


@pytest.mark.parametrize(
    "text",
    ["r" * TOO_LARGE, '"' * TOO_LARGE, "\\" * TOO_LARGE, "\x01" * TOO_LARGE, "é" * TOO_LARGE],
    ids=["plain", "quotes", "backslashes", "control characters", "two-byte letters"],
)
def test_a_result_too_large_is_cut_to_the_longest_start_that_fits(text: str) -> None:
    stored, truncated = bounded_result({"text": text})

    assert truncated
    assert isinstance(stored, str)
    assert compact({"text": text}).startswith(stored)  # the start of what the handler returned, as JSON
    size = len(compact(stored).encode())
    assert size <= RESULT_LIMIT_BYTES
    # not one more character fits: the longest escape (a control character escaped twice) is 7 bytes
    assert size > RESULT_LIMIT_BYTES - 7


def test_a_result_that_fits_is_kept_as_it_is() -> None:
    assert bounded_result({"text": '"' * 1000}) == ({"text": '"' * 1000}, False)
