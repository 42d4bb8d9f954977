"""What the use cases share: the settings, the two stores, a clock, and the randomness of backoff jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from serverless_jobs.ports import Clock, HistoryStore, JobStore
from serverless_jobs.settings import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    jobs: JobStore
    history: HistoryStore
    clock: Clock
    rng: random.Random = field(default_factory=random.Random)
