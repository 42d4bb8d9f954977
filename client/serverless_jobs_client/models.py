"""The API's answers as typed values: Job (and its RateLimit), Run, Page and BulkResult.

Attributes carry the API's own field names (DESIGN §5: `nextRunAt`, `maxAttempts`), so what a user reads in
the docs, the JSON and the code is one name. Times become aware UTC datetimes. Parsing is tolerant: a
field the API adds later is kept in `raw` and never an error, and a field an older API lacks reads as None,
so this package keeps working across deploys of the stack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar

# The statuses after which a run or a job changes no more by itself.
RUN_ENDED = frozenset({"completed", "failed", "timed_out", "skipped"})
RUN_FAILED = frozenset({"failed", "timed_out"})


def parse_time(text: str | None) -> datetime | None:
    """An API time (`2026-11-28T09:45:39.123Z`, years 0001..9999) as an aware UTC datetime."""
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def api_time(moment: datetime) -> str:
    """A time as the API writes it: UTC, milliseconds, `Z`, a four-digit year (`2026-11-28T09:45:39.123Z`)."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def format_time(moment: datetime | str) -> str:
    """A time as the API reads it: an ISO 8601 string with an offset (naive datetimes are taken as UTC)."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


class _FromApi:
    """`from_api(body)`: each dataclass field from the API field of the same name; times and objects parsed."""

    raw: dict[str, Any]
    _TIMES: frozenset[str] = frozenset()
    _OBJECTS: ClassVar[Mapping[str, Callable[[Mapping[str, Any]], Any]]] = {}

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Self:
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
            if spec.name == "raw":
                continue
            if spec.name in body:
                value = body[spec.name]
                if spec.name in cls._TIMES:
                    value = parse_time(value)
                elif spec.name in cls._OBJECTS and isinstance(value, Mapping):
                    value = cls._OBJECTS[spec.name](value)
                values[spec.name] = value
        return cls(**{**values, "raw": dict(body)})


@dataclass(frozen=True)
class RateLimit(_FromApi):
    """At most `limit` run starts of the jobs sharing `key` in any `periodSeconds` (decision "Rate limits")."""

    key: str
    limit: int
    periodSeconds: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_api(self) -> dict[str, Any]:
        """The request's `rateLimit`: what `client.update(job.id, rateLimit=other.rateLimit)` sends."""
        return {"key": self.key, "limit": self.limit, "periodSeconds": self.periodSeconds}


@dataclass(frozen=True)
class Job(_FromApi):
    """A job as `GET /jobs/{id}` shows it (DESIGN §5, "Job")."""

    id: str
    name: str
    status: str
    handler: str | None = None
    target: dict[str, Any] | None = None
    notify: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None
    timezone: str = "UTC"
    runAt: datetime | None = None
    endAt: datetime | None = None
    attempts: int = 0
    maxAttempts: int | None = None
    retryBackoffSeconds: int | None = None
    timeoutSeconds: int | None = None
    jitterSeconds: int | None = None
    maxRuns: int | None = None
    successfulRuns: int | None = None
    catchupWindowSeconds: int | None = None
    overlap: Literal["buffer", "skip"] | None = None
    concurrencyKey: str | None = None
    concurrencyLimit: int | None = None
    rateLimit: RateLimit | None = None
    key: str | None = None
    lastRunAt: datetime | None = None
    nextRunAt: datetime | None = None
    lastError: str | None = None
    createdAt: datetime | None = None
    updatedAt: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _TIMES = frozenset({"runAt", "endAt", "lastRunAt", "nextRunAt", "createdAt", "updatedAt"})
    _OBJECTS: ClassVar[Mapping[str, Callable[[Mapping[str, Any]], Any]]] = {"rateLimit": RateLimit.from_api}


@dataclass(frozen=True)
class Run(_FromApi):
    """One run of a job, a history entry (DESIGN §5, "Run")."""

    id: str
    jobId: str
    status: str
    attempt: int = 0
    trigger: str | None = None
    scheduledAt: datetime | None = None
    startedAt: datetime | None = None
    completedAt: datetime | None = None
    duration: int | None = None
    result: Any = None
    resultTruncated: bool = False
    error: str | None = None
    notification: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _TIMES = frozenset({"scheduledAt", "startedAt", "completedAt"})

    @property
    def ended(self) -> bool:
        return self.status in RUN_ENDED

    @property
    def failed(self) -> bool:
        return self.status in RUN_FAILED


@dataclass(frozen=True)
class BulkResult(_FromApi):
    """What a bulk operation did: matched = changed + unchanged + len(conflicts)."""

    matched: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    nextToken: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __add__(self, other: BulkResult) -> BulkResult:
        """Two pages of one operation as one answer (the later page's token)."""
        return BulkResult(
            matched=self.matched + other.matched,
            changed=self.changed + other.changed,
            unchanged=self.unchanged + other.unchanged,
            conflicts=[*self.conflicts, *other.conflicts],
            nextToken=other.nextToken,
        )


Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a listing; `next_token` is None on the last."""

    items: list[Item]
    next_token: str | None

    @classmethod
    def from_api(cls, body: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], Item]) -> Page[Item]:
        entries: Sequence[Mapping[str, Any]] = body.get(key) or []
        return cls([parse(entry) for entry in entries], body.get("nextToken"))

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)
