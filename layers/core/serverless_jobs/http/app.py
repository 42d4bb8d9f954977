"""The API's app: Powertools' REST resolver with every route, the exceptions each route may raise turned into
replies, and the handler that answers even what the resolver could not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.domain.errors import Conflict, InvalidInput, NotFound, RunnerRuleMissing
from serverless_jobs.http import routes
from serverless_jobs.http.answer_size import serialize
from serverless_jobs.http.idempotency import IN_PROGRESS_RETRY_AFTER, CreateOnce, KeyInProgress
from serverless_jobs.http.json_body import parse_body
from serverless_jobs.http.page_tokens import PageTokens
from serverless_jobs.http.replies import (
    IsTransient,
    failure_response,
    message,
    proxy_reply,
    refuse_non_json_body,
    request_id,
)
from serverless_jobs.http.validation import describe_validation_errors
from serverless_jobs.ports import Clock, RunnerSwitch
from serverless_jobs.usecases.conflicts import ConcurrentChange
from serverless_jobs.usecases.jobs import JobService
from serverless_jobs.version import __version__

ProxyHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# The Swagger UI; `?format=json` serves the OpenAPI document.
DOCS_PATH = "/swagger"


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
    service: JobService,
    runner: RunnerSwitch,
    tokens: PageTokens,
    once: CreateOnce,
    clock: Clock,
    is_transient: IsTransient,
) -> JobsResolver:
    """Every route, each calling the core once and shaping its reply, with its replies in OpenAPI."""
    app = JobsResolver(enable_validation=True, json_body_deserializer=parse_body, serializer=serialize)
    _reply_to_errors(app, is_transient)
    routes.add_health(app)
    # The runner routes come before /jobs/<id>, which would otherwise take "runner" for an id.
    routes.add_runner(app, runner)
    routes.add_jobs(app, service, tokens, once)
    routes.add_schedules(app, clock)
    return app


def _reply_to_errors(app: JobsResolver, is_transient: IsTransient) -> None:
    """Each exception a route may raise, as its reply: 400, 404 and 409 naming what, else 503 or 500."""

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        return message(400, describe_validation_errors(error.errors()))

    @app.exception_handler(InvalidInput)
    def _invalid_input(error: InvalidInput) -> Response[Any]:
        return message(400, str(error))

    @app.exception_handler(NotFound)
    @app.exception_handler(RunnerRuleMissing)
    def _not_found(error: NotFound | RunnerRuleMissing) -> Response[Any]:
        return message(404, str(error))

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict) -> Response[Any]:
        return message(409, str(error))

    @app.exception_handler(KeyInProgress)
    def _key_in_progress(error: KeyInProgress) -> Response[Any]:
        return message(409, str(error), {"Retry-After": str(IN_PROGRESS_RETRY_AFTER)})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        if isinstance(error, ServiceError):  # Powertools' own HTTP errors keep their status
            return message(error.status_code, str(error.msg))
        return failure_response(error, request_id(app.current_event.raw_event), is_transient)

    @app.exception_handler(ConcurrentChange)
    def _still_changing(error: ConcurrentChange) -> Response[Any]:
        return message(409, f"job '{error}' kept changing while this request ran; send it again")

    @app.not_found
    def _no_route(error: Exception) -> Response[Any]:
        return message(404, f"no route for {app.current_event.http_method} {app.current_event.path}")


def answering(app: JobsResolver, is_transient: IsTransient) -> ProxyHandler:
    """The app's handler: a body that is not JSON refused, and whatever fails outside the routes (shaping
    a reply) still an answer, never a raise."""

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return refuse_non_json_body(event) or app.resolve(event, context)
        except Exception as error:
            reply = failure_response(error, request_id(event), is_transient)
            return proxy_reply(reply.status_code, reply.body, reply.headers)

    return handle
