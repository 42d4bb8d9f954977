"""Request and response shapes of the HTTP API, with every field rule in one place.

Rules that need no clock live here as pydantic validators, so a bad field is refused before anything is
read or written; rules that need "now" (an `endAt` in the past) live in the use cases.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    model_validator,
)

from serverless_jobs.domain import jsonvalue
from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.flow import check_concurrency
from serverless_jobs.domain.job import JobStatus
from serverless_jobs.domain.keys import KEY_PATTERN as JOB_KEY_PATTERN
from serverless_jobs.domain.keys import KEY_RULE as JOB_KEY_RULE
from serverless_jobs.domain.labels import (
    KEY_PATTERN,
    KEY_RULE,
    MAX_KEY_LENGTH,
    MAX_LABELS,
    MAX_VALUE_LENGTH,
    VALUE_PATTERN,
    VALUE_RULE,
    check_labels,
    parse_selector,
)
from serverless_jobs.domain.rate import MAX_LIMIT, MAX_PERIOD_SECONDS
from serverless_jobs.domain.schedules.expressions import parse_schedule, parse_zone
from serverless_jobs.domain.targets import (
    HTTP_METHODS,
    MAX_DETAIL_TYPE_LENGTH,
    TargetType,
    check_arn,
    check_headers,
    check_url,
)
from serverless_jobs.domain.timefmt import in_range
from serverless_jobs.registry import is_registered, registered

MAX_DATA_BYTES = 256 * 1024
# EventBridge Scheduler's own limit on a schedule expression.
MAX_SCHEDULE_LENGTH = 256
# The longest IANA zone name is 32 characters; a longer one is refused before it reaches the file system.
MAX_ZONE_LENGTH = 64
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _printable_name(value: str) -> str:
    if not value.strip():
        raise InvalidInput("name", "must not be blank")
    for position, character in enumerate(value):
        if unicodedata.category(character) in ("Cc", "Cs"):  # controls (NUL, ESC, newline), lone surrogates
            raise InvalidInput("name", f"contains the control character U+{ord(character):04X} at {position}")
    return value


def _registered_handler(value: str) -> str:
    if not is_registered(value):
        known = ", ".join(sorted(registered()))
        raise InvalidInput("handler", f"'{value}' is not a registered handler; registered: {known}")
    return value


def _data_fits(value: dict[str, Any]) -> dict[str, Any]:
    """JSON that reads back as given (depth, numbers, text: see `jsonvalue`), of at most 256 KB as stored."""
    problem = jsonvalue.problem(value, "data")
    if problem:
        raise InvalidInput(*problem)
    size = len(jsonvalue.compact(value).encode())
    if size > MAX_DATA_BYTES:
        raise InvalidInput("data", f"is {size} bytes as JSON; the limit is {MAX_DATA_BYTES} (256 KB)")
    return value


def _valid_schedule(value: str) -> str:
    parse_schedule(value)
    return value  # kept exactly as given: a job returns its expression verbatim


def _valid_zone(value: str) -> str:
    parse_zone(value)
    return value


def _valid_selector(value: str) -> str:
    parse_selector(value)
    return value


def _iso_8601_text(value: Any, info: ValidationInfo) -> Any:
    """Times are ISO 8601 strings only: pydantic alone would take 1800000000 or "1800000000" as Unix time."""
    if value is not None and not (isinstance(value, str) and _ISO_8601.match(value)):
        raise InvalidInput(str(info.field_name), "must be an ISO 8601 time with an offset, e.g. 2026-11-28T09:45:39Z")
    return value


def _within_years(value: datetime, info: ValidationInfo) -> datetime:
    if not in_range(value):
        raise InvalidInput(str(info.field_name), "must lie within years 0001..9999 in UTC")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable_name)]
HandlerName = Annotated[str, AfterValidator(_registered_handler)]
JobData = Annotated[dict[str, Any], AfterValidator(_data_fits)]
Labels = Annotated[
    dict[str, StrictStr],
    AfterValidator(check_labels),
    Field(
        description=f"At most {MAX_LABELS} pairs, for grouping. Keys: {KEY_RULE}. Values: {VALUE_RULE}.",
        examples=[{"team": "billing", "env": "prod"}],
        json_schema_extra={
            "maxProperties": MAX_LABELS,
            "propertyNames": {"pattern": f"^{KEY_PATTERN}$"},
            "additionalProperties": {"type": "string", "pattern": f"^{VALUE_PATTERN}$"},
        },
    ),
]
LabelSelector = Annotated[
    str,
    AfterValidator(_valid_selector),
    Field(
        description="One label as key=value",
        examples=["team=billing"],
        max_length=MAX_KEY_LENGTH + 1 + MAX_VALUE_LENGTH,
    ),
]
ScheduleText = Annotated[str, Field(max_length=MAX_SCHEDULE_LENGTH), AfterValidator(_valid_schedule)]
ZoneName = Annotated[str, Field(max_length=MAX_ZONE_LENGTH), AfterValidator(_valid_zone)]
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_8601_text), AfterValidator(_within_years)]
MaxAttempts = Annotated[StrictInt, Field(ge=1, le=25)]
BackoffSeconds = Annotated[StrictInt, Field(ge=0, le=86400)]
TimeoutSeconds = Annotated[StrictInt, Field(ge=1, le=900)]
# Flow control (decisions "Jitter", "maxRuns"): a start offset of up to a day; a run count to complete after.
JitterSeconds = Annotated[StrictInt, Field(ge=0, le=86400)]
MaxRuns = Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]
CatchupWindowSeconds = Annotated[StrictInt, Field(ge=1, le=31_536_000)]  # up to a year
OverlapPolicy = Annotated[
    Literal["buffer", "skip"],
    Field(
        description="Occurrences that fall due while a run runs: `buffer` runs them once after it (the latest "
        "of them), `skip` records them as one `skipped` history entry and goes on after the run (recurring "
        "jobs only)",
        examples=["skip"],
    ),
]
# A concurrency or rate-limit key: what a tenant id, a host name or an API's name looks like.
FLOW_KEY_PATTERN = r"^[A-Za-z0-9._:/=-]{1,128}$"
ConcurrencyKey = Annotated[
    StrictStr,
    Field(
        pattern=FLOW_KEY_PATTERN,
        description="Jobs sharing this key run at most `concurrencyLimit` at once, across the fleet",
        examples=["tenant-42"],
    ),
]
JobKey = Annotated[
    StrictStr,
    Field(
        pattern=f"^{JOB_KEY_PATTERN}$",
        description=f"The job's own name, unique in the stack ({JOB_KEY_RULE}): how a file or a template finds it",
        examples=["reports/daily"],
    ),
]
ConcurrencyLimit = Annotated[
    StrictInt, Field(ge=1, le=10000, description="How many jobs of `concurrencyKey` may run at once")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Window(_Strict):
    """`runAt` starts a schedule's window and `endAt` closes it; a closed window must not end first."""

    runAt: Instant | None = None
    endAt: Instant | None = None

    @model_validator(mode="after")
    def _window_ordered(self) -> Self:
        if self.runAt is not None and self.endAt is not None and self.endAt < self.runAt:
            raise InvalidInput("endAt", "is before runAt; no run could start")
        return self


