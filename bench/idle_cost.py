"""What the tick costs a month when nothing is scheduled, at list prices (the prices every cost model uses).

From measured facts: one idle minute's tick invocation on a Stack (moto, nothing due) is counted call by
call (DynamoDB queries, EventBridge DescribeRule, Lambda Invokes, CloudWatch calls) and timed with every
AWS call delayed `CALL_LATENCY_SECONDS` (a realistic round trip in-region, the one assumption; moto's own
CPU is billed too, so the duration is an upper bound); memory sizes are read from template.yaml; the rule
fires 43,200 times in a 30-day month. Prices are us-east-1 list prices (arm64, on-demand) as of
PRICES_AS_OF, free tiers left out; what a million runs cost is bench.run_cost. Run: `python -m bench.idle_cost`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import moto

from bench.figures import Figure, show
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_clients
from devtools.environment import use_template_environment
from devtools.latency import NetworkLatency
from devtools.resources import create_rules, create_tables
from devtools.stack import START, Stack
from devtools.template import load_template

PRICES_AS_OF = "2026-11"
LAMBDA_GB_SECOND = 0.0000133334  # arm64, first 6 billion GB-s a month
LAMBDA_REQUEST = 0.20 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000  # on-demand; a small eventually consistent read is half a unit
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
SCHEDULER_INVOCATION = 1.00 / 1_000_000  # EventBridge Scheduler, after its 14 million free a month
SQS_REQUEST = 0.40 / 1_000_000  # standard queue, each 64 KB chunk of a request, after the first million a month
EXPRESS_REQUEST = 1.00 / 1_000_000  # Step Functions Express workflows: a request, and
EXPRESS_GB_SECOND = 0.00001667  # its duration, memory billed in 64 MB steps
CALL_LATENCY_SECONDS = 0.010
EXECUTOR_BILLED_SECONDS = 0.050  # an echo run's billed time on Lambda: three DynamoDB round trips and the handler
TICKS_A_MONTH = 60 * 24 * 30


def memory_gb(logical_id: str) -> float:
    """The function's MemorySize in template.yaml (or the Globals'), in GB as Lambda bills it."""
    template = load_template()
    own = template["Resources"][logical_id]["Properties"].get("MemorySize")
    return int(own or template["Globals"]["Function"]["MemorySize"]) / 1024


@contextmanager
def aws_calls(clients: list[Any]) -> Iterator[Counter[str]]:
    """Counts every call the functions make on `clients`, by service and operation."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    for client in clients:
        client.meta.events.register("before-call", count)
    try:
        yield calls
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", count)


def idle_tick() -> tuple[Counter[str], float]:
    """One minute's tick with nothing scheduled: its calls, and its duration with each call delayed."""
    with moto.mock_aws():
        create_tables()
        create_rules()
        stack = Stack(ManualClock(START))
        try:
            clients = [*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events, stack.clients.cloudwatch]
            network = NetworkLatency(CALL_LATENCY_SECONDS)
            network.attach(clients)
            with aws_calls(clients) as calls:
                began = time.perf_counter()
                report = stack.tick(remaining_millis=65_000)
                took = time.perf_counter() - began
            network.detach()
        finally:
            stack.close()
    assert (report["passes"], report["slept"]) == (1, 0.0), report
    return calls, took


def measure() -> list[Figure]:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    calls, seconds = idle_tick()
    queries = sum(count for name, count in calls.items() if name.startswith("dynamodb:"))
    tick_gb = memory_gb("TickFunction")
    compute = TICKS_A_MONTH * seconds * tick_gb * LAMBDA_GB_SECOND
    requests = TICKS_A_MONTH * LAMBDA_REQUEST
    reads = TICKS_A_MONTH * queries * 0.5 * DYNAMODB_READ_UNIT  # each an empty or one-item Query
    idle = compute + requests + reads
    return [
        Figure("idle tick: AWS calls per minute (DynamoDB queries)", queries, "calls"),
        Figure("idle tick: other AWS calls per minute", sum(calls.values()) - queries, "calls"),
        Figure(f"idle tick: billed duration, {CALL_LATENCY_SECONDS * 1000:.0f} ms a call", seconds * 1000, "ms"),
        Figure("idle tick: Lambda compute + requests", compute + requests, "$/month"),
        Figure("idle tick: DynamoDB reads", reads, "$/month"),
        Figure("idle tick: in all, default settings", idle, "$/month", goal="< $1"),
    ]


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
