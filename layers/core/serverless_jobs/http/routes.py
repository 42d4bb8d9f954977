"""The API's routes by resource (health, runner, jobs, schedules): each calls the core once and shapes its
reply, and names every reply it may give, success and errors, in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from serverless_jobs.domain.job import JobStatus
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.http.answer_size import PageBody
from serverless_jobs.http.idempotency import CreateOnce, IdempotencyKey, job_id_for
from serverless_jobs.http.page_tokens import PageTokens
from serverless_jobs.http.schemas import (
    BulkResult,
    BulkSelector,
    Health,
    JobCreate,
    JobList,
    JobPreview,
    JobUpdate,
    JobView,
    Message,
    Occurrences,
    RunList,
    RunnerState,
    SchedulePreview,
    TriggerAccepted,
)
from serverless_jobs.http.views import (
    bulk_query,
    bulk_result,
    bulk_room,
    history_query,
    job_changes,
    job_key,
    job_spec,
    job_view,
    listing_query,
    run_view,
)
from serverless_jobs.ports import Clock, Page, RunnerSwitch
from serverless_jobs.usecases.bulk import BulkAction, run_bulk
from serverless_jobs.usecases.jobs import JobService, preview
from serverless_jobs.version import __version__

AnyCallable = TypeVar("AnyCallable", bound=Callable[..., Any])
Item = TypeVar("Item")
# Time kept back from the function's remaining time, so a long operation stops and answers before its timeout.
ANSWER_MARGIN_MILLIS = 3_000
JobId = Annotated[str, Path(description="The job's id", min_length=1)]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
NextToken = Annotated[str | None, Query(description="The nextToken of the previous page")]

_ERROR_MEANING = {
    400: "Invalid input",
    404: "No such job (or runner rule)",
    409: "Not allowed in the job's current state, a key in use by another job, or an Idempotency-Key reused or "
    "still in progress",
}
# Every operation on one job, for the OpenAPI links of replies that name a job: a client (and schemathesis'
# stateful phase) can follow create -> get -> update -> trigger -> history -> delete.
_JOB_OPERATIONS = {
    "getJob": ("get", "/jobs/{id}"),
    "updateJob": ("put", "/jobs/{id}"),
    "triggerJob": ("post", "/jobs/{id}/trigger"),
    "pauseJob": ("post", "/jobs/{id}/pause"),
    "resumeJob": ("post", "/jobs/{id}/resume"),
    "cancelJob": ("post", "/jobs/{id}/cancel"),
    "jobHistory": ("get", "/jobs/{id}/history"),
    "deleteJob": ("delete", "/jobs/{id}"),
}
_JOB_ID_IN_REPLY = "$response.body#/id"
_JOB_ID_IN_PATH = "$request.path.id"


def _route(
    app: APIGatewayRestResolver,
    method: str,
    path: str,
    reply: type[BaseModel] | None,
    *errors: int,
    status: int = 200,
    tag: str = "jobs",
    job_id_from: str | None = None,
) -> Callable[[AnyCallable], AnyCallable]:
    """A route with its success reply and every error reply (`{"message": ...}`) in the OpenAPI document.

    `job_id_from` says where a success names a job (an OpenAPI runtime expression); the reply then links
    to every operation on that job.
    """
    # No reply model means no body at all (204); an empty `content` keeps Powertools from inventing one.
    content: dict[str, Any] = {} if reply is None else {"application/json": {"model": reply}}
    success: OpenAPIResponse = {"description": HTTPStatus(status).phrase, "content": content}
    if job_id_from is not None:
        success["links"] = _job_links(job_id_from)
    responses: dict[int, OpenAPIResponse] = {status: success}
    for code in errors:
        responses[code] = {"description": _ERROR_MEANING[code], "content": {"application/json": {"model": Message}}}
    return app.route(path, method, status_code=status, responses=responses, tags=[tag])


def _job_links(job_id_from: str) -> dict[str, Any]:
    """OpenAPI links from a reply to each operation on the job it names (`operationRef`: no operation ids)."""
    return {
        name: {"operationRef": f"#/paths/{path.replace('/', '~1')}/{method}", "parameters": {"id": job_id_from}}
        for name, (method, path) in _JOB_OPERATIONS.items()
    }


def add_health(app: APIGatewayRestResolver) -> None:
    @_route(app, "GET", "/health", Health, tag="health")
    def health() -> Health:
        return Health(status="ok", version=__version__)


def add_runner(app: APIGatewayRestResolver, runner: RunnerSwitch) -> None:
    @_route(app, "GET", "/jobs/runner", RunnerState, tag="runner")
    def runner_state() -> RunnerState:
        return RunnerState(running=runner.is_running())

    @_route(app, "POST", "/jobs/runner/start", RunnerState, 404, tag="runner")
    def start_runner() -> RunnerState:
        return RunnerState(running=runner.start())

    @_route(app, "POST", "/jobs/runner/stop", RunnerState, 404, tag="runner")
    def stop_runner() -> RunnerState:
        return RunnerState(running=runner.stop())


def add_jobs(app: APIGatewayRestResolver, service: JobService, tokens: PageTokens, once: CreateOnce) -> None:
    def has_time() -> bool:
        """Whether this request can take another step of a long operation and still answer in time."""
        return app.lambda_context.get_remaining_time_in_millis() > ANSWER_MARGIN_MILLIS

    @_route(app, "POST", "/jobs", JobView, 400, 409, status=201, job_id_from=_JOB_ID_IN_REPLY)
    def create_job(request: Annotated[JobCreate, Body()], idempotency_key: IdempotencyKey = None) -> JobView:
        if idempotency_key is None:
            return job_view(service.create(job_spec(request)))

        # The body as a JSON document: key order and spacing aside, a repeat must be what was first sent.
        body = app.current_event.json_body

        def create() -> dict[str, Any]:
            job = service.create(job_spec(request), job_id_for(idempotency_key, body))
            return job_view(job).model_dump(mode="json")

        return JobView.model_validate(once.run(idempotency_key, body, create, app.lambda_context))

    # What `POST /jobs` would create from this body, checked by the same rules, and nothing stored: for tools
    # that check a whole file of jobs before changing any (`serverless-jobs plan`). POST /jobs/<id> is no
    # route, so "validate" is taken for no job's id.
    @_route(app, "POST", "/jobs/validate", JobPreview, 400)
    def validate_job(request: Annotated[JobCreate, Body()]) -> JobPreview:
        return JobPreview.model_validate({**job_view(service.validate(job_spec(request))).model_dump(), "id": None})

    @_route(app, "GET", "/jobs", JobList, 400)
    def list_jobs(
        status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
        limit: Limit = 50,
        nextToken: NextToken = None,
        label: Annotated[str | None, Query(description="Only jobs carrying this label, as key=value")] = None,
        name: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                description="Only jobs whose name contains this text, in any case; a page may then come back "
                "short (even empty) with a nextToken",
            ),
        ] = None,
        key: Annotated[str | None, Query(description="Only the job holding this key (a page of 0 or 1)")] = None,
    ) -> Response[str]:
        query, bound_to = listing_query(status, label, name)
        read = (
            partial(service.list_jobs, query, limit, tokens.decode(nextToken, bound_to))
            if key is None
            else partial(_one_page, service.by_key(job_key(key), query))  # one page of 0 or 1: no next token
        )
        return _page_reply("jobs", job_view, read, tokens, bound_to)

    # Before /jobs/<id>/<action>, which would otherwise take "bulk" for a job's id.
    @_route(app, "POST", "/jobs/bulk/<action>", BulkResult, 400)
    def bulk(
        action: Annotated[BulkAction, Path(description="The operation applied to each job")],
        selector: Annotated[BulkSelector, Body()],
    ) -> BulkResult:
        label, query = bulk_query(action, selector)
        outcome = run_bulk(
            service, action, label, selector.status, tokens.decode(selector.nextToken, query), has_time, bulk_room()
        )
        return bulk_result(outcome, tokens.encode(outcome.resume_at, query))

    @_route(app, "GET", "/jobs/<id>", JobView, 404, job_id_from=_JOB_ID_IN_REPLY)
    def get_job(id: JobId) -> JobView:
        return job_view(service.get(id))

    @_route(app, "PUT", "/jobs/<id>", JobView, 400, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def update_job(id: JobId, changes: Annotated[JobUpdate, Body()]) -> JobView:
        return job_view(service.update(id, job_changes(changes)))

    @_route(app, "DELETE", "/jobs/<id>", None, 404, status=204, job_id_from=_JOB_ID_IN_PATH)
    def delete_job(id: JobId) -> Response[None]:
        service.delete(id, has_time)
        return Response(status_code=204)  # no body, so no Content-Type either

    @_route(app, "POST", "/jobs/<id>/trigger", TriggerAccepted, 404, 409, status=202, job_id_from=_JOB_ID_IN_PATH)
    def trigger_job(id: JobId) -> TriggerAccepted:
        return TriggerAccepted(runId=service.trigger(id))

    @_route(app, "POST", "/jobs/<id>/pause", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def pause_job(id: JobId) -> JobView:
        return job_view(service.pause(id))

    @_route(app, "POST", "/jobs/<id>/resume", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def resume_job(id: JobId) -> JobView:
        return job_view(service.resume(id))

    @_route(app, "POST", "/jobs/<id>/cancel", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def cancel_job(id: JobId) -> JobView:
        return job_view(service.cancel(id))

    @_route(app, "GET", "/jobs/<id>/history", RunList, 400, 404, job_id_from=_JOB_ID_IN_PATH)
    def job_history(id: JobId, limit: Limit = 50, nextToken: NextToken = None) -> Response[str]:
        bound_to = history_query(id)
        start = tokens.decode(nextToken, bound_to)
        return _page_reply("history", run_view, partial(service.history, id, limit, start), tokens, bound_to)


def add_schedules(app: APIGatewayRestResolver, clock: Clock) -> None:
    @_route(app, "POST", "/schedules/preview", Occurrences, 400, tag="schedules")
    def preview_schedule(request: Annotated[SchedulePreview, Body()]) -> Occurrences:
        moments = preview(request.schedule, request.timezone, request.runAt, request.endAt, request.count, clock.now())
        return Occurrences(occurrences=[iso_z(moment) for moment in moments])


def _one_page(page: Page[Item], fits: Callable[[Item], bool]) -> Page[Item]:
    """A page read already (a job by its key), as `_page_reply` reads one: each item measured in."""
    return Page([item for item in page.items if fits(item)], page.last_key)


def _page_reply(
    field: str,
    render: Callable[[Item], BaseModel],
    read: Callable[[Callable[[Item], bool]], Page[Item]],
    tokens: PageTokens,
    bound_to: str,
) -> Response[str]:
    """The page `read` gives, its items in `field` as `render` shows them, as many as fit Lambda's response
    (answer_size.PageBody); its JSON is written here, and Powertools sends a text body as it is."""
    body = PageBody(render)
    page = read(body.fits)
    text = body.text(field, nextToken=tokens.encode(page.last_key, bound_to))
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=text)
