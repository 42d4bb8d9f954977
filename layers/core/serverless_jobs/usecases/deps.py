"""What the use cases share: the settings, the two stores, a clock, the randomness of backoff jitter, and
the waker of the tick (None in the tick itself, whose passes look ahead after their own writes), and the
hand-off of notifications to the executor."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from serverless_jobs.ports import Clock, HistoryStore, JobStore, NotificationHandOff, Waker
from serverless_jobs.settings import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    jobs: JobStore
    history: HistoryStore
    clock: Clock
    rng: random.Random = field(default_factory=random.Random)
    waker: Waker | None = None
    # Where a run closed outside the executor goes to be notified (None in the executor, which sends itself).
    notifications: NotificationHandOff | None = None
