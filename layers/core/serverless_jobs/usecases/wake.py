"""When a write must wake the tick: the job it stored falls due after now but before the next minute's tick.

A tick pass looks ahead only when it runs (usecases.tick), so a write after its look-ahead is unseen until
the next tick, up to a minute late, unless it sets an alarm or wakes a pass. The rule fires every
TICK_EVERY_SECONDS, at a phase a writer does not know, so "before the next tick" is "within
TICK_EVERY_SECONDS of now": a wake is never missed, and at worst one more pass runs beside the tick that
would have found the job anyway. A job due already wakes too (a retry without backoff); the API, which
starts immediate work itself, calls this only for jobs due later.

How (decision 0075): a job due further than a second ahead gets an alarm on the SQS timer
(usecases.alarms), for its own instant only (no chain: the minute's tick's alarms cover what was stored
before it looked). One due within the second, or whose alarm the queue refused, or on a stack without the
timer, wakes the tick (an async Invoke), which passes at once and sleeps at most that second.

So every write that stamps a pending job's `updatedAt` while the job falls due within TICK_EVERY_SECONDS of
it (create, update, resume, a finish, a missed occurrence skipped) alarms it or wakes the tick for it, and a
pass's look-ahead that finds such a job chains no alarm of its own for it (`alarmed_by_write`): the write's
alarm and the chain's were one job's two passes (decision 0075, "Alarms once").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from serverless_jobs.domain.job import Job, Upcoming
from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.usecases.alarms import is_near, set_alarms
from serverless_jobs.usecases.deps import Deps

# The tick rule's rate (template.yaml TickRule: rate(1 minute)); each invocation covers this much time.
TICK_EVERY_SECONDS = 60.0


def wake_if_due_soon(deps: Deps, job: Job) -> None:
    """Set an alarm for `job`, or wake the tick, if as just stored it falls due before the next minute's tick."""
    if job.due_shard is not None and job.next_run_at is not None:
        wake_if_soon(deps, from_millis(job.next_run_at), [job.due_shard])


def alarmed_by_write(job: Upcoming) -> bool:
    """Whether the write that stored `job` as it stands (its `updatedAt`) set the alarm for its next run, or
    woke the tick for it: a pending job due within TICK_EVERY_SECONDS of that write (`wake_if_due_soon`, after
    the write, saw it due before the next minute's tick). Read from the job alone, in the writer's own clock.

    A write whose alarm was lost (its sender died after the write, or SQS refused it and no tick could be
    woken) leaves the job to the minute's tick, up to a minute late, as any lost alarm does; never lost."""
    return job.pending and job.next_run_at - job.updated_at < TICK_EVERY_SECONDS * 1000


def wake_if_soon(deps: Deps, due_at: datetime, shards: Sequence[str] | None = None) -> None:
    """Set an alarm for `due_at` on `shards` (None: every live shard), or wake the tick, if it comes before
    the next minute's tick (as for a job due then)."""
    now = deps.clock.now()
    if due_at >= now + timedelta(seconds=TICK_EVERY_SECONDS):
        return
    if not is_near(due_at, now):
        named = list(shards) if shards is not None else [str(shard) for shard in range(deps.settings.due_shards)]
        if set_alarms(deps, dict.fromkeys(named, to_millis(due_at)), due_at):
            return
    if deps.waker is not None:
        deps.waker.wake(due_at)


def wake_for_freed_slot(deps: Deps, finished: Job) -> None:
    """Wake the tick now if the run `finished` let go of held a concurrency slot.

    A job refused a slot stays due (its `next_run_at` passed), so the tick's look-ahead, which looks only at
    what falls due later, neither sleeps towards it nor passes again for it: no pass spins on a blocked job.
    The finish that frees a slot wakes a pass instead, which claims the soonest due waiter at once. A lost
    run's slot, freed by the tick itself (no waker), is taken by the next pass, at the latest the next minute's.
    """
    if deps.waker is not None and finished.concurrency_key is not None and finished.run_id is not None:
        deps.waker.wake(deps.clock.now())
