"""The tick's work: find due jobs through the sparse index, claim each, dispatch the winners at once.

A due `running` job is a lost run (its lease expired): it is recorded `timed_out` and retried or failed
like any failure, as is a run Lambda refused to start. Nothing here scans; each shard costs one Query
over due items only.

EventBridge fires the tick once a minute, but schedules have second precision: one invocation makes a
pass every `poll_seconds` through its own minute (`run_window`), so a run starts within that of its time.

Lowering `DueShards` on a stack update would strand every job stored on a shard at or above the new count:
no pass queries it again. Once per invocation the tick sweeps those shards and moves what it finds onto a
live one (`sweep_stranded_shards`), where the passes claim it as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from serverless_jobs import store
from serverless_jobs.clock import Clock
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
# Jobs a sweep reads at most per invocation: a large backlog on stranded shards moves over a few minutes
# instead of holding up the passes (about 200 conditional writes, a second or two on DynamoDB).
SWEEP_LIMIT = 200


@dataclass(frozen=True)
class TickReport:
    examined: int = 0
    dispatched: int = 0
    recovered: int = 0
    undelivered: int = 0
    passes: int = 1
    moved: int = 0

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


def run_window(
    clock: Clock,
    dispatcher: Dispatcher,
    *,
    shards: int,
    remaining_seconds: float,
    poll_seconds: float,
    is_running: Callable[[], bool],
    sleep: Callable[[float], None],
    fired_at: datetime | None = None,
) -> TickReport:
    """Passes over `shards` shards every `poll_seconds` until the minute (or Lambda's time, less a margin) ends.

    The runner switch is read before each pass, so stopping it stops dispatching within one poll. With
    little time left the invocation still makes exactly one pass, and so does an event for a minute long
    gone (Lambda redelivering a failed tick): later ticks already cover the time since. An invocation with
    a window sweeps the stranded shards once, after its first pass so work due now never waits for it;
    a single-pass one (a stale event, the local stack's loop) leaves that to the next minute's.
    """
    start = clock.now()
    window = min(WINDOW_SECONDS, remaining_seconds - SAFETY_MARGIN_SECONDS)
    if fired_at is not None and start - fired_at >= timedelta(seconds=WINDOW_SECONDS):
        window = 0.0
    deadline = start + timedelta(seconds=window)
    total = TickReport(passes=0)
    sweep_pending = window > 0
    while is_running():
        pass_started = clock.now()
        total += run_tick(clock, dispatcher, shards)
        if sweep_pending:
            total += TickReport(passes=0, moved=sweep_stranded_shards(shards))
            sweep_pending = False
        next_pass = pass_started + timedelta(seconds=poll_seconds)
        if next_pass >= deadline:
            break
        sleep(max(0.0, (next_pass - clock.now()).total_seconds()))
    return total


def run_tick(clock: Clock, dispatcher: Dispatcher, shards: int) -> TickReport:
    """One pass over the first `shards` shards of the `due` index at `clock.now()`."""
    now = clock.now()
    examined = recovered = 0
    claimed: list[RunRequest] = []
    for shard in range(shards):
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


def sweep_stranded_shards(shards: int, limit: int = SWEEP_LIMIT) -> int:
    """Move jobs from shards `shards`..MAX_DUE_SHARDS-1 onto their shard among `shards`; how many moved.

    One Query per unused shard (an empty one costs a single read), soonest `nextRunAt` first, at most
    `limit` jobs read in all. Each move is conditioned on the job being as read: one a concurrent writer
    changed is left for the next sweep, if it is still stranded then.
    """
    moved = 0
    budget = limit
    for shard in range(shards, store.MAX_DUE_SHARDS):
        if budget <= 0:
            break
        jobs = store.shard_head(str(shard), budget)
        budget -= len(jobs)
        moved += sum(store.move_to_shard(job, store.shard_for(job.id, shards)) for job in jobs)
    return moved
