"""What every function module shares: its logger, its handler's instrumentation and its init phase.

A function module (functions/*/..._function.py) turns the garbage collector off, defines
`build(settings, ..., clock, **local_stand_ins) -> LambdaHandler` (the local stack and the tests call it
with their own clock and stand-ins), and ends with `lambda_handler = at_init(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from serverless_jobs.adapters.system_clock import SystemClock
from serverless_jobs.adapters.tracing import make_tracer
from serverless_jobs.init_phase import init_done
from serverless_jobs.metrics import metrics
from serverless_jobs.ports import Clock
from serverless_jobs.settings import Settings

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

# The functions' one Powertools logger (its service from POWERTOOLS_SERVICE_NAME); the core's modules log
# through child loggers of it.
logger = Logger()


@cache
def tracer() -> Tracer:
    """X-Ray's tracer, made by the first function that traces (the jobs resource does not)."""
    return make_tracer()


def instrumented(
    handle: LambdaHandler, *, correlation_id_path: str | None = None, traced: bool = True
) -> LambdaHandler:
    """`handle` with the request's context in every log line (and the correlation id at that path), and,
    when `traced`, an X-Ray segment and the metrics flushed at its end."""
    if traced:
        handle = tracer().capture_lambda_handler(metrics.log_metrics(handle))
    wrapped: LambdaHandler = logger.inject_lambda_context(handle, correlation_id_path=correlation_id_path)
    return wrapped


def at_init(build: Callable[[Settings, Clock], LambdaHandler]) -> LambdaHandler:
    """The handler Lambda calls, built at its init phase from the environment's settings and the system's
    clock; then collection goes back on (serverless_jobs.init_phase)."""
    handler = build(Settings.from_environment(), SystemClock())
    init_done()
    return handler
