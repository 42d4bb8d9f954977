"""A midnight herd: how much of AWS's round-trip latency one tick pass hides while it dispatches 400 due jobs.

Each sample is a fresh moto account with `HERD` jobs due at one instant and one tick pass over them, every
AWS call the functions make delayed by 0 ms or by 20 ms (devtools.latency, outside moto's lock), the two
alternated so both meet the same machine. Latency hidden = 1 - (pass at 20 ms - pass at 0 ms) / (calls x
20 ms): 100% means the pass took no longer than with an infinitely fast network, 0% that every call's
round trip was waited for in turn. Over 100% means the pass was faster with latency than without: while
its threads sleep they stop contending for moto's lock and the GIL. moto's own CPU (one call at a time,
on a shared 2-core machine) caps the absolute rate, so the pass times say little about AWS's.
Run: `make bench` (or `python -m bench.herd`).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import moto

from bench.figures import Figure, show
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_clients
from devtools.environment import use_template_environment
from devtools.latency import NetworkLatency
from devtools.resources import create_resources
from devtools.stack import START, Stack
from serverless_jobs.domain.timefmt import iso_z

HERD = int(os.environ.get("BENCH_HERD", "400"))
LATENCY_SECONDS = 0.02
PAIRS = 3


@dataclass(frozen=True)
class Pass:
    seconds: float
    calls: int
    most_in_flight: int


def pass_over_herd(latency: float, size: int = HERD, fields: Mapping[str, Any] | None = None) -> Pass:
    """One tick pass over `size` jobs due at once (made with `fields`), each function call delayed by
    `latency` seconds."""
    with moto.mock_aws():
        create_resources()
        # One pass that serves the herd itself: bench.fanout measures handing a herd's shards out.
        stack = Stack(ManualClock(START), fan_out_threshold=size)
        try:
            due_at = iso_z(stack.clock.now() + timedelta(seconds=30))
            for number in range(size):
                job = {"name": f"herd-{number}", "handler": "echo", "runAt": due_at, **(fields or {})}
                stack.api.post("/jobs", job)
            stack.clock.advance(31)
            network = NetworkLatency(latency)
            network.attach([*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events])
            began = time.perf_counter()
            report = stack.tick()
            took = time.perf_counter() - began
            network.detach()
        finally:
            stack.close()
    assert report["dispatched"] == size, report
    return Pass(took, network.calls, network.most_in_flight)


def measure() -> list[Figure]:
    """Latency hidden, the calls and the most in flight, and the pass times: medians of PAIRS alternated pairs."""
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    fast: list[Pass] = []
    slow: list[Pass] = []
    for _ in range(PAIRS):
        fast.append(pass_over_herd(0.0))
        slow.append(pass_over_herd(LATENCY_SECONDS))
    at_zero = statistics.median(sample.seconds for sample in fast)
    at_latency = statistics.median(sample.seconds for sample in slow)
    calls = slow[0].calls
    injected = calls * LATENCY_SECONDS
    hidden = 1 - (at_latency - at_zero) / injected
    latency = f"{LATENCY_SECONDS * 1000:.0f} ms"
    herd = f"herd of {HERD}, one tick pass"
    return [
        Figure(f"{herd}: latency hidden at {latency} per AWS call", hidden * 100, "%", ">= 90%"),
        Figure(f"{herd}: AWS calls", calls, "calls"),
        Figure(f"{herd}: their round trips in all at {latency} each", injected, "s"),
        Figure(f"{herd}: calls in flight at most", max(sample.most_in_flight for sample in slow), "calls"),
        Figure(f"{herd}: pass at 0 ms per call", at_zero, "s"),
        Figure(f"{herd}: pass at {latency} per call", at_latency, "s"),
    ]


def main() -> None:
    print(f"medians of {PAIRS} alternated pairs of passes:")
    show(measure())


if __name__ == "__main__":
    main()
