"""What each operation costs in DynamoDB requests, items written and read, and how that grows with the table.

Counts, not seconds: moto's speed says nothing about DynamoDB's, but request and item counts are what
DynamoDB bills and what makes a path O(1) or O(jobs). Write units are every unit on-demand billing counts,
index writes included (bench.write_units). `before` is the requests each operation made
before issue 13 (measured at commit e4721be). Run: `make bench`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import moto

from bench.figures import Figure, show
from bench.write_capture import captured_writes
from bench.write_units import tables, tally
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls, watching
from devtools.environment import use_template_environment
from devtools.resources import create_resources
from devtools.stack import START, Stack
from serverless_jobs.domain.timefmt import iso_z

DUE = 50


# Requests per operation before issue 13 (the executor: GetItem and UpdateItem to start, PutItem of the
# running entry, PutItem of the closed entry, GetItem and UpdateItem to finish).
BEFORE = {
    "POST /jobs (scheduled)": 1,
    "POST /jobs (immediate: stored claimed, then dispatched)": 3,
    "GET /jobs/{id}": 1,
    "PUT /jobs/{id}": 2,
    "POST /jobs/{id}/trigger": 2,
    "GET /jobs?status=pending&limit=50": 1,
    "GET /jobs?limit=50": 1,  # one Scan page, in scan order; now six statuses' Queries merged newest first
    "GET /jobs/{id}/history": 2,
    "executor, one run (read, open, close, finish)": 6,
}
TICK_BEFORE = 54  # 4 shard queries and 50 claims, at any table size
EXECUTOR_RUN = "executor, one run (read, open, close, finish)"
GOALS = {EXECUTOR_RUN: "<= 3 requests"}  # issue 13: at most 3 requests for a run that succeeds


@contextmanager
def dynamodb_items() -> Iterator[Counter[str]]:
    """Counts items `read` (got, or scanned by a Query or Scan) and `written` in the block."""
    items: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            items.update(written=1)
        elif model.name == "TransactWriteItems":
            writes = sum(1 for entry in params["TransactItems"] if "ConditionCheck" not in entry)
            items.update(written=writes)
        elif model.name == "BatchWriteItem":
            writes = sum(len(requests) for requests in params["RequestItems"].values())
            items.update(written=writes)

    def count_read(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        items["read"] += int(parsed.get("ScannedCount", 0)) + (1 if parsed.get("Item") else 0)

    with watching({"before-parameter-build.dynamodb": count, "after-call.dynamodb": count_read}):
        yield items


@contextmanager
def measured() -> Iterator[tuple[Counter[str], Counter[str]]]:
    """Requests by operation, and items read and written with their write `units`: after the block, every
    unit DynamoDB bills (item sizes, transactions, index writes: bench.write_units), as `units`."""
    with dynamodb_calls() as calls, dynamodb_items() as items, captured_writes() as requests:
        yield calls, items
    counted = tally((write for request in requests for write in request.writes), tables())
    items["units"] = counted.total


def _figures(label: str, measures: tuple[Counter[str], Counter[str]], before: int | None = None) -> list[Figure]:
    """The operation's requests (with the count before issue 13), items written, write units and items read."""
    calls, items = measures
    requests = sum(count for name, count in calls.items() if name != "ScannedCount")
    earlier = BEFORE.get(label) if before is None else before
    was = f", before {earlier}" if earlier is not None else ""
    return [
        Figure(f"{label}: requests{was}", requests, "requests", GOALS.get(label, "")),
        Figure(f"{label}: items written", items["written"], "items"),
        Figure(f"{label}: write units (WRU)", items["units"], "WRU"),
        Figure(f"{label}: items read", items["read"], "items"),
    ]


def _api_costs(stack: Stack) -> list[Figure]:
    figures = []
    api = stack.api
    with measured() as calls:
        job = api.post("/jobs", {"name": "bench", "handler": "echo", "schedule": "1h"}).body
    figures += _figures("POST /jobs (scheduled)", calls)
    with measured() as calls:
        api.post("/jobs", {"name": "bench", "handler": "echo"})
    figures += _figures("POST /jobs (immediate: stored claimed, then dispatched)", calls)
    for label, method, path in [
        ("GET /jobs/{id}", "GET", f"/jobs/{job['id']}"),
        ("PUT /jobs/{id}", "PUT", f"/jobs/{job['id']}"),
        ("POST /jobs/{id}/trigger", "POST", f"/jobs/{job['id']}/trigger"),
        ("GET /jobs?status=pending&limit=50", "GET", "/jobs"),
        ("GET /jobs?limit=50", "GET", "/jobs"),
        ("GET /jobs?name=bench&limit=50", "GET", "/jobs"),
        ("GET /jobs/{id}/history", "GET", f"/jobs/{job['id']}/history"),
    ]:
        body = {"name": "renamed"} if method == "PUT" else None
        query = dict(parse_qsl(label.partition("?")[2])) or None
        with measured() as calls:
            api.request(method, path, body, query=query)
        figures += _figures(label, calls)
    first_run = stack.invocations.payloads[0]
    with measured() as calls:
        stack.execute(first_run)
    figures += _figures(EXECUTOR_RUN, calls)
    return figures


def _tick_cost(total_jobs: int) -> list[Figure]:
    with moto.mock_aws():
        create_resources()
        stack = Stack(ManualClock(START))
        try:
            idle = total_jobs - DUE
            for number in range(total_jobs):
                run_at = stack.clock.now() + timedelta(minutes=1 if number < DUE else 60 + number % idle)
                stack.api.post("/jobs", {"name": f"j{number}", "handler": "echo", "runAt": iso_z(run_at)})
            stack.clock.advance(61)
            with measured() as calls:
                report = stack.tick()
        finally:
            stack.close()
    return _figures(f"tick: {total_jobs} jobs, {DUE} due -> {report['dispatched']} dispatched", calls, TICK_BEFORE)


def measure() -> list[Figure]:
    """Each API operation's and an executor run's costs on one table, then a tick's on a small and a large one."""
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    with moto.mock_aws():
        create_resources()
        stack = Stack(ManualClock(START))
        try:
            figures = _api_costs(stack)
        finally:
            stack.close()
    for total in (int(os.environ.get("BENCH_SMALL", "500")), int(os.environ.get("BENCH_LARGE", "5000"))):
        figures += _tick_cost(total)
    return figures


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
