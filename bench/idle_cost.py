"""What the stack costs a month when nothing is scheduled, at list prices (the prices every cost model uses).

From measured facts: an idle minute's tick invocation on a Stack (moto, nothing due) is counted call by
call (DynamoDB queries, EventBridge DescribeRule, Lambda Invokes, CloudWatch calls) and timed with every
AWS call delayed `CALL_LATENCY_SECONDS` (a realistic round trip in-region, the one assumption; moto's own
CPU is billed too, so the duration is an upper bound), twice: in the hour's first minute, whose invocation
sweeps the shards above `DueShards` (usecases.tick.SWEEP_MINUTE), and in any other minute. Memory sizes are
read from template.yaml; the rule fires 43,200 times in a 30-day month, 720 of them sweeping. Modelled: the
SQS timer's event source mapping (decision "Sub-minute runs without paying for waiting") long-polling an
empty queue, `SQS_IDLE_POLLERS` pollers each making one `ReceiveMessage` every `SQS_LONG_POLL_SECONDS`.
Prices are us-east-1 list prices (arm64, on-demand) as of PRICES_AS_OF, free tiers left out; what a million
runs cost is bench.run_cost. Run: `python -m bench.idle_cost`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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
from devtools.template import load_template
from serverless_jobs.usecases.tick import SWEEP_MINUTE

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
SECONDS_A_MONTH = TICKS_A_MONTH * 60
# The SQS timer's event source mapping on an empty queue. Lambda long-polls a standard queue until it
# becomes active, then starts with five concurrent batches ("Configuring scaling behavior for SQS event
# source mappings", Lambda developer guide); an SQS mapping's pollers scale down to 2 at the fewest
# (`MinimumPollers`: default 2, minimum 2, ProvisionedPollerConfig in the Lambda API reference). Each poll
# waits the longest long poll SQS allows, 20 s ("Setting-up long polling in Amazon SQS", SQS developer
# guide), and is one billed request whether it finds a message or not.
SQS_IDLE_POLLERS = (2, 5)
SQS_LONG_POLL_SECONDS = 20
IDLE_GOAL = 0.35  # $ a month, issue 25


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


def idle_tick(minute: int = SWEEP_MINUTE + 1) -> tuple[Counter[str], float]:
    """One minute's tick with nothing scheduled, fired for `minute` of the hour (by default one that does
    not sweep): its calls, and its duration with each call delayed."""
    with moto.mock_aws():
        create_resources()
        stack = Stack(ManualClock(START.replace(minute=0) + timedelta(minutes=minute)))
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


@dataclass(frozen=True)
class IdleMinute:
    """One idle minute's tick as measured: its DynamoDB queries, its other AWS calls, its billed seconds."""

    queries: int
    other_calls: int
    seconds: float

    @staticmethod
    def measured(minute: int) -> IdleMinute:
        calls, seconds = idle_tick(minute)
        queries = sum(count for name, count in calls.items() if name.startswith("dynamodb:"))
        return IdleMinute(queries, sum(calls.values()) - queries, seconds)

    def compute(self) -> float:
        """Its invocation's Lambda bill: the request and its duration at the tick's memory."""
        return LAMBDA_REQUEST + self.seconds * memory_gb("TickFunction") * LAMBDA_GB_SECOND

    def reads(self) -> float:
        return self.queries * 0.5 * DYNAMODB_READ_UNIT  # each an empty or one-item Query


def tick_month(sweeping: IdleMinute, plain: IdleMinute, sweeps_an_hour: int = 1) -> tuple[float, float]:
    """The idle tick's month, (Lambda, DynamoDB reads), with `sweeps_an_hour` of each hour's 60 invocations
    sweeping (60: every minute, as before issue 25)."""
    hours = TICKS_A_MONTH / 60
    mix = ((sweeping, sweeps_an_hour), (plain, 60 - sweeps_an_hour))
    return (
        hours * sum(minute.compute() * times for minute, times in mix),
        hours * sum(minute.reads() * times for minute, times in mix),
    )


