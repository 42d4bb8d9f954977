"""Beyond one invocation's reach: a tick pass that finds a herd hands its shards to parallel dispatch invocations.

One invocation serves about CALLS_IN_FLIGHT / (2 round trips) jobs a second (usecases.tick). When a pass
finds more due jobs than `threshold`, the tick serves none of them: it hands each shard holding due jobs to
an invocation of the dispatch function (an async Invoke with the shard and the pass's instant), and each of
those runs the same concurrent pass over its one shard. Throughput then grows with the shards, up to the
limits decision "The tick fans out by shard" names
(executor concurrency, Lambda's Invoke rate, a GSI partition's writes).

Nothing here is needed for safety: every claim is a conditional write, so a tick pass and a dispatch
invocation over the same shard never dispatch a run twice. The hold is for cost: a shard handed out is not
handed again for `hold_seconds`, so a herd that takes a dispatch invocation seconds is not worked by a
second one from its start, meeting the first's claims. A hand-off Lambda refused is not held: the next
pass hands the shard again, and a dispatch invocation that dies loses nothing either, its jobs staying due.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from serverless_jobs.ports import ShardDispatcher

# How long a shard handed out stays with its dispatch invocation before a pass may hand it again: at the
# model's ~800 jobs a second, 15 s covers a shard of 12,000 due jobs (usecases.tick.SHARD_LIMIT is 10,000).
HOLD_SECONDS = 15.0


class FanOut:
    """The tick's hand-offs, kept for the life of the function's container (a tick invocation's minute of
    passes, and the next invocations on a warm container)."""

    def __init__(self, shards: ShardDispatcher, threshold: int, hold_seconds: float = HOLD_SECONDS) -> None:
        self.threshold = threshold
        self._shards = shards
        self._hold = timedelta(seconds=hold_seconds)
        self._handed: dict[str, datetime] = {}
        self._lock = threading.Lock()

    @property
    def due_limit(self) -> int:
        """Jobs a pass reads per shard: one more than the threshold tells a herd from a pass's own work."""
        return self.threshold + 1

    def is_herd(self, due: int) -> bool:
        return due > self.threshold

    def not_held(self, shards: Iterable[str], now: datetime) -> list[str]:
        """The shards of `shards` no dispatch invocation was handed within the hold."""
        with self._lock:
            return [shard for shard in shards if shard not in self._handed or now - self._handed[shard] >= self._hold]

    def hand_off(self, shard: str, due_by: datetime) -> bool:
        """Hand `shard`'s jobs due by `due_by` to a dispatch invocation; False when Lambda refused it (never
        raises: the shard's jobs stay due, and the next pass hands it again)."""
        accepted = self._shards.hand_off(shard, due_by)
        if accepted:
            with self._lock:
                self._handed[shard] = due_by
        return accepted
