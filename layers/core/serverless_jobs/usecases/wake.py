"""When a write must wake the tick: the job it stored falls due after now but before the next minute's tick.

The tick sleeps until the soonest due job it saw and ends when nothing is due before the next minute's tick
(usecases.tick). A write after its look-ahead is unseen until the next tick, up to a minute late, unless
it wakes a pass. The rule fires every TICK_EVERY_SECONDS, at a phase a writer does not know, so "before the
next tick" is "within TICK_EVERY_SECONDS of now": a wake is never missed, and at worst one more pass runs
beside the tick that would have found the job anyway. A job due already wakes too (a retry without
backoff); the API, which starts immediate work itself, calls this only for jobs due later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from serverless_jobs.domain.job import Job
from serverless_jobs.domain.timefmt import from_millis
from serverless_jobs.usecases.deps import Deps

# The tick rule's rate (template.yaml TickRule: rate(1 minute)); each invocation covers this much time.
TICK_EVERY_SECONDS = 60.0


def wake_if_due_soon(deps: Deps, job: Job) -> None:
    """Wake the tick if `job`, as just stored, falls due before the next minute's tick."""
    if job.due_shard is not None and job.next_run_at is not None:
        wake_if_soon(deps, from_millis(job.next_run_at))


def wake_if_soon(deps: Deps, due_at: datetime) -> None:
    """Wake the tick for `due_at` if it comes before the next minute's tick (as for a job due then)."""
    if deps.waker is not None and due_at < deps.clock.now() + timedelta(seconds=TICK_EVERY_SECONDS):
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
