"""The built-in example handlers; a module of your own beside this one registers yours the same way.

    @handler("send-report")
    def send_report(data: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        ...
        return {"sent": True}   # any JSON value; it is stored in the run's history

Raise to fail the run (it is retried with backoff up to `maxAttempts`).
"""

from __future__ import annotations

import time
from typing import Any

from serverless_jobs.registry import JsonValue, RunContext, handler


class HandlerFailure(Exception):
    """Raised by the example handlers that fail on purpose."""


@handler("echo")
def echo(data: dict[str, Any], ctx: RunContext) -> JsonValue:
    """Returns its input: the smallest useful job."""
    return data


@handler("fail")
def fail(data: dict[str, Any], ctx: RunContext) -> JsonValue:
    """Always fails, with `data["message"]`: shows retries, backoff and the failed state."""
    raise HandlerFailure(str(data.get("message", "failed on purpose")))


@handler("sleep")
def sleep(data: dict[str, Any], ctx: RunContext) -> JsonValue:
    """Sleeps `data["seconds"]`: shows timeouts and overlapping schedules."""
    seconds = float(data.get("seconds", 1))
    time.sleep(seconds)
    return seconds


@handler("flaky")
def flaky(data: dict[str, Any], ctx: RunContext) -> JsonValue:
    """Fails until attempt `data["succeedOnAttempt"]`: shows a retry that recovers."""
    succeed_on = int(data.get("succeedOnAttempt", 2))
    if ctx.attempt < succeed_on:
        raise HandlerFailure(f"attempt {ctx.attempt} fails; succeeds on attempt {succeed_on}")
    return {"attempt": ctx.attempt}
