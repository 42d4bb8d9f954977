"""The run protocol's first step, shared by the API (trigger, immediate work) and the tick: the claim.

A claim is one conditional write: it succeeds only if the job still has the version, status and
`next_run_at` it was seen with, so of any number of concurrent claimers exactly one wins and only the
winner dispatches.

A job with a `rateLimit` is claimed only with a free place of its key's window (domain/rate.py), written
in the claim's own transaction; with none, the claim answers when one frees (`Waiting`) and the job stays
due as it was.

A claim says why it did not claim: `Waiting` (its rate limit has no start left), or a `Refused` reason: a
lost race, a full concurrency key, a job of its key waiting first, or (a due claim) no occurrence left due
once the missed ones were skipped. A refused claim of a job with a concurrency key reads the key's counter
once to tell which (the tick used to read it itself, to end a full key's turn).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from serverless_jobs.domain import flow, lifecycle, rate
from serverless_jobs.domain.job import Job, JobStatus, RunRequest, Trigger
from serverless_jobs.domain.timefmt import from_millis, from_millis_or_none, iso_z, to_millis
from serverless_jobs.usecases.catchup import skip_missed
from serverless_jobs.usecases.deps import Deps

# Claims of one rate-limited job tried again after its key's window moved under them (another claimer took
# a place first). Each retry follows another start of the key, so the loop ends once the window is full.
WINDOW_RETRIES = 20


@dataclass(frozen=True)
class Waiting:
    """No claim: the job's rate-limit `key` has no start left; at `until` a place of its window frees."""

    key: str
    until: datetime


class Refused(Enum):
    """Why a claim did not claim, besides `Waiting` for a rate limit."""

    LOST_RACE = "lost race"  # the job changed first: another claimer won, or an edit, pause or cancel landed
    SLOT_FULL = "slot full"  # every slot of the job's concurrency key is held
    SLOT_QUEUED = "slot queued"  # a claim after waiters: a job of its key, due before it, waits for a slot
    NOT_DUE = "not due"  # a due claim skipped missed occurrences, and the job has no occurrence due now


# The run to dispatch, or why there is none.
Claimed = RunRequest | Waiting | Refused


def claim(
    deps: Deps,
    job: Job,
    *,
    now: datetime,
    trigger: Trigger,
    attempt: int,
    scheduled_at: datetime | None,
    next_occurrence: datetime | None,
    after_waiters: bool = False,
) -> Claimed:
    """Mark `job` running under a new run id if nobody else has; the RunRequest to dispatch, Waiting when
    its rate limit has no start left, or why the write was refused (`refusal`)."""
    running, run = claimed_run(deps, job, now, trigger, attempt, scheduled_at, next_occurrence)
    expect = {"status": job.status, "next_run_at": job.next_run_at}
    written = claim_with_start(deps, job, running, expect, now, run.runId, after_waiters)
    if isinstance(written, Waiting):
        return written
    if not written:
        return refusal(deps, job, after_waiters)
    return run


def claimed_run(
    deps: Deps,
    job: Job,
    now: datetime,
    trigger: Trigger,
    attempt: int,
    scheduled_at: datetime | None,
    next_occurrence: datetime | None,
) -> tuple[Job, RunRequest]:
    """`job` as a claim of a new run leaves it (not written), and the run to dispatch once it is."""
    run_id = uuid.uuid4().hex
    # A run not finished by then counts as lost: its timeout plus a margin for start-up and writes.
    lease = now + timedelta(seconds=job.timeout_seconds + deps.settings.lease_margin_seconds)
    running = lifecycle.claimed(
        job,
        run_id=run_id,
        now=now,
        trigger=trigger,
        attempt=attempt,
        scheduled_at=scheduled_at,
        next_occurrence=next_occurrence,
        lease_expiry=lease,
        shards=deps.settings.due_shards,
    )
    run = RunRequest(
        jobId=job.id,
        runId=run_id,
        attempt=attempt,
        scheduledAt=None if scheduled_at is None else iso_z(scheduled_at),
        trigger=trigger,
    )
    return running, run


def claimed_at_create(deps: Deps, job: Job, now: datetime) -> tuple[Job, RunRequest] | None:
    """A new job due by `now`, as its create stores it: already claimed, its first run to dispatch once the
    insert lands. One write where an insert and then a claim were two (4 write units fewer: decision
    "The claim is the start"); the insert's own condition (no job with its id) admits one run, as the
    claim's would. None for a job whose claim needs more than the job: a concurrency key's slot or a rate
    limit's place, taken in their own transaction and order (the job is stored pending and claimed then).
    """
    if job.concurrency_key is not None or job.rate_limit is not None or not due_by(job, now):
        return None
    if flow.missed(job, due_start(job, now), now):
        return None  # already past its catch-up window (a window of 0 s): skipped as the tick would
    occurrence, following = scheduled_run(job, now)
    return claimed_run(deps, job, now, "schedule", 1, occurrence, following)


def due_start(job: Job, now: datetime) -> datetime:
    """When a due `job`'s current occurrence was to start (its jittered start; `now` for a job off the index)."""
    return from_millis(job.next_run_at or to_millis(now))


def scheduled_run(job: Job, now: datetime) -> tuple[datetime, datetime | None]:
    """The occurrence a due claim of `job` at `now` runs (history's scheduledAt) and the one after it.

    Occurrences missed while the tick was late are coalesced into this run; the jitter is no lateness."""
    due = due_start(job, now)
    # The nominal occurrence; `due` is its jittered start (domain/flow.py).
    occurrence = from_millis(job.next_occurrence_at or to_millis(due))
    late = max(now - due, timedelta(0))
    timing = job.timing()
    following = timing.next_at_or_after(occurrence + late + timedelta(milliseconds=1)) if timing.recurring else None
    return occurrence, following