def mapping_month(pollers: int) -> float:
    """The SQS timer's event source mapping on an empty queue: `pollers` long polls every 20 s all month."""
    return pollers * SECONDS_A_MONTH / SQS_LONG_POLL_SECONDS * SQS_REQUEST


def idle_range(sweeping: IdleMinute, plain: IdleMinute) -> tuple[float, float]:
    """An idle month, hourly sweep and the SQS mapping, at the fewest and the most pollers."""
    tick = sum(tick_month(sweeping, plain))
    low, high = (mapping_month(pollers) for pollers in SQS_IDLE_POLLERS)
    return tick + low, tick + high


def measure() -> list[Figure]:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    sweeping, plain = IdleMinute.measured(SWEEP_MINUTE), IdleMinute.measured(SWEEP_MINUTE + 1)
    compute, reads = tick_month(sweeping, plain)
    before = sum(tick_month(sweeping, plain, sweeps_an_hour=60))
    low, high = idle_range(sweeping, plain)
    latency = f"{CALL_LATENCY_SECONDS * 1000:.0f} ms a call"
    return [
        Figure("idle tick: DynamoDB queries a minute", plain.queries, "calls"),
        Figure("idle tick: DynamoDB queries, the hour's sweeping minute", sweeping.queries, "calls"),
        Figure("idle tick: other AWS calls a minute", plain.other_calls, "calls"),
        Figure(f"idle tick: billed duration, {latency}", plain.seconds * 1000, "ms"),
        Figure(f"idle tick: billed duration, the sweeping minute, {latency}", sweeping.seconds * 1000, "ms"),
        Figure("idle tick: Lambda compute + requests", compute, "$/month"),
        Figure("idle tick: DynamoDB reads", reads, "$/month"),
        Figure("idle tick: in all, hourly sweep", compute + reads, "$/month"),
        Figure("idle tick: in all, were every minute to sweep (before issue 25)", before, "$/month"),
        *(
            Figure(
                f"idle SQS timer mapping: {pollers} pollers, a poll each {SQS_LONG_POLL_SECONDS} s", dollars, "$/month"
            )
            for pollers, dollars in zip(SQS_IDLE_POLLERS, (mapping_month(p) for p in SQS_IDLE_POLLERS), strict=True)
        ),
        Figure(
            f"idle: in all, with the SQS mapping, {SQS_IDLE_POLLERS[0]} pollers", low, "$/month", f"<= ${IDLE_GOAL}"
        ),
        Figure(
            f"idle: in all, with the SQS mapping, {SQS_IDLE_POLLERS[-1]} pollers", high, "$/month", f"<= ${IDLE_GOAL}"
        ),
    ]


def main() -> None:
    figures = measure()
    show(figures)
    low, high = (figure.value for figure in figures[-2:])
    print(
        f"\n  idle, default settings, hourly sweep + the SQS timer's mapping: ${low:.2f}-{high:.2f} a month "
        f"(goal <= ${IDLE_GOAL}; {'met' if high <= IDLE_GOAL else 'NOT met'})\n"
        f"  inputs: {TICKS_A_MONTH:,} ticks a month, 1 in 60 sweeping; "
        f"{CALL_LATENCY_SECONDS * 1000:.0f} ms an AWS call; "
        f"tick {memory_gb('TickFunction') * 1024:.0f} MB at ${LAMBDA_GB_SECOND:.10f} a GB-s, "
        f"${LAMBDA_REQUEST * 1e6:.2f} a million requests; "
        f"a Query half a read unit at ${DYNAMODB_READ_UNIT * 1e6:.3f} a million; "
        f"{SQS_IDLE_POLLERS[0]}-{SQS_IDLE_POLLERS[-1]} pollers, a {SQS_LONG_POLL_SECONDS} s long poll each, "
        f"${SQS_REQUEST * 1e6:.2f} a million SQS requests; free tiers left out; prices of {PRICES_AS_OF}"
    )


if __name__ == "__main__":
    main()
