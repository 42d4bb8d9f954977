"""Listing pages through every job once, newest first, from the byStatus index (never a Scan), filtered by
name, with tokens no caller can forge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls
from serverless_jobs.settings import Settings


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
def many_jobs(api: ApiClient, clock: ManualClock) -> dict[str, str]:
    """120 jobs created a second apart, in order: 80 pending on a schedule, 40 paused, and 3 of each five
    cancelled out of the last 20. Returns id -> status, oldest first."""
    jobs = {}
    for number in range(120):
        clock.advance(1)
        job = api.post("/jobs", {"name": f"Job-{number}", "handler": "echo", "schedule": "1h"}).body
        if number >= 100 and number % 5 < 3:
            api.post(f"/jobs/{job['id']}/cancel")
            jobs[job["id"]] = "cancelled"
        elif number % 3 == 0:
            api.post(f"/jobs/{job['id']}/pause")
            jobs[job["id"]] = "paused"
        else:
            jobs[job["id"]] = "pending"
    return jobs


def test_pages_return_every_job_exactly_once_newest_first(api: ApiClient, many_jobs: dict[str, str]) -> None:
    with dynamodb_calls() as calls:
        ids, pages = collect(api, limit="50")

    assert ids == list(reversed(many_jobs))  # newest first across every status, each once
    assert pages == 3
    assert calls["Scan"] == 0  # every status's index merged: never a Scan of the table
    # One Query per status to start each page, and a few more as a status runs out of what was read.
    assert calls["Query"] <= pages * (6 + 4)


def test_a_page_reads_about_its_size_in_items(api: ApiClient, many_jobs: dict[str, str]) -> None:
    with dynamodb_calls() as calls:
        first = api.get("/jobs", limit="20").body

    assert len(first["jobs"]) == 20
    assert calls["ScannedCount"] <= 2 * 20 + 6  # not six statuses times the page size


def test_a_job_just_created_is_first(api: ApiClient, many_jobs: dict[str, str], clock: ManualClock) -> None:
    clock.advance(1)
    newest = api.post("/jobs", {"name": "just now", "handler": "echo", "runAt": "2099-01-01T00:00:00Z"}).body

    assert api.get("/jobs", limit="5").body["jobs"][0]["id"] == newest["id"]


def test_default_page_size_is_50(api: ApiClient, many_jobs: dict[str, str]) -> None:
    assert len(api.get("/jobs").body["jobs"]) == 50


@pytest.mark.parametrize("status", ["pending", "paused"])
def test_status_filter_pages_through_its_jobs_once_newest_first(
    api: ApiClient, many_jobs: dict[str, str], status: str
) -> None:
    with dynamodb_calls() as calls:
        ids, pages = collect(api, status=status, limit="7")

    assert ids == [job_id for job_id, state in reversed(many_jobs.items()) if state == status]
    assert (calls["Scan"], calls["Query"]) == (0, pages)  # served by the byStatus index


def test_a_status_with_no_jobs_is_an_empty_page(api: ApiClient, many_jobs: dict[str, str]) -> None:
    assert api.get("/jobs", status="failed").body == {"jobs": [], "nextToken": None}


def test_name_filter_is_a_case_insensitive_contains(api: ApiClient, many_jobs: dict[str, str]) -> None:
    names = {job_id: f"Job-{number}" for number, job_id in enumerate(many_jobs)}

    ids, _ = collect(api, name="B-1", limit="10")  # Job-1, Job-10..19, Job-100..119

    assert ids == [job_id for job_id in reversed(many_jobs) if "b-1" in names[job_id].lower()]
    assert len(ids) == 1 + 10 + 20


def test_name_filter_with_status_and_label(api: ApiClient, many_jobs: dict[str, str]) -> None:
    tagged = api.post("/jobs", {"name": "Nightly REPORT", "handler": "echo", "labels": {"team": "a"}}).body
    api.post("/jobs", {"name": "nightly backup", "handler": "echo", "labels": {"team": "a"}})

    assert [job["id"] for job in api.get("/jobs", name="report", label="team=a").body["jobs"]] == [tagged["id"]]
    states = list(many_jobs.values())
    paused = {job["name"] for job in api.get("/jobs", name="job-11", status="paused", limit="100").body["jobs"]}
    expected = {f"Job-{n}" for n in [11, *range(110, 120)] if states[n] == "paused"}
    assert paused == expected == {"Job-114"}


def test_a_rare_name_comes_back_in_short_pages_that_still_reach_it(api: ApiClient, many_jobs: dict[str, str]) -> None:
    """A filtered page reads at most ten times its size, so a name found once in 120 jobs takes a few pages."""
    pages_seen = []
    token: str | None = None
    while True:
        reply = api.get("/jobs", name="job-0", limit="2", **({"nextToken": token} if token else {})).body
        pages_seen.append(len(reply["jobs"]))
        token = reply["nextToken"]
        if token is None:
            break

    assert sum(pages_seen) == 1  # Job-0, the oldest: found once
    assert len(pages_seen) >= 120 // 20  # each page read at most 2 x 10 jobs: empty pages, with nextToken, first


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_a_bad_name_filter_is_a_400_naming_it(api: ApiClient, name: str) -> None:
    reply = api.get("/jobs", name=name)

    assert reply.status == 400
    assert "name" in reply.body["message"]


def _tamper(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def _resigned_with_public_key(token: str) -> str:
    """The old scheme's forgery: re-signing with the key made of the tables' public names."""
    settings = Settings.from_environment()
    key = f"serverless-jobs:{settings.jobs_table}:{settings.history_table}".encode()
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    body = json.dumps(json.loads(raw[16:])).encode()
    signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def test_garbage_tampered_forged_and_foreign_tokens_are_400(api: ApiClient, many_jobs: dict[str, str]) -> None:
    token = api.get("/jobs", limit="10").body["nextToken"]

    for query in (
        {"nextToken": "!!!"},
        {"nextToken": "bm90IGEgdG9rZW4"},
        {"nextToken": _tamper(token)},
        {"nextToken": token[:-4]},
        {"nextToken": _resigned_with_public_key(token)},
        {"status": "paused", "nextToken": token},  # a token from the unfiltered listing used for another query
        {"name": "job", "nextToken": token},
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
