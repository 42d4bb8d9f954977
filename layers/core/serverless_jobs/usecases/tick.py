"""The tick's work: find due jobs through the sparse index, claim each, dispatch each winner as it wins.

A due `running` job is a lost run (its lease expired): it is recorded `timed_out` and retried or failed
like any failure, as is a run Lambda refused to start. A due paused or cancelled job holds a run its pause
or cancel detached: its entry is closed the same way if its executor never closed it, and the job lets go
of it. Nothing here scans; each shard costs one Query over due items only.

EventBridge fires the tick once a minute, but schedules are exact to the tenth of a second: each pass also
looks ahead (the soonest jobs due later, one Query per shard). What it finds due later than a second and
before the next minute's tick gets an alarm on the SQS timer (usecases.alarms, decision 0075), whose pass
looks ahead on its shard in turn, unless its own write alarmed it (usecases.chain); the invocation sleeps
only towards what is due within a second (or towards everything, without a timer or when an alarm is
refused), ending when nothing is left before the next minute's tick (`run_window`). A write that makes a
job due before that tick sets an alarm or wakes a pass (usecases.wake); no function polls all minute, and
none sleeps more than about a second.

Due jobs with a concurrency key or a rate limit are claimed one key at a time, in due order across every
shard, each key's on one thread: the first a full window or a full key refuses stops the key's turn (the
later ones would be refused too). For a rate limit the pass looks again on those jobs' shards when a place
frees: a job waiting for its rate limit stays due (the look-ahead does not see it), so this is what wakes
the tick (an alarm) for it, and no pass spins on it meanwhile. For a concurrency key the finish that frees a slot
wakes a pass (usecases.wake).

Lowering `DueShards` on a stack update would strand every job stored on a shard at or above the new count:
no pass queries it again. Once an hour the tick sweeps those shards and moves what it finds onto a live one
(`sweep_stranded_shards`), where the passes claim it as usual.

Verbs, one meaning each: a pass `serve`s each due job it finds (claims a pending one and dispatches its run,
or recovers a lost or detached one; was `settle`, a verb now left to nothing); it `look`s only ahead (a read
of when each shard's next job falls due); `run_pass` runs one pass (was `run_tick`), `run_window` the
invocation's passes; `report_pass` writes a pass's metrics and report (was `finish_pass`: "finish" is a
run's, usecases.close_run).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job, JobStatus, RunRequest, Upcoming
from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.metrics import Metric, count, milliseconds
from serverless_jobs.ports import Dispatcher
from serverless_jobs.usecases.chain import LOOK_AHEAD_JOBS, Relay, alarm_far, relay_of
from serverless_jobs.usecases.claim import Refused, Waiting, claim_due
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.fan_out import FanOut
from serverless_jobs.usecases.notify import resend_owed
from serverless_jobs.usecases.recover import (
    LEASE_EXPIRED,
    close_detached_run,
    fail_refused_runs,
    fail_unreported_run,
)
from serverless_jobs.usecases.wake import TICK_EVERY_SECONDS, alarmed_by_write, wake_if_due_soon

logger = Logger(child=True)
T = TypeVar("T")

# The rule fires every minute: an invocation works through its own minute, never into the next one's.
WINDOW_SECONDS = TICK_EVERY_SECONDS
# After a pass that met an error (a shard query, a claim, the runner switch), the next comes this soon.
RETRY_SECONDS = 1.0
# Time kept back from the Lambda's remaining time so the last pass always completes.
SAFETY_MARGIN_SECONDS = 3.0
# Jobs a sweep reads at most: a large backlog on stranded shards moves a sweep after each pass instead of
# holding up the passes (about 200 conditional writes, a second or two on DynamoDB).
SWEEP_LIMIT = 200
# AWS calls one pass keeps in flight (shard queries, claims and each claim's Invoke): enough to hide a
# 20 ms round trip behind the next 31, few enough for a 256 MB function's CPU and the tick clients'
# connection pools (client_tuning.TICK_CLIENTS). Decision "A tick pass overlaps its AWS calls" says why.
CALLS_IN_FLIGHT = 32
# Jobs one dispatch invocation reads from its shard at most (about 12 s of work at the model's rate, well
# inside the dispatch function's timeout); a later pass hands the rest of the shard out again.
SHARD_LIMIT = 10_000


@dataclass(frozen=True)
class TickReport:
    examined: int = 0
    dispatched: int = 0
    recovered: int = 0
    undelivered: int = 0
    passes: int = 1
    moved: int = 0
    faults: int = 0  # steps that met an error (logged) and were left for the next pass
    slept: float = 0.0  # seconds the invocation slept between its passes
    handed: int = 0  # shards of a herd handed to dispatch invocations (usecases.fan_out)
    renotified: int = 0  # owed notifications handed to the executor again (usecases.notify.resend_owed)

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True)
class Pass:
    """One pass: what it did, and for each shard it looked at, the soonest `next_run_at` it left there
    (None: nothing; a shard whose look-ahead failed is left out)."""

    report: TickReport
    ahead: dict[int, int | None]
    waits: dict[int, int] = field(default_factory=dict)  # shards holding jobs that wait for their rate limit
    relays: dict[int, Relay] = field(default_factory=dict)  # shards whose soonest job its write alarmed


def run_window(
    deps: Deps,
    dispatcher: Dispatcher,
    *,
    remaining_seconds: Callable[[], float],
    is_running: Callable[[], bool],
    sleep: Callable[[float], object],
    fired_at: datetime | None = None,
    woken_for: datetime | None = None,
    fan_out: FanOut | None = None,
) -> TickReport:
    """Passes at the instants jobs fall due, until nothing is due before the next minute's tick (or the
    Lambda's own time less a margin runs out).

    Each pass claims what is due and looks ahead: the soonest job due later on each shard. Those due later than
    a second and before the deadline get an alarm on the SQS timer, chained up to the deadline (`alarm_far`;
    each alarm's pass looks ahead on its shard and sets the next; a job its write alarmed gets none of the
    chain's: usecases.chain), and leave this invocation's reckoning. For the rest (due within a second, or
    whose alarm was refused, or all of them without a timer) the invocation sleeps until the earliest and
    passes again; it ends when that is the next minute's tick or later (that tick
    looks ahead for itself), and sleeps nothing when nothing is due before it. A pass after the first asks only
    the shards whose soonest job has come: nothing else was due there when it looked, and a write since that is
    due before the next tick wakes a pass of its own. After a fault, a sleep cut short (the local stack's wake)
    or at the wake's due time, a pass asks every shard again. A wake (`woken_for`, the due time of the job a
    write woke it for) counts as due too: the index is eventually consistent, and the write may not show in the
    first pass's look-ahead yet. A woken invocation ends after the pass at that time: what falls due later is
    the next minute's tick's, or has woken an invocation of its own (or is seen by the one sleeping towards it),
    so invocations overlap no longer than they must. Jobs a pass leaves waiting for their rate limit are the
    exception: they are due already, so no write wakes anyone for them, and the invocation whose pass took a
    place serves them as places free, within its window (`serving_waits`).

    Both the clock and the Lambda's time bound the loop: the window ends by the clock, and a sleep is
    never longer than the Lambda's remaining time less the margin, so a clock that stands still or steps
    back cannot keep the invocation past its deadline. The runner switch is read before each pass; a
    stopped runner ends the window. An event for a minute long gone (Lambda redelivering a failed tick)
    gets a single pass: later ticks already cover the time since. The invocation fired for the hour's
    first minute sweeps the stranded shards (`is_sweep_minute`), after its first pass so work due
    now never waits for it, and again after each later pass while a sweep moves a full `SWEEP_LIMIT`; a
    single pass or a woken one leaves that to the next hour's.

    No error ends the window: a step that fails is logged and counted, and a pass follows in RETRY_SECONDS.
    A pass that finds a herd hands its shards out through `fan_out` (`run_pass`).
    """
    clock = deps.clock
    start = clock.now()
    window = min(WINDOW_SECONDS, remaining_seconds() - SAFETY_MARGIN_SECONDS)
    if fired_at is not None and start - fired_at >= timedelta(seconds=WINDOW_SECONDS):
        window = 0.0
    window_ends = start + timedelta(seconds=window)
    # A woken invocation serves up to its job; the rest has invocations of its own (but `serving_waits`).
    deadline = window_ends if woken_for is None else min(window_ends, woken_for + timedelta(milliseconds=1))
    total = TickReport(passes=0)
    sweep_pending = window > 0 and woken_for is None and is_sweep_minute(fired_at or start)
    # as the last look at each shard saw: its soonest next_run_at; the alarm this invocation set on it; and
    # whether a write alarmed that soonest job (its relay, usecases.chain)
    known, alarmed, relays = dict[int, int | None](), dict[int, int](), dict[int, Relay]()
    every_shard = True
    while True:
        if woken_for is not None and clock.now() >= woken_for:
            every_shard, woken_for = True, None  # the woken-for job's shard is not known: ask them all
        running = guarded("read the runner switch", is_running)
        if running is False:
            break
        retry_at: datetime | None = None
        if running is FAILED:  # the switch cannot be read: dispatch nothing this time, try again soon
            total += TickReport(passes=0, faults=1)
            retry_at = clock.now() + timedelta(seconds=RETRY_SECONDS)
        else:
            now_millis = to_millis(clock.now())
            shards = range(deps.settings.due_shards) if every_shard else due_shards(known, now_millis)
            done = run_pass(deps, dispatcher, shards, fan_out)
            total += done.report
            deadline = serving_waits(deadline, window_ends, done)
            # what falls due later than a second from now gets an alarm instead of this invocation's sleep
            ahead, relays = looked_again(known, shards, done.ahead), looked_again(relays, shards, done.relays)
            known = alarm_far(deps, ahead, deadline, alarmed, relays)
            total += resend_notifications(deps, remaining_seconds)
            every_shard = done.report.faults > 0
            retry_at = clock.now() + timedelta(seconds=RETRY_SECONDS) if every_shard else None
            if sweep_pending:
                swept = sweep(deps)
                total += swept
                sweep_pending = swept.moved >= SWEEP_LIMIT  # a backlog: more may wait, sweep after the next pass
                # jobs landed on shards the look-ahead saw without them: look at every shard again, now
                every_shard = every_shard or swept.moved > 0
                retry_at = clock.now() if swept.moved else retry_at
        wake_at = earliest([*(from_millis(due) for due in known.values() if due is not None), retry_at, woken_for])
        if wake_at is None or wake_at >= deadline:
            break  # nothing due before the next minute's tick
        allowed = remaining_seconds() - SAFETY_MARGIN_SECONDS
        if allowed <= 0:
            break
        pause = min(max(0.0, (wake_at - clock.now()).total_seconds()), allowed)
        woken = sleep(pause)  # True from a sleep that a wake can cut short (the local stack's)
        total += TickReport(passes=0, slept=pause)
        if woken is True or clock.now() < wake_at:  # woken, or cut short: what was written is not known
            every_shard = True
    return total


def looked_again(seen: Mapping[int, T], asked: Iterable[int], looked: Mapping[int, T]) -> dict[int, T]:
    """What a pass's look on the shards `asked` (`looked`) leaves of what was `seen` on each shard before."""
    again = set(asked)
    return {shard: value for shard, value in seen.items() if shard not in again} | dict(looked)


