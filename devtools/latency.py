"""A network round trip for every AWS call the functions make, and a count of the calls in flight.

moto answers in-process and, under its lock (moto_backend), one call at a time: without latency a pass's
overlapping would show nothing. The delay is slept in botocore's `before-parameter-build`, before moto's
lock is taken, so delayed calls overlap as they do against AWS; only the functions' calls
(devtools.aws_calls) wait. Not in `before-call`: a more specific handler (the harness's Invoke recorder,
devtools.dispatch) answers Invoke there first, which ends the handler chain.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from devtools.aws_calls import running_function


class NetworkLatency:
    """Delays each function call by `seconds`; `calls` made, `most_in_flight` at any one time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0
        self.most_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._clients: list[Any] = []

    def attach(self, clients: list[Any]) -> None:
        for client in clients:
            client.meta.events.register("before-parameter-build", self._before)
            client.meta.events.register("after-call", self._after)
            self._clients.append(client)

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-parameter-build", self._before)
            client.meta.events.unregister("after-call", self._after)
        self._clients.clear()

    def _before(self, **_: Any) -> None:
        if running_function.get() is None:
            return
        with self._lock:
            self.calls += 1
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        time.sleep(self.seconds)

    def _after(self, **_: Any) -> None:
        if running_function.get() is None:
            return
        with self._lock:
            self._in_flight -= 1
