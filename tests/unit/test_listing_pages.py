"""Paging reaches every job once, newest first, whatever cuts a page short: the size budget at any item, many
jobs created in the same millisecond, a filter that keeps few. The store is a stand-in with DynamoDB's
index order and resume-after-key semantics, so the merge and cursors are tested alone."""

from __future__ import annotations

import random
from typing import Any

import pytest

from serverless_jobs.domain.job import Job, JobStatus
from serverless_jobs.ports import Page
from serverless_jobs.usecases.listing import JobQuery, list_jobs


def job(number: int, status: JobStatus, created_at: int) -> Job:
    return Job(
        id=f"{number:04d}",
        name=f"Job {number}",
        handler="echo",
        status=status,
        max_attempts=1,
        retry_backoff_seconds=0,
        timeout_seconds=60,
        created_at=created_at,
        updated_at=created_at,
    )


class IndexedJobs:
    """The byStatus index: per status, (createdAt, id) descending; a Query resumes right after its key."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.queries = 0

    def page(self, status: JobStatus, limit: int, start: dict[str, Any] | None) -> Page[Job]:
        self.queries += 1
        ordered = sorted((job for job in self.jobs if job.status == status), key=_order, reverse=True)
        if start is not None:
            after = (int(start["createdAt"]["N"]), start["id"]["S"])
            ordered = [job for job in ordered if _order(job) < after]
        items = ordered[:limit]
        return Page(items, self.after(None, items[-1]) if len(ordered) > limit else None)

    def after(self, label: object, job: Job) -> dict[str, Any]:
        return {"status": {"S": job.status.value}, "createdAt": {"N": str(job.created_at)}, "id": {"S": job.id}}


def _order(job: Job) -> tuple[int, str]:
    return job.created_at, job.id


def every_page(store: IndexedJobs, query: JobQuery, limit: int, room: random.Random) -> list[list[Job]]:
    pages: list[list[Job]] = []
    cursor = None
    while True:
        budget = room.randint(1, limit)  # the answer is "full" after this many items

        def fits(item: Job, taken: list[int] = [0], budget: int = budget) -> bool:  # noqa: B006
            taken[0] += 1
            return taken[0] <= budget

        page = list_jobs(store, query, limit, cursor, fits)  # type: ignore[arg-type]
        pages.append(page.items)
        assert len(pages) < 10_000, "paging does not end"
        cursor = page.last_key
        if cursor is None:
            return pages


@pytest.mark.parametrize("seed", range(12))
def test_merged_listing_is_newest_first_and_each_job_once_under_any_cuts(seed: int) -> None:
    draw = random.Random(seed)
    jobs = [job(number, draw.choice(list(JobStatus)), draw.randint(1, 30)) for number in range(200)]
    store = IndexedJobs(jobs)

    pages = every_page(store, JobQuery(), draw.randint(1, 40), draw)
    listed = [item.id for page in pages for item in page]

    assert sorted(listed) == sorted(item.id for item in jobs)  # every job, each once
    created = {item.id: item.created_at for item in jobs}
    assert [created[item] for item in listed] == sorted(created.values(), reverse=True)  # newest first
    assert all(page for page in pages[:-1])  # only the last page may be empty: nothing is filtered


@pytest.mark.parametrize("seed", range(6))
def test_a_name_filter_reaches_each_match_once_in_short_pages(seed: int) -> None:
    draw = random.Random(seed)
    jobs = [job(number, draw.choice(list(JobStatus)), draw.randint(1, 50)) for number in range(300)]
    store = IndexedJobs(jobs)

    pages = every_page(store, JobQuery(name="JOB 1"), 3, draw)
    listed = [item.id for page in pages for item in page]

    assert sorted(listed) == sorted(item.id for item in jobs if "job 1" in item.name.lower())


def test_a_page_reads_about_its_size_not_six_times_it() -> None:
    jobs = [job(number, JobStatus.COMPLETED, number) for number in range(500)]
    jobs += [job(1000 + number, status, 1) for number, status in enumerate(JobStatus)]
    store = IndexedJobs(jobs)

    page = list_jobs(store, JobQuery(), 60, None, lambda item: True)  # type: ignore[arg-type]

    assert [item.created_at for item in page.items] == list(range(499, 439, -1))
    assert store.queries <= len(JobStatus) + 2
