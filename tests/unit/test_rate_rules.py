"""The rate limit's window as plain rules (domain/rate.py, decision "Rate limits"): a sliding window of
places, each start on a place a whole period after the last one there."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from serverless_jobs.domain.rate import RateLimit, Take, Window, free_places, frees_at, take

MINUTE = RateLimit("partner-api", limit=2, period_seconds=60)


def test_an_unused_key_has_every_place_free() -> None:
    assert free_places({}, MINUTE, 0) == [0, 1]


def test_a_place_frees_exactly_one_period_after_its_start() -> None:
    window = {0: 1_000, 1: 30_000}
    assert free_places(window, MINUTE, 60_999) == []
    assert take(window, MINUTE, 60_999, spread=0) == 61_000  # the oldest start leaves the window then
    assert free_places(window, MINUTE, 61_000) == [0]
    assert take(window, MINUTE, 61_000, spread=7) == Take("partner-api", 0, 61_000, 60_000)


def test_a_full_window_frees_when_its_oldest_start_is_a_period_old() -> None:
    assert frees_at({0: 50_000, 1: 20_000}, MINUTE) == 80_000


def test_places_past_a_lowered_limit_are_not_read_or_taken() -> None:
    window = {0: 10_000, 1: 10_000, 2: 10_000}  # three starts made while the limit was 3
    assert take(window, MINUTE, 20_000, spread=0) == 70_000
    assert free_places(window, RateLimit("partner-api", 3, 60), 70_000) == [0, 1, 2]


def test_claimers_spread_over_the_free_places() -> None:
    chosen = {take({}, RateLimit("k", 10, 60), 0, spread=spread) for spread in range(10)}
    assert {start.place for start in chosen if isinstance(start, Take)} == set(range(10))


def test_the_api_shape_round_trips() -> None:
    assert RateLimit.from_api(MINUTE.to_api()) == MINUTE
    assert MINUTE.to_api() == {"key": "partner-api", "limit": 2, "periodSeconds": 60}


def most_in_any_window(times: list[int], period_ms: int) -> int:
    return max((sum(1 for other in times if start <= other < start + period_ms) for start in times), default=0)


@given(
    limit=st.integers(1, 5),
    period=st.integers(1, 30),
    # each claim: when it runs (ms, in any order: clocks differ), which earlier read of the window it
    # decides on (a stale one, as a racing claimer has), and its spread
    claims=st.lists(st.tuples(st.integers(0, 120_000), st.integers(0, 50), st.integers(0, 2**32)), max_size=60),
)
def test_no_window_ever_holds_more_than_the_limit_whatever_the_claims_read(
    limit: int, period: int, claims: list[tuple[int, int, int]]
) -> None:
    """Claims decide on stale reads, as racing claimers do; the store writes a start only if its place is
    still free when the write lands (the condition `_take_place` sends). However they interleave, no
    half-open interval of one period holds more than `limit` starts."""
    rate = RateLimit("k", limit, period)
    window: dict[int, int] = {}
    reads: list[Window] = [{}]
    started: list[int] = []
    for at, stale, spread in claims:
        decided = take(reads[-1 - stale % len(reads)], rate, at, spread)
        if not isinstance(decided, Take):
            continue
        last = window.get(decided.place)
        if last is None or last <= decided.at - decided.period_ms:  # the conditional write
            window[decided.place] = decided.at
            started.append(decided.at)
        reads.append(dict(window))
    assert most_in_any_window(started, rate.period_ms) <= limit
