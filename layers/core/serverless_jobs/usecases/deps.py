"""What the use cases share: the settings, the two stores, a clock, the randomness of backoff jitter, and
the waker of the tick (None in the tick itself, whose passes look ahead after their own writes), the
hand-off of notifications to the executor, and the timer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from serverless_jobs.ports import Clock, HistoryStore, JobStore, NotificationHandOff, Timer, Waker
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
    # The SQS timer (decision 0075): alarms for work due later than a second and before the next minute's
    # tick (None: a stack without the queue, where a tick sleeps towards it as before).
    timer: Timer | None = None
