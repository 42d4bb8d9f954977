"""What a stored JSON value (a job's `data`, a run's `result`) may be, so that it reads back exactly as given.

The bounds are DynamoDB's, the store's: objects and arrays nested at most 32 levels, numbers with at most
38 significant digits and a magnitude from 1E-130 to under 1E+126 (or 0), text that is valid Unicode. A
value inside them is stored, read and serialised again unchanged; one outside is refused (input) or kept
as text (a handler's result), never silently rewritten (NaN and 1e400 would otherwise come back `null`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
MAX_DIGITS = 38
# DynamoDB's number range: |x| < 1E+126, and |x| >= 1E-130 unless 0.
_LARGEST = 10.0**126
_SMALLEST = 10.0**-130
_MAX_INTEGER = 10**MAX_DIGITS


@dataclass(frozen=True)
class UnreadableNumber:
    """A number as written in a JSON text that no float or integer keeps: NaN, Infinity, 1e400, 1e-400, an
    integer of thousands of digits, or a fraction with more digits than a float holds (`why` says which).
    The request parser leaves it in place so the field can be named."""

    text: str
    why: str = "is not a number JSON can carry (NaN, infinite or out of range)"


# A number with a fraction or an exponent is read as a float, which keeps 15 to 17 significant digits; one
# whose digits a float cannot hold is refused rather than rounded (an integer keeps its 38).
IMPRECISE = (
    "has more significant digits than a number with a fraction or an exponent keeps (15 to 17, a float's); "
    "send it as a string, or as an integer of at most 38 digits"
)


def compact(value: Any) -> str:
    """The stored form: compact JSON in UTF-8, so its size in bytes is what the limits count."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def number_problem(number: int | float | UnreadableNumber) -> str | None:
    """Why a number cannot be stored as given, or None."""
    if isinstance(number, UnreadableNumber):
        shown = number.text if len(number.text) <= 40 else f"{number.text[:20]}...({len(number.text)} characters)"
        return f"{shown} {number.why}"
    if isinstance(number, float) and not math.isfinite(number):
        return f"{number} is not a number JSON can carry"
    if isinstance(number, float) and number != 0 and not _SMALLEST <= abs(number) < _LARGEST:
        return f"{number!r} is out of range; numbers are 0 or 1E-130 <= |x| < 1E+126"
    if isinstance(number, int) and abs(number) >= _MAX_INTEGER:
        return f"an integer of more than {MAX_DIGITS} digits is out of range"
    return None


def problem(value: Any, path: str, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """`("<path>.<key>", why)` for the first part of `value` that is not storable JSON, or None.

    Iterative, so a value nested 100,000 levels deep (which a handler can return) is judged, not crashed on.
    """
    pending: list[tuple[str, Any, int]] = [(path, value, 1)]
    while pending:
        where, item, depth = pending.pop()
        children: list[tuple[str, Any]]
        if isinstance(item, dict):
            keys = [key for key in item if not isinstance(key, str) or _text_problem(key)]
            if keys:
                return _shown(where), f"has a key that is not text ({type(keys[0]).__name__})"
            children = [(f"{where}.{key}", child) for key, child in item.items()]
        elif isinstance(item, list | tuple):
            children = [(f"{where}[{index}]", child) for index, child in enumerate(item)]
        else:
            reason = _scalar_problem(item)
            if reason:
                return _shown(where), reason
            continue
        if depth > max_depth:
            return path, f"is nested deeper than {max_depth} levels (objects and arrays within one another)"
        pending.extend((where, child, depth + 1) for where, child in reversed(children))
    return None


def _shown(path: str) -> str:
    return path if len(path) <= 200 else path[:200] + "..."


def _scalar_problem(item: Any) -> str | None:
    if item is None or isinstance(item, bool):
        return None
    if isinstance(item, str):
        return _text_problem(item)
    if isinstance(item, int | float | UnreadableNumber):
        return number_problem(item)
    return f"a {type(item).__name__} is not a JSON value"


def _text_problem(text: str) -> str | None:
    try:
        text.encode()
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate, which is not text"
    return None
