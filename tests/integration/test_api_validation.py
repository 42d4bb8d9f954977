"""Bad input gets a 400 whose message names the field, and changes nothing in any table."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.api import ApiClient
from devtools.dispatch import InvokeRecorder

VALID = {"name": "job", "handler": "echo", "schedule": "5m"}

BAD_CREATES = [
    pytest.param({"schedule": "61 * * * *"}, "schedule", "minute", id="cron-minute-61"),
    pytest.param({"schedule": "0 24 * * *"}, "schedule", "hour", id="cron-hour-24"),
    pytest.param({"schedule": "0 0 32 * *"}, "schedule", "day-of-month", id="cron-day-32"),
    pytest.param({"schedule": "0 0 * 13 *"}, "schedule", "month", id="cron-month-13"),
    pytest.param({"schedule": "0 0 * * FUNDAY"}, "schedule", "day-of-week", id="cron-weekday-name"),
    pytest.param({"schedule": "* * * *"}, "schedule", "5 fields", id="cron-four-fields"),
    pytest.param({"schedule": "* * * * * *"}, "schedule", "5 fields", id="cron-six-fields"),
    pytest.param({"schedule": "0 0 30 2 *"}, "schedule", "no occurrence", id="cron-never"),
    pytest.param({"schedule": "@reboot"}, "schedule", "macro", id="cron-unknown-macro"),
    pytest.param({"schedule": "0s"}, "schedule", "at least 1", id="interval-0s"),
    pytest.param({"schedule": "5x"}, "schedule", "unit", id="interval-5x"),
    pytest.param({"schedule": "-1m"}, "schedule", "at least 1", id="interval-negative"),
    pytest.param({"schedule": ""}, "schedule", "empty", id="schedule-empty"),
    pytest.param({"schedule": 5}, "schedule", "string", id="schedule-not-string"),
    pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", "IANA", id="zone-unknown"),
    pytest.param({"timezone": "../../etc/passwd"}, "timezone", "IANA", id="zone-path"),
    pytest.param({"handler": "rm-rf"}, "handler", "registered", id="handler-unknown"),
    pytest.param({"maxAttempts": 0}, "maxAttempts", "", id="attempts-0"),
    pytest.param({"maxAttempts": 26}, "maxAttempts", "", id="attempts-26"),
    pytest.param({"maxAttempts": "3"}, "maxAttempts", "", id="attempts-string"),
    pytest.param({"timeoutSeconds": 0}, "timeoutSeconds", "", id="timeout-0"),
    pytest.param({"timeoutSeconds": 901}, "timeoutSeconds", "", id="timeout-901"),
    pytest.param({"retryBackoffSeconds": -1}, "retryBackoffSeconds", "", id="backoff-negative"),
    pytest.param({"name": "n" * 201}, "name", "200", id="name-201-chars"),
    pytest.param({"name": ""}, "name", "", id="name-empty"),
    pytest.param({"name": "   "}, "name", "blank", id="name-blank"),
    pytest.param({"data": [1, 2]}, "data", "dict", id="data-list"),
    pytest.param({"data": "text"}, "data", "dict", id="data-string"),
    pytest.param({"data": {"blob": "x" * (256 * 1024)}}, "data", "256 KB", id="data-too-large"),
    pytest.param({"runAt": "tomorrow"}, "runAt", "", id="run-at-not-a-time"),
    pytest.param({"runAt": "2026-12-01T10:00:00"}, "runAt", "timezone", id="run-at-no-offset"),
    pytest.param({"endAt": "2026-11-01T00:00:00Z"}, "endAt", "past", id="end-at-past"),
    pytest.param(
        {"runAt": "2026-12-02T00:00:00Z", "endAt": "2026-12-01T00:00:00Z"},
        "endAt",
        "before runAt",
        id="end-before-run",
    ),
    pytest.param({"schedule": "0 12 * * *", "endAt": "2026-11-28T11:00:00Z"}, "schedule", "", id="window-empty"),
    pytest.param({"colour": "blue"}, "colour", "not a known field", id="unknown-field"),
    pytest.param({"status": "completed"}, "status", "not a known field", id="status-not-writable"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_CREATES)
def test_bad_create_is_400_naming_the_field_and_changes_nothing(
    api: ApiClient, snapshot: Any, invocations: InvokeRecorder, change: dict[str, Any], field: str, words: str
) -> None:
    before = snapshot()

    reply = api.post("/jobs", {**VALID, **change})

    assert reply.status == 400, reply.body
    assert set(reply.body) == {"message"}
    assert reply.body["message"].startswith(f"{field}:") or f"; {field}:" in reply.body["message"]
    assert words in reply.body["message"]
    assert snapshot() == before
    assert invocations.calls == []


@pytest.mark.parametrize("missing", ["name", "handler"])
def test_required_fields(api: ApiClient, snapshot: Any, missing: str) -> None:
    before = snapshot()
    body = {key: value for key, value in VALID.items() if key != missing}

    reply = api.post("/jobs", body)

    assert (reply.status, reply.body["message"].split(",")[0]) == (400, f"{missing}: is required")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "words"),
    [("{not json", "not valid JSON"), ("", "required"), ("[1, 2]", "object"), ("null", "")],
)
def test_body_that_is_not_a_json_object(api: ApiClient, snapshot: Any, raw: str, words: str) -> None:
    before = snapshot()

    reply = api.request("POST", "/jobs", raw_body=raw)

    assert reply.status == 400
    assert reply.body["message"].startswith("body:")
    assert words in reply.body["message"]
    assert snapshot() == before


def test_every_error_of_a_request_is_named(api: ApiClient) -> None:
    reply = api.post("/jobs", {"name": "", "handler": "nope", "schedule": "5x", "extra": 1})

    for field in ("name:", "handler:", "schedule:", "extra:"):
        assert field in reply.body["message"]


BAD_UPDATES = [
    pytest.param({"schedule": "61 * * * *"}, "schedule", id="cron"),
    pytest.param({"timezone": "Nowhere/City"}, "timezone", id="zone"),
    pytest.param({"handler": "nope"}, "handler", id="handler"),
    pytest.param({"maxAttempts": 26}, "maxAttempts", id="attempts"),
    pytest.param({"name": None}, "name", id="name-null"),
    pytest.param({"data": None}, "data", id="data-null"),
    pytest.param({"timezone": None}, "timezone", id="zone-null"),
    pytest.param({"endAt": "2020-01-01T00:00:00Z"}, "endAt", id="end-past"),
    pytest.param({"runAt": "2027-02-01T00:00:00Z"}, "endAt", id="end-before-new-run-at"),
    pytest.param({"id": "other"}, "id", id="id-not-writable"),
]


@pytest.mark.parametrize(("change", "field"), BAD_UPDATES)
def test_bad_update_is_400_and_changes_nothing(
    api: ApiClient, snapshot: Any, change: dict[str, Any], field: str
) -> None:
    job = api.post("/jobs", {**VALID, "endAt": "2027-01-01T00:00:00Z"}).body
    before = snapshot()

    reply = api.put(f"/jobs/{job['id']}", change)

    assert reply.status == 400, reply.body
    assert reply.body["message"].startswith(f"{field}:")
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        {"status": "sleeping"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"nextToken": "garbage"},
    ],
)
def test_bad_list_query_is_400_naming_the_parameter(api: ApiClient, query: dict[str, str]) -> None:
    reply = api.get("/jobs", **query)

    assert reply.status == 400
    assert reply.body["message"].startswith(f"{next(iter(query))}:")


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain", "application/xml"]
)
def test_a_body_that_is_not_json_is_400_naming_the_content_type(
    api: ApiClient, snapshot: Any, content_type: str
) -> None:
    before = snapshot()

    reply = api.request("POST", "/jobs", raw_body="name=x&handler=echo", headers={"Content-Type": content_type})

    assert reply.status == 400
    assert reply.body["message"].startswith("Content-Type:")
    assert snapshot() == before
