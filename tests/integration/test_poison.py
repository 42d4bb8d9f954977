"""Poison: every edge case the API accepts is stored, run once, and read back by every read path.

Deepest and largest data, names from every script, years 0001 and 9999, and handlers returning the
largest result or things no JSON can hold; then every list (each status, every page), get and history
answers 200 with JSON a strict parser reads.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from devtools.stack import Stack
from serverless_jobs.registry import JobHandler, registered_for_now


def deep(levels: int) -> str:
    return "[" * (levels - 1) + "]" * (levels - 1)


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