def _arn(kind: TargetType, field_name: str = "target.arn") -> AfterValidator:
    return AfterValidator(lambda value: check_arn(kind, value, field_name))


class LambdaTargetSpec(_Strict):
    """Invoke the function synchronously with `{"data": ..., "context": {jobId, runId, ...}}`."""

    type: Literal["lambda"]
    arn: Annotated[str, _arn("lambda")]


class HttpTargetSpec(_Strict):
    """Send `data` as JSON, signed (the X-Serverless-Jobs-Signature header); 2xx succeeds."""

    type: Literal["http"]
    url: Annotated[str, AfterValidator(check_url)]
    method: Literal[HTTP_METHODS] = "POST"  # type: ignore[valid-type]
    headers: Annotated[dict[str, str], AfterValidator(check_headers)] = Field(default_factory=dict)


class SqsTargetSpec(_Strict):
    """Send `data` as one message's body."""

    type: Literal["sqs"]
    arn: Annotated[str, _arn("sqs")]


class EventBridgeTargetSpec(_Strict):
    """Put `data` on the bus as the detail of one event (source `serverless-jobs`)."""

    type: Literal["eventbridge"]
    busArn: Annotated[str, _arn("eventbridge", "target.busArn")]
    detailType: Annotated[str, Field(min_length=1, max_length=MAX_DETAIL_TYPE_LENGTH)]


