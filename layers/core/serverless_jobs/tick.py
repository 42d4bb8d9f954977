"""The tick's work: find due jobs through the sparse index, claim each, dispatch the winners at once.

A due `running` job is a lost run (its lease expired): it is recorded `timed_out` and retried or failed
like any failure, as is a run Lambda refused to start. Nothing here scans; each shard costs one Query
over due items only.

EventBridge fires the tick once a minute, but schedules have second precision: one invocation makes a
pass every `poll_seconds` through its own minute (`run_window`), so a run starts within that of its time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from serverless_jobs import store
from serverless_jobs.clock import Clock
from serverless_jobs.config import settings
from serverless_jobs.dispatch import Dispatcher, RunRequest
from serverless_jobs.metrics import Metric, count, milliseconds
from serverless_jobs.runs import claim_due
from serverless_jobs.schemas import JobStatus
from serverless_jobs.timefmt import to_millis
from serverless_jobs.unreported import LEASE_EXPIRED, fail_refused_runs, fail_unreported_run

# The rule fires every minute: an invocation works through its own minute, never into the next one's.
WINDOW_SECONDS = 60.0
# Time kept back from the Lambda's remaining time so the last pass always completes.
SAFETY_MARGIN_SECONDS = 3.0


@dataclass(frozen=True)
class TickReport:
    examined: int = 0
    dispatched: int = 0
    recovered: int = 0
    undelivered: int = 0
    passes: int = 1

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


def run_window(
    clock: Clock,
    dispatcher: Dispatcher,
    *,
    remaining_seconds: float,
    poll_seconds: float,
    is_running: Callable[[], bool],
    sleep: Callable[[float], None],
    fired_at: datetime | None = None,
) -> TickReport:
    """Passes every `poll_seconds` until the minute (or the Lambda's time, less a margin) runs out.

    The runner switch is read before each pass, so stopping it stops dispatching within one poll. With
    little time left the invocation still makes exactly one pass, and so does an event for a minute long
    gone (Lambda redelivering a failed tick): later ticks already cover the time since.
    """
    start = clock.now()
    window = min(WINDOW_SECONDS, remaining_seconds - SAFETY_MARGIN_SECONDS)
    if fired_at is not None and start - fired_at >= timedelta(seconds=WINDOW_SECONDS):
        window = 0.0
    deadline = start + timedelta(seconds=window)
    total = TickReport(passes=0)
    while is_running():
        pass_started = clock.now()
        total += run_tick(clock, dispatcher)
        next_pass = pass_started + timedelta(seconds=poll_seconds)
        if next_pass >= deadline:
            break
        sleep(max(0.0, (next_pass - clock.now()).total_seconds()))
    return total


def run_tick(clock: Clock, dispatcher: Dispatcher) -> TickReport:
    """One pass over every shard of the `due` index at `clock.now()`."""
    now = clock.now()
    examined = recovered = 0
    claimed: list[RunRequest] = []
    for shard in range(settings.due_shards):
        for job in store.due_candidates(str(shard), to_millis(now)):
            examined += 1
            if job.status == JobStatus.RUNNING:
                if fail_unreported_run(job, "timed_out", LEASE_EXPIRED, now):
                    recovered += 1
                    count(Metric.RUNS_TIMED_OUT)
            elif job.status == JobStatus.PENDING:
                run = claim_due(job, now)
                if run is not None:
                    claimed.append(run)
    undelivered = dispatcher.dispatch(claimed)
    fail_refused_runs(undelivered, now)
    count(Metric.TICK_DUE_JOBS, examined)
    milliseconds(Metric.TICK_PASS_MS, (clock.now() - now).total_seconds() * 1000)
    return TickReport(examined, len(claimed), recovered, len(undelivered))
