"""Next-occurrence cost per call, as median microseconds: what the tick and every finished run pay.

Run: `make bench` (or `python -m bench.schedules`). Figures are from this machine; compare them as ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "core"))

from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing

CASES = [
    ("interval 30s", "30s", "UTC"),
    ("interval rate(5 minutes)", "rate(5 minutes)", "UTC"),
    ("cron */15 * * * *", "*/15 * * * *", "UTC"),
    ("cron 30 2 * * * (New York)", "30 2 * * *", "America/New_York"),
    ("cron 0 9 * * MON-FRI (Berlin)", "0 9 * * MON-FRI", "Europe/Berlin"),
    ("EventBridge cron(0 12 * * ? *)", "cron(0 12 * * ? *)", "UTC"),
    ("EventBridge cron(0 9 ? * 6L *)", "cron(0 9 ? * 6L *)", "UTC"),
    ("EventBridge cron(0 9 LW * ? *)", "cron(0 9 LW * ? *)", "Australia/Sydney"),
]
CALLS = 300


def median_microseconds(expression: str, zone: str) -> float:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    timing = Timing(parse_schedule(expression), ZoneInfo(zone), None, None, start)
    samples = []
    moment = start
    for _ in range(CALLS):
        began = time.perf_counter()
        following = timing.next_at_or_after(moment)
        samples.append((time.perf_counter() - began) * 1e6)
        assert following is not None
        moment = following + timedelta(milliseconds=1)
    return statistics.median(samples)


def main() -> None:
    print(f"{'next occurrence of':<36} {'median µs':>10}")
    for label, expression, zone in CASES:
        print(f"{label:<36} {median_microseconds(expression, zone):>10.1f}")


if __name__ == "__main__":
    main()
