"""What `overlap` adds to a run's finish (`outcome.next_state`), as median microseconds per finish: the
rule reads the occurrences that fell due during the run, so its cost grows with how many did. The common
cases (no overlap, a 95 s run of a `30s` job) against the worst (a run lost for 3 days: the latest found
over doubling spans, the count for `skip` stopped at 1000).
Run: `make bench` (or `python -m bench.overlap`). Figures are from this machine; compare them as ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.figures import Figure, show

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "core"))

from serverless_jobs.domain.job import Job, JobStatus, Overlap
from serverless_jobs.domain.outcome import Outcome, next_state
from serverless_jobs.domain.timefmt import to_millis

START = datetime(2026, 1, 1, tzinfo=UTC)
CALLS = 30
# label, schedule, how long the run took (it ran the first occurrence), overlap
CASES: list[tuple[str, str, timedelta, Overlap]] = [
    ("30s, run ends in time, buffer", "30s", timedelta(seconds=10), "buffer"),
    ("30s, a 95 s run, buffer", "30s", timedelta(seconds=95), "buffer"),
    ("30s, a 95 s run, skip", "30s", timedelta(seconds=95), "skip"),
    ("1s, a run lost for 3 days, buffer", "1s", timedelta(days=3), "buffer"),
    ("1s, a run lost for 3 days, skip (counts 1000)", "1s", timedelta(days=3), "skip"),
    ("cron * * * * *, a run lost for 3 days, buffer", "* * * * *", timedelta(days=3), "buffer"),
    ("cron * * * * *, a run lost for 3 days, skip (counts 1000)", "* * * * *", timedelta(days=3), "skip"),
]


def running(schedule: str, overlap: Overlap) -> tuple[Job, datetime]:
    """A job running its first occurrence, and that occurrence."""
    created = to_millis(START)
    job = Job("job", "bench", "noop", JobStatus.RUNNING, 1, 1, 60, created, created, schedule=schedule, overlap=overlap)
    timing = job.timing()
    first = timing.next_at_or_after(START + timedelta(milliseconds=1))
    assert first is not None
    following = timing.next_at_or_after(first + timedelta(milliseconds=1))
    job.attempt, job.next_occurrence_at = 1, None if following is None else to_millis(following)
    return job, first


def median_microseconds(schedule: str, took: timedelta, overlap: Overlap) -> float:
    job, started = running(schedule, overlap)
    samples = []
    for _ in range(CALLS):
        began = time.perf_counter()
        next_state(job, Outcome(True), started + took)
        samples.append((time.perf_counter() - began) * 1e6)
    return statistics.median(samples)


def measure() -> list[Figure]:
    return [
        Figure(f"run's finish, {label}", median_microseconds(schedule, took, overlap), "µs")
        for label, schedule, took, overlap in CASES
    ]


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
