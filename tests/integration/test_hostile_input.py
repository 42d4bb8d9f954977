"""A catalogue of hostile input, one test each, across every route: body, path, query and headers.

Each answer is a 4xx whose `{"message"}` names the field (or the job), and neither table changes nor is
anything dispatched. Jobs in the states a request needs are made first: `{pending}` in a path or body is
the id of a pending job, `{jobs-token}` a real `nextToken` of `GET /jobs`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from devtools.stack import Stack
from serverless_jobs.http.page_tokens import PageTokens
from serverless_jobs.registry import JobHandler, registered_for_now

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
    pytest.param(create(schedule="5-3 * * * *", names="schedule"), id="cron-backwards-range"),
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


def make_jobs(stack: Stack, request: Bad) -> dict[str, str]:
    """The jobs and tokens the request's placeholders name, made through the API."""
    wanted = request.path + json.dumps(request.query)
    made: dict[str, str] = {}
    if "{completed}" in wanted:  # first: delivering runs everything dispatched so far
        made["completed"] = stack.create()["id"]
        stack.deliver()
    if "{running}" in wanted:
        made["running"] = stack.create()["id"]
    for state, action in (("pending", None), ("paused", "pause"), ("cancelled", "cancel")):
        if "{" + state + "}" in wanted:
            made[state] = stack.create(schedule="1h")["id"]
            if action:
                assert stack.api.post(f"/jobs/{made[state]}/{action}").status == 200
    if "token}" in wanted or "{tampered}" in wanted:
        stack.create(schedule="1h")
        stack.create(schedule="1h")
        token = stack.api.get("/jobs", limit="1").body["nextToken"]
        middle = len(token) // 2
        made["jobs-token"] = token
        made["tampered"] = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    if "{foreign}" in wanted:
        made["foreign"] = PageTokens("other-jobs", "other-history").encode({"id": "x"}, "jobs:") or ""
    return made


def filled(text: str, made: dict[str, str]) -> str:
    for name, value in made.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize("bad", CATALOGUE)
def test_hostile_input_is_a_clear_4xx_and_changes_nothing(stack: Stack, snapshot: Any, bad: Bad) -> None:
    made = make_jobs(stack, bad)
    before, dispatched = snapshot(), len(stack.invocations.payloads)

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
    assert snapshot() == before
    assert len(stack.invocations.payloads) == dispatched


# -- poison: everything accepted, run once, then every read ------------------------------------------------

