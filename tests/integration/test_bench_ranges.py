"""`make bench` reports each figure as its range over runs, beside its goal, and runs every benchmark."""

from __future__ import annotations

from bench import __main__ as runner
from bench.figures import Figure


def test_each_figure_is_reported_as_its_range_over_runs_in_the_first_runs_order() -> None:
    runs = [
        [Figure("ratio", 1.91, "x", "<= 2.0x"), Figure("requests", 3, "requests"), Figure("pass", 0.456, "s")],
        [Figure("ratio", 1.74, "x", "<= 2.0x"), Figure("requests", 3, "requests"), Figure("pass", 12.34, "s")],
        [Figure("ratio", 1.80, "x", "<= 2.0x"), Figure("requests", 3, "requests"), Figure("pass", 0.5, "s")],
    ]

    assert runner.ranges(runs) == [
        ("ratio", "1.74-1.91 x", "<= 2.0x"),
        ("requests", "3 requests", ""),
        ("pass", "0.46-12.3 s", ""),
    ]


def test_every_benchmark_in_the_runner_measures_its_figures() -> None:
    assert all(callable(getattr(benchmark, "measure", None)) for benchmark in runner.BENCHMARKS)
    assert all(callable(getattr(benchmark, "main", None)) for benchmark in runner.BENCHMARKS)
