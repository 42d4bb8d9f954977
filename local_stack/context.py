"""The Lambda context the local stack gives each invocation: the function's Timeout from template.yaml,
counting down from the invocation's start, so long work stops at the deadline it would meet on AWS."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from devtools.functions import FakeLambdaContext
from devtools.template import function_spec


@dataclass
class InvocationContext(FakeLambdaContext):
    """`get_remaining_time_in_millis` is what is left of the function's timeout, never less than 0."""

    clock: Callable[[], float] = time.monotonic  # seconds; only differences count
    ends_at: float = field(default=0.0)

    @classmethod
    def starting(cls, logical_id: str, clock: Callable[[], float] = time.monotonic) -> InvocationContext:
        """The context of an invocation of `logical_id` that starts now."""
        timeout = function_spec(logical_id).timeout_seconds
        return cls(function_name=logical_id, remaining_millis=timeout * 1000, clock=clock, ends_at=clock() + timeout)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends_at - self.clock()) * 1000))
