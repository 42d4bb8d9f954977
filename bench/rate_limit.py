"""What a rate limit costs a tick pass: one key's due jobs are claimed one after another, in due order
(usecases.tick.serve_in_turn), where jobs without a rate limit are claimed 32 at a time.

Each sample is a fresh moto account with `JOBS` jobs due at one instant, sharing one rate-limit key whose
limit lets all of them start (or with no rate limit, for comparison), and one tick pass over them, every
AWS call the functions make delayed by 20 ms (devtools.latency), as on AWS. The figures are the starts per
second of that pass, and the AWS calls per start. moto's own CPU caps both, so they are lower bounds.

And how late waiting jobs start on `make dev`'s stack, in real time: one-time jobs created at once on one
key (3 at 1 per 5 s, 5 at 2 per 10 s), each start (`lastRunAt`) against the moment docs/flow-control.md allows it (the
start `limit` before it plus the period). Before the woken tick served every waiter, the third of three
waited for the next minute's tick: 2-49 s late (issue 22). Run: `make bench` (or `python -m bench.rate_limit`).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

from bench.figures import Figure, show
from bench.herd import pass_over_herd
from devtools.environment import use_template_environment
from devtools.local_http import LocalStack

JOBS = int(os.environ.get("BENCH_RATE_JOBS", "60"))
LATENCY_SECONDS = 0.02
SAMPLES = 3


def pass_over(fields: dict[str, Any]) -> tuple[float, int]:
    """One tick pass over `JOBS` jobs due at once, made with `fields`: (seconds, AWS calls)."""
    done = pass_over_herd(LATENCY_SECONDS, JOBS, fields)
    return done.seconds, done.calls


def measure() -> list[Figure]:
    """Starts per second and calls per start of one key's pass, and of the same jobs without a rate limit."""
    use_template_environment()
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    limited = {"rateLimit": {"key": "partner-api", "limit": JOBS, "periodSeconds": 60}}
    figures: list[Figure] = []
    for label, fields in ((f"one rate-limited key, {JOBS} due", limited), (f"no rate limit, {JOBS} due", {})):
        samples = [pass_over(fields) for _ in range(SAMPLES)]
        seconds = statistics.median(took for took, _ in samples)
        calls = samples[0][1]
        latency = f"{LATENCY_SECONDS * 1000:.0f} ms per call"
        figures.append(Figure(f"{label}: starts per second, one pass at {latency}", JOBS / seconds, "jobs/s"))
        figures.append(Figure(f"{label}: AWS calls per start", calls / JOBS, "calls"))
    return figures + local_lateness()


# (jobs, limit, period seconds) of each herd the local stack starts
LOCAL_HERDS = ((3, 1, 5), (5, 2, 10))


def local_lateness() -> list[Figure]:
    """The worst lateness of a waiting job's start on `make dev`, per herd (ms past the docs' moment)."""
    local = LocalStack.start()
    try:
        figures = []
        for count, limit, period in LOCAL_HERDS:
            late = herd_lateness(local, count, limit, period)
            where = f"make dev, {count} jobs at {limit} per {period} s"
            figures.append(Figure(f"{where}: worst start past its allowed moment", max(late), "ms"))
        return figures
    finally:
        local.stop()


def herd_lateness(local: LocalStack, count: int, limit: int, period: int) -> list[float]:
    """Each waiting job's start minus the moment its window lets it start (ms), created at once."""
    rate = {"key": f"bench-{uuid.uuid4().hex[:8]}", "limit": limit, "periodSeconds": period}
    ids = [
        local.call("POST", "/jobs", {"name": "rate", "handler": "echo", "rateLimit": rate})[1]["id"]
        for _ in range(count)
    ]
    time.sleep(period * (count - 1) // limit + 2)
    for _ in range(60):  # a job left to the next minute's tick takes up to a minute more
        jobs = [local.call("GET", f"/jobs/{job_id}")[1] for job_id in ids]
        if all(job["status"] == "completed" for job in jobs):
            break
        time.sleep(1)
    starts = sorted(datetime.fromisoformat(job["lastRunAt"]) for job in jobs)
    return [
        (later - earlier).total_seconds() * 1000 - period * 1000
        for earlier, later in zip(starts, starts[limit:], strict=False)
    ]


def main() -> None:
    print(f"medians of {SAMPLES} passes:")
    show(measure())


if __name__ == "__main__":
    main()
