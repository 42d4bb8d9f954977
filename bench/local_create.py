"""How long a create takes on `make dev` as jobs pile up: POST /jobs of one-time jobs due now (each claimed,
dispatched and run at once, as a user's first tries are), one after another over HTTP, as the median of
the first hundred and of the hundred after `JOBS`.

Every run's finish is a DynamoDB transaction; moto's own TransactWriteItems deep-copies each table it
names first, so once about 1,000 jobs and their history existed each finish took 40-100 ms more, and the
next create waited behind it for moto's lock (7 ms -> 40-100 ms, issue 22; 39 -> 150 ms on a loaded
machine). devtools.moto_backend now backs up only the items a transaction names: 31 -> 29 ms there.
Run: `python -m bench.local_create`.
"""

from __future__ import annotations

import os
import statistics
import time

from bench.figures import Figure, show
from devtools.local_http import LocalStack

JOBS = int(os.environ.get("BENCH_LOCAL_CREATE_JOBS", "1000"))
SAMPLE = 100


def measure() -> list[Figure]:
    local = LocalStack.start()
    try:
        took = []
        for _ in range(JOBS + SAMPLE):
            began = time.perf_counter()
            status, _ = local.call("POST", "/jobs", {"name": "create", "handler": "echo"})
            took.append((time.perf_counter() - began) * 1000)
            assert status == 201
    finally:
        local.stop()
    where = "make dev, POST /jobs of a job due now"
    return [
        Figure(f"{where}: median of the first {SAMPLE}", statistics.median(took[:SAMPLE]), "ms"),
        Figure(f"{where}: median after {JOBS} jobs", statistics.median(took[JOBS:]), "ms"),
    ]


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
