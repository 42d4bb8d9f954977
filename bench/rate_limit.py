"""What a rate limit costs a tick pass: one key's due jobs are claimed one after another, in due order
(usecases.tick.settle_in_turn), where jobs without a rate limit are claimed 32 at a time.

Each sample is a fresh moto account with `JOBS` jobs due at one instant, sharing one rate-limit key whose
limit lets all of them start (or with no rate limit, for comparison), and one tick pass over them, every
AWS call the functions make delayed by 20 ms (devtools.latency), as on AWS. The figures are the starts per
second of that pass, and the AWS calls per start. moto's own CPU caps both, so they are lower bounds.
Run: `make bench` (or `python -m bench.rate_limit`).
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from bench.figures import Figure, show
from bench.herd import pass_over_herd
from devtools.environment import use_template_environment

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
    return figures


def main() -> None:
    print(f"medians of {SAMPLES} passes:")
    show(measure())


if __name__ == "__main__":
    main()
