"""API Lambda: API Gateway proxy events -> routes; each route calls the core once and shapes the reply."""

from __future__ import annotations

import gc

gc.disable()  # for Lambda's init phase: serverless_jobs.init_phase says why; init_done() turns it back on

import json
from collections.abc import Callable, Mapping
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from serverless_jobs.adapters.aws_errors import is_transient
from serverless_jobs.adapters.client_tuning import API_CLIENTS
from serverless_jobs.adapters.system_clock import SystemClock
from serverless_jobs.adapters.tracing import make_tracer
from serverless_jobs.domain.errors import Conflict, InvalidInput, NotFound, RunnerRuleMissing
from serverless_jobs.domain.job import JobStatus
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.http.answer_size import PageBody, serialize
from serverless_jobs.http.idempotency import (
    IN_PROGRESS_RETRY_AFTER,
    CreateOnce,
    IdempotencyKey,
    KeyInProgress,
    job_id_for,
)
from serverless_jobs.http.json_body import parse_body
from serverless_jobs.http.page_tokens import PageTokens
from serverless_jobs.http.schemas import (
    BulkResult,
    BulkSelector,
    Health,
    JobCreate,
    JobList,
    JobUpdate,
    JobView,
    Message,
    Occurrences,
    RunList,
    RunnerState,
    SchedulePreview,
    TriggerAccepted,
)
from serverless_jobs.http.validation import describe_validation_errors
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
from serverless_jobs.init_phase import init_done
from serverless_jobs.metrics import metrics
from serverless_jobs.ports import Clock, Dispatcher, NotificationHandOff, Page, RunnerSwitch, Waker
from serverless_jobs.settings import Settings
from serverless_jobs.usecases.bulk import BulkAction, run_bulk
from serverless_jobs.usecases.conflicts import ConcurrentChange
from serverless_jobs.usecases.jobs import JobService, preview
from serverless_jobs.version import __version__
from serverless_jobs.wiring import AwsClients, job_service, page_token_key, runner_switch

logger = Logger()
tracer = make_tracer()