def serving_waits(deadline: datetime, window_ends: datetime, done: Pass) -> datetime:
    """The deadline moved, within the window, past the soonest start a rate limit frees for a job the pass
    left waiting, if the pass started a run: no write wakes an invocation for such a job (it is due
    already), so the invocation that took a place passes again when the next frees, and again for the
    next waiter then, each on time. Invocations woken for the same instant that took nothing end as
    before, so a herd of waiters (a wake each) keeps about one invocation per place awake, not one each."""
    if not done.waits or not done.report.dispatched:
        return deadline
    return max(deadline, min(window_ends, from_millis(min(done.waits.values())) + timedelta(milliseconds=1)))


# The minute of each hour whose invocation sweeps the stranded shards (decision "Lowering `DueShards`
# strands nothing"): hourly, 60 queries an hour instead of 60 a minute on an idle stack.
SWEEP_MINUTE = 0


def is_sweep_minute(fired_at: datetime) -> bool:
    """Whether the invocation the rule fired at `fired_at` sweeps the stranded shards: the hour's first
    minute's does (`SWEEP_MINUTE`), read from the event's time, so no state is kept and no deploy resets it.

    Jobs sit on a shard above `DueShards` only after a stack update lowered it (or a function still running
    the old count wrote them during that update), so they move within the hour after it. A sweeping
    invocation that fails or is redelivered late (a single pass) leaves the move to the next hour: the jobs
    wait, none is lost, since the sweep finds whatever a shard holds whenever it runs."""
    return fired_at.minute == SWEEP_MINUTE


