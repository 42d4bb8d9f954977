"""Every answer fits Lambda's 6 MB response limit, counted as Lambda serializes it, whatever the jobs hold.

The jobs and runs here carry the worst data the limits allow: `data` at its 256 KB limit of the text that
grows most once escaped (quotes, control characters) or is widest in UTF-8 (é, emoji, U+2028), run results at
their limit, errors at theirs, http targets with every header at its longest. Pages stop at a size budget
with a nextToken, and paging still reaches every item exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.api import ApiClient, Reply
from devtools.clock import ManualClock
from devtools.functions import LambdaHandler
from serverless_jobs.adapters.dynamodb.history_store import DynamoHistoryStore
from serverless_jobs.domain import jsonvalue
from serverless_jobs.domain.job import Run
from serverless_jobs.domain.results import ERROR_LIMIT_CHARS, RESULT_LIMIT_BYTES
from serverless_jobs.domain.targets import MAX_HEADER_VALUE_LENGTH, MAX_HEADERS
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.http import views
from serverless_jobs.http.answer_size import LAMBDA_RESPONSE_LIMIT, PAGE_BUDGET
from serverless_jobs.http.schemas import MAX_DATA_BYTES
from serverless_jobs.settings import Settings

# What grows most once escaped in the proxy response (`"` and `\\` double), widest in UTF-8 (emoji), the
# control characters (six bytes stored, seven sent), and what an ASCII-escaping body would blow up (é).
WORST_TEXT = ['"', "\\", "\x01", "é", "😀", "\u2028", "\n"]


def lambda_serialized_size(response: dict[str, Any]) -> int:
    """The response's size as the python3.13 runtime sends it: simplejson, ensure_ascii=False (which escapes
    what the standard library's json does: awslambdaric/lambda_runtime_marshaller.py)."""
    return len(json.dumps(response, ensure_ascii=False).encode())


def largest_text(character: str, limit: int, wrap: Callable[[str], Any] = lambda text: text) -> str:
    """`character * n` with the largest n whose stored JSON (as `wrap` places it) is within `limit` bytes."""
    low, high = 1, limit
    while low < high:
        middle = (low + high + 1) // 2
        if len(jsonvalue.compact(wrap(character * middle)).encode()) <= limit:
            low = middle
        else:
            high = middle - 1
    return character * low


def largest_data(character: str) -> dict[str, Any]:
    """`{"text": character * n}` with the largest n whose stored JSON is within the data limit."""
    return {"text": largest_text(character, MAX_DATA_BYTES, lambda text: {"text": text})}


class Measured:
    """The API's handler, every response's serialized size kept."""

    def __init__(self, handler: LambdaHandler) -> None:
        self.handler = handler
        self.sizes: list[int] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = self.handler(event, context)
        self.sizes.append(lambda_serialized_size(response))
        return response


@pytest.fixture
def measured(api: ApiClient) -> Measured:
    handler = Measured(api.handler)
    api.handler = handler
    return handler


def pages(api: ApiClient, path: str, field: str, **query: str) -> Iterator[Reply]:
    token: str | None = None
    while True:
        reply = api.get(path, **query, **({"nextToken": token} if token else {}))
        assert reply.status == 200, reply.body
        yield reply
        token = reply.body["nextToken"]
        if token is None:
            return


@pytest.fixture
def heavy_jobs(api: ApiClient, clock: ManualClock) -> list[str]:
    """Five jobs of each worst text, each at the data limit, labelled; ids oldest first."""
    ids = []
    for character in WORST_TEXT * 5:
        clock.advance(1)
        body = {"name": '"' * 200, "handler": "echo", "schedule": "1h", "labels": {"load": "heavy"}}
        reply = api.post("/jobs", {**body, "data": largest_data(character)})
        assert reply.status == 201, reply.body
        ids.append(reply.body["id"])
    return ids


@pytest.mark.parametrize("query", [{}, {"status": "pending"}, {"label": "load=heavy"}, {"name": '"'}])
def test_every_listing_page_fits_and_paging_reaches_every_job_once(
    api: ApiClient, measured: Measured, heavy_jobs: list[str], query: dict[str, str]
) -> None:
    listed = [reply.body["jobs"] for reply in pages(api, "/jobs", "jobs", limit="100", **query)]

    assert [job["id"] for page in listed for job in page] == list(reversed(heavy_jobs))
    assert len(listed) > 2  # the size budget, not the limit of 100, ended the pages
    assert all(listed)  # every page holds a job at least
    assert max(measured.sizes) < LAMBDA_RESPONSE_LIMIT
    assert max(measured.sizes) > LAMBDA_RESPONSE_LIMIT // 2  # pages are filled, not cut early


def test_each_worst_job_alone_fits_in_every_single_answer(api: ApiClient, measured: Measured) -> None:
    """The largest job the limits allow: data, name, labels and three http targets with every header full."""
    headers = {f"X-H{number}": '"' * MAX_HEADER_VALUE_LENGTH for number in range(MAX_HEADERS)}
    target = {"type": "http", "url": "https://93.184.216.34/" + "a" * 2000, "headers": headers}
    body = {
        "name": '"' * 200,
        "target": target,
        "notify": {"onFailure": target, "onSuccess": target},
        "data": largest_data('"'),
        "labels": {f"k{number}": "v" * 128 for number in range(10)},
        "schedule": "1h",
    }

    created = api.post("/jobs", body)
    assert created.status == 201, created.body
    job_id = created.body["id"]
    assert api.get(f"/jobs/{job_id}").status == 200
    assert api.put(f"/jobs/{job_id}", {"name": "\\" * 200}).status == 200
    assert api.post(f"/jobs/{job_id}/pause").status == 200

    assert len(measured.sizes) == 4
    assert max(measured.sizes) < LAMBDA_RESPONSE_LIMIT // 4  # a single job is far under the limit