RESULT_LIMIT = 64 * 1024
DEEPEST = {"x": json.loads(deep(31))}  # 32 levels: `data` itself is the first
BIGGEST_ASCII = {"blob": "x" * (255 * 1024 - len('{"blob":""}'))}
BIGGEST_UTF8 = {"text": "語" * ((255 * 1024 - len('{"text":""}')) // 3)}  # 765 KB as pynamodb would escape it
EDGE_NUMBERS = {"max": 10**38 - 1, "min": -(10**38 - 1), "huge": 9.99e125, "tiny": 1e-130, "nul": "\u0000"}
WORLD_NAME = "\U0001f680 \u200fעבודה\u200e مهمة \U0001f469\u200d\U0001f469\u200d\U0001f467"  # noqa: RUF001 - emoji, RTL marks, ZWJ
LARGEST_RESULT = {"blob": "r" * (RESULT_LIMIT - len('{"blob":""}'))}


def circular() -> Any:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


def very_deep() -> Any:
    outer: list[Any] = []
    inner = outer
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    return outer


def loud_failure() -> Any:
    raise RuntimeError("boom " * 200_000)


ODD_RESULTS: dict[str, Callable[[], Any]] = {
    "largest-result": lambda: LARGEST_RESULT,
    "result-over-limit": lambda: {"blob": "r" * RESULT_LIMIT},
    "result-nan": lambda: {"x": float("nan"), "y": float("inf")},
    "result-very-deep": very_deep,
    "result-circular": circular,
    "result-not-json": lambda: {"when": object(), 1: "int key"},
    "result-surrogate": lambda: {"s": "\ud800"},
    "raises-a-megabyte": loud_failure,
}


def returning(result: Callable[[], Any]) -> JobHandler:
    """A job handler that returns what `result()` makes."""
    return lambda data, ctx: result()


def read(stack: Stack, path: str, **query: str) -> Any:
    """GET `path`: 200 with JSON a strict parser reads (no NaN), or the test fails."""
    reply = stack.api.get(path, **query)
    assert reply.status == 200, (path, reply.raw[:300])

    def no_constants(text: str) -> Any:
        raise AssertionError(f"{path} answered {text}, which is not JSON")

    return json.loads(reply.raw, parse_constant=no_constants)


def every_page(stack: Stack, path: str, key: str, **query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = ""
    while token is not None:
        page = read(stack, path, limit="2", **query, **({"nextToken": token} if token else {}))
        items += page[key]
        token = page["nextToken"]
    return items


def test_nothing_accepted_poisons_a_later_read(stack: Stack) -> None:
    with contextlib.ExitStack() as handlers:
        for name, result in ODD_RESULTS.items():
            handlers.enter_context(registered_for_now(name, returning(result)))
        ids = {
            "deepest": stack.create(data=DEEPEST)["id"],
            "biggest-ascii": stack.create(data=BIGGEST_ASCII)["id"],
            "biggest-utf8": stack.create(data=BIGGEST_UTF8)["id"],
            "numbers": stack.create(data=EDGE_NUMBERS)["id"],
            "world-name": stack.create(name=WORLD_NAME)["id"],
            "year-1": stack.create(runAt="0001-01-01T00:00:00Z")["id"],
            "year-9999": stack.create(runAt="9999-12-31T23:59:59.999Z")["id"],
            "interval-from-year-1": stack.create(schedule="1d", runAt="0001-01-01T00:00:00Z")["id"],
            "every-second-at-the-end": stack.create(schedule="1s", runAt="9999-12-31T23:59:59.999Z")["id"],
            "at-the-end": stack.create(schedule="at(9999-12-31T23:59:59)")["id"],
            "longest-rate": stack.create(schedule="rate(3650 days)", endAt="9999-12-31T23:59:59.999Z")["id"],
            "huge-failure-message": stack.create(handler="fail", data={"message": "m" * 250_000}, maxAttempts=1)["id"],
        }
        ids |= {name: stack.create(handler=name, maxAttempts=1)["id"] for name in ODD_RESULTS}
        for job_id in ids.values():
            if stack.job(job_id)["status"] == "pending":
                assert stack.api.post(f"/jobs/{job_id}/trigger").status == 202
        stack.deliver()
    assert stack.api.post(f"/jobs/{ids['interval-from-year-1']}/pause").status == 200
    assert stack.api.post(f"/jobs/{ids['longest-rate']}/cancel").status == 200
    stack.create(schedule="1h")  # one left running: created, dispatched, not delivered
    stack.create(handler="sleep", data={"seconds": 0})

    listed = every_page(stack, "/jobs", "jobs")
    for status in ("pending", "running", "completed", "failed", "cancelled", "paused"):
        assert every_page(stack, "/jobs", "jobs", status=status), status
    jobs = {job_id: read(stack, f"/jobs/{job_id}") for job_id in ids.values()}
    runs = {job_id: every_page(stack, f"/jobs/{job_id}/history", "history") for job_id in ids.values()}

    assert set(ids.values()) <= {job["id"] for job in listed}
    assert all(len(history) == 1 for history in runs.values()), runs
    for name, data in (("deepest", DEEPEST), ("biggest-utf8", BIGGEST_UTF8), ("numbers", EDGE_NUMBERS)):
        assert jobs[ids[name]]["data"] == data
    for name, data in (("deepest", DEEPEST), ("numbers", EDGE_NUMBERS)):  # echoed: the result is the data
        assert runs[ids[name]][0]["result"] == data
    assert jobs[ids["world-name"]]["name"] == WORLD_NAME
    assert jobs[ids["year-1"]]["runAt"] == "0001-01-01T00:00:00.000Z"
    assert jobs[ids["year-9999"]]["runAt"] == "9999-12-31T23:59:59.999Z"
    [largest] = runs[ids["largest-result"]]
    assert (largest["result"], largest["resultTruncated"]) == (LARGEST_RESULT, False)
    for name in ("biggest-ascii", "biggest-utf8", *(name for name in ODD_RESULTS if name.startswith("result-"))):
        [run] = runs[ids[name]]
        assert (run["status"], run["resultTruncated"], type(run["result"])) == ("completed", True, str), name
    for name in ("huge-failure-message", "raises-a-megabyte"):
        assert jobs[ids[name]]["status"] == "failed"
        assert len(jobs[ids[name]]["lastError"]) <= 4096
