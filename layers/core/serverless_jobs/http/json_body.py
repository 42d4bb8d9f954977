"""Request bodies as the API reads them: one JSON object, every number kept exactly or flagged.

Python's `json.loads` (Powertools' default) reads `NaN`, `Infinity` and `1e400` as floats that are later
written back as `null`, rounds a fraction of more than 17 significant digits, raises ValueError on an
integer of 5,000 digits and RecursionError on a body nested thousands of levels deep; and Powertools' body
validation takes the first element of an array body. Here such numbers stay in place as
`UnreadableNumber` (so the validators can name the field they are in), and a body that is too deep or
not an object is refused naming `body`.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.jsonvalue import IMPRECISE, MAX_DEPTH, MAX_DIGITS, UnreadableNumber

_NONZERO_DIGIT = re.compile(r"[1-9]")


def _number(text: str) -> float | UnreadableNumber:
    value = float(text)
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    underflowed = value == 0 and _NONZERO_DIGIT.search(mantissa) is not None  # 1e-400 would read as 0.0
    if underflowed or not math.isfinite(value):
        return UnreadableNumber(text)
    # The float must be the very number written (2.50 is 2.5; 3.14159265358979323846 is not 3.141592653589793).
    return value if Decimal(text) == Decimal(repr(value)) else UnreadableNumber(text, IMPRECISE)


def _integer(text: str) -> int | UnreadableNumber:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else UnreadableNumber(text)


def parse_body(text: str) -> dict[str, Any]:
    """The body as a dict; JSONDecodeError for text that is not JSON (Powertools answers it as such)."""
    try:
        value = json.loads(text, parse_float=_number, parse_int=_integer, parse_constant=UnreadableNumber)
    except RecursionError:
        raise InvalidInput("body", f"is nested too deeply; data may nest at most {MAX_DEPTH} levels") from None
    if not isinstance(value, dict):
        raise InvalidInput("body", f"must be a JSON object, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "a string" if isinstance(value, str) else "a number or boolean"