def sweep(deps: Deps) -> TickReport:
    """One sweep of the stranded shards, as a report (a failed sweep is a fault, no error)."""
    moved = guarded("sweep the stranded shards", partial(sweep_stranded_shards, deps, SWEEP_LIMIT))
    return TickReport(passes=0, faults=1) if isinstance(moved, Failed) else TickReport(passes=0, moved=moved)


def resend_notifications(deps: Deps, remaining_seconds: Callable[[], float]) -> TickReport:
    """A pass's look for notifications owed too long (one Query: all it costs an idle stack), each handed
    to the executor again while the Lambda's time less the margin lasts."""
    has_time = lambda: remaining_seconds() > SAFETY_MARGIN_SECONDS  # noqa: E731
    resent = guarded("resend owed notifications", partial(resend_owed, deps, deps.clock.now(), has_time))
    if isinstance(resent, Failed):
        return TickReport(passes=0, faults=1)
    return TickReport(passes=0, renotified=resent)


def due_shards(known: dict[int, int | None], now_millis: int) -> list[int]:
    """The shards whose soonest job, as last seen, has come by `now_millis`."""
    return [shard for shard, due in known.items() if due is not None and due <= now_millis]


def earliest(moments: list[datetime | None]) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


def run_pass(
    deps: Deps, dispatcher: Dispatcher, asked: Sequence[int] | None = None, fan_out: FanOut | None = None
) -> Pass:
    """One pass over the live shards of the `due` index (or the `asked` ones) at the clock's now, its AWS
    calls overlapped, and its look-ahead: when the soonest job left on each falls due.

    The shards are queried at once; each due job is served as soon as its shard answers, up to
    `CALLS_IN_FLIGHT` at a time, and a run claimed is dispatched at once by the thread that claimed it, so a
    herd costs about (jobs / CALLS_IN_FLIGHT) round trips instead of one per job. Every run claimed is
    dispatched, whatever fails after its claim: a claimed run that is never dispatched waits out its lease
    (minutes) before the tick recovers it. A shard or a job that meets an error is logged and left for the
    next pass; nothing it did is half-done, since each step is one conditional write. Metrics and the
    refused runs' failing are done here, after the calls: Powertools' metric buffer is not for threads.
    The look-ahead (one Query per shard, of a few items) comes last, so it sees what this pass wrote too (a
    retry of a refused or lost run, which its write alarms); its queries overlap like the rest.

    With a `fan_out`, a shard's query reads at most the threshold plus one job, and the pass waits for every
    shard's answer: more due jobs than the threshold is a herd, whose shards go to dispatch invocations
    (usecases.fan_out, each running `run_shard`); fewer, and the pass has read all of them and serves them
    itself.
    """
    now = deps.clock.now()
    asked = range(deps.settings.due_shards) if asked is None else asked
    limit = None if fan_out is None else fan_out.due_limit
    with calls_in_flight() as submit:
        queries = [submit(partial(query_shard, deps, str(shard), now, limit)) for shard in asked]
        herd = None if fan_out is None else hand_out_herd(fan_out, submit, [query.result() for query in queries], now)
        waits: dict[int, int] = {}
        if herd is None:
            served, faults = serve_found(deps, dispatcher, submit, as_completed(queries), now)
            report = report_pass(deps, served, faults, now)
            waits = waiting_shards(served)
        else:
            report = herd
        later = look_ahead(deps, submit, asked, now)
    ahead = {shard: jobs[0].next_run_at if jobs else None for shard, jobs in later.items()}
    relays = {shard: relay for shard, jobs in later.items() if (relay := relay_of(jobs)) is not None}
    report = replace(report, faults=report.faults + len(asked) - len(ahead))
    return Pass(report, with_waits(ahead, waits), waits, relays)


