"""A benchmark's figures, and how `make bench` reports each one over several runs as a range.

Every benchmark module has `measure() -> list[Figure]` (one run, its figures in print order) and `main()`
(one run, printed). `python -m bench` runs each `measure()` a few times and prints every figure's range,
the form docs/benchmarks.md quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured number: `name` says what (with its conditions), `unit` how to read it."""

    name: str
    value: float
    unit: str  # "ms", "µs", "s", "x", "%", "$/month", "$/million runs", "requests", "items", "WRU", "calls", "jobs/s"
    goal: str = ""  # the goal for it, if any, e.g. "<= 2.0x"

    def shown(self) -> str:
        return f"{_number(self.value, self.unit)} {self.unit}"


def spread(samples: Sequence[Figure]) -> str:
    """`low-high unit` over runs of one figure (just the value when every run agreed)."""
    values = sorted(sample.value for sample in samples)
    unit = samples[0].unit
    low, high = _number(values[0], unit), _number(values[-1], unit)
    return f"{low} {unit}" if low == high else f"{low}-{high} {unit}"


def show(figures: Sequence[Figure]) -> None:
    """Print one run's figures, one line each."""
    for figure in figures:
        goal = f"   (goal {figure.goal})" if figure.goal else ""
        print(f"  {figure.name:<60} {figure.shown():>16}{goal}")


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}"
    if unit.startswith("$"):
        return f"{value:.2f}"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
