"""How late runs start on `make dev`'s stack: startedAt - scheduledAt over real time, as p50 / p99 / max.

DESIGN §7 asks for p99 within 1 s. Starts the local stack as a subprocess, schedules one-time jobs at
scattered sub-second times over ten seconds, and reads their history. Run: `python -m bench.local_precision`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from devtools.local_http import LocalStack
from devtools.stack import lateness
from serverless_jobs.domain.timefmt import iso_z

JOBS = 60
SPREAD_SECONDS = 10.0


def main() -> None:
    local = LocalStack.start()
    try:
        start = datetime.now(UTC) + timedelta(seconds=3)  # after every job is created, so none is overdue
        randomness = random.Random(7)
        ids = []
        for _ in range(JOBS):
            due = start + timedelta(seconds=randomness.uniform(0, SPREAD_SECONDS))
            ids.append(local.call("POST", "/jobs", {"name": "due", "handler": "echo", "runAt": iso_z(due)})[1]["id"])
        time.sleep(SPREAD_SECONDS + 5)
        late = []
        for job_id in ids:
            [run] = local.call("GET", f"/jobs/{job_id}/history")[1]["history"]
            late.append(lateness(run).total_seconds())
    finally:
        local.stop()
    ordered = sorted(late)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"local stack, {JOBS} runs due at scattered times: lateness")
    median, worst = statistics.median(ordered), ordered[-1]
    print(f"  p50 {median * 1000:6.0f} ms   p99 {p99 * 1000:6.0f} ms   max {worst * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
