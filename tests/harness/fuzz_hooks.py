"""schemathesis hooks (SCHEMATHESIS_HOOKS) so that many fuzzed creates succeed and the stateful phase can
follow the OpenAPI links from a created job to every operation on it.

A random `handler` or `schedule` is almost never valid, so without these nearly every create is a 400 and
no link is ever followed. Three bodies in four get a registered handler (instead of a fuzzed `target`,
which names an ARN outside the stack's patterns or an arbitrary host) and a valid schedule (or none); the
rest stay as generated, so invalid bodies and fuzzed targets are still sent.
"""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis

# `sleep` is left out: a fuzzed `seconds` would hold a worker for as long as it says.
HANDLERS = ("echo", "fail", "flaky")
SCHEDULES = (None, "30s", "5m", "rate(1 hour)", "0 9 * * MON-FRI", "cron(0 12 * * ? *)", "@daily")


def _usable(body: Any, creating: bool) -> Any:
    if not isinstance(body, dict):
        return body
    pick = zlib.crc32(repr(sorted(body.items(), key=str)).encode())
    if pick % 4 == 0:
        return body
    usable = {key: value for key, value in body.items() if key not in ("schedule", "endAt", "target")}
    if creating or "handler" in body or "target" in body:
        usable["handler"] = HANDLERS[pick % len(HANDLERS)]
    schedule = SCHEDULES[(pick // 4) % len(SCHEDULES)]
    if "schedule" in body and schedule is not None:
        usable["schedule"] = schedule
    return usable


# Where a body describes a job: the create and the update.
_JOB_BODIES = {("POST", "/jobs"), ("PUT", "/jobs/{id}")}


def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) not in _JOB_BODIES:
        return body
    return _usable(body, creating=operation.method.upper() == "POST")


schemathesis.hook(map_body)