def test_history_pages_of_the_largest_runs_fit_and_reach_every_run_once(
    api: ApiClient, measured: Measured, clock: ManualClock
) -> None:
    job_id = api.post("/jobs", {"name": "runs", "handler": "echo", "schedule": "1h"}).body["id"]
    history = DynamoHistoryStore(Settings.from_environment().history_table)
    run_ids = []
    for number in range(100):
        # The largest result a run keeps (the executor cuts a longer one to this limit).
        result = largest_text(WORST_TEXT[number % len(WORST_TEXT)], RESULT_LIMIT_BYTES)
        claimed = to_millis(clock.advance(1))
        run = Run(
            job_id=job_id,
            id=f"run-{number:03d}",
            status="failed",
            attempt=1,
            trigger="schedule",
            claimed_at=claimed,
            started_at=claimed,
            expires_at=claimed // 1000 + 86_400,
            completed_at=claimed + 5,
            duration=5,
            result=result,
            result_truncated=True,
            error='"' * ERROR_LIMIT_CHARS,
        )
        assert history.record(run)
        run_ids.append(run.id)

    listed = [reply.body["history"] for reply in pages(api, f"/jobs/{job_id}/history", "history", limit="100")]

    assert [run["id"] for page in listed for run in page] == list(reversed(run_ids))
    assert len(listed) > 1
    assert max(measured.sizes) < LAMBDA_RESPONSE_LIMIT


def test_bulk_answers_stop_when_their_conflicts_fill_them_and_go_on_from_there(
    api: ApiClient, measured: Measured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for about two conflicts per answer, a bulk pause of cancelled jobs (each a conflict) takes
    many answers, and still meets every job once."""
    ids = [
        api.post("/jobs", {"name": "b", "handler": "echo", "schedule": "1h", "labels": {"g": "1"}}).body["id"]
        for _ in range(7)
    ]
    assert api.post("/jobs/bulk/cancel", {"label": "g=1"}).body["changed"] == len(ids)
    message = f"job '{ids[0]}' is cancelled; only pending or running jobs can be paused"
    one_conflict = len(json.dumps({"id": ids[0], "message": message}, separators=(",", ":")))
    monkeypatch.setattr(views, "_CONFLICT_RESERVE", PAGE_BUDGET - 2 * one_conflict - 100)

    conflicted: list[str] = []
    answers = 0
    token: str | None = None
    while True:
        reply = api.post("/jobs/bulk/pause", {"label": "g=1", **({"nextToken": token} if token else {})})
        assert reply.status == 200, reply.body
        answers += 1
        conflicted.extend(conflict["id"] for conflict in reply.body["conflicts"])
        token = reply.body["nextToken"]
        if token is None:
            break

    assert sorted(conflicted) == sorted(ids)
    assert answers >= 3
    assert max(measured.sizes) < LAMBDA_RESPONSE_LIMIT


@pytest.mark.parametrize("character", WORST_TEXT)
def test_a_create_with_an_idempotency_key_stores_and_replays_the_largest_job(
    api: ApiClient, measured: Measured, character: str
) -> None:
    """The client sends every create with a key; its stored answer must fit DynamoDB's 400 KB item whatever
    the text (Powertools writes it ASCII-escaped: 130,000 `é` would take 780 KB)."""
    # Header values are printable Latin-1 (what HTTP sends as is): é, 6 bytes once ASCII-escaped, at its worst.
    sent_as_is = character.isprintable() and ord(character) < 256
    headers = {
        f"X-H{number}": (character if sent_as_is else "é") * MAX_HEADER_VALUE_LENGTH for number in range(MAX_HEADERS)
    }
    target = {"type": "http", "url": "https://93.184.216.34/caf%C3%A9" + "a" * 2000, "headers": headers}
    body = {"name": character * 200 if character.isprintable() else "n", "target": target, "schedule": "1h"}
    body["data"] = largest_data(character)
    key = {"Idempotency-Key": f"largest-{ord(character)}"}

    first = api.request("POST", "/jobs", body, headers=key)
    again = api.request("POST", "/jobs", body, headers=key)

    assert first.status == 201, first.body
    assert (again.status, again.body) == (201, first.body)
    assert first.body["data"] == body["data"]
    assert max(measured.sizes) < LAMBDA_RESPONSE_LIMIT


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/jobs/\ud83d", None),  # the 404 names the path
        ("POST", "/jobs", '{"name": "n", "handler": "echo", "timezone": "\\udc00x"}'),
    ],
)
def test_an_answer_that_echoes_a_lone_surrogate_is_still_valid_utf_8(
    api: ApiClient, method: str, path: str, body: str | None
) -> None:
    """Answers are UTF-8 as is; a lone surrogate (which a JSON request may hold, and a message may echo) has no
    UTF-8 form, so that answer is ASCII-escaped instead of failing in Lambda's runtime (a 502)."""
    captured: list[dict[str, Any]] = []
    handler = api.handler

    def keep(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = handler(event, context)
        captured.append(response)
        return response

    api.handler = keep
    reply = api.request(method, path, raw_body=body)

    assert reply.status in (400, 404), reply.body
    json.dumps(captured[0], ensure_ascii=False).encode()  # as Lambda's runtime sends it: no UnicodeEncodeError
