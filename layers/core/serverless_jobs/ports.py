"""What the use cases need from the world, as interfaces: storage, dispatch, the runner switch, wakes, time.

Each has one production adapter in `adapters/` (DynamoDB, Lambda, EventBridge); the local stack and the
tests swap in their own where AWS has no local stand-in (a worker pool for Lambda, a manual clock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from serverless_jobs.domain.job import Job, JobStatus, Run, RunRequest, Upcoming
from serverless_jobs.domain.labels import Label
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.rate import Take, Window
from serverless_jobs.domain.targets import Target

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    last_key: dict[str, Any] | None  # where the next page starts; None on the last page


@dataclass(frozen=True)
class OwedNotification:
    """A closed run whose notification is owed, as the owed index names it: its entry's keys, when the
    tick is to hand it to the executor (again), and how often the tick has so far."""

    job_id: str
    claimed_at: int
    run_id: str
    notify_at: int
    hand_offs: int = 0


class JobStore(Protocol):
    """Jobs, every write conditioned on the version read, so no writer overwrites a change it did not see."""

    def get(self, job_id: str) -> Job | None:
        """The job as stored now (a consistent read), or None."""
        ...

    def insert(self, job: Job) -> bool:
        """Store a new job; False when a job with its id exists already."""
        ...

    def update(
        self,
        before: Job,
        after: Job,
        expect: Mapping[str, object] | None = None,
        take: Take | None = None,
        after_waiters: bool = False,
    ) -> bool:
        """Write the fields where `after` differs from `before`, in one conditional write (with the label
        memberships, the concurrency slot and the rate-limit start `take` in one transaction when any of them
        moves).

        Only if the stored job is still at `before.version`, each field of `expect` (a Job attribute)
        still holds its value (None: absent) and the place `take` writes is still free. False when another
        writer got there first. On success `after.version` is the stored job's new version. A claim
        `after_waiters` takes a slot only while no job of its key is marked waiting for one.
        """
        ...

    def rate_window(self, key: str) -> Window:
        """The starts recorded in a rate-limit key's window, by place (a consistent read; empty if none)."""
        ...

    def slots_held(self, key: str) -> int:
        """How many runs hold a slot of concurrency key `key` now (a consistent read; 0 if none)."""
        ...

    def mark_waiting(self, key: str, at: int) -> None:
        """Mark concurrency key `key` as having a job waiting for a slot, seen so at `at` (epoch ms)."""
        ...

    def clear_waiting(self, key: str, seen: int) -> None:
        """Take away the mark of `key` if it was made before `seen` (epoch ms): no job marked it since."""
        ...

    def finish_run(self, before: Job, after: Job, *entries: Run) -> bool:
        """Write the job's update (as `update`, on `before.version`) and `entries`, closed history entries
        (each as `HistoryStore.record`: the run's own, a `skipped` one), in one transaction: all or none.

        False, with nothing written, when a condition failed (the job changed, an entry was closed
        already) or the transaction was cancelled by a concurrent write.
        """
        ...

    def delete(self, job: Job) -> bool:
        """Delete the job if it is still at `job.version`; False when another writer got there first."""
        ...

    def page(self, status: JobStatus, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        """A page of at most `limit` jobs in `status`, newest first (by `created_at`), from its index."""
        ...

    def labelled(self, label: Label, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        """A page of the jobs carrying `label`, newest first, from the label's group (no Scan).

        At most `limit` memberships are read; a job that changed or went between the group's read and its
        own is left out, so a page may be short.
        """
        ...

    def keyed(self, key: str) -> Job | None:
        """The job holding `key`, from its reservation (two consistent reads, no Scan), or None."""
        ...

    def after(self, label: Label | None, job: Job) -> dict[str, Any]:
        """Where a listing resumes right after `job`: a page key, as `Page.last_key`, of `labelled` with
        `label`, or of `page` (the job's status) without."""
        ...

    def soonest(self, shard: str, limit: int) -> list[Job]:
        """Up to `limit` jobs of one shard of the `due` index, soonest `next_run_at` first, due or not."""
        ...

    def due(self, shard: str, now_millis: int, limit: int | None = None) -> list[Job]:
        """Jobs of one shard of the `due` index whose `next_run_at` has come (at most `limit`, soonest
        first), but those holding a run whose `lease_until` is after `now_millis` (a run within its lease:
        the claim leaves its key at the occurrence). Candidates only: eventually consistent, to be claimed
        with a conditional write."""
        ...

    def due_after(self, shard: str, after_millis: int, limit: int) -> list[Upcoming]:
        """Up to `limit` jobs of one shard of the `due` index whose `next_run_at` is after `after_millis`,
        soonest first (one Query, of the three attributes `Upcoming` holds): where the tick's next passes are
        needed, and whether a write alarmed each (usecases.wake). Eventually consistent."""
        ...


class HistoryStore(Protocol):
    def record(self, run: Run) -> bool:
        """Write a history entry as it stands now, unless the stored one is closed already; False then.

        A run is closed once: whoever closes it first (the executor, or the tick for a lost run) decides how
        it ended, and the job's finish follows that entry.
        """
        ...

    def get(self, job_id: str, claimed_at: int, run_id: str) -> Run | None:
        """One run's entry (a consistent read), or None if it was never written."""
        ...

    def open(self, run: Run) -> bool:
        """Write `run`'s entry as it begins, only if it has none yet; False when it has one: a duplicate
        delivery of the run opened it, or the tick closed it as lost. Exactly one executor opens a run (a
        write botocore retries after a lost answer still counts as the first)."""
        ...

    def annotate(self, run: Run) -> bool:
        """Rewrite a closed entry as `run` now stands (its `notification`), only while it is stored closed
        as `run` says; False otherwise (deleted with its job). Never reopens or changes how a run ended."""
        ...

    def owed(self, now_millis: int, limit: int) -> list[OwedNotification]:
        """Up to `limit` runs whose notification is owed and whose `notify_at` has come by `now_millis`,
        soonest first: one Query of a sparse index, eventually consistent, so candidates to `postpone`."""
        ...

    def postpone(self, owed: OwedNotification, until: int) -> bool:
        """Move an owed notification's `notify_at` to `until` and count a hand-off, only while it is still
        owed as `owed` says (one conditional write); False when it was sent or given up meanwhile, or
        another tick took it."""
        ...

    def page(self, job_id: str, limit: int, start: dict[str, Any] | None) -> Page[Run]:
        """A page of a job's runs, newest first."""
        ...

    def after(self, run: Run) -> dict[str, Any]:
        """Where a `page` of its job's runs resumes right after `run`: a page key, as `Page.last_key`."""
        ...

    def delete_all(self, job_id: str, has_time: Callable[[], bool]) -> None:
        """Delete a job's runs for as long as `has_time()`; what is left is unreachable and expires by TTL."""
        ...


class Dispatcher(Protocol):
    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        """Start every run without waiting for it; return the runs that certainly will not start.

        A run whose fate is unknown (the call timed out after sending) is not returned: it may be running,
        and if it is not, its lease expires and the tick recovers it.
        """
        ...


class TargetSender(Protocol):
    """Sends a run of a job with a `target` where the target points: one adapter per target type."""

    def send(
        self, target: Target, data: dict[str, Any], run: RunRequest, timeout_seconds: float
    ) -> tuple[Outcome, Any]:
        """Deliver the job's `data` for `run`; how it went (`Outcome.retryable` False for a failure another
        attempt cannot mend) and the result to record. Never raises: a failure is an outcome. Gives up after
        about `timeout_seconds` (the executor also stops waiting then)."""


class NotificationHandOff(Protocol):
    def hand_off(self, job_id: str, run_id: str, claimed_at: int) -> bool:
        """Have the executor send the owed notification of a closed run (closed by a function that cannot
        reach the job's notify targets: the tick, for a lost or refused run; or owed still, its sender
        lost), without waiting for it; False when Lambda certainly will not. Never raises."""
        ...


class ShardDispatcher(Protocol):
    def hand_off(self, shard: str, due_by: datetime) -> bool:
        """Have another invocation serve the jobs of `shard` due by `due_by`, without waiting for it;
        False when it certainly will not (the jobs stay due for a later pass). Never raises."""
        ...


class RunnerSwitch(Protocol):
    """The tick's on/off switch."""

    def is_running(self) -> bool: ...

    def start(self) -> bool: ...

    def stop(self) -> bool: ...


class Waker(Protocol):
    """Wakes the tick for a job a write made due before the next minute's tick, which the tick asleep (or
    ended) would otherwise find late."""

    def wake(self, due_at: datetime) -> None:
        """Have a tick pass look ahead soon, so it is awake at `due_at`; never raises (the write is done)."""
        ...


@dataclass(frozen=True)
class Alarm:
    """A timer message (decision 0075): a pass over `shards` of the `due` index at `at`, and up to `until`
    the pass sets the next alarm on each of them (epoch ms both; `until` at or before `at`: no next one)."""

    at: int
    shards: tuple[str, ...]
    until: int
    delay_seconds: int = 0  # how long the queue keeps it hidden: whole seconds, so it shows up to 1 s early


class Timer(Protocol):
    """The SQS timer: alarms the dispatch function hears about when they are due, no invocation waiting."""

    def set(self, alarms: Sequence[Alarm]) -> list[Alarm]:
        """Send every alarm, each hidden for its `delay_seconds`; the alarms certainly not sent (never
        raises: the jobs stay in the `due` index, and the minute's tick claims them)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...