class StepFunctionsTargetSpec(_Strict):
    """Start an execution with `data` as its input, named by the run's id."""

    type: Literal["stepfunctions"]
    arn: Annotated[str, _arn("stepfunctions")]


TargetSpec = Annotated[
    LambdaTargetSpec | HttpTargetSpec | SqsTargetSpec | EventBridgeTargetSpec | StepFunctionsTargetSpec,
    Field(discriminator="type"),
]


class NotifySpec(_Strict):
    """Who hears how runs end: `onFailure` when the job fails for good (every failed attempt with
    `onEveryFailure`), `onSuccess` when a run completes. Each is a target of any type."""

    onFailure: TargetSpec | None = None
    onSuccess: TargetSpec | None = None
    onEveryFailure: StrictBool = False

    @model_validator(mode="after")
    def _some_target(self) -> Self:
        if self.onFailure is None and self.onSuccess is None:
            raise InvalidInput("notify", "needs onFailure or onSuccess (send null to notify nobody)")
        if self.onEveryFailure and self.onFailure is None:
            raise InvalidInput("notify.onEveryFailure", "needs notify.onFailure to send to")
        return self


class RateLimitSpec(_Strict):
    """At most `limit` run starts (scheduled, retry and manual alike) of the jobs sharing `key` in any
    `periodSeconds`, across the fleet: a sliding window. A due job past the limit waits, still due, and
    starts as soon as the oldest start leaves the window."""

    key: Annotated[StrictStr, Field(pattern=FLOW_KEY_PATTERN, examples=["partner-api"])]
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_LIMIT)]
    periodSeconds: Annotated[StrictInt, Field(ge=1, le=MAX_PERIOD_SECONDS)]


class JobCreate(_Window):
    """A job runs a registered `handler` or sends its runs to a `target`: exactly one of the two."""

    name: Name
    handler: HandlerName | None = None
    target: TargetSpec | None = None
    notify: NotifySpec | None = None
    data: JobData = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    schedule: ScheduleText | None = None
    timezone: ZoneName = "UTC"
    maxAttempts: MaxAttempts = 3
    retryBackoffSeconds: BackoffSeconds = 10
    timeoutSeconds: TimeoutSeconds = 300
    jitterSeconds: JitterSeconds = 0
    maxRuns: MaxRuns | None = None
    catchupWindowSeconds: CatchupWindowSeconds | None = None
    overlap: OverlapPolicy = "buffer"
    concurrencyKey: ConcurrencyKey | None = None
    concurrencyLimit: ConcurrencyLimit | None = None
    rateLimit: RateLimitSpec | None = None
    key: JobKey | None = None

    @model_validator(mode="after")
    def _handler_or_target(self) -> Self:
        if self.handler is None and self.target is None:
            raise InvalidInput("handler", "is required, unless the job has a target")
        _one_of_handler_and_target(self)
        check_concurrency(self.concurrencyKey, self.concurrencyLimit)
        return self


