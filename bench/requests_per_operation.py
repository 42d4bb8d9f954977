"""What each operation costs in DynamoDB requests and items read, and how that grows with the table.

Counts, not seconds: moto's speed says nothing about DynamoDB's, but request and item counts are what
DynamoDB bills and what makes a path O(1) or O(jobs). Run: `make bench`.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import moto

from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls
from devtools.environment import use_template_environment
from devtools.resources import create_rules, create_tables
from devtools.stack import START, Stack
from serverless_jobs.domain.timefmt import iso_z

DUE = 50


def _row(label: str, calls: Counter[str]) -> str:
    requests = sum(count for name, count in calls.items() if name != "ScannedCount")
    return f"{label:<44} {requests:>9} {calls['ScannedCount']:>12}"


def _api_costs(stack: Stack) -> list[str]:
    rows = []
    api = stack.api
    with dynamodb_calls() as calls:
        job = api.post("/jobs", {"name": "bench", "handler": "echo", "schedule": "1h"}).body
    rows.append(_row("POST /jobs (scheduled)", calls))
    with dynamodb_calls() as calls:
        api.post("/jobs", {"name": "bench", "handler": "echo"})
    rows.append(_row("POST /jobs (immediate: claim + dispatch)", calls))
    for label, method, path in [
        ("GET /jobs/{id}", "GET", f"/jobs/{job['id']}"),
        ("PUT /jobs/{id}", "PUT", f"/jobs/{job['id']}"),
        ("POST /jobs/{id}/trigger", "POST", f"/jobs/{job['id']}/trigger"),
        ("GET /jobs?status=pending&limit=50", "GET", "/jobs"),
        ("GET /jobs/{id}/history", "GET", f"/jobs/{job['id']}/history"),
    ]:
        body = {"name": "renamed"} if method == "PUT" else None
        query = {"status": "pending", "limit": "50"} if path == "/jobs" else None
        with dynamodb_calls() as calls:
            api.request(method, path, body, query=query)
        rows.append(_row(label, calls))
    first_run = stack.invocations.payloads[0]
    with dynamodb_calls() as calls:
        stack.execute(first_run)
    rows.append(_row("executor, one run (start, record, finish)", calls))
    return rows


def _tick_cost(total_jobs: int) -> str:
    with moto.mock_aws():
        create_tables()
        create_rules()
        stack = Stack(ManualClock(START))
        try:
            idle = total_jobs - DUE
            for number in range(total_jobs):
                run_at = stack.clock.now() + timedelta(minutes=1 if number < DUE else 60 + number % idle)
                stack.api.post("/jobs", {"name": f"j{number}", "handler": "echo", "runAt": iso_z(run_at)})
            stack.clock.advance(61)
            with dynamodb_calls() as calls:
                report = stack.tick()
        finally:
            stack.close()
    return _row(f"tick: {total_jobs:>5} jobs, {DUE} due -> {report['dispatched']} dispatched", calls)


def main() -> None:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the table
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    header = f"{'operation':<44} {'requests':>9} {'items read':>12}"
    print(header)
    print("-" * len(header))
    with moto.mock_aws():
        create_tables()
        create_rules()
        stack = Stack(ManualClock(START))
        try:
            for row in _api_costs(stack):
                print(row)
        finally:
            stack.close()
    for total in (int(os.environ.get("BENCH_SMALL", "500")), int(os.environ.get("BENCH_LARGE", "5000"))):
        print(_tick_cost(total))


if __name__ == "__main__":
    main()
