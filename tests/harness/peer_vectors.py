"""Other people's schedule vectors (croniter's test suite, AWS's documentation), asked of `POST /schedules/preview`.

A vector is a question about a schedule in a zone and croniter's or AWS's answer (`expected`); `answer` asks
the API the same question and puts its reply in the vector's shape, so the two compare with `==`:

- `next`: the occurrences after `from` (not at it), in order.
- `created`: the occurrences of a job created at `from` (with `runAt` when the vector has one), in order.
- `previous`: the occurrences before `from`, ascending; the API is asked from the earliest, and the one
  after the latest must not come before `from`, or they are not the latest.
- `range`: every occurrence from `start` to `stop`, both included.
- `match`: whether an occurrence lies in the minute before `start` through `stop` (croniter's `match`).
- `valid`: whether the expression is accepted (a valid one with no occurrence still is).

A list of times answers with occurrences; `"none"` means the schedule is accepted but has no occurrence,
`"refused"` that the expression is refused (400).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devtools.api import ApiClient
from devtools.clock import ManualClock

PEER_VECTORS = Path(__file__).parent.parent / "data" / "peer_vectors"
_MAX_COUNT = 50  # POST /schedules/preview's largest count
_MILLI = timedelta(milliseconds=1)

Answer = list[str] | bool | str


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((PEER_VECTORS / name).read_text())["vectors"]
    return vectors


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class PreviewAsker:
    """`POST /schedules/preview` at any moment: the API's clock is set to the question's `now`."""

    def __init__(self, api: ApiClient, clock: ManualClock) -> None:
        self.api, self.clock = api, clock

    def occurrences(self, vector: dict[str, Any], now: datetime, count: int, **window: datetime) -> list[str] | str:
        self.clock.set(now)
        body: dict[str, Any] = {"schedule": vector["schedule"], "timezone": vector["timezone"], "count": count}
        body.update({key: _text(value) for key, value in window.items()})
        reply = self.api.post("/schedules/preview", body)
        if reply.status == 200:
            found: list[str] = reply.body["occurrences"]
            return found
        assert reply.status == 400, (vector["id"], reply.status, reply.body)
        return "none" if "no occurrence" in reply.body["message"] else "refused"

    def answer(self, vector: dict[str, Any]) -> Answer:
        check = vector["check"]
        expected = vector["expected"]
        if check == "next":
            count = len(expected) if isinstance(expected, list) else 1
            return self.occurrences(vector, _moment(vector["from"]) + _MILLI, count)
        if check == "created":
            window = {"runAt": _moment(vector["runAt"])} if "runAt" in vector else {}
            return self.occurrences(vector, _moment(vector["from"]), len(expected), **window)
        if check == "previous":
            return self._previous(vector)
        if check == "range":
            return self._range(vector)
        if check == "match":
            precision = timedelta(seconds=int(vector.get("croniterOptions", {}).get("precision_in_seconds", 60)))
            found = self.occurrences(vector, _moment(vector["start"]) - precision + _MILLI, 1)
            return isinstance(found, list) and _moment(found[0]) <= _moment(vector["stop"])
        found = self.occurrences(vector, datetime(2026, 11, 28, 9, tzinfo=UTC), 1)
        return found != "refused"

    def _previous(self, vector: dict[str, Any]) -> list[str] | str:
        expected = vector["expected"]
        if not isinstance(expected, list):  # croniter found none before `from`: nothing in the 50 years before
            found = self.occurrences(vector, _moment(vector["from"]) - timedelta(days=50 * 366), 1)
            return found if isinstance(found, str) or _moment(found[0]) < _moment(vector["from"]) else "none"
        found = self.occurrences(vector, _moment(expected[0]), len(expected) + 1)
        if isinstance(found, str) or len(found) <= len(expected):
            return found
        return found[:-1] if _moment(found[-1]) >= _moment(vector["from"]) else found

    def _range(self, vector: dict[str, Any]) -> list[str] | str:
        start, stop = _moment(vector["start"]), _moment(vector["stop"])
        if vector.get("croniterOptions", {}).get("exclude_ends") == "True":
            start, stop = start + _MILLI, stop - _MILLI
        found: list[str] = []
        while True:
            page = self.occurrences(vector, start - _MILLI, _MAX_COUNT, runAt=start, endAt=stop)
            if page == "none":
                return found
            if isinstance(page, str):
                return page
            found.extend(page)
            if len(page) < _MAX_COUNT:
                return found
            start = _moment(page[-1]) + _MILLI
