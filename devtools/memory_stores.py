"""JobStore and HistoryStore in memory: the DynamoDB adapters' contract without DynamoDB, for a fast tier.

Every write is checked as the DynamoDB adapters condition theirs (the version read, the expected fields, a
concurrency slot under its limit and no waiter ahead, a rate window's place still free, a key no live job
holds, a history entry still open) and then applied whole, or not at all: one lock stands for DynamoDB's
item-level atomicity and its transactions. Page keys have the DynamoDB adapters' shape, so a page token made
on one is read the same way on the other. tests/contract/ runs the same assertions on both adapters, so this
one cannot drift from the one deployed; it lives outside the Lambda layer, which never loads it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from serverless_jobs.domain.errors import KeyInUse
from serverless_jobs.domain.job import Job, JobStatus, Run, Upcoming
from serverless_jobs.domain.labels import Label
from serverless_jobs.domain.rate import Take, Window
from serverless_jobs.ports import OwedNotification, Page


def _sort_key(millis: int, item_id: str) -> str:
    """A group's or a job's history's sort key, as the DynamoDB tables write it (time first, then the id)."""
    return f"{millis:015d}#{item_id}"


T = TypeVar("T")


def _page_of(ordered: list[tuple[str, T]], limit: int, start: str | None) -> tuple[list[T], str | None]:
    """At most `limit` of `ordered` (sort key, item: descending) after `start`, and where the next page
    starts: the last one's sort key when more follow (as moto answers a Query), else None."""
    rest = [(key, item) for key, item in ordered if start is None or key < start]
    page = rest[:limit]
    return [item for _, item in page], page[-1][0] if len(rest) > limit else None


class MemoryHistoryStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()  # the job store's too: a run's finish writes both at once
        self._runs: dict[tuple[str, str], Run] = {}  # (job id, sort key) -> entry
        self._hand_offs: dict[tuple[str, str], int] = {}

    def get(self, job_id: str, claimed_at: int, run_id: str) -> Run | None:
        with self.lock:
            run = self._runs.get((job_id, _sort_key(claimed_at, run_id)))
            return copy.deepcopy(run)

    def record(self, run: Run) -> bool:
        with self.lock:
            if not self.is_open(run):
                return False
            self._put(run)
            return True

    def open(self, run: Run) -> bool:
        with self.lock:
            if self._runs.get(self._key(run)) is not None:
                return False
            self._put(run)
            return True

    def is_open(self, run: Run) -> bool:
        """Whether `run`'s entry may still be written: absent, or stored running (a run is closed once)."""
        stored = self._runs.get(self._key(run))
        return stored is None or stored.status == "running"

    def annotate(self, run: Run) -> bool:
        with self.lock:
            stored = self._runs.get(self._key(run))
            if stored is None or (stored.status, stored.completed_at) != (run.status, run.completed_at):
                return False
            self._put(run)
            return True

    def owed(self, now_millis: int, limit: int) -> list[OwedNotification]:
        with self.lock:
            owed = [
                OwedNotification(run.job_id, run.claimed_at, run.id, run.notify_at, self._hand_offs.get(key, 0))
                for key, run in self._runs.items()
                if run.notify_at is not None and run.notify_at <= now_millis
            ]
            return sorted(owed, key=lambda entry: entry.notify_at)[:limit]

    def postpone(self, owed: OwedNotification, until: int) -> bool:
        with self.lock:
            key = (owed.job_id, _sort_key(owed.claimed_at, owed.run_id))
            stored = self._runs.get(key)
            if stored is None or stored.notify_at != owed.notify_at:
                return False
            stored.notify_at = until
            self._hand_offs[key] = self._hand_offs.get(key, 0) + 1
            return True

    def page(self, job_id: str, limit: int, start: dict[str, Any] | None) -> Page[Run]:
        with self.lock:
            ordered = sorted(
                ((sort_key, run) for (owner, sort_key), run in self._runs.items() if owner == job_id), reverse=True
            )
            runs, last = _page_of(ordered, limit, None if start is None else start["runKey"]["S"])
            return Page(copy.deepcopy(runs), None if last is None else {"jobId": {"S": job_id}, "runKey": {"S": last}})

    def after(self, run: Run) -> dict[str, Any]:
        return {"jobId": {"S": run.job_id}, "runKey": {"S": _sort_key(run.claimed_at, run.id)}}

    def delete_all(self, job_id: str, has_time: Callable[[], bool]) -> None:
        with self.lock:
            for key in [key for key in self._runs if key[0] == job_id]:
                if not has_time():
                    break
                del self._runs[key]
                self._hand_offs.pop(key, None)

    def _put(self, run: Run) -> None:
        """Store `run` whole; as the DynamoDB adapter's whole-entry write, it clears the hand-off count."""
        key = self._key(run)
        self._runs[key] = copy.deepcopy(run)
        self._hand_offs.pop(key, None)

    @staticmethod
    def _key(run: Run) -> tuple[str, str]:
        return run.job_id, _sort_key(run.claimed_at, run.id)