def waiting_shards(served: Iterable[Served]) -> dict[int, int]:
    """For each shard holding a job that waits for its rate limit, when the soonest of them may start."""
    waits: dict[int, int] = {}
    for each in served:
        if each.waits_until is not None and each.shard is not None:
            shard = int(each.shard)
            waits[shard] = min(each.waits_until, waits.get(shard, each.waits_until))
    return waits


def with_waits(ahead: Mapping[int, int | None], waits: Mapping[int, int]) -> dict[int, int | None]:
    """The look-ahead, with each shard's soonest job due later brought forward to when a job already due
    there may start (its rate limit frees a place): the pass to look again then."""
    return {
        shard: min((due for due in (soonest, waits.get(shard)) if due is not None), default=None)
        for shard, soonest in ahead.items()
    }


def hand_out_herd(fan_out: FanOut, submit: Submit[Any], found: list[Found], now: datetime) -> TickReport | None:
    """Hand each shard holding due jobs, unless held, to a dispatch invocation, all at once, when the pass
    found a herd; None when it did not (the pass serves its jobs itself)."""
    busy = [(shard, jobs) for shard, jobs in found if not isinstance(jobs, Failed) and jobs]
    if not fan_out.is_herd(sum(len(jobs) for _, jobs in busy)):
        return None
    handing = [submit(partial(fan_out.hand_off, shard, now)) for shard in fan_out.not_held(dict(busy), now)]
    handed = sum(hand_off.result() for hand_off in handing)
    failed_queries = sum(isinstance(jobs, Failed) for _, jobs in found)
    return TickReport(handed=handed, faults=failed_queries + len(handing) - handed)