class JobUpdate(_Window):
    """Only the fields sent change; `schedule`, `runAt`, `endAt`, `notify`, `key`, `maxRuns`,
    `catchupWindowSeconds`, `concurrencyKey` with `concurrencyLimit`, and `rateLimit` may be set to null to
    clear them.

    Sending `target` for a job with a handler replaces the handler, and the other way round; the one replaced
    may be sent as null alongside (`{"target": {...}, "handler": null}`, as the job is shown), but not alone.
    """

    name: Name | None = None
    handler: HandlerName | None = None
    target: TargetSpec | None = None
    notify: NotifySpec | None = None
    data: JobData | None = None
    labels: Labels | None = None
    schedule: ScheduleText | None = None
    timezone: ZoneName | None = None
    maxAttempts: MaxAttempts | None = None
    retryBackoffSeconds: BackoffSeconds | None = None
    timeoutSeconds: TimeoutSeconds | None = None
    jitterSeconds: JitterSeconds | None = None
    maxRuns: MaxRuns | None = None
    catchupWindowSeconds: CatchupWindowSeconds | None = None
    overlap: OverlapPolicy | None = None
    concurrencyKey: ConcurrencyKey | None = None  # null (with concurrencyLimit null) leaves the key
    concurrencyLimit: ConcurrencyLimit | None = None
    rateLimit: RateLimitSpec | None = None
    key: JobKey | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> Self:
        flow = {"maxRuns", "catchupWindowSeconds", "concurrencyKey", "concurrencyLimit", "rateLimit"}
        clearable = {"schedule", "runAt", "endAt", "notify", "key", *flow}
        if self.target is not None:
            clearable.add("handler")
        if self.handler is not None:
            clearable.add("target")
        for field in sorted(self.model_fields_set - clearable):
            if getattr(self, field) is None:
                raise InvalidInput(field, "may not be null")
        _one_of_handler_and_target(self)
        return self


def _one_of_handler_and_target(request: JobCreate | JobUpdate) -> None:
    if request.handler is not None and request.target is not None:
        raise InvalidInput("target", "a job has either a handler or a target, not both")


class SchedulePreview(_Window):
    schedule: ScheduleText
    timezone: ZoneName = "UTC"
    count: Annotated[StrictInt, Field(ge=1, le=50)] = 5


class JobView(BaseModel):
    id: str
    name: str
    handler: str | None
    target: TargetSpec | None = None
    notify: NotifySpec | None = None
    data: dict[str, Any]
    labels: dict[str, str]
    schedule: str | None
    timezone: str
    runAt: str | None
    endAt: str | None
    status: JobStatus
    attempts: int
    maxAttempts: int
    retryBackoffSeconds: int
    timeoutSeconds: int
    jitterSeconds: int
    maxRuns: int | None
    successfulRuns: int
    catchupWindowSeconds: int | None
    overlap: OverlapPolicy
    concurrencyKey: str | None = None
    concurrencyLimit: int | None = None
    rateLimit: RateLimitSpec | None = None
    key: str | None = None
    lastRunAt: str | None
    nextRunAt: str | None
    lastError: str | None
    createdAt: str
    updatedAt: str


class JobPreview(JobView):
    """What `POST /jobs/validate` answers: the job a create would store, with no `id`, as nothing is stored.
    An empty id named no job, and a client following it (`GET /jobs/`) was answered the list."""

    id: None = None  # type: ignore[assignment]


class JobList(BaseModel):
    jobs: list[JobView]
    nextToken: str | None


class RunView(BaseModel):
    id: str
    jobId: str
    status: str
    attempt: int
    trigger: str
    scheduledAt: str | None
    startedAt: str
    completedAt: str | None
    duration: int | None
    result: Any = None
    resultTruncated: bool = False
    error: str | None
    notification: dict[str, Any] | None = None


class RunList(BaseModel):
    history: list[RunView]
    nextToken: str | None


class BulkSelector(_Strict):
    """Which jobs a bulk operation acts on: those carrying `label` (and in `status`, if given)."""

    label: LabelSelector
    status: JobStatus | None = None
    nextToken: str | None = Field(default=None, description="The nextToken of the previous answer, to go on")


class BulkConflict(BaseModel):
    id: str
    message: str


class BulkResult(BaseModel):
    """What one bulk request did: matched = changed + unchanged + len(conflicts)."""

    matched: int
    changed: int
    unchanged: int
    conflicts: list[BulkConflict]
    nextToken: str | None


class TriggerAccepted(BaseModel):
    runId: str


class RunnerState(BaseModel):
    running: bool


class Occurrences(BaseModel):
    occurrences: list[str]


class Health(BaseModel):
    status: str
    version: str = Field(description="The release the API runs (its semantic version)")


class Message(BaseModel):
    message: str
