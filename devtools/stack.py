"""The functions wired as on AWS, in-process: async invokes (runs, and wakes of the tick) are captured
and delivered by hand."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.alarm_delivery import AlarmDelivery
from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dispatch import InvokeRecorder, TimerRecorder
from devtools.functions import FakeLambdaContext, LambdaHandler, build_function, load_function_module
from devtools.moto_backend import serialise_moto_calls
from devtools.template import ACCOUNT, REGION, ROOT
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.wiring import AwsClients, deps_on_dynamodb

EVENTS = ROOT / "events"
TIMER_QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:TimerQueue"
# When the tests' and benchmarks' manual clocks start: a Saturday morning, 2026-11-28 09:00 UTC.
START = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


def lateness(run: dict[str, Any]) -> timedelta:
    """How long after its scheduled time a run (a history entry) started."""
    return datetime.fromisoformat(run["startedAt"]) - datetime.fromisoformat(run["scheduledAt"])


class Stack:
    """API, tick, dispatch and executor functions sharing one manual clock; `deliver` plays Lambda's async queue.

    Each function is built as on Lambda (its module's `build`), with the clock, and the tick's sleeper and
    the executor's jitter where a test gives them; the Invoke calls of every function (runs dispatched,
    wakes of the tick) are captured by `invocations`, and `wake` runs the woken ticks. The tick's hand-offs
    of a herd's shards run the dispatch function at once, in the tick's thread that invoked it (so a pass's
    hand-offs run in parallel, as on Lambda), unless a test takes that route away (`invocations.routes`).
    """

    def __init__(
        self,
        clock: ManualClock,
        *,
        rng: random.Random | None = None,
        executor_clients: AwsClients | None = None,
        **settings: Any,
    ) -> None:
        """Settings are the template's, changed as given (`log_job_data=True`); `executor_clients` are the
        executor's (a test answering its lambda targets' Invoke on them), else its own."""
        serialise_moto_calls()  # a tick pass calls moto from many threads at once
        self.clock = clock
        self.settings = replace(Settings.from_environment(), **settings)
        self.clients = AwsClients()
        self.executor_clients = executor_clients or load_function_module("ExecutorFunction").executor_clients()
        self.invocations = InvokeRecorder()
        self.invocations.attach(self.clients.lambda_invoke)
        self.invocations.attach(self.executor_clients.lambda_invoke)
        self.invocations.attach(self.executor_clients.lambda_async)
        self.sleeps: list[float] = []  # every sleep of the tick's and the dispatch function's, in order
        self.timers = TimerRecorder(clock, self.settings.timer_queue)
        self.timers.attach(self.clients.sqs)
        self.timers.attach(self.executor_clients.sqs)
        self.alarms = AlarmDelivery(clock, self.timers, TIMER_QUEUE_ARN)
        self.alarms.sleeps = self.sleeps
        self.api_handler = build_function("ApiFunction", self.settings, self.clients, clock)
        self.tick_handler = self.build_tick(self._advance)
        self.executor_handler = self.build_executor(rng=rng)
        self.dispatch_handler = build_function(
            "DispatchFunction", self.settings, self.clients, clock, sleep=self.alarms.sleep
        )
        self.invocations.routes["DispatchFunction"] = self.dispatch
        self._metrics_turn = threading.Lock()
        self.api = ApiClient(self.api_handler)
        self.jobs = DynamoJobStore(self.settings.jobs_table, self.settings.history_table)
        self.delivered = 0
        self.woken = 0

    def build_tick(self, sleep: Callable[[float], None] | None = None, **settings: Any) -> LambdaHandler:
        """A tick function whose sleeps call `sleep` (by default they move the manual clock), with settings
        changed as given (`due_shards=2`: the tick as deployed after an update)."""
        changed = replace(self.settings, **settings)
        return build_function("TickFunction", changed, self.clients, self.clock, sleep=sleep or self._advance)

    def build_executor(self, **arguments: Any) -> LambdaHandler:
        """An executor function on this stack's clock and clients, built with `arguments` too (`targets=`: the
        sender of its jobs' targets and notifications)."""
        return build_function("ExecutorFunction", self.settings, self.clock, clients=self.executor_clients, **arguments)

    def deps(self, **settings: Any) -> Deps:
        """The use cases' dependencies on this stack's tables and clock, with settings changed as given."""
        return deps_on_dynamodb(replace(self.settings, **settings), self.clock)

    def _advance(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def fire_timers(self, until: datetime | None = None) -> list[dict[str, Any]]:
        """Deliver the timer's messages as its event source mapping would, those showing by `until` (default:
        within a minute from now: a recurring job sets its alarms on and on), each batch when it shows, the
        dispatch function's waits moving the manual clock (devtools.alarm_delivery). Its results."""
        return self.alarms.deliver(self.dispatch_handler, until or self.clock.now() + timedelta(seconds=60))

    def tick_beside_timers(self, until: datetime, remaining_millis: int = 65_000) -> dict[str, Any]:
        """The minute's tick (a whole window by default) and the timer's deliveries up to `until` side by side,
        in time order, as on AWS: an alarm shows while the tick sleeps towards a job of another shard, where
        `tick` then `fire_timers` would deliver it only after the tick's last pass. The tick's report."""
        tick = self.build_tick(sleep=self.alarms.sleep)
        reports: list[dict[str, Any]] = []
        self.alarms.deliver(
            self.dispatch_handler, until, beside=lambda: reports.append(self.tick(remaining_millis, handler=tick))
        )
        return reports[0]

    def close(self) -> None:
        self.timers.detach(self.clients.sqs)
        self.timers.detach(self.executor_clients.sqs)
        self.invocations.detach(self.clients.lambda_invoke)
        self.invocations.detach(self.executor_clients.lambda_invoke)
        self.invocations.detach(self.executor_clients.lambda_async)

    def tick(
        self, remaining_millis: int = 0, fired_at: datetime | None = None, handler: LambdaHandler | None = None
    ) -> dict[str, Any]:
        """Fire the tick with the sample scheduled event for the clock's minute (or `fired_at`), as the rule does.

        By default its context has no time left, so it makes exactly one pass; give it a minute
        (`remaining_millis=65_000`) for a whole window of passes, the manual clock moving as it sleeps.
        """
        event = json.loads((EVENTS / "tick" / "scheduled.json").read_text())
        minute = fired_at or self.clock.now().replace(second=0, microsecond=0)
        event["time"] = minute.strftime("%Y-%m-%dT%H:%M:%SZ")
        context = FakeLambdaContext(function_name="TickFunction", remaining_millis=remaining_millis)
        report: dict[str, Any] = (handler or self.tick_handler)(event, context)
        return report

    def wake(self, handler: LambdaHandler | None = None) -> list[dict[str, Any]]:
        """Run every wake event not yet run, in order, each as Lambda would: an invocation of the tick with
        its timeout ahead (65 s), its sleeps moving the manual clock. The tick's reports."""
        reports = []
        while self.woken < len(self.invocations.wakes):
            event = copy.deepcopy(self.invocations.wakes[self.woken])
            self.woken += 1
            context = FakeLambdaContext(function_name="TickFunction", remaining_millis=65_000)
            reports.append((handler or self.tick_handler)(event, context))
        return reports

    def dispatch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the dispatch function with `event` (`{"shard": "0", "dueBy": <epoch ms>}`, as the tick sends).

        Powertools' metric buffer is one per process and not for threads (on Lambda each invocation has a
        process of its own): while metrics are on, parallel dispatch invocations take turns.
        """
        context = FakeLambdaContext(function_name="DispatchFunction", remaining_millis=60_000)
        metrics_on = os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() != "true"
        with self._metrics_turn if metrics_on else contextlib.nullcontext():
            result: dict[str, Any] = self.dispatch_handler(copy.deepcopy(event), context)
        return result

    def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        context = FakeLambdaContext(function_name="ExecutorFunction", remaining_millis=900_000)
        result: dict[str, Any] = self.executor_handler(copy.deepcopy(payload), context)
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

    def listed(self, pages: int = 5) -> list[str]:
        """The ids GET /jobs lists a page of one at a time, following `nextToken` for at most `pages` pages
        (a page that met an item the listing leaves out comes back short, with a token)."""
        listed, token = [], None
        for _ in range(pages):
            page = self.api.get("/jobs", limit="1", **({"nextToken": token} if token else {})).body
            listed += [job["id"] for job in page["jobs"]]
            token = page["nextToken"]
            if token is None:
                break
        return listed
