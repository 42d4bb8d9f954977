"""Cron ranges by one rule for names and numbers, in both cron dialects.

`a-a` is that one value. `a-b` with a > b wraps round the field's cycle: `20-2` hours are 20-23 and 0-2
(AWS's own example, `cron(0/30 20-2 ? * MON-FRI *)`), `NOV-MAR` is November to March, `FRI-MON` Friday to
Monday. A step counts along the range as written, across the wrap: `THU-TUE/2` is Thursday, Saturday,
Monday. croniter alone reads `MON-MON` as every day and steps a wrapped range its own way, so every range
is rewritten here, as numbers, before croniter sees the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RANGE = re.compile(r"^([A-Za-z]{3}|\d+)-([A-Za-z]{3}|\d+)(?:/(\d+))?$")


@dataclass(frozen=True)
class Cycle:
    """A field's values in order: `low`-`high` repeat; `last` is the highest value a range may end at."""

    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)
    last: int | None = None  # 5-field day-of-week: 7 is Sunday again, so `5-7` is Friday to Sunday

    def value(self, token: str) -> int:
        number = self.names.get(token.upper()) if token.isalpha() else int(token)
        if number is None or not self.low <= number <= (self.last or self.high):
            raise ValueError(token)
        return number


MINUTES = Cycle(0, 59)
HOURS = Cycle(0, 23)
DAYS_OF_MONTH = Cycle(1, 31)
MONTHS = Cycle(1, 12, {name: number for number, name in enumerate(_MONTHS, 1)})
WEEKDAYS_FROM_ZERO = Cycle(0, 6, {name: number for number, name in enumerate(_WEEKDAYS)}, last=7)
WEEKDAYS_FROM_ONE = Cycle(1, 7, {name: number for number, name in enumerate(_WEEKDAYS, 1)})  # EventBridge


def _term(term: str, cycle: Cycle) -> str:
    match = _RANGE.match(term)
    if match is None:
        return term  # a value, `*`, a step over `*` or a day token: croniter's to read
    first, last = cycle.value(match.group(1)), cycle.value(match.group(2))
    step = int(match.group(3) or 1)
    if step < 1:
        raise ValueError(term)
    if first == last:
        return str(first)
    if cycle.last is not None and first == cycle.last:
        first = cycle.low  # `7-2` starts on Sunday, like `0-2`; `7-0` is Sunday alone
        if first == last:
            return str(first)
    if first < last:
        return f"{first}-{last}" + (f"/{step}" if match.group(3) else "")
    around = [*range(first, cycle.high + 1), *range(cycle.low, last + 1)]
    return ",".join(str(value) for value in around[::step])


def expand_ranges(text: str, cycle: Cycle) -> str:
    """The field with every range in numbers, a wrapped one as its list; ValueError for a value off the cycle."""
    return ",".join(_term(term, cycle) for term in text.split(","))
