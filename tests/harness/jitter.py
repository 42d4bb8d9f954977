"""Backoff jitter pinned to its ceiling, so a test sees exactly how the delays grow."""

from __future__ import annotations

import random


class HighestJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b