def run_shard(deps: Deps, dispatcher: Dispatcher, shard: str, due_by: datetime) -> TickReport:
    """A dispatch invocation's work (usecases.fan_out): the pass of `run_pass` over one shard, for the jobs
    due by the handing pass's instant (`due_by`), at most `SHARD_LIMIT` of them (a later pass hands the
    rest). Claims are made at this invocation's own now: one Lambda held in its queue still gets a full lease.
    """
    now = deps.clock.now()
    with calls_in_flight() as submit:
        query = submit(partial(query_shard, deps, shard, min(due_by, now), SHARD_LIMIT))
        served, faults = serve_found(deps, dispatcher, submit, [query], now)
    return report_pass(deps, served, faults, now)


@contextmanager
def calls_in_flight() -> Iterator[Submit[Any]]:
    """A pass's thread pool: up to CALLS_IN_FLIGHT steps at once, each run in a copy of the pass's context
    (contextvars), as it would run without the pool."""
    with ThreadPoolExecutor(max_workers=CALLS_IN_FLIGHT, thread_name_prefix="tick") as pool:
        yield lambda action: pool.submit(contextvars.copy_context().run, action)


def query_shard(deps: Deps, shard: str, due_by: datetime, limit: int | None) -> Found:
    """One shard's due jobs, or FAILED (logged) when its query met an error."""
    return shard, guarded(f"query due shard {shard}", partial(deps.jobs.due, shard, to_millis(due_by), limit))


def serve_found(
    deps: Deps, dispatcher: Dispatcher, submit: Submit[Any], queries: Iterable[Future[Found]], now: datetime
) -> tuple[list[Served], int]:
    """Serve every job the queries found, each as soon as its shard answers, and the pending ones under a
    concurrency key or a rate limit once every shard has answered, a key's jobs in due order on one thread
    (`serve_in_turn`); (what each became, failed queries)."""
    faults = 0
    serving: list[Future[Served]] = []
    queued: dict[str, list[Job]] = {}
    for query in queries:
        _, due = query.result()
        if isinstance(due, Failed):
            faults += 1
            continue
        for job in due:
            line = queue_of(job)
            if line is None:
                serving.append(submit(partial(serve, deps, dispatcher, job, now)))
            else:
                queued.setdefault(line, []).append(job)
    turns = [submit(partial(serve_in_turn, deps, dispatcher, jobs, now)) for jobs in queued.values()]
    return [one.result() for one in serving] + [each for turn in turns for each in turn.result()], faults