class MemoryJobStore:
    def __init__(self, history: MemoryHistoryStore) -> None:
        self._history = history
        self._lock = history.lock
        self._jobs: dict[str, Job] = {}
        self._running: dict[str, int] = {}  # concurrency key -> runs holding a slot
        self._waiting: dict[str, int] = {}  # concurrency key -> when a job was last seen waiting (epoch ms)
        self._windows: dict[str, dict[int, int]] = {}  # rate-limit key -> place -> last start (epoch ms)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return copy.deepcopy(self._jobs.get(job_id))

    def insert(self, job: Job) -> bool:
        with self._lock:
            if job.id in self._jobs:
                return False
            self._check_key(job.key, job.id)
            job.version = 1 if job.version is None else job.version + 1
            self._jobs[job.id] = copy.deepcopy(job)
            return True

    def insert_many(self, jobs: Iterable[Job]) -> None:
        """Store jobs as they are, version included, unconditionally (as the DynamoDB adapter seeds a herd)."""
        with self._lock:
            for job in jobs:
                self._jobs[job.id] = copy.deepcopy(job)

    def update(
        self,
        before: Job,
        after: Job,
        expect: Mapping[str, object] | None = None,
        take: Take | None = None,
        after_waiters: bool = False,
    ) -> bool:
        with self._lock:
            if after.key is not None and after.key != before.key:
                self._check_key(after.key, after.id)
            stored = self._jobs.get(before.id)
            if stored is None or stored.version != before.version:
                return False
            if any(getattr(stored, name) != value for name, value in (expect or {}).items()):
                return False
            if not self._slot_free(before, after, after_waiters) or (take is not None and not self._place_free(take)):
                return False
            if take is not None:
                self._windows.setdefault(take.key, {})[take.place] = take.at
            self._write(before, after)
            return True

    def rate_window(self, key: str) -> Window:
        with self._lock:
            return dict(self._windows.get(key, {}))

    def slots_held(self, key: str) -> int:
        with self._lock:
            return self._running.get(key, 0)

    def mark_waiting(self, key: str, at: int) -> None:
        with self._lock:
            self._waiting[key] = at
            self._running.setdefault(key, 0)

    def clear_waiting(self, key: str, seen: int) -> None:
        with self._lock:
            if key in self._waiting and self._waiting[key] < seen:
                del self._waiting[key]

    def finish_run(self, before: Job, after: Job, *entries: Run) -> bool:
        with self._lock:
            stored = self._jobs.get(before.id)
            if stored is None or stored.version != before.version:
                return False
            if not all(self._history.is_open(entry) for entry in entries) or not self._slot_free(before, after):
                return False
            for entry in entries:
                self._history.record(entry)
            self._write(before, after)
            return True

    def delete(self, job: Job) -> bool:
        with self._lock:
            stored = self._jobs.get(job.id)
            if stored is None or stored.version != job.version:
                return False
            del self._jobs[job.id]
            held = _slot_of(job)
            if held is not None:
                self._running[held] -= 1
            return True

    def page(self, status: JobStatus, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        with self._lock:
            return self._page([job for job in self._jobs.values() if job.status == status], limit, start, None)

    def labelled(self, label: Label, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        with self._lock:
            return self._page([job for job in self._jobs.values() if label.on(job.labels)], limit, start, label)

    def keyed(self, key: str) -> Job | None:
        with self._lock:
            return copy.deepcopy(next((job for job in self._jobs.values() if job.key == key), None))

    def after(self, label: Label | None, job: Job) -> dict[str, Any]:
        if label is None:  # the byStatus index's key, with the table's
            return {"status": {"S": job.status.value}, "createdAt": {"N": str(job.created_at)}, "id": {"S": job.id}}
        return {"label": {"S": label.text()}, "jobKey": {"S": _sort_key(job.created_at, job.id)}}

    def soonest(self, shard: str, limit: int) -> list[Job]:
        with self._lock:
            return self._due_index(shard)[:limit]

    def due(self, shard: str, now_millis: int, limit: int | None = None) -> list[Job]:
        with self._lock:
            due = [
                job
                for job in self._due_index(shard)
                if job.next_run_at is not None and job.next_run_at <= now_millis and not _leased(job, now_millis)
            ]
            return due if limit is None else due[:limit]

    def due_after(self, shard: str, after_millis: int, limit: int) -> list[Upcoming]:
        with self._lock:
            later = [job for job in self._due_index(shard) if (job.next_run_at or 0) > after_millis][:limit]
            return [Upcoming.of(job) for job in later]

    def _due_index(self, shard: str) -> list[Job]:
        """The jobs of `shard` in the sparse `due` index (both keys present), soonest first."""
        indexed = [job for job in self._jobs.values() if job.due_shard == shard and job.next_run_at is not None]
        return copy.deepcopy(sorted(indexed, key=lambda job: (job.next_run_at or 0, job.id)))

    def _page(self, jobs: list[Job], limit: int, start: dict[str, Any] | None, label: Label | None) -> Page[Job]:
        """A page of `jobs`, newest first, with the page key the DynamoDB adapter would give (`after`)."""
        ordered = sorted(((_sort_key(job.created_at, job.id), job) for job in jobs), key=lambda pair: pair[0])
        ordered.reverse()
        resume = None if start is None else self._sort_key_of(start)
        page, last = _page_of(ordered, limit, resume)
        return Page(copy.deepcopy(page), None if last is None else self.after(label, page[-1]))

    @staticmethod
    def _sort_key_of(start: dict[str, Any]) -> str:
        if "jobKey" in start:
            return str(start["jobKey"]["S"])
        return _sort_key(int(start["createdAt"]["N"]), str(start["id"]["S"]))

    def _check_key(self, key: str | None, job_id: str) -> None:
        """KeyInUse when another job holds `key`."""
        holder = next((job.id for job in self._jobs.values() if key is not None and job.key == key), None)
        if holder is not None and holder != job_id:
            raise KeyInUse(key or "", holder)

    def _slot_free(self, before: Job, after: Job, after_waiters: bool = False) -> bool:
        """Whether `after` may take the slot it holds (a new claim: under the limit, no waiter ahead if
        `after_waiters`); a run already out keeps running, and letting a slot go is never refused."""
        held, holds = _slot_of(before), _slot_of(after)
        if holds is None or holds == held or before.run_id is not None:
            return True
        if after_waiters and holds in self._waiting:
            return False
        return holds not in self._running or self._running[holds] < (after.concurrency_limit or 0)

    def _place_free(self, take: Take) -> bool:
        """Whether `take`'s place is unused, or its last start at least a period before `take.at`."""
        last = self._windows.get(take.key, {}).get(take.place)
        return last is None or last <= take.at - take.period_ms

    def _write(self, before: Job, after: Job) -> None:
        """Store `after` on a new version and move the slot counters (the checks are done)."""
        held, holds = _slot_of(before), _slot_of(after)
        if held != holds:
            if held is not None:
                self._running[held] = self._running.get(held, 0) - 1
            if holds is not None:
                self._running[holds] = self._running.get(holds, 0) + 1
        after.version = (before.version or 0) + 1
        self._jobs[after.id] = copy.deepcopy(after)


def _slot_of(job: Job) -> str | None:
    """The concurrency key whose slot `job` holds: its key while it holds a run, else None."""
    return job.concurrency_key if job.run_id is not None else None


def _leased(job: Job, now_millis: int) -> bool:
    """Whether the `due` query's filter leaves `job` out: a run still within its `leaseUntil`."""
    return job.run_id is not None and job.lease_until is not None and job.lease_until > now_millis
