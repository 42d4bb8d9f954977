"""The Costs table README.md shows (and docs/costs.md includes) is what bench.run_cost computes today: its
write units measured at botocore on a Stack, its prices and models bench's. A change that moves a run's
writes, a price or a model fails here until the table is printed again (`python -m bench.run_cost`)."""

from __future__ import annotations

import os
from unittest import mock

from bench import run_cost
from devtools.template import ROOT
from harness.docs import docs_table

COSTS = ("README.md", "Costs")


def test_the_readme_costs_table_is_what_bench_run_cost_computes() -> None:
    with mock.patch.dict(os.environ):  # the benchmark quiets the functions' logs and metrics for itself only
        computed = run_cost.kinds_table(run_cost.costs_by_kind())

    shown = docs_table(*COSTS)

    assert shown == computed, f"README.md's Costs table has drifted; `python -m bench.run_cost` prints:\n{computed}"


def test_the_costs_page_shows_the_readme_table_itself() -> None:
    page = (ROOT / "docs" / "costs.md").read_text()
    assert '--8<-- "README.md:costs"' in page
    readme = (ROOT / "README.md").read_text()
    included = readme.split("<!-- --8<-- [start:costs] -->")[1].split("<!-- --8<-- [end:costs] -->")[0]
    assert docs_table(*COSTS) in included
