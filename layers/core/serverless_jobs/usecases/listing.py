"""Listings page by page: jobs newest first, runs newest first, in pages that stop where the answer is full.

A page ends at `limit` items, when the answer has no room for the next item (`fits`, the caller's measure
of its answer), or, filtered, after reading `_FILTERED_READS` times `limit` items; its cursor then resumes
right after the last item the page went past, so paging reaches every item once whatever cut a page short.

Jobs come from one index read newest first: a status's (`byStatus`), a label's group, or, with neither, every
status's index merged newest first (`_Merged`), its cursor holding where each status's index resumes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from serverless_jobs.domain.job import Job, JobStatus, Run
from serverless_jobs.domain.labels import Label
from serverless_jobs.ports import HistoryStore, JobStore, Page

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Cursor = dict[str, Any]
# Whether the answer has room for one more item (the first always goes in: a page holds one item at least).
Fits = Callable[[T], bool]

# How many times `limit` items a filtered page reads at most: it may come back short (even empty), never slow.
_FILTERED_READS = 10
# Items a filtered listing reads per Query after its first (at most its reads): a small `limit` would
# otherwise take one Query per couple of items.
_FILTERED_CHUNK = 25
# A status whose index the merged listing has read to its end, as its place in the cursor.
_DONE: Cursor = {"done": {"N": "1"}}


@dataclass(frozen=True)
class JobQuery:
    """Which jobs a listing shows: in `status`, carrying `label`, with `name` in their name (any case)."""

    status: JobStatus | None = None
    label: Label | None = None
    name: str | None = None

    def keeps(self, job: Job) -> bool:
        """Whether `job` is one to show, beyond what the index read holds already."""
        if self.label is not None and self.status is not None and job.status != self.status:
            return False
        return self.name is None or self.name.casefold() in job.name.casefold()

    def shows(self, job: Job) -> bool:
        """Whether `job`, read outside any index (by its key), is one this query selects."""
        in_status = self.status is None or job.status == self.status
        return in_status and (self.label is None or self.label.on(job.labels)) and self.keeps(job)

    @property
    def filtered(self) -> bool:
        """Whether the index read holds jobs this query leaves out (a page may then come back short)."""
        return self.name is not None or (self.label is not None and self.status is not None)


class _Source(Protocol[T_co]):
    def take(self) -> tuple[T_co, Cursor] | None:
        """The next item and the cursor right after it; None at the end."""
        ...

    def done(self) -> bool:
        """Whether nothing follows what was taken, known without another read."""
        ...


class _Index(Generic[T]):
    """One index read newest first as it is consumed: `first` items at the first read, `then` at each next."""

    def __init__(
        self,
        read: Callable[[int, Cursor | None], Page[T]],
        after: Callable[[T], Cursor],
        start: Cursor | None,
        first: int,
        then: int,
    ) -> None:
        self._read, self._after = read, after
        self._key, self._size, self._then = start, first, then
        self._buffer: deque[T] = deque()
        self._more = True

    def head(self) -> T | None:
        while not self._buffer and self._more:
            page = self._read(self._size, self._key)
            self._buffer.extend(page.items)
            self._key, self._more, self._size = page.last_key, page.last_key is not None, self._then
        return self._buffer[0] if self._buffer else None

    def take(self) -> tuple[T, Cursor] | None:
        item = self.head()
        if item is None:
            return None
        self._buffer.popleft()
        return item, self._after(item)

    def done(self) -> bool:
        return not self._buffer and not self._more


class _Merged:
    """Every status's index merged newest first (by `createdAt`; a tie goes to the status listed first).

    Each status's index is read from its own place in the cursor: one Query each to start, about `limit`
    over six items, and another as a status runs out of read items; what was read but not shown is read
    again by the next page.
    """

    def __init__(self, jobs: JobStore, start: Cursor | None, limit: int, then: int) -> None:
        places = dict(start or {})
        first = math.ceil(limit / len(JobStatus))
        self._cursor: Cursor = places
        self._indexes = {
            status: _status_index(jobs, status, places.get(status.value), first, then)
            for status in JobStatus
            if places.get(status.value) != _DONE
        }

    def take(self) -> tuple[Job, Cursor] | None:
        heads = [(job, status) for status, index in self._indexes.items() if (job := index.head()) is not None]
        if not heads:
            return None
        _, status = max(heads, key=lambda head: head[0].created_at)  # max keeps the first of equals
        index = self._indexes[status]
        taken = index.take()
        assert taken is not None  # its head was just read
        job, after = taken
        self._cursor = {**self._cursor, status.value: _DONE if index.done() else after}
        return job, self._cursor

    def done(self) -> bool:
        return all(index.done() for index in self._indexes.values())


def _status_index(jobs: JobStore, status: JobStatus, start: Cursor | None, first: int, then: int) -> _Index[Job]:
    def read(size: int, key: Cursor | None) -> Page[Job]:
        return jobs.page(status, size, key)

    return _Index(read, lambda job: jobs.after(None, job), start, first, then)


def _page(source: _Source[T], keeps: Callable[[T], bool], limit: int, reads: int | None, fits: Fits[T]) -> Page[T]:
    """Up to `limit` items of `source` that `keeps` keeps and the answer `fits`, reading at most `reads`."""
    found: list[T] = []
    cursor: Cursor | None = None
    read = 0
    while (taken := source.take()) is not None:
        item, after = taken
        read += 1
        if keeps(item):
            if found and not fits(item):
                return Page(found, cursor)  # resumes at this item, which the answer had no room for
            if not found:
                fits(item)  # the first item goes in whatever its size, so every page moves on
            found.append(item)
        cursor = after
        if len(found) >= limit or (reads is not None and read >= reads):
            return Page(found, None if source.done() else cursor)
    return Page(found, None)


def list_jobs(jobs: JobStore, query: JobQuery, limit: int, start: Cursor | None, fits: Fits[Job]) -> Page[Job]:
    """A page of the jobs `query` selects, newest first, from `start` (a cursor of this same query)."""
    reads = _FILTERED_READS * limit if query.filtered else None
    then = limit if reads is None else min(reads, max(limit, _FILTERED_CHUNK))
    source: _Source[Job]
    if query.label is not None:
        label: Label = query.label
        source = _Index(
            lambda size, key: jobs.labelled(label, size, key), lambda job: jobs.after(label, job), start, limit, then
        )
    elif query.status is not None:
        source = _status_index(jobs, query.status, start, limit, then)
    else:
        source = _Merged(jobs, start, limit, then)
    return _page(source, query.keeps, limit, reads, fits)


def list_runs(history: HistoryStore, job_id: str, limit: int, start: Cursor | None, fits: Fits[Run]) -> Page[Run]:
    """A page of a job's runs, newest first, from `start`."""
    source = _Index(lambda size, key: history.page(job_id, size, key), history.after, start, limit, limit)
    return _page(source, lambda run: True, limit, None, fits)
