"""The job's fields at the HTTP edge, in one table: each field's API name, the Job attribute it is, and
how its value converts each way. A request's fields become a JobSpec or an update's changes, and a job
becomes its view, from this table alone (CONTRIBUTING.md: "Adding a job field").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from serverless_jobs.domain.notify import Notify
from serverless_jobs.domain.rate import RateLimit
from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import from_millis, iso_z, iso_z_millis, to_millis_or_none


def _same(value: Any) -> Any:
    return value


def _from_api(kind: Callable[[dict[str, Any]], Any]) -> Callable[[BaseModel | None], Any]:
    """A nested request model (a target, a notify, a rate limit) as the domain's value."""
    return lambda request: None if request is None else kind(request.model_dump())


def _to_api(value: Any) -> Any:
    """A domain value that shows itself (`to_api`), or None."""
    return None if value is None else value.to_api()


def _instant(millis: int) -> str:
    return iso_z(from_millis(millis))


@dataclass(frozen=True)
class JobField:
    api: str  # its name in requests and replies (camelCase)
    attribute: str  # its name on Job and JobSpec (stored units: epoch ms for an instant)
    inward: Callable[[Any], Any] = _same  # a request's value -> the attribute's
    outward: Callable[[Any], Any] = _same  # the attribute's value -> the reply's
    writable: bool = True  # False: only shown (the job's state, kept by the server)


def _shown(api: str, attribute: str, outward: Callable[[Any], Any] = _same) -> JobField:
    """A field a reply shows and no request sets."""
    return JobField(api, attribute, outward=outward, writable=False)


JOB_FIELDS = (
    _shown("id", "id"),
    JobField("name", "name"),
    JobField("handler", "handler"),
    JobField("target", "target", _from_api(Target.from_api), _to_api),
    JobField("notify", "notify", _from_api(Notify.from_api), _to_api),
    JobField("data", "data"),
    JobField("labels", "labels"),
    JobField("schedule", "schedule"),
    JobField("timezone", "timezone"),
    JobField("runAt", "run_at", to_millis_or_none, iso_z_millis),
    JobField("endAt", "end_at", to_millis_or_none, iso_z_millis),
    _shown("status", "status"),
    _shown("attempts", "attempts"),
    JobField("maxAttempts", "max_attempts"),
    JobField("retryBackoffSeconds", "retry_backoff_seconds"),
    JobField("timeoutSeconds", "timeout_seconds"),
    JobField("jitterSeconds", "jitter_seconds"),
    JobField("maxRuns", "max_runs"),
    _shown("successfulRuns", "successful_runs"),
    JobField("catchupWindowSeconds", "catchup_window_seconds"),
    JobField("overlap", "overlap"),
    JobField("concurrencyKey", "concurrency_key"),
    JobField("concurrencyLimit", "concurrency_limit"),
    JobField("rateLimit", "rate_limit", _from_api(RateLimit.from_api), _to_api),
    JobField("key", "key"),
    _shown("lastRunAt", "last_run_at", iso_z_millis),
    _shown("lastError", "last_error"),
    _shown("createdAt", "created_at", _instant),
    _shown("updatedAt", "updated_at", _instant),
)
# The fields a request may set, by API name.
WRITABLE = {field.api: field for field in JOB_FIELDS if field.writable}
