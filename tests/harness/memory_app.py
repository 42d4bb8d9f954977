"""The use cases wired on the in-memory stores (devtools/memory_stores.py): no moto, no AWS client.

`App` wires the API's service, the tick's pass and the executor's run on one pair of memory stores and one
manual clock; runs dispatched are queued, and `deliver` runs them, as Lambda's async queue would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from devtools.clock import ManualClock
from devtools.memory_stores import MemoryHistoryStore, MemoryJobStore
from serverless_jobs.domain.job import Job, RunRequest
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.execute import execute
from serverless_jobs.usecases.jobs import JobService, JobSpec
from serverless_jobs.usecases.tick import TickReport, run_pass

START = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)
LAMBDA_SECONDS = 900.0


@dataclass
class Queue:
    """A Dispatcher and a NotificationHandOff that keep what they are given (Lambda's async queue)."""

    runs: list[RunRequest] = field(default_factory=list)
    hand_offs: list[tuple[str, str, int]] = field(default_factory=list)

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        self.runs.extend(runs)
        return []

    def hand_off(self, job_id: str, run_id: str, claimed_at: int) -> bool:
        self.hand_offs.append((job_id, run_id, claimed_at))
        return True


class NoTargets:
    """The executor's sender of targets: these tests' jobs run handlers, so it is never called."""

    def send(
        self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float
    ) -> tuple[Outcome, Any]:
        raise AssertionError(f"no target is sent in this tier: {target}")


class App:
    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.history = MemoryHistoryStore()
        self.jobs = MemoryJobStore(self.history)
        self.queue = Queue()
        settings = Settings.from_environment()
        base = Deps(settings, self.jobs, self.history, self.clock, rng=random.Random(7))
        self.api_deps = replace(base, notifications=self.queue)
        self.tick_deps = replace(base, notifications=self.queue)
        self.executor_deps = base
        self.service = JobService(self.api_deps, self.queue)

    def create(self, **fields: Any) -> Job:
        spec: dict[str, Any] = {"name": "job", "handler": "echo", "max_attempts": 3, "retry_backoff_seconds": 1}
        return self.service.create(JobSpec(**{"timeout_seconds": 60, **spec, **fields}))

    def tick(self) -> TickReport:
        return run_pass(self.tick_deps, self.queue).report

    def deliver(self) -> list[str]:
        """Run every queued run (and those they queue), in order; what became of each."""
        outcomes = []
        while self.queue.runs:
            outcomes.append(self.deliver_one())
        return outcomes

    def deliver_one(self) -> str:
        """Run the first queued run; what became of it."""
        request = self.queue.runs.pop(0)
        return execute(self.executor_deps, request, lambda: LAMBDA_SECONDS, NoTargets()).outcome

    def job(self, job_id: str) -> Job:
        return self.service.get(job_id)
