"""Listing pages through every job once, by status without a Scan, with tokens that cannot be forged."""

from __future__ import annotations

import base64

import pytest

from devtools.api import ApiClient
from devtools.dynamo import dynamodb_calls


def collect(api: ApiClient, **query: str) -> tuple[list[str], int]:
    """Every id over all pages, and how many pages that took."""
    ids: list[str] = []
    pages = 0
    token: str | None = None
    while True:
        reply = api.get("/jobs", **query, **({"nextToken": token} if token else {}))
        assert reply.status == 200, reply.body
        pages += 1
        ids.extend(job["id"] for job in reply.body["jobs"])
        token = reply.body["nextToken"]
        if token is None:
            return ids, pages


@pytest.fixture
def many_jobs(api: ApiClient) -> dict[str, str]:
    """120 jobs: 80 pending on a schedule, 40 paused. Returns id -> status."""
    jobs = {}
    for number in range(120):
        job = api.post("/jobs", {"name": f"job-{number}", "handler": "echo", "schedule": "1h"}).body
        if number % 3 == 0:
            api.post(f"/jobs/{job['id']}/pause")
            jobs[job["id"]] = "paused"
        else:
            jobs[job["id"]] = "pending"
    return jobs


def test_pages_return_every_job_exactly_once(api: ApiClient, many_jobs: dict[str, str]) -> None:
    with dynamodb_calls() as calls:
        ids, pages = collect(api, limit="50")

    assert sorted(ids) == sorted(many_jobs)
    assert pages == 3
    assert calls["Scan"] == pages  # one bounded Scan page per request, never the whole table at once


def test_default_page_size_is_50(api: ApiClient, many_jobs: dict[str, str]) -> None:
    assert len(api.get("/jobs").body["jobs"]) == 50


@pytest.mark.parametrize("status", ["pending", "paused"])
def test_status_filter_pages_through_its_jobs_once_newest_first(
    api: ApiClient, many_jobs: dict[str, str], status: str
) -> None:
    with dynamodb_calls() as calls:
        ids, pages = collect(api, status=status, limit="7")

    assert sorted(ids) == sorted(job_id for job_id, state in many_jobs.items() if state == status)
    assert (calls["Scan"], calls["Query"]) == (0, pages)  # served by the byStatus index
    first_page = api.get("/jobs", status=status, limit="7").body["jobs"]
    created = [job["createdAt"] for job in first_page]
    assert created == sorted(created, reverse=True)


def test_a_status_with_no_jobs_is_an_empty_page(api: ApiClient, many_jobs: dict[str, str]) -> None:
    assert api.get("/jobs", status="failed").body == {"jobs": [], "nextToken": None}


def _tamper(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def test_garbage_tampered_and_foreign_tokens_are_400(api: ApiClient, many_jobs: dict[str, str]) -> None:
    token = api.get("/jobs", limit="10").body["nextToken"]
    history_token_query = {"status": "paused", "nextToken": token}

    for query in (
        {"nextToken": "!!!"},
        {"nextToken": "bm90IGEgdG9rZW4"},
        {"nextToken": _tamper(token)},
        {"nextToken": token[:-4]},
        history_token_query,  # a token from the unfiltered listing used for another query
    ):
        reply = api.get("/jobs", **query)
        assert reply.status == 400, (query, reply.body)
        assert reply.body["message"].startswith("nextToken:")


def test_history_rejects_a_token_from_another_job(api: ApiClient, many_jobs: dict[str, str]) -> None:
    token = api.get("/jobs", limit="10").body["nextToken"]
    job_id = next(iter(many_jobs))

    reply = api.get(f"/jobs/{job_id}/history", nextToken=token)

    assert reply.status == 400
    assert reply.body["message"].startswith("nextToken:")
