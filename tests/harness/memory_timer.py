"""The SQS timer in the fast tier (decision 0075): a Timer port keeping what it is given, instants counted
from the memory app's START, and jobs stored before the minute (whose writes set no alarm)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.memory_app import START, App
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.timefmt import to_millis
from serverless_jobs.ports import Alarm


@dataclass
class Timer:
    """A Timer keeping what it is given; `refusing` while set, every alarm is returned unsent."""

    set_alarms: list[Alarm] = field(default_factory=list)
    refusing: bool = False

    def set(self, alarms: Sequence[Alarm]) -> list[Alarm]:
        if self.refusing:
            return list(alarms)
        self.set_alarms.extend(alarms)
        return []


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def ms(seconds: float) -> int:
    return to_millis(at(seconds))


def moving_clock(app: App, sleeps: list[float]) -> Callable[[float], None]:
    """A sleep that records its seconds and moves the app's manual clock on by them."""

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        app.clock.advance(seconds)

    return sleep


def stored_before(app: App, **fields: Any) -> Job:
    """A job created two minutes before the clock's now: before the minute, so no write of it alarmed it (the
    chain's to alarm, usecases.chain)."""
    now = app.clock.now()
    app.clock.set(now - timedelta(minutes=2))
    try:
        return app.create(**fields)
    finally:
        app.clock.set(now)