def claim_with_start(
    deps: Deps, job: Job, running: Job, expect: Mapping[str, object], now: datetime, run_id: str, after_waiters: bool
) -> bool | Waiting:
    """Write the claim, and with a rate limit its start on a free place of the key's window, in one
    transaction: True when written, Waiting when the window is full, False when the job changed first.

    A claim refused while its key's window changed meanwhile lost only its place, not the job: it is tried
    again on the window as it is now (a refusal that left the window as read was the job's, or its slot's).
    """
    limit = job.rate_limit
    if limit is None:
        return deps.jobs.update(job, running, expect=expect, after_waiters=after_waiters)
    window = deps.jobs.rate_window(limit.key)
    for _ in range(WINDOW_RETRIES):
        start = rate.take(window, limit, to_millis(now), spread=int(run_id, 16))
        if not isinstance(start, rate.Take):
            return Waiting(limit.key, from_millis(start))
        if deps.jobs.update(job, running, expect=expect, take=start, after_waiters=after_waiters):
            return True
        moved = deps.jobs.rate_window(limit.key)
        if moved == window:
            return False
        window = moved
    return False


def refusal(deps: Deps, job: Job, after_waiters: bool) -> Refused:
    """Why a claim's write of `job` was refused. Without a concurrency key only the job itself can have
    changed. With one, a read of the key's counter tells a full key. A slot free by that read does not
    make a lost race: a finish may have let go of its slot between the claim and the read. So on that path
    (one more read) a job still as it was read was refused by its key: by a waiting job's mark for a claim
    `after_waiters`, else by a counter full at the claim (the finish that freed it wakes a pass, which
    claims the key's jobs in due order); only a job changed meanwhile lost a race. Taking such a refusal
    for a lost race let a tick pass claim the next job of the key ahead of this one."""
    key, limit = job.concurrency_key, job.concurrency_limit
    if key is None or limit is None:
        return Refused.LOST_RACE
    if deps.jobs.slots_held(key) >= limit:
        return Refused.SLOT_FULL
    current = deps.jobs.get(job.id)
    if current is None or current.version != job.version:
        return Refused.LOST_RACE
    return Refused.SLOT_QUEUED if after_waiters else Refused.SLOT_FULL


def claim_due(deps: Deps, job: Job, now: datetime, after_waiters: bool = False) -> Claimed:
    """Claim a due pending job: a retry of its current occurrence, or its next scheduled occurrence (one found
    past the job's catch-up window is skipped instead, and the first inside it claimed if due).

    The tick claims a concurrency key's due jobs in due order itself; a claimer that sees one job only (the
    API) claims `after_waiters`, so it takes no slot a job due before waits for."""
    if job.attempts:  # attempts used on this occurrence: the job waits for a retry
        return claim(
            deps,
            job,
            now=now,
            trigger="retry",
            attempt=job.attempts + 1,
            scheduled_at=from_millis_or_none(job.scheduled_at),
            next_occurrence=from_millis_or_none(job.next_occurrence_at),
            after_waiters=after_waiters,
        )
    due = due_start(job, now)
    # The nominal occurrence (history's scheduledAt); `due` is its jittered start (domain/flow.py).
    occurrence = from_millis(job.next_occurrence_at or to_millis(due))
    if flow.missed(job, due, now):  # past its catch-up window: recorded skipped, not run
        moved = skip_missed(deps, job, occurrence, due, now)
        if moved is None:
            return Refused.LOST_RACE
        if moved.status != JobStatus.PENDING or not due_by(moved, now):
            return Refused.NOT_DUE
        return claim_due(deps, moved, now, after_waiters)  # its first occurrence inside the window is due already
    occurrence, following = scheduled_run(job, now)
    return claim(
        deps,
        job,
        now=now,
        trigger="schedule",
        attempt=1,
        scheduled_at=occurrence,
        next_occurrence=following,
        after_waiters=after_waiters,
    )


def wait_for_slot(deps: Deps, job: Job, now: datetime) -> bool:
    """After a claim `after_waiters` of a due `job` was refused: mark its concurrency key as having a job
    waiting, so no later job's claim by the API passes it; True when a slot is free all the same (the
    refusal was another waiter's mark, maybe one since gone, or a race), so a tick pass must claim the key's
    waiters now, in due order (the caller wakes it). False for a job without a key."""
    key, limit = job.concurrency_key, job.concurrency_limit
    if key is None or limit is None:
        return False
    deps.jobs.mark_waiting(key, to_millis(now))
    return deps.jobs.slots_held(key) < limit


def due_by(job: Job, now: datetime) -> bool:
    """Whether the tick must look at `job` by `now`."""
    return job.next_run_at is not None and job.next_run_at <= to_millis(now)


def claim_manual(deps: Deps, job: Job, now: datetime) -> Claimed:
    """Claim an out-of-schedule run; a pending job keeps its next occurrence for afterwards."""
    keeps = job.next_occurrence_at if job.status == JobStatus.PENDING else None
    return claim(
        deps,
        job,
        now=now,
        trigger="manual",
        attempt=1,
        scheduled_at=now,
        next_occurrence=from_millis_or_none(keeps),
    )
