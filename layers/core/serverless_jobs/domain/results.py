"""What a run leaves as stored, bounded: its result (at most 64 KB, JSON that reads back as given, else cut
text) and its error (at most 4,096 characters of valid text). Pure: whatever a handler returns or raises,
its run is recorded.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

from serverless_jobs.domain import jsonvalue

RESULT_LIMIT_BYTES = 64 * 1024
# A run's error is stored twice (the job's lastError, the run's error) next to up to 256 KB of data, in an
# item DynamoDB caps at 400 KB: a handler raising with its whole input as the message must still fit.
ERROR_LIMIT_CHARS = 4096


def error_text(error: Exception) -> str:
    """`Type: message`, at most ERROR_LIMIT_CHARS and valid text, whatever the exception's `__str__` does."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose __str__ raises still fails its run, with its type
        text = f"{type(error).__name__}: (its message could not be read)"
    return str(bounded_error(text))


def bounded_error(text: str | None) -> str | None:
    """A run's error as stored: at most ERROR_LIMIT_CHARS, valid text."""
    if text is not None and len(text) > ERROR_LIMIT_CHARS:
        text = text[: ERROR_LIMIT_CHARS - 40] + f"... ({len(text)} characters in all)"
    return None if text is None else text.encode(errors="replace").decode()


def bounded_result(result: Any) -> tuple[Any, bool]:
    """The result as stored, and whether it was cut: the value itself when it is JSON that reads back as
    given (`jsonvalue`: depth, numbers, text) of at most 64 KB as stored; otherwise its text, cut so that
    it stores in 64 KB, and flagged truncated. Never raises: whatever a handler returns, its run is recorded.
    """
    if jsonvalue.problem(result, "result") is None:
        stored = jsonvalue.compact(result)
        if len(stored.encode()) <= RESULT_LIMIT_BYTES:
            return json.loads(stored), False  # as it reads back (a tuple is a list)
        return _cut(stored), True
    return _cut(_as_text(result)), True


def _short_repr() -> reprlib.Repr:
    """repr that stops at 32 levels and long parts, so it never recurses out of the stack."""
    short = reprlib.Repr()
    short.maxlevel = jsonvalue.MAX_DEPTH
    short.maxstring = short.maxother = short.maxlist = short.maxdict = short.maxtuple = short.maxset = 1024
    return short


_SHORT = _short_repr()


def _as_text(result: Any) -> str:
    """What the handler returned, as readable as it can be made: JSON with NaN left as written, else repr."""
    try:
        return json.dumps(result, default=repr)
    except (ValueError, TypeError, RecursionError):  # a circular, non-text-keyed or very deep value
        try:
            return _SHORT.repr(result)
        except Exception:
            return f"(a {type(result).__name__} that cannot be shown as text)"


def _cut(text: str) -> str:
    """The longest start of `text` that, valid UTF-8 and escaped as a JSON string, fits the result limit.

    Found by bisection over its length in characters: an escape costs 2 to 6 bytes, so cutting by the excess
    in bytes would cut a text of quotes or control characters to nothing."""
    text = text.encode(errors="replace").decode()

    def fits(length: int) -> bool:
        return len(jsonvalue.compact(text[:length]).encode()) <= RESULT_LIMIT_BYTES

    if fits(len(text)):
        return text
    low, high = 0, min(len(text), RESULT_LIMIT_BYTES)  # every character stores in a byte or more
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return text[:low]
