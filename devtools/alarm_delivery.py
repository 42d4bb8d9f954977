"""The timer queue's event source mapping in tests, on a manual clock: each batch of alarms runs on a thread
of its own, as Lambda runs batches side by side, and the clock moves only when every one of them is waiting.

An invocation's wait (the dispatch function's `sleep`) blocks its thread until the clock reaches the wait's
end; the delivery then moves the clock to the soonest event, an alarm showing or a wait ending, and lets
exactly that one go on, so the runs stay in time order and no two threads call at once (nothing of
Powertools' or moto's is shared across threads then). Without a delivery under way, a wait just moves the
clock (a herd's dispatch invocation, a test calling the function itself).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from devtools.clock import ManualClock
from devtools.dispatch import SentAlarm, TimerRecorder
from devtools.functions import FakeLambdaContext
from serverless_jobs.adapters.lambda_events import sqs_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# At most this many messages in one batch, as the template's BatchSize.
BATCH_SIZE = 10


class AlarmDelivery:
    def __init__(self, clock: ManualClock, timers: TimerRecorder, queue_arn: str) -> None:
        self.clock = clock
        self.timers = timers
        self.queue_arn = queue_arn
        self.fired = 0  # messages of `timers.sent` delivered (or passed over) so far
        self.sleeps: list[float] = []  # every wait, in order
        self._turn = threading.Condition()
        self._delivering = False
        self._running = 0  # invocations not waiting
        self._waits: list[list[Any]] = []  # [ends, released] of each waiting invocation

    def sleep(self, seconds: float) -> None:
        """The dispatch function's wait."""
        self.sleeps.append(seconds)
        with self._turn:
            if not self._delivering:
                self.clock.advance(seconds)
                return
            wait = [self.clock.now() + timedelta(seconds=seconds), False]
            self._waits.append(wait)
            self._running -= 1
            self._turn.notify_all()
            self._turn.wait_for(lambda: wait[1])

    def deliver(
        self, handler: Handler, until: datetime, beside: Callable[[], object] | None = None
    ) -> list[dict[str, Any]]:
        """Deliver what shows by `until` to `handler` (and let every wait end); the invocations' results.

        `beside`, an invocation of another function whose waits call `sleep` (the minute's tick), runs on a
        thread of its own from the start, taking its turn with the deliveries: an alarm shows while it
        waits, as on AWS, not after it ends."""
        results: list[dict[str, Any]] = []
        threads: list[threading.Thread] = []

        def invoke(batch: list[SentAlarm]) -> None:
            event = sqs_event([(sent.message_id, sent.body) for sent in batch], self.queue_arn)
            context = FakeLambdaContext(function_name="DispatchFunction", remaining_millis=60_000)
            results.append(handler(event, context))

        with self._turn:
            self._delivering = True
            if beside is not None:
                threads.append(self._start(beside))
            try:
                while True:
                    self._turn.wait_for(lambda: self._running == 0)
                    pending = sorted(self.timers.sent[self.fired :], key=lambda sent: sent.shows_at)
                    shows = pending[0].shows_at if pending and pending[0].shows_at <= until else None
                    ends = min((wait[0] for wait in self._waits), default=None)
                    if shows is None and ends is None:
                        break
                    if ends is not None and (shows is None or ends <= shows):
                        self._move_to(ends)
                        wait = next(wait for wait in self._waits if wait[0] == ends)
                        self._waits.remove(wait)
                        wait[1] = True
                    else:
                        assert shows is not None
                        self._move_to(shows)
                        batch = [sent for sent in pending if sent.shows_at <= shows][:BATCH_SIZE]
                        self.timers.sent[self.fired :] = batch + [sent for sent in pending if sent not in batch]
                        self.fired += len(batch)
                        threads.append(self._start(partial(invoke, batch)))
                        continue
                    self._running += 1
                    self._turn.notify_all()
            finally:
                self._delivering = False
        for thread in threads:
            thread.join()
        return results

    def _start(self, call: Callable[[], object]) -> threading.Thread:
        """`call()` on a thread of its own, counted running until it ends or waits (the caller holds
        `_turn`)."""

        def run() -> None:
            try:
                call()
            finally:
                with self._turn:
                    self._running -= 1
                    self._turn.notify_all()

        self._running += 1
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._turn.notify_all()
        return thread

    def _move_to(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.advance((moment - self.clock.now()).total_seconds())
