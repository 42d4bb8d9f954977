"""Next-occurrence cost per call, as median microseconds: what the tick and every finished run pay.

Two figures per schedule: the computation alone on a parsed schedule, and a job's whole path as the tick and
the executor take it (`Job.timing()` from the stored text, then the next occurrence). Issue 13's goal, at most
100 µs median, is for cron (5-field and EventBridge's).
Run: `make bench` (or `python -m bench.schedules`). Figures are from this machine; compare them as ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.figures import Figure, show

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "core"))

from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.domain.schedules.expressions import parse_schedule
from serverless_jobs.domain.schedules.timing import Timing
from serverless_jobs.domain.timefmt import to_millis

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
START = datetime(2026, 1, 1, tzinfo=UTC)


def median_microseconds(next_after: Callable[[datetime], datetime | None]) -> float:
    """Walks CALLS occurrences one after another, timing each call."""
    samples = []
    moment = START
    for _ in range(CALLS):
        began = time.perf_counter()
        following = next_after(moment)
        samples.append((time.perf_counter() - began) * 1e6)
        assert following is not None
        moment = following + timedelta(milliseconds=1)
    return statistics.median(samples)


def parsed(expression: str, zone: str) -> Callable[[datetime], datetime | None]:
    return Timing(parse_schedule(expression), ZoneInfo(zone), None, None, START).next_at_or_after


def from_job(expression: str, zone: str) -> Callable[[datetime], datetime | None]:
    created = to_millis(START)
    job = Job("job", "bench", "noop", JobStatus.PENDING, 1, 1, 60, created, created, schedule=expression, timezone=zone)
    return lambda moment: job.timing().next_at_or_after(moment)


def measure() -> list[Figure]:
    """Median µs per next occurrence of each schedule: parsed, then from a job's stored text."""
    figures = []
    for label, expression, zone in CASES:
        goal = "<= 100 µs" if "cron" in label else ""
        alone = median_microseconds(parsed(expression, zone))
        whole = median_microseconds(from_job(expression, zone))
        figures.append(Figure(f"next occurrence, {label}", alone, "µs", goal))
        figures.append(Figure(f"next occurrence from a job, {label}", whole, "µs", goal))
    return figures


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
