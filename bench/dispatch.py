"""Concurrent dispatch as latency hidden: one tick hands N runs to Lambda, each `Invoke` a network round trip.

A stand-in client sleeps a fixed latency per call (no moto: its CPU cost would measure moto, not us), and
the real LambdaDispatcher sends through it. Run: `make bench` (or `python -m bench.dispatch`).
"""

from __future__ import annotations

import time
from typing import Any

from serverless_jobs.adapters.lambda_dispatcher import LambdaDispatcher
from serverless_jobs.domain.job import RunRequest

LATENCY_SECONDS = 0.02
RUNS = 200


class SlowLambda:
    """Answers Invoke like Lambda's async queue, after one network round trip."""

    def invoke(self, **_: Any) -> dict[str, Any]:
        time.sleep(LATENCY_SECONDS)
        return {"StatusCode": 202}


def seconds_to_dispatch(concurrency: int) -> float:
    dispatcher = LambdaDispatcher(SlowLambda(), "executor", concurrency=concurrency)  # type: ignore[arg-type]
    runs = [RunRequest(f"job-{n}", f"run-{n}", 1, None, "schedule") for n in range(RUNS)]
    began = time.perf_counter()
    assert dispatcher.dispatch(runs) == []
    return time.perf_counter() - began


def main() -> None:
    serial = RUNS * LATENCY_SECONDS
    print(f"dispatching {RUNS} runs at {LATENCY_SECONDS * 1000:.0f} ms per Invoke (serial would take {serial:.1f} s)")
    for concurrency in (1, 8, 32):
        took = seconds_to_dispatch(concurrency)
        print(f"  pool of {concurrency:>2}: {took:6.2f} s  ({serial / took:5.1f}x faster than one at a time)")


if __name__ == "__main__":
    main()
