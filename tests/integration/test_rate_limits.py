"""`rateLimit: {key, limit, periodSeconds}`: at most `limit` run starts of the jobs sharing a key in any
`periodSeconds`, across the fleet, as a sliding window (DESIGN §9 "Rate limits").

A start is a claim (scheduled, retry or manual): it writes its time on a free place of the key's window in
the claim's own transaction. A due job finding no free place stays due, and the tick passes again when the
oldest start leaves the window: not sooner (no spinning), not later (no waiting for the next minute).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from devtools.stack import Stack
from serverless_jobs.domain.timefmt import from_millis, iso_z

KEY = "partner-api"


def limited(limit: int, period: int, key: str = KEY) -> dict[str, Any]:
    return {"rateLimit": {"key": key, "limit": limit, "periodSeconds": period}}


def create_herd(stack: Stack, count: int, limit: int, period: int, key: str = KEY, **fields: Any) -> list[str]:
    """`count` jobs sharing `key`; without `runAt` each is due now and the API starts it if the key allows."""
    return [stack.create(**limited(limit, period, key), timeoutSeconds=30, **fields)["id"] for _ in range(count)]


def starts(stack: Stack, job_ids: Iterable[str]) -> list[int]:
    """Every start (claim) of the jobs, as epoch ms, from their history and their runs still out."""
    history = stack.deps().history
    claimed: set[tuple[str, int]] = set()
    for job_id in job_ids:
        claimed |= {(run.id, run.claimed_at) for run in history.page(job_id, 100, None).items if run.attempt > 0}
        job = stack.jobs.get(job_id)
        if job is not None and job.run_id is not None and job.last_run_at is not None:
            claimed.add((job.run_id, job.last_run_at))
    return sorted(at for _, at in claimed)


def most_in_any_window(times: list[int], period: int) -> int:
    """The most starts that any half-open interval of `period` seconds holds."""
    return max((sum(1 for other in times if start <= other < start + period * 1000) for start in times), default=0)


def statuses(stack: Stack, job_ids: Iterable[str]) -> list[str]:
    return [stack.job(job_id)["status"] for job_id in job_ids]


def test_a_key_with_limit_2_starts_two_of_three_due_jobs_then_the_third_as_the_oldest_start_leaves(
    stack: Stack,
) -> None:
    job_ids = create_herd(stack, 3, limit=2, period=60)
    assert statuses(stack, job_ids) == ["running", "running", "pending"]
    first_start = starts(stack, job_ids)[0]
    stack.deliver()

    stack.clock.advance(30)
    assert stack.tick()["dispatched"] == 0  # finished or not, both starts are in the window
    report = stack.tick(remaining_millis=65_000)  # a whole minute's invocation: sleeps until the place frees
    assert report["dispatched"] == 1
    assert report["passes"] == 2  # no spinning: one pass now, one when the oldest start leaves the window
    assert stack.job(job_ids[2])["status"] == "running"
    assert starts(stack, job_ids)[-1] == first_start + 60_000  # to the millisecond, not at the next minute


def test_the_field_is_shown_changed_and_cleared_and_bad_values_are_400s_naming_the_field(stack: Stack) -> None:
    job = stack.create(**limited(5, 60), schedule="0 3 * * *")
    assert job["rateLimit"] == {"key": KEY, "limit": 5, "periodSeconds": 60}

    refused: list[tuple[Any, str]] = [
        ({"key": KEY, "limit": 0, "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": 1001, "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": "5", "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": 5, "periodSeconds": 0}, "rateLimit.periodSeconds"),
        ({"key": KEY, "limit": 5, "periodSeconds": 86_401}, "rateLimit.periodSeconds"),
        ({"key": "no spaces", "limit": 5, "periodSeconds": 60}, "rateLimit.key"),
        ({"limit": 5, "periodSeconds": 60}, "rateLimit.key"),
        ({"key": KEY, "limit": 5, "periodSeconds": 60, "burst": 2}, "rateLimit.burst"),
        ("5/minute", "rateLimit"),
    ]
    for value, named in refused:
        reply = stack.api.post("/jobs", {"name": "job", "handler": "echo", "rateLimit": value})
        assert reply.status == 400, value
        assert reply.body["message"].startswith(named), reply.body
        reply = stack.api.put(f"/jobs/{job['id']}", {"rateLimit": value})
        assert reply.status == 400, value
        assert reply.body["message"].startswith(named), reply.body
    assert stack.job(job["id"]) == job

    changed = stack.api.put(f"/jobs/{job['id']}", limited(2, 3600, "other")).body
    assert changed["rateLimit"] == {"key": "other", "limit": 2, "periodSeconds": 3600}
    cleared = stack.api.put(f"/jobs/{job['id']}", {"rateLimit": None}).body
    assert cleared["rateLimit"] is None
    assert stack.job(job["id"])["rateLimit"] is None