def queue_of(job: Job) -> str | None:
    """The line a due job waits in for its turn: its concurrency key's, else its rate limit's (a job with
    both queues on its concurrency key, which it needs held for a whole run); None for a job that needs
    neither, or is not pending (its lost or detached run is recovered in parallel)."""
    if job.status != JobStatus.PENDING:
        return None
    if job.concurrency_key is not None:
        return f"slot:{job.concurrency_key}"
    return None if job.rate_limit is None else f"rate:{job.rate_limit.key}"


def serve_in_turn(deps: Deps, dispatcher: Dispatcher, jobs: list[Job], now: datetime) -> list[Served]:
    """Serve the due jobs of one line (`queue_of`), soonest due first, one after another, so slots and
    places go in due order across every shard (docs/flow-control.md). Once a rate-limit key's window is
    full, the jobs after that need it wait for the same place without a claim each; once a concurrency key
    has no free slot (a claim refused `SLOT_FULL`: its counter read so, not a job changed meanwhile), the
    jobs after it wait without a claim each, and the finish that frees a slot wakes a pass."""
    served: list[Served] = []
    full_windows: dict[str, int] = {}  # rate-limit key -> when a place frees (epoch ms)
    full_keys: set[str] = set()
    for job in sorted(jobs, key=lambda job: (job.next_run_at or 0, job.created_at, job.id)):
        rate_key = None if job.rate_limit is None else job.rate_limit.key
        if rate_key in full_windows:
            served.append(Served(waits_until=full_windows[rate_key], shard=job.due_shard))
        elif job.concurrency_key in full_keys:
            served.append(Served())
        else:
            each = serve(deps, dispatcher, job, now)
            served.append(each)
            if each.waits_until is not None and rate_key is not None:
                full_windows[rate_key] = each.waits_until
            elif each.slot_full:
                full_keys.add(job.concurrency_key or "")
    keep_waiting_marks(deps, jobs, served, full_keys, now)
    return served


def keep_waiting_marks(deps: Deps, jobs: list[Job], served: list[Served], full: set[str], now: datetime) -> None:
    """After a concurrency key's turn, its `waiting` mark (store.mark_waiting) as the turn left the key:
    marked while a job still waits for a slot, so the API claims no later job first; taken away once the
    turn claimed and left none waiting, unless a claimer marked it since the pass's query (that job waits)."""
    key = jobs[0].concurrency_key
    if key is None:
        return
    seen = to_millis(now)
    if key in full:
        guarded(f"mark key {key} waiting", partial(deps.jobs.mark_waiting, key, seen))
    elif any(each.claimed is not None for each in served):
        guarded(f"clear key {key} waiting", partial(deps.jobs.clear_waiting, key, seen))


def report_pass(deps: Deps, served: list[Served], faults: int, now: datetime) -> TickReport:
    """After a pass's calls, on its own thread: fail the refused runs, write the metrics, report."""
    claimed = [each.claimed for each in served if each.claimed is not None]
    refused = [each.claimed for each in served if each.claimed is not None and each.refused]
    recovered = sum(each.recovered for each in served)
    faults += sum(each.failed for each in served)
    faults += guarded("fail the refused runs", partial(fail_refused_runs, deps, refused, now)) is FAILED
    if recovered:
        count(Metric.RUNS_TIMED_OUT, recovered)
    count(Metric.TICK_DUE_JOBS, len(served))
    milliseconds(Metric.TICK_PASS_MS, (deps.clock.now() - now).total_seconds() * 1000)
    return TickReport(len(served), len(claimed), recovered, len(refused), faults=faults)


def look_ahead(deps: Deps, submit: Submit[Any], shards: Sequence[int], now: datetime) -> dict[int, list[Upcoming]]:
    """For each shard, its soonest jobs due after `now` (`LOOK_AHEAD_JOBS` at most, soonest first; none: an
    empty list); a shard that could not be asked (logged) is left out. One Query per shard."""
    after = to_millis(now)
    asks = {
        shard: submit(
            partial(
                guarded,
                f"look ahead on shard {shard}",
                partial(deps.jobs.due_after, str(shard), after, LOOK_AHEAD_JOBS),
            )
        )
        for shard in shards
    }
    answers = {shard: ask.result() for shard, ask in asks.items()}
    return {shard: answer for shard, answer in answers.items() if not isinstance(answer, Failed)}


