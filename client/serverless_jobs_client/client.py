"""`JobsClient`: one method per route of the jobs API (DESIGN §5), listings as iterators over every page."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode

from serverless_jobs_client.auth import Signer, signer_for
from serverless_jobs_client.errors import NotFound
from serverless_jobs_client.models import BulkResult, Job, Page, RateLimit, Run, format_time, parse_time
from serverless_jobs_client.transport import RetryNote, Transport

if TYPE_CHECKING:
    from botocore.session import Session

BulkAction = Literal["pause", "resume", "cancel", "trigger", "delete"]
# Bulk pause, resume, cancel and delete are harmless to repeat; a bulk trigger is not.
_REPEATABLE_BULK = frozenset({"pause", "resume", "cancel", "delete"})


class JobsClient:
    """The jobs API at `url` (`http://127.0.0.1:3000` for `make dev`, or the stack's `ApiUrl` output).

    An execute-api URL is signed with SigV4 from botocore's credential chain (`profile` picks a profile,
    `session` gives a botocore session of the caller's); a loopback URL is sent as is. `transport`
    replaces the whole HTTP layer (tests pass a fake); `on_retry` hears of each retry before its wait.
    """

    def __init__(
        self,
        url: str,
        *,
        profile: str | None = None,
        region: str | None = None,
        session: Session | None = None,
        signer: Signer | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryNote], None] | None = None,
    ) -> None:
        if transport is None:
            transport = Transport(url, signer or signer_for(url, session, region, profile), sleep=sleep)
        if on_retry is not None:
            transport.on_retry = on_retry
        self.transport = transport
        self.url = url

    # jobs

    def create(
        self, fields: Mapping[str, Any] | None = None, *, idempotency_key: str | None = None, **more: Any
    ) -> Job:
        """Create a job from the API's create fields (`name`, `handler`, `schedule`, ...).

        Sent with an Idempotency-Key (a new UUID unless given), so the retries after a lost answer or a
        throttle create the job once.
        """
        key = idempotency_key or str(uuid.uuid4())
        body = _request_body({**(fields or {}), **more})
        return Job.from_api(self.transport.request("POST", "/jobs", body, {"Idempotency-Key": key}))

    def validate(self, fields: Mapping[str, Any] | None = None, **more: Any) -> Job:
        """The job `create` would make from these fields (`POST /jobs/validate`), checked by the API's rules
        and not stored: InvalidInput naming the field otherwise."""
        return Job.from_api(self.transport.request("POST", "/jobs/validate", _request_body({**(fields or {}), **more})))

    def get(self, job_id: str) -> Job:
        return Job.from_api(self._on_job("GET", job_id))

    def update(self, job_id: str, changes: Mapping[str, Any] | None = None, **more: Any) -> Job:
        """Change the fields given (None clears a clearable field, as the API's null does)."""
        body = _request_body({**(changes or {}), **more}, none_clears=True)
        return Job.from_api(self._on_job("PUT", job_id, body=body))

    def delete(self, job_id: str) -> None:
        self._on_job("DELETE", job_id)

    def trigger(self, job_id: str) -> str:
        """Run the job now; the id of the run (its history entry's id)."""
        accepted = self._on_job("POST", job_id, "trigger", idempotent=False)
        run_id: str = accepted["runId"]
        return run_id

    def pause(self, job_id: str) -> Job:
        return Job.from_api(self._on_job("POST", job_id, "pause"))

    def resume(self, job_id: str) -> Job:
        return Job.from_api(self._on_job("POST", job_id, "resume"))

    def cancel(self, job_id: str) -> Job:
        return Job.from_api(self._on_job("POST", job_id, "cancel"))

    def list_page(
        self,
        *,
        status: str | None = None,
        label: str | None = None,
        name: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
    ) -> Page[Job]:
        """One page of `GET /jobs`, newest first (by status, the jobs carrying `label` as `key=value`, and
        those whose name contains `name` in any case). A page may hold fewer than `limit` jobs, even none,
        and still have a `next_token`: the API stops a page where its answer is full, or, filtered, after
        reading ten times `limit` jobs."""
        query = {"status": status, "label": label, "name": name, "limit": limit, "nextToken": next_token}
        return Page.from_api(self.transport.request("GET", "/jobs" + _query(query)), "jobs", Job.from_api)

    def get_by_key(self, key: str) -> Job | None:
        """The job holding `key` (`GET /jobs?key=`), or None."""
        page = Page.from_api(self.transport.request("GET", "/jobs" + _query({"key": key})), "jobs", Job.from_api)
        return page.items[0] if page.items else None

    def list(
        self,
        *,
        status: str | None = None,
        label: str | None = None,
        name: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Job]:
        """Every job (by status, label or name), newest first, page after page, as the caller iterates."""
        return _every(
            lambda token: self.list_page(status=status, label=label, name=name, limit=page_size, next_token=token)
        )

    # runs

    def history_page(self, job_id: str, *, limit: int | None = None, next_token: str | None = None) -> Page[Run]:
        """One page of the job's runs, newest first (fewer than `limit` where the answer is full)."""
        query = _query({"limit": limit, "nextToken": next_token})
        return Page.from_api(self._on_job("GET", job_id, "history", query=query), "history", Run.from_api)

    def history(self, job_id: str, *, page_size: int | None = None) -> Iterator[Run]:
        """The job's runs, newest first, page after page."""
        return _every(lambda token: self.history_page(job_id, limit=page_size, next_token=token))

    def run(self, job_id: str, run_id: str, *, look_back: int = 20) -> Run | None:
        """The run `run_id` among the job's latest `look_back` runs; None when it is not (yet) there.

        History is newest first and has no lookup by run id, so a recent run costs one small Query.
        """
        for position, run in enumerate(self.history(job_id, page_size=min(look_back, 100))):
            if run.id == run_id:
                return run
            if position + 1 >= look_back:
                break
        return None

    # bulk, runner, schedules

    def bulk_page(
        self, action: BulkAction, label: str, *, status: str | None = None, next_token: str | None = None
    ) -> BulkResult:
        body = _request_body({"label": label, "status": status, "nextToken": next_token})
        path = f"/jobs/bulk/{quote(action, safe='')}"
        return BulkResult.from_api(self.transport.request("POST", path, body, idempotent=action in _REPEATABLE_BULK))

    def bulk(
        self, action: BulkAction, label: str, *, status: str | None = None, next_token: str | None = None
    ) -> BulkResult:
        """`action` on every job carrying `label` (`key=value`), following the API's pages to the end (from
        `next_token`, a total's `nextToken`, to go on where an interrupted one stopped)."""
        *_, total = self.bulk_totals(action, label, status=status, next_token=next_token)
        return total

    def bulk_totals(
        self, action: BulkAction, label: str, *, status: str | None = None, next_token: str | None = None
    ) -> Iterator[BulkResult]:
        """`bulk`, page by page: the running total after each page, its `nextToken` where the next one starts."""
        total = self.bulk_page(action, label, status=status, next_token=next_token)
        yield total
        while total.nextToken is not None:
            total = total + self.bulk_page(action, label, status=status, next_token=total.nextToken)
            yield total

    def runner(self) -> bool:
        """Whether the tick's rule is enabled (jobs are being run)."""
        return bool(self.transport.request("GET", "/jobs/runner")["running"])

    def start_runner(self) -> bool:
        return bool(self.transport.request("POST", "/jobs/runner/start")["running"])

    def stop_runner(self) -> bool:
        return bool(self.transport.request("POST", "/jobs/runner/stop")["running"])

    def preview(
        self,
        schedule: str,
        *,
        timezone: str | None = None,
        run_at: datetime | str | None = None,
        end_at: datetime | str | None = None,
        count: int | None = None,
    ) -> builtins.list[datetime]:
        """The next occurrences of `schedule` (in `timezone`, within runAt..endAt), as UTC datetimes."""
        body = _request_body(
            {"schedule": schedule, "timezone": timezone, "runAt": run_at, "endAt": end_at, "count": count}
        )
        occurrences = self.transport.request("POST", "/schedules/preview", body)["occurrences"]
        return [moment for moment in map(parse_time, occurrences) if moment is not None]

    def health(self) -> bool:
        self.transport.request("GET", "/health")
        return True

    def _on_job(
        self,
        method: str,
        job_id: str,
        action: str | None = None,
        *,
        body: Any = None,
        query: str = "",
        idempotent: bool = True,
    ) -> Any:
        """A request to one job's path; a 404 names the id as the caller wrote it (the API echoes its path,
        where `bad/id` is `bad%2Fid`)."""
        try:
            return self.transport.request(method, _job(job_id, action) + query, body, idempotent=idempotent)
        except NotFound as missing:
            raise missing.naming(quote(job_id, safe=""), job_id) from None


def _job(job_id: str, action: str | None = None) -> str:
    path = f"/jobs/{quote(job_id, safe='')}"
    return f"{path}/{action}" if action else path


def _query(values: Mapping[str, Any]) -> str:
    """RFC 3986 encoding (a space as %20, never +): SigV4 signs the query as sent, and API Gateway canonicalises
    a `+` as an encoded space, so a `+` would fail the signature."""
    present = {key: value for key, value in values.items() if value is not None}
    return "?" + urlencode(present, quote_via=quote) if present else ""


def _request_body(fields: Mapping[str, Any], *, none_clears: bool = False) -> dict[str, Any]:
    """Times as ISO 8601 text, a RateLimit as its object. None is "not given", except in an update, where it
    clears the field."""
    return {key: _request_value(value) for key, value in fields.items() if value is not None or none_clears}


def _request_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, RateLimit):
        return value.to_api()
    return value


def _every(page: Callable[[str | None], Page[Any]]) -> Iterator[Any]:
    token: str | None = None
    while True:
        current = page(token)
        yield from current.items
        token = current.next_token
        if token is None:
            return