AnyCallable = TypeVar("AnyCallable", bound=Callable[..., Any])
Item = TypeVar("Item")
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# Time kept back from the function's remaining time, so a long operation stops and answers before its timeout.
ANSWER_MARGIN_MILLIS = 3_000
# How long a client should wait before sending a request that met throttling or a failing AWS service again.
RETRY_AFTER_SECONDS = 1
# The Swagger UI; `?format=json` serves the OpenAPI document.
DOCS_PATH = "/swagger"
JobId = Annotated[str, Path(description="The job's id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
NextToken = Annotated[str | None, Query(description="The nextToken of the previous page")]


_ERROR_MEANING = {
    400: "Invalid input",
    404: "No such job (or runner rule)",
    409: "Not allowed in the job's current state, a key in use by another job, or an Idempotency-Key reused or "
    "still in progress",
}


def build(
    settings: Settings,
    clients: AwsClients,
    clock: Clock,
    *,
    dispatcher: Dispatcher | None = None,
    waker: Waker | None = None,
    notifications: NotificationHandOff | None = None,
) -> LambdaHandler:
    """The API's handler: dispatches immediate work (and a refused run's notification), and wakes the tick,
    through Lambda unless given another dispatcher, hand-off and waker (the local stack's)."""
    service, tick_waker = job_service(
        settings, clients, clock, dispatcher=dispatcher, waker=waker, notifications=notifications
    )

    def switched(running: bool) -> None:
        """A runner started wakes the tick for what fell due meanwhile."""
        if running:
            tick_waker.wake(clock.now())

    runner = runner_switch(settings, clients, on_switch=switched)
    once = CreateOnce(settings.idempotency_table, lambda: clients.dynamodb)
    app = make_app(service, runner, PageTokens(page_token_key(settings, clients)), once, clock)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return refuse_non_json_body(event) or app.resolve(event, context)
        except Exception as error:  # outside the routes (shaping a reply): still an answer, never a raise
            reply = failure_response(error, request_id(event))
            return proxy_reply(reply.status_code, reply.body, reply.headers)

    return handle


class JobsResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, its Swagger UI and OpenAPI document (`/swagger`) registered on first request.

    `enable_swagger` imports Powertools' OpenAPI models (~70 ms of pydantic classes), which no other route
    needs: request validation works from each route's own fields. Registered when the first `/swagger`
    request arrives, every cold start but the docs' own skips them. Requests reach a resolver one at a time
    (Lambda; the local server holds a lock), so registering mid-life needs no lock.
    """

    _docs_registered = False

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not self._docs_registered and _asks_for_docs(event):
            self.enable_swagger(path=DOCS_PATH, title="serverless-jobs", version=__version__)
            self._docs_registered = True
        return super().resolve(event, context)


def _asks_for_docs(event: Mapping[str, Any]) -> bool:
    """Whether the request is for DOCS_PATH (trailing slashes allowed, as the REST resolver's routes allow)."""
    return str(event.get("path") or "").rstrip("/") == DOCS_PATH


def make_app(
    service: JobService, runner: RunnerSwitch, tokens: PageTokens, once: CreateOnce, clock: Clock
) -> JobsResolver:
    """Every route, each calling the core once and shaping its reply, with its replies in OpenAPI."""
    app = JobsResolver(enable_validation=True, json_body_deserializer=parse_body, serializer=serialize)

    def route(
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
            responses[code] = {
                "description": _ERROR_MEANING[code],
                "content": {"application/json": {"model": Message}},
            }
        return app.route(path, method, status_code=status, responses=responses, tags=[tag])

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        return _message(400, describe_validation_errors(error.errors()))

    @app.exception_handler(InvalidInput)
    def _invalid_input(error: InvalidInput) -> Response[Any]:
        return _message(400, str(error))

    @app.exception_handler(NotFound)
    @app.exception_handler(RunnerRuleMissing)
    def _not_found(error: NotFound | RunnerRuleMissing) -> Response[Any]:
        return _message(404, str(error))

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict) -> Response[Any]:
        return _message(409, str(error))

    @app.exception_handler(KeyInProgress)
    def _key_in_progress(error: KeyInProgress) -> Response[Any]:
        return _message(409, str(error), {"Retry-After": str(IN_PROGRESS_RETRY_AFTER)})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        if isinstance(error, ServiceError):  # Powertools' own HTTP errors keep their status
            return _message(error.status_code, str(error.msg))
        return failure_response(error, request_id(app.current_event.raw_event))

    @app.exception_handler(ConcurrentChange)
    def _still_changing(error: ConcurrentChange) -> Response[Any]:
        return _message(409, f"job '{error}' kept changing while this request ran; send it again")

    def has_time() -> bool:
        """Whether this request can take another step of a long operation and still answer in time."""
        return app.lambda_context.get_remaining_time_in_millis() > ANSWER_MARGIN_MILLIS

    @app.not_found
    def _no_route(error: Exception) -> Response[Any]:
        return _message(404, f"no route for {app.current_event.http_method} {app.current_event.path}")

    @route("GET", "/health", Health, tag="health")
    def health() -> Health:
        return Health(status="ok", version=__version__)

    # The runner routes come before /jobs/<id>, which would otherwise take "runner" for an id.
    @route("GET", "/jobs/runner", RunnerState, tag="runner")
    def runner_state() -> RunnerState:
        return RunnerState(running=runner.is_running())

    @route("POST", "/jobs/runner/start", RunnerState, 404, tag="runner")
    def start_runner() -> RunnerState:
        return RunnerState(running=runner.start())

    @route("POST", "/jobs/runner/stop", RunnerState, 404, tag="runner")
    def stop_runner() -> RunnerState:
        return RunnerState(running=runner.stop())

    @route("POST", "/jobs", JobView, 400, 409, status=201, job_id_from=_JOB_ID_IN_REPLY)
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
    @route("POST", "/jobs/validate", JobView, 400)
    def validate_job(request: Annotated[JobCreate, Body()]) -> JobView:
        return job_view(service.validate(job_spec(request)))

    @route("GET", "/jobs", JobList, 400)
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
    @route("POST", "/jobs/bulk/<action>", BulkResult, 400)
    def bulk(
        action: Annotated[BulkAction, Path(description="The operation applied to each job")],
        selector: Annotated[BulkSelector, Body()],
    ) -> BulkResult:
        label, query = bulk_query(action, selector)
        outcome = run_bulk(
            service, action, label, selector.status, tokens.decode(selector.nextToken, query), has_time, bulk_room()
        )
        return bulk_result(outcome, tokens.encode(outcome.resume_at, query))

    @route("GET", "/jobs/<id>", JobView, 404, job_id_from=_JOB_ID_IN_REPLY)
    def get_job(id: JobId) -> JobView:
        return job_view(service.get(id))

    @route("PUT", "/jobs/<id>", JobView, 400, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def update_job(id: JobId, changes: Annotated[JobUpdate, Body()]) -> JobView:
        return job_view(service.update(id, job_changes(changes)))

    @route("DELETE", "/jobs/<id>", None, 404, status=204, job_id_from=_JOB_ID_IN_PATH)
    def delete_job(id: JobId) -> Response[None]:
        service.delete(id, has_time)
        return Response(status_code=204)  # no body, so no Content-Type either

    @route("POST", "/jobs/<id>/trigger", TriggerAccepted, 404, 409, status=202, job_id_from=_JOB_ID_IN_PATH)
    def trigger_job(id: JobId) -> TriggerAccepted:
        return TriggerAccepted(runId=service.trigger(id))

    @route("POST", "/jobs/<id>/pause", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def pause_job(id: JobId) -> JobView:
        return job_view(service.pause(id))

    @route("POST", "/jobs/<id>/resume", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def resume_job(id: JobId) -> JobView:
        return job_view(service.resume(id))

    @route("POST", "/jobs/<id>/cancel", JobView, 404, 409, job_id_from=_JOB_ID_IN_REPLY)
    def cancel_job(id: JobId) -> JobView:
        return job_view(service.cancel(id))

    @route("GET", "/jobs/<id>/history", RunList, 400, 404, job_id_from=_JOB_ID_IN_PATH)
    def job_history(id: JobId, limit: Limit = 50, nextToken: NextToken = None) -> Response[str]:
        bound_to = history_query(id)
        start = tokens.decode(nextToken, bound_to)
        return _page_reply("history", run_view, partial(service.history, id, limit, start), tokens, bound_to)

    @route("POST", "/schedules/preview", Occurrences, 400, tag="schedules")
    def preview_schedule(request: Annotated[SchedulePreview, Body()]) -> Occurrences:
        moments = preview(request.schedule, request.timezone, request.runAt, request.endAt, request.count, clock.now())
        return Occurrences(occurrences=[iso_z(moment) for moment in moments])

    return app


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


def _job_links(job_id_from: str) -> dict[str, Any]:
    """OpenAPI links from a reply to each operation on the job it names (`operationRef`: no operation ids)."""
    return {
        name: {"operationRef": f"#/paths/{path.replace('/', '~1')}/{method}", "parameters": {"id": job_id_from}}
        for name, (method, path) in _JOB_OPERATIONS.items()
    }


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


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": message}, headers=headers
    )


def request_id(event: dict[str, Any]) -> str:
    """API Gateway's id of the request: the caller sees it (x-amzn-RequestId) and the log lines carry it."""
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or "unknown")


def failure_response(error: Exception, request: str) -> Response[Any]:
    """503 with Retry-After for an AWS service throttling or failing, else 500 naming the request; both logged.

    Every write is one conditional write (or ends in one), so a request that fails here changed nothing
    or completed its change; the same request sent again converges.
    """
    if is_transient(error):
        logger.warning("AWS is throttling or failing; answered 503", exc_info=error, extra={"requestId": request})
        message = f"the service is busy or failing; retry in {RETRY_AFTER_SECONDS} s (request {request})"
        return _message(503, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    logger.exception("unexpected error; answered 500", exc_info=error, extra={"requestId": request})
    return _message(500, f"internal error; the log has it under request id {request}")


def refuse_non_json_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """The API reads `application/json` only; any other body is bad input, not a reason for a 500 or a 415."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if not event.get("body") or content_type == "application/json":
        return None
    return proxy_reply(400, {"message": f"Content-Type: the body must be application/json, not {content_type}"})


def proxy_reply(status: int, body: Any, headers: Mapping[str, str | list[str]] | None = None) -> dict[str, Any]:
    """A JSON reply in API Gateway's proxy format, for answers given outside the resolver."""
    multi = {name: value if isinstance(value, list) else [value] for name, value in (headers or {}).items()}
    return {
        "statusCode": status,
        "multiValueHeaders": {**multi, "Content-Type": [content_types.APPLICATION_JSON]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


lambda_handler = build(Settings.from_environment(), AwsClients(API_CLIENTS), SystemClock())
init_done()