@dataclass(frozen=True)
class Served:
    """What a pass did with one due job."""

    claimed: RunRequest | None = None  # the run it claimed and dispatched
    refused: bool = False  # Lambda answered that it will not start the claimed run
    recovered: bool = False  # a lost or detached run closed
    failed: bool = False  # serving it met an error (logged); the next pass tries again
    slot_full: bool = False  # its claim was refused: every slot of its concurrency key is held
    waits_until: int | None = None  # its rate limit has no start left: when a place frees (epoch ms)
    shard: str | None = None  # where the job waiting for its rate limit is due


def serve(deps: Deps, dispatcher: Dispatcher, job: Job, now: datetime) -> Served:
    """Serve one due job: claim or recover it, and dispatch the run it claims, if any, right away (never
    raises)."""
    outcome = guarded(f"serve job {job.id}", partial(claim_or_recover, deps, job, now))
    if isinstance(outcome, RunRequest):
        # The dispatcher never raises: an unanswered Invoke is left to the lease.
        return Served(claimed=outcome, refused=bool(dispatcher.dispatch([outcome])))
    if isinstance(outcome, Waiting):
        return Served(waits_until=to_millis(outcome.until), shard=job.due_shard)
    return Served(recovered=outcome is True, failed=outcome is FAILED, slot_full=outcome is Refused.SLOT_FULL)


def claim_or_recover(deps: Deps, job: Job, now: datetime) -> RunRequest | Waiting | Refused | bool:
    """Claim a due pending job (its run to dispatch, Waiting for its rate limit, or why it was refused), or
    recover a due running one (True if it was lost).

    A due paused or cancelled job holds the run its pause or cancel detached, whose lease is over: its
    entry is closed if the executor never closed it (True then), and the job leaves the index. A job
    holding a run whose `leaseUntil` is still ahead is passed over, whatever its `due` key says.
    """
    if job.status == JobStatus.PENDING:
        return claim_due(deps, job, now)
    if lifecycle.lease_ahead(job, to_millis(now)):
        return False  # its run may yet report: passed over until its lease ends
    if job.status == JobStatus.RUNNING:
        return fail_unreported_run(deps, job, "timed_out", LEASE_EXPIRED, now)
    if lifecycle.holds_detached_run(job):
        return close_detached_run(deps, job, now)
    return False


class Failed:
    """What a guarded step returns when it raised."""


FAILED = Failed()
# A shard's query answered: the shard, and its due jobs or FAILED.
Found = tuple[str, list[Job] | Failed]
# Runs a step on a pass's pool.
Submit = Callable[[Callable[[], T]], Future[T]]


def guarded(step: str, action: Callable[[], T]) -> T | Failed:
    """`action()`, or FAILED after logging what it raised: one failing step never ends the tick's window."""
    try:
        return action()
    except Exception:
        logger.exception("tick step failed; the next pass tries again", extra={"step": step})
        return FAILED


def sweep_stranded_shards(deps: Deps, limit: int = SWEEP_LIMIT) -> int:
    """Move jobs from shards past the live count up to MAX_DUE_SHARDS onto a live shard; how many moved.

    One Query per unused shard (an empty one costs a single read), soonest `nextRunAt` first, at most
    `limit` jobs read in all. Each move is conditioned on the job being as read: one a concurrent writer
    changed is left for the next sweep, if it is still stranded then.
    """
    shards = deps.settings.due_shards
    moved = 0
    budget = limit
    for shard in range(shards, lifecycle.MAX_DUE_SHARDS):
        if budget <= 0:
            break
        jobs = deps.jobs.soonest(str(shard), budget)
        budget -= len(jobs)
        moved += sum(move_to_live_shard(deps, job) for job in jobs)
    return moved


def move_to_live_shard(deps: Deps, job: Job) -> bool:
    """Put `job` on its shard among the live ones if it is still as read; False when it changed meanwhile.
    A job its write alarmed is alarmed again on its new shard: that alarm named the one it left, and the
    chain passes over it (usecases.chain)."""
    live = replace(job)
    lifecycle.set_due(live, job.next_run_at, deps.settings.due_shards)
    if not deps.jobs.update(job, live, expect={"due_shard": job.due_shard}):
        return False
    if alarmed_by_write(Upcoming.of(live)):
        wake_if_due_soon(deps, live)
    return True
