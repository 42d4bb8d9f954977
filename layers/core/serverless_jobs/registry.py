"""The handler registry: names the API accepts and the executor runs, from one table.

Handlers register themselves with `@handler("name")` in `serverless_jobs.handlers`; every lookup here
imports that module first, so the API and the executor can never disagree about which names exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JsonValue = Any


@dataclass(frozen=True)
class RunContext:
    """What a handler may know about the run it is part of."""

    job_id: str
    run_id: str
    attempt: int
    scheduled_at: datetime | None
    trigger: str
    remaining_seconds: Callable[[], float]


JobHandler = Callable[[dict[str, Any], RunContext], JsonValue]

_handlers: dict[str, JobHandler] = {}


def handler(name: str) -> Callable[[JobHandler], JobHandler]:
    """Register `fn` under `name`; a second registration of one name is a programming error."""

    def register(fn: JobHandler) -> JobHandler:
        if name in _handlers:
            raise ValueError(f"handler {name!r} is registered twice")
        _handlers[name] = fn
        return fn

    return register


def registered() -> Mapping[str, JobHandler]:
    import serverless_jobs.handlers  # noqa: F401  (registers the handlers on first import)

    return _handlers


def is_registered(name: str) -> bool:
    return name in registered()
