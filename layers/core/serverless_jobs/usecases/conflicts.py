"""The one rule for read-modify-write races: read again and retry, a bounded number of times."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WRITE_ATTEMPTS = 5


class ConcurrentChange(Exception):
    """The job changed between read and write; read it again and retry."""


def retry_on_conflict(operation: Callable[[], T]) -> T:
    """Run a read-modify-write `operation` again while it raises ConcurrentChange, WRITE_ATTEMPTS in all."""
    for _ in range(WRITE_ATTEMPTS - 1):
        try:
            return operation()
        except ConcurrentChange:
            continue
    return operation()
