"""The three functions wired as on AWS, in-process: async invokes are captured and delivered by hand."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from harness.api import ApiClient
from harness.dispatch import InvokeRecorder
from local_stack.functions import FakeLambdaContext, load_function_module
from local_stack.template import ROOT
from serverless_jobs.clock import ManualClock

EVENTS = ROOT / "events"


def lateness(run: dict[str, Any]) -> timedelta:
    """How long after its scheduled time a run (a history entry) started."""
    return datetime.fromisoformat(run["startedAt"]) - datetime.fromisoformat(run["scheduledAt"])


class Stack:
    """API, tick and executor functions sharing one manual clock; `deliver` plays Lambda's async queue."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.api_module = load_function_module("ApiFunction")
        self.tick_module = load_function_module("TickFunction")
        self.executor_module = load_function_module("ExecutorFunction")
        self.api = ApiClient(self.api_module)
        self.invocations = InvokeRecorder()
        self._saved: list[tuple[Any, str, Any]] = []
        self._replace(self.api_module.service, "clock", clock)
        self._replace(self.tick_module, "clock", clock)
        self._replace(self.executor_module, "clock", clock)
        self._replace(self.tick_module, "sleep", clock.advance)
        self.invocations.attach(self.api_module.lambda_client)
        self.invocations.attach(self.tick_module.lambda_client)
        self.delivered = 0

    def _replace(self, owner: Any, name: str, value: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def close(self) -> None:
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)
        self.invocations.detach(self.api_module.lambda_client)
        self.invocations.detach(self.tick_module.lambda_client)

    def tick(self, remaining_millis: int = 0, fired_at: datetime | None = None) -> dict[str, Any]:
        """Fire the tick with the sample scheduled event for the clock's minute (or `fired_at`), as the rule does.

        By default its context has no time left, so it makes exactly one pass; give it a minute
        (`remaining_millis=65_000`) for a whole window of passes, the manual clock moving as it sleeps.
        """
        event = json.loads((EVENTS / "tick" / "scheduled.json").read_text())
        minute = fired_at or self.clock.now().replace(second=0, microsecond=0)
        event["time"] = minute.strftime("%Y-%m-%dT%H:%M:%SZ")
        context = FakeLambdaContext(function_name="TickFunction", remaining_millis=remaining_millis)
        report: dict[str, Any] = self.tick_module.lambda_handler(event, context)
        return report

    def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        context = FakeLambdaContext(function_name="ExecutorFunction", remaining_millis=900_000)
        result: dict[str, Any] = self.executor_module.lambda_handler(copy.deepcopy(payload), context)
        return result

    def deliver_at_once(self) -> None:
        """From now on each dispatch runs the executor right away, as if Lambda had no queue."""

        def run(payload: dict[str, Any]) -> None:
            self.delivered += 1
            self.execute(payload)

        self.invocations.on_invoke = run

    def deliver(self) -> list[dict[str, Any]]:
        """Run every dispatch event not yet delivered, in order; returns the executor's results."""
        pending = self.invocations.payloads[self.delivered :]
        self.delivered += len(pending)
        return [self.execute(payload) for payload in pending]

    def create(self, **fields: Any) -> dict[str, Any]:
        """POST /jobs with `name` and `handler` filled in; fails loudly unless the job is created."""
        reply = self.api.post("/jobs", {"name": "job", "handler": "echo", **fields})
        assert reply.status == 201, reply.body
        body: dict[str, Any] = reply.body
        return body

    def job(self, job_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.api.get(f"/jobs/{job_id}").body
        return body

    def history(self, job_id: str) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.api.get(f"/jobs/{job_id}/history").body["history"]
        return runs
