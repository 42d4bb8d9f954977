"""Runs every benchmark's `measure()` BENCH_RUNS times (default 3) and prints each figure as a range: `make bench`.

One run's figures say little on a shared machine; the range over runs is what the docs quote. Benchmarks run
one after another, each its runs in a row, and print as soon as they are done.
"""

from __future__ import annotations

import os
import time
from types import ModuleType

from bench import (
    cold_start,
    fanout,
    herd,
    idle_cost,
    local_precision,
    overlap,
    rate_limit,
    requests_per_operation,
    run_cost,
    run_writes,
    schedules,
)
from bench.figures import Figure, spread

# Every benchmark, in print order; each module has `measure() -> list[Figure]`.
BENCHMARKS: tuple[ModuleType, ...] = (
    schedules,
    overlap,
    herd,
    fanout,
    rate_limit,
    local_precision,
    idle_cost,
    requests_per_operation,
    run_writes,
    run_cost,
    cold_start,
)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def ranges(runs: list[list[Figure]]) -> list[tuple[str, str, str]]:
    """Each figure's name, its range over the runs and its goal, in the first run's order (matched by name)."""
    samples: dict[str, list[Figure]] = {}
    for run in runs:
        for figure in run:
            samples.setdefault(figure.name, []).append(figure)
    return [(name, spread(figures), figures[0].goal) for name, figures in samples.items()]


def main() -> None:
    for benchmark in BENCHMARKS:
        began = time.perf_counter()
        runs = [benchmark.measure() for _ in range(RUNS)]
        took = time.perf_counter() - began
        print(f"{benchmark.__name__}: {RUNS} runs, {took:.0f} s")
        for name, values, goal in ranges(runs):
            print(f"  {name:<64} {values:>20}{f'   (goal {goal})' if goal else ''}")
        print(flush=True)


if __name__ == "__main__":
    main()
