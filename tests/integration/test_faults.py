"""The run protocol under a misbehaving AWS: seeded faults before and after writes, lost and doubled deliveries.

While faults last, DynamoDB and Lambda calls fail (devtools/faults.py) and the executor's deliveries are
sometimes lost and sometimes doubled; some jobs pause or cancel themselves while they run, and paused ones
are resumed at random. Once they stop and every lease has expired: no job and no history entry is left
`running`, every one-time job completed exactly once, no occurrence of a recurring job completed twice,
every failing job failed after exactly `maxAttempts` attempts, and a job whose cancel was answered 200
stays cancelled.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_clients
from devtools.faults import FaultInjector
from devtools.stack import START, Stack
from harness.fuzz import fuzz_examples
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.registry import RunContext, registered_for_now

FIXED_SEEDS = (1, 2, 3, 4)
FAULT_RATE = 0.15
DELIVERY_LOSS = DELIVERY_DOUBLING = 0.1
RESUME_CHANCE = 0.2  # per second, for each job of the workload that may be paused
DETACHER = "test-detach-self"


@dataclass
class Figures:
    seed: int
    faults: Counter[str] = field(default_factory=Counter)
    lost: int = 0  # deliveries dropped
    doubled: int = 0  # deliveries made twice
    stuck: list[str] = field(default_factory=list)  # jobs or history entries still running at the end
    completed_twice: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"seed={self.seed} faults={sum(self.faults.values())} lost={self.lost} doubled={self.doubled}"
            f" stuck={len(self.stuck)} completed_twice={len(self.completed_twice)}"
        )


@pytest.fixture
def faulty_stack(aws: list[str]) -> Iterator[Stack]:
    wired = Stack(ManualClock(START), rng=random.Random(0), lease_margin_seconds=5)
    yield wired
    wired.close()


@pytest.fixture
def cancelled(faulty_stack: Stack) -> Iterator[set[str]]:
    """The ids of the jobs that cancelled themselves with a 200 answer, while `DETACHER` is registered."""
    answered: set[str] = set()

    def detach_self(data: dict[str, Any], ctx: RunContext) -> Any:
        """Pauses or cancels its own job while it runs; the request may fail like any other under faults."""
        reply = faulty_stack.api.post(f"/jobs/{ctx.job_id}/{data['action']}")
        if reply.status == 200 and data["action"] == "cancel":
            answered.add(ctx.job_id)
        return data["action"]

    with registered_for_now(DETACHER, detach_self):
        yield answered


def deliver(stack: Stack, rng: random.Random, figures: Figures) -> None:
    """Run the dispatches not yet delivered, losing some and doubling others, in a shuffled order."""
    pending = stack.invocations.payloads[stack.delivered :]
    stack.delivered += len(pending)
    rng.shuffle(pending)
    for payload in pending:
        roll = rng.random()
        if roll < DELIVERY_LOSS:
            figures.lost += 1
            continue
        copies = 2 if roll > 1 - DELIVERY_DOUBLING else 1
        figures.doubled += copies - 1
        for _ in range(copies):
            stack.execute(payload)


def chaos(stack: Stack, seed: int, seconds: int) -> tuple[Figures, dict[str, list[dict[str, Any]]]]:
    """Create the workload, run it `seconds` under faults, then calmly until every lease has expired."""
    rng = random.Random(seed)
    figures = Figures(seed)
    now = stack.clock.now()
    jobs: dict[str, list[dict[str, Any]]] = {
        "once": [stack.create(maxAttempts=25, retryBackoffSeconds=1, timeoutSeconds=5) for _ in range(5)],
        "later": [
            stack.create(
                runAt=iso_z(now + timedelta(seconds=rng.randint(1, seconds))),
                maxAttempts=25,
                retryBackoffSeconds=1,
                timeoutSeconds=5,
            )
            for _ in range(4)
        ],
        "recurring": [
            stack.create(
                schedule="5s",
                endAt=iso_z(now + timedelta(seconds=seconds)),
                maxAttempts=2,
                retryBackoffSeconds=1,
                timeoutSeconds=5,
            )
            for _ in range(2)
        ],
        "detached": [
            stack.create(
                handler=DETACHER,
                data={"action": action},
                schedule="5s",
                endAt=iso_z(now + timedelta(seconds=seconds)),
                maxAttempts=2,
                retryBackoffSeconds=1,
                timeoutSeconds=5,
            )
            for action in ("pause", "pause", "cancel")
        ],
        "failing": [
            stack.create(
                handler="fail", data={"message": "boom"}, maxAttempts=3, retryBackoffSeconds=1, timeoutSeconds=5
            )
            for _ in range(3)
        ],
    }
    injector = FaultInjector(rng, FAULT_RATE)
    injector.attach([*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events])
    try:
        injector.active = True
        for _ in range(seconds):
            stack.clock.advance(1)
            stack.tick()
            deliver(stack, rng, figures)
            for job in jobs["detached"]:
                if rng.random() < RESUME_CHANCE:
                    stack.api.post(f"/jobs/{job['id']}/resume")  # a 409 once cancelled; a 503 under a fault
        injector.active = False
    finally:
        injector.detach()
    figures.faults = injector.injected
    # Faults over: every lease (timeout 5 s + margin 5 s) expires, lost runs are recovered and retried.
    for _ in range(40):
        stack.clock.advance(2)
        stack.tick()
        stack.deliver()
    return figures, jobs


def check(stack: Stack, figures: Figures, jobs: dict[str, list[dict[str, Any]]], cancelled: set[str]) -> None:
    for kind, created in jobs.items():
        for job in created:
            final, history = stack.job(job["id"]), stack.history(job["id"])
            figures.stuck += [f"{kind} job {job['id']}"] if final["status"] == "running" else []
            figures.stuck += [f"{kind} run {run['id']}" for run in history if run["status"] == "running"]
            completed = Counter(run["scheduledAt"] for run in history if run["status"] == "completed")
            figures.completed_twice += [f"{kind} {job['id']} at {at}" for at, n in completed.items() if n > 1]
            if kind in ("once", "later"):
                assert final["status"] == "completed", (figures.line(), final, history)
                assert sum(completed.values()) == 1, (figures.line(), history)
            if kind == "recurring":
                assert final["status"] == "completed", (figures.line(), final)
            if kind == "failing":
                assert final["status"] == "failed", (figures.line(), final)
                assert final["attempts"] == final["maxAttempts"] == len(history), (figures.line(), final, history)
            if job["id"] in cancelled:
                assert final["status"] == "cancelled", (figures.line(), final, history)
    print(figures.line(), dict(sorted(figures.faults.items())))
    assert not figures.stuck, (figures.line(), figures.stuck)
    assert not figures.completed_twice, (figures.line(), figures.completed_twice)
    assert sum(figures.faults.values()) > 0


@pytest.mark.parametrize("seed", FIXED_SEEDS)
def test_nothing_lost_doubled_or_stuck_under_faults(faulty_stack: Stack, cancelled: set[str], seed: int) -> None:
    figures, jobs = chaos(faulty_stack, seed, seconds=30)
    check(faulty_stack, figures, jobs, cancelled)


def test_nothing_lost_doubled_or_stuck_under_faults_for_long(faulty_stack: Stack, cancelled: set[str]) -> None:
    """One more fixed seed in `make test`; in `make fuzz`, a random seed for FUZZ_SCALE times as long."""
    seed = random.SystemRandom().randrange(2**32) if "FUZZ_SCALE" in os.environ else 5
    figures, jobs = chaos(faulty_stack, seed, seconds=fuzz_examples(30))
    check(faulty_stack, figures, jobs, cancelled)
