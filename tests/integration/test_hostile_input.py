"""A catalogue of hostile input, one test each, across every route: body, path, query and headers.

Each answer is a 4xx whose `{"message"}` names the field (or the job), and neither table changes nor is
anything dispatched. All share one stack with a job in every state: `{pending}` in a path or query is the
id of the pending job, `{jobs-token}` a real `nextToken` of `GET /jobs`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import moto
import pytest

from devtools.clock import ManualClock
from devtools.resources import create_resources, table_contents
from devtools.stack import START, Stack
from serverless_jobs.http.page_tokens import PageTokens

JOB = {"name": "job", "handler": "echo", "schedule": "1h"}
STATES = ("completed", "running", "pending", "paused", "cancelled")


@dataclass(frozen=True)
class Bad:
    """One hostile request: what is sent, and the status and field (message prefix) it must get back."""

    method: str
    path: str
    status: int
    names: str
    body: Any = None
    raw: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def create(status: int = 400, names: str = "", raw: str | None = None, **fields: Any) -> Bad:
    """POST /jobs with a valid job changed by `fields` (or the raw body `raw`)."""
    return Bad("POST", "/jobs", status, names, body=None if raw else {**JOB, **fields}, raw=raw)


def deep(levels: int) -> str:
    return "[" * (levels - 1) + "]" * (levels - 1)


def with_data(inner: str) -> str:
    """A create body whose `data` is the raw JSON `inner`, for what json.dumps cannot write (NaN, 1e400)."""
    return '{"name": "job", "handler": "echo", "schedule": "1h", "data": ' + inner + "}"


LONG = "a" * 10_000

CATALOGUE = [
    # -- bodies that are not one JSON object -------------------------------------------------------------
    pytest.param(create(raw='[{"name": "a", "handler": "echo"}]', names="body"), id="create-array-body"),
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "body", raw='[{"name": "b"}]'), id="update-array-body"),
    pytest.param(Bad("POST", "/schedules/preview", 400, "body", raw='[{"schedule": "5m"}]'), id="preview-array-body"),
    pytest.param(create(raw='"a job"', names="body"), id="string-body"),
    pytest.param(create(raw="42", names="body"), id="number-body"),
    pytest.param(create(raw="{'name': 'single quotes'}", names="body"), id="invalid-json"),
    pytest.param(create(raw='{"name": "job", "handler": "echo"', names="body"), id="truncated-json"),
    pytest.param(create(raw='{"name": "job", "handler": "echo"} trailing', names="body"), id="json-then-garbage"),
    # -- data that would not read back as given ------------------------------------------------------------
    pytest.param(create(raw=with_data('{"x": NaN}'), names="data.x"), id="data-nan"),
    pytest.param(create(raw=with_data('{"x": Infinity}'), names="data.x"), id="data-infinity"),
    pytest.param(create(raw=with_data('{"x": [-Infinity]}'), names="data.x[0]"), id="data-minus-infinity"),
    pytest.param(create(raw=with_data('{"x": 1e400}'), names="data.x"), id="data-1e400"),
    pytest.param(create(raw=with_data('{"x": 1e-400}'), names="data.x"), id="data-1e-400"),
    pytest.param(create(raw=with_data('{"x": 1e200}'), names="data.x"), id="data-beyond-1e126"),
    pytest.param(create(raw=with_data('{"x": ' + "9" * 5000 + "}"), names="data.x"), id="data-5000-digit-int"),
    pytest.param(create(data={"x": 10**38}, names="data.x"), id="data-39-digit-int"),
    pytest.param(create(raw=with_data('{"x": 3.14159265358979323846}'), names="data.x"), id="data-21-digit-fraction"),
    pytest.param(
        create(raw=with_data('{"a": [1, {"b": 12345678901234567890.5}]}'), names="data.a[1].b"),
        id="data-nested-21-digit-fraction",
    ),
    pytest.param(
        Bad("PUT", "/jobs/{pending}", 400, "data.x", raw='{"data": {"x": 1.00000000000000000001}}'),
        id="update-data-21-digit-fraction",
    ),
    pytest.param(
        create(
            raw='{"name": "job", "handler": "echo", "timeoutSeconds": 30.000000000000000001}', names="timeoutSeconds"
        ),
        id="timeout-21-digit-fraction",
    ),
    pytest.param(create(raw=with_data('{"x": ' + deep(33) + "}"), names="data"), id="data-33-levels"),
    pytest.param(create(raw=with_data('{"x": ' + deep(300) + "}"), names="data"), id="data-300-levels"),
    pytest.param(create(raw=with_data('{"x": ' + deep(100_000) + "}"), names="body"), id="data-100000-levels"),
    pytest.param(create(raw=with_data('{"s": "\\ud800"}'), names="data.s"), id="data-lone-surrogate"),
    pytest.param(create(raw=with_data('{"\\udfff": 1}'), names="data"), id="data-lone-surrogate-key"),
    pytest.param(create(data={"text": "語" * 90_000}, names="data"), id="data-270-KB-of-utf8"),
    # -- names ---------------------------------------------------------------------------------------------
    pytest.param(create(name="a\u0000b", names="name"), id="name-nul"),
    pytest.param(create(name="\u001b[31mred", names="name"), id="name-escape"),
    pytest.param(create(name="ding\u0007", names="name"), id="name-bell"),
    pytest.param(create(name="two\nlines", names="name"), id="name-newline"),
    pytest.param(create(raw='{"name": "\\ud83d", "handler": "echo"}', names="name"), id="name-lone-surrogate"),
    pytest.param(create(raw='{"name": "n", "handler": "\\ud800"}', names="handler"), id="handler-lone-surrogate"),
    pytest.param(
        create(raw='{"name": "n", "handler": "echo", "labels": {"\\ud800": "v"}}', names="labels"),
        id="label-key-lone-surrogate",
    ),
    pytest.param(create(name=LONG, names="name"), id="name-10000-chars"),
    pytest.param(create(name=5, names="name"), id="name-number"),
    # -- integers: type confusion and range ----------------------------------------------------------------
    pytest.param(create(maxAttempts=True, names="maxAttempts"), id="attempts-boolean"),
    pytest.param(create(maxAttempts=3.0, names="maxAttempts"), id="attempts-float"),
    pytest.param(create(maxAttempts=2.5, names="maxAttempts"), id="attempts-fraction"),
    pytest.param(create(timeoutSeconds="300", names="timeoutSeconds"), id="timeout-string"),
    pytest.param(create(retryBackoffSeconds=False, names="retryBackoffSeconds"), id="backoff-boolean"),
    pytest.param(create(retryBackoffSeconds=86401, names="retryBackoffSeconds"), id="backoff-over-a-day"),
    pytest.param(
        create(raw='{"name": "job", "handler": "echo", "maxAttempts": NaN}', names="maxAttempts"), id="attempts-nan"
    ),
    pytest.param(
        create(raw='{"name": "job", "handler": "echo", "timeoutSeconds": 1e400}', names="timeoutSeconds"),
        id="timeout-1e400",
    ),
    pytest.param(create(timeoutSeconds=10**30, names="timeoutSeconds"), id="timeout-huge"),
    # -- times ---------------------------------------------------------------------------------------------
    pytest.param(create(runAt=1_800_000_000, names="runAt"), id="run-at-unix-number"),
    pytest.param(create(runAt="1800000000", names="runAt"), id="run-at-unix-string"),
    pytest.param(create(runAt=True, names="runAt"), id="run-at-boolean"),
    pytest.param(create(runAt="0000-01-01T00:00:00Z", names="runAt"), id="run-at-year-0"),
    pytest.param(create(runAt="10000-01-01T00:00:00Z", names="runAt"), id="run-at-year-10000"),
    pytest.param(create(runAt="0001-01-01T00:30:00+01:00", names="runAt"), id="run-at-year-0-in-utc"),
    pytest.param(create(endAt="9999-12-31T23:00:00-05:00", names="endAt"), id="end-at-year-10000-in-utc"),
    pytest.param(create(runAt="2027-01-01", names="runAt"), id="run-at-date-only"),
    pytest.param(create(runAt="2027-02-30T00:00:00Z", names="runAt"), id="run-at-february-30"),
    pytest.param(create(runAt="2027-01-01T25:00:00Z", names="runAt"), id="run-at-hour-25"),
    # -- schedules: every error class ------------------------------------------------------------------------
    pytest.param(create(schedule="3000000d", names="schedule"), id="interval-3000000d"),
    pytest.param(create(schedule="3651d", names="schedule"), id="interval-over-ten-years"),
    pytest.param(create(schedule="9" * 40 + "s", names="schedule"), id="interval-40-digits"),
    pytest.param(create(schedule="rate(12345678901234567890 minutes)", names="schedule"), id="rate-20-digits"),
    pytest.param(create(schedule="rate(0 minutes)", names="schedule"), id="rate-zero"),
    pytest.param(create(schedule="rate(1 minutes)", names="schedule"), id="rate-wrong-plural"),
    pytest.param(create(schedule="rate(5 weeks)", names="schedule"), id="rate-unit"),
    pytest.param(create(schedule="5 " * 200, names="schedule"), id="schedule-400-chars"),
    pytest.param(create(schedule="*/0 * * * *", names="schedule"), id="cron-step-zero"),
    pytest.param(create(schedule="5-70 * * * *", names="schedule"), id="cron-range-past-the-field"),
    pytest.param(create(schedule="0,,5 * * * *", names="schedule"), id="cron-empty-list-item"),
    pytest.param(create(schedule="cron(0 12 * * ?)", names="schedule"), id="eventbridge-cron-five-fields"),
    pytest.param(create(schedule="cron(0 12 * * * *)", names="schedule"), id="eventbridge-cron-no-question-mark"),
    pytest.param(create(schedule="cron(0 12 ? * 8 *)", names="schedule"), id="eventbridge-cron-weekday-8"),
    pytest.param(create(schedule="cron(0 12 ? * 2#6 *)", names="schedule"), id="eventbridge-cron-sixth-monday"),
    pytest.param(create(schedule="cron(0 12 32W * ? *)", names="schedule"), id="eventbridge-cron-32W"),
    pytest.param(create(schedule="cron(0 12 * * ? 1969)", names="schedule"), id="eventbridge-cron-year-1969"),
    pytest.param(create(schedule="at(2027-13-01T00:00:00)", names="schedule"), id="at-month-13"),
    pytest.param(create(schedule="at(2027-01-01 00:00)", names="schedule"), id="at-shape"),
    pytest.param(
        create(schedule="at(9999-12-31T23:59:59)", timezone="America/New_York", names="schedule"),
        id="at-past-year-9999-in-utc",
    ),
    pytest.param(create(schedule="0 0 31 4 *", names="schedule"), id="cron-april-31"),
    # -- time zones ------------------------------------------------------------------------------------------
    pytest.param(create(timezone="Mars/Base", names="timezone"), id="zone-unknown"),
    pytest.param(create(timezone=LONG, names="timezone"), id="zone-10000-chars"),
    pytest.param(create(timezone="UTC\u0000", names="timezone"), id="zone-nul"),
    pytest.param(create(timezone="/etc/localtime", names="timezone"), id="zone-absolute-path"),
    pytest.param(create(timezone="", names="timezone"), id="zone-empty"),
    pytest.param(create(timezone=0, names="timezone"), id="zone-number"),
    # -- windows that never fire -----------------------------------------------------------------------------
    pytest.param(create(schedule="cron(0 12 * * ? 2020)", names="schedule"), id="cron-years-past"),
    pytest.param(create(schedule="at(2020-01-01T00:00:00)", names="schedule"), id="at-in-the-past"),
    pytest.param(
        create(schedule="0 12 * * *", runAt="2027-01-01T13:00:00Z", endAt="2027-01-01T14:00:00Z", names="schedule"),
        id="window-between-occurrences",
    ),
    pytest.param(
        create(schedule="at(2027-06-01T00:00:00)", endAt="2027-05-01T00:00:00Z", names="schedule"),
        id="at-after-window",
    ),
    pytest.param(
        create(schedule="cron(0 9 ? * MON *)", runAt="2027-01-05T00:00:00Z", endAt="2027-01-10T00:00:00Z", names=""),
        id="weekly-window-without-its-day",
    ),
    # -- updates ---------------------------------------------------------------------------------------------
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "name", body={"name": "x\u0000"}), id="update-name-nul"),
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "data", raw='{"data": {"x": NaN}}'), id="update-data-nan"),
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "runAt", body={"runAt": 1_800_000_000}), id="update-run-at-number"),
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "schedule", body={"schedule": "3000000d"}), id="update-interval"),
    pytest.param(Bad("PUT", "/jobs/{pending}", 400, "status", body={"status": "completed"}), id="update-status"),
    # -- previews --------------------------------------------------------------------------------------------
    pytest.param(Bad("POST", "/schedules/preview", 400, "count", body={"schedule": "5m", "count": 0}), id="count-0"),
    pytest.param(Bad("POST", "/schedules/preview", 400, "count", body={"schedule": "5m", "count": 51}), id="count-51"),
    pytest.param(
        Bad("POST", "/schedules/preview", 400, "count", body={"schedule": "5m", "count": True}), id="count-boolean"
    ),
    pytest.param(
        Bad("POST", "/schedules/preview", 400, "schedule", body={"schedule": "rate(9999999999 days)"}),
        id="preview-rate-huge",
    ),
    pytest.param(
        Bad("POST", "/schedules/preview", 400, "runAt", body={"schedule": "5m", "runAt": "0000-12-31T00:00:00Z"}),
        id="preview-year-0",
    ),
    pytest.param(Bad("POST", "/schedules/preview", 400, "schedule", body={"count": 3}), id="preview-no-schedule"),
    # -- ids in the path -------------------------------------------------------------------------------------
    pytest.param(Bad("GET", f"/jobs/{LONG}", 404, "job"), id="get-id-10000-chars"),
    pytest.param(Bad("GET", "/jobs/a%2Fb", 404, "job"), id="get-id-encoded-slash"),
    pytest.param(Bad("GET", "/jobs/{pending}/x", 404, "no route"), id="get-id-with-slash"),
    pytest.param(Bad("GET", "/jobs/ünïcödé", 404, "job"), id="get-id-unicode"),
    pytest.param(Bad("GET", "/jobs/😀", 404, ""), id="get-id-emoji"),
    pytest.param(Bad("GET", "/jobs/%00", 404, "job"), id="get-id-encoded-nul"),
    pytest.param(Bad("PUT", f"/jobs/{LONG}", 404, "job", body={"name": "x"}), id="update-id-10000-chars"),
    pytest.param(Bad("DELETE", "/jobs/..%2F..%2Fetc", 404, "job"), id="delete-id-traversal"),
    pytest.param(Bad("POST", "/jobs/ünï/trigger", 404, "job"), id="trigger-id-unicode"),
    pytest.param(Bad("GET", f"/jobs/{LONG}/history", 404, "job"), id="history-id-10000-chars"),
    # -- query parameters ------------------------------------------------------------------------------------
    pytest.param(Bad("GET", "/jobs", 400, "limit", query={"limit": "true"}), id="limit-boolean"),
    pytest.param(Bad("GET", "/jobs", 400, "limit", query={"limit": "1.5"}), id="limit-fraction"),
    pytest.param(Bad("GET", "/jobs", 400, "limit", query={"limit": "1e2"}), id="limit-exponent"),
    pytest.param(Bad("GET", "/jobs", 400, "limit", query={"limit": "-1"}), id="limit-negative"),
    pytest.param(Bad("GET", "/jobs", 400, "limit", query={"limit": "9" * 5000}), id="limit-5000-digits"),
    pytest.param(Bad("GET", "/jobs", 400, "status", query={"status": "PENDING"}), id="status-upper-case"),
    pytest.param(Bad("GET", "/jobs/{pending}/history", 400, "limit", query={"limit": "0"}), id="history-limit-0"),
    pytest.param(Bad("GET", "/jobs", 400, "nextToken", query={"nextToken": "{tampered}"}), id="token-tampered"),
    pytest.param(
        Bad("GET", "/jobs", 400, "nextToken", query={"nextToken": "{jobs-token}", "status": "pending"}),
        id="token-of-another-filter",
    ),
    pytest.param(
        Bad("GET", "/jobs/{pending}/history", 400, "nextToken", query={"nextToken": "{jobs-token}"}),
        id="token-of-the-job-list-on-history",
    ),
    pytest.param(Bad("GET", "/jobs", 400, "nextToken", query={"nextToken": "{foreign}"}), id="token-of-another-stack"),
    pytest.param(Bad("GET", "/jobs", 400, "nextToken", query={"nextToken": LONG}), id="token-10000-chars"),
    pytest.param(Bad("GET", "/jobs", 400, "nextToken", query={"nextToken": "ünï😀"}), id="token-unicode"),
    # -- headers ---------------------------------------------------------------------------------------------
    pytest.param(
        Bad("POST", "/jobs", 400, "Content-Type", body=JOB, headers={"Content-Type": "text/plain"}), id="text-plain"
    ),
    pytest.param(
        Bad("POST", "/jobs", 400, "Content-Type", body=JOB, headers={"Content-Type": "application/vnd.api+json"}),
        id="vendor-json",
    ),
    pytest.param(
        Bad(
            "PUT", "/jobs/{pending}", 400, "Content-Type", raw="name=x", headers={"Content-Type": "multipart/form-data"}
        ),
        id="update-multipart-without-boundary",
    ),
    pytest.param(
        Bad(
            "POST",
            "/schedules/preview",
            400,
            "Content-Type",
            raw="schedule=5m",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        id="preview-form",
    ),
    # -- transitions the job's state does not allow ----------------------------------------------------------
    pytest.param(Bad("POST", "/jobs/{paused}/trigger", 409, "job"), id="trigger-paused"),
    pytest.param(Bad("POST", "/jobs/{cancelled}/trigger", 409, "job"), id="trigger-cancelled"),
    pytest.param(Bad("POST", "/jobs/{running}/trigger", 409, "job"), id="trigger-running"),
    pytest.param(Bad("POST", "/jobs/{completed}/pause", 409, "job"), id="pause-completed"),
    pytest.param(Bad("POST", "/jobs/{cancelled}/pause", 409, "job"), id="pause-cancelled"),
    pytest.param(Bad("POST", "/jobs/{completed}/cancel", 409, "job"), id="cancel-completed"),
    pytest.param(Bad("POST", "/jobs/{cancelled}/resume", 409, "job"), id="resume-cancelled"),
    pytest.param(Bad("POST", "/jobs/{completed}/resume", 409, "job"), id="resume-completed"),
]


@dataclass
class World:
    """One stack for the whole catalogue, with a job in every state and real page tokens: each request
    changes nothing (the test proves it), so they can all share it."""

    stack: Stack
    tables: list[str]
    made: dict[str, str]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with moto.mock_aws():
        tables = create_resources()
        stack = Stack(ManualClock(START))
        made = {"completed": stack.create()["id"]}
        stack.deliver()  # before the running job is made: delivering runs everything dispatched so far
        made["running"] = stack.create()["id"]
        for state, action in (("pending", None), ("paused", "pause"), ("cancelled", "cancel")):
            made[state] = stack.create(schedule="1h")["id"]
            if action:
                assert stack.api.post(f"/jobs/{made[state]}/{action}").status == 200
        token = stack.api.get("/jobs", limit="1").body["nextToken"]
        middle = len(token) // 2
        made["jobs-token"] = token
        made["tampered"] = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
        made["foreign"] = PageTokens(lambda: os.urandom(32)).encode({"id": {"S": "x"}}, "jobs:") or ""
        yield World(stack, tables, made)
        stack.close()


def filled(text: str, made: dict[str, str]) -> str:
    for name, value in made.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize("bad", CATALOGUE)
def test_hostile_input_is_a_clear_4xx_and_changes_nothing(world: World, bad: Bad) -> None:
    stack, made = world.stack, world.made
    before, dispatched = table_contents(world.tables), len(stack.invocations.payloads)

    reply = stack.api.request(
        bad.method,
        filled(bad.path, made),
        bad.body,
        raw_body=bad.raw,
        query={key: filled(value, made) for key, value in bad.query.items()} or None,
        headers=bad.headers or None,
    )

    assert reply.status == bad.status, reply.body
    assert isinstance(reply.body, dict), reply.raw[:200]
    assert set(reply.body) == {"message"}, reply.raw[:200]
    message = reply.body["message"]
    assert message.startswith(bad.names) or f"; {bad.names}" in message, message
    assert len(message) < 2_000  # a 10,000-character input is not echoed whole
    assert table_contents(world.tables) == before
    assert len(stack.invocations.payloads) == dispatched


def test_numbers_within_what_is_kept_read_back_with_every_digit(world: World) -> None:
    """A fraction of up to 17 significant digits, an integer of 38 and DynamoDB's extremes come back as the
    same numbers (compared as decimals, not as floats that would hide a rounding)."""
    data = (
        '{"pi": 3.141592653589793, "tenth": 0.1, "trailing": 2.50, "big": 99999999999999999999999999999999999999,'
        ' "negative": -12345678901234567890123456789012345678, "small": 1e-130, "large": 9.99999999999999e125,'
        ' "e": 1.2345678901234568e-5}'
    )
    reply = world.stack.api.request("POST", "/jobs", raw_body=with_data(data))

    stored = world.stack.api.get(f"/jobs/{reply.body['id']}").raw
    given = json.loads(data, parse_float=Decimal, parse_int=Decimal)
    assert reply.status == 201
    assert json.loads(stored, parse_float=Decimal, parse_int=Decimal)["data"] == given
