"""`make dev`: the whole product on http://127.0.0.1:3000 (PORT overrides), over moto, until Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import replace
from types import FrameType

from devtools.aws_calls import CALL_LOG_VARIABLE, CallFile, record_calls
from devtools.moto_backend import serialise_moto_calls, use_fake_credentials
from devtools.template import application_environment
from local_stack.resolver_threads import per_thread_requests

LOCAL_SERVICE_NAME = "serverless-jobs-local"


def main() -> None:
    port = port_from_environment()
    # One process runs the API, the tick and the executors: a thread woken for a due job should get the
    # interpreter within a millisecond, not CPython's default 5 ms per hand-over under load.
    sys.setswitchinterval(0.001)
    use_fake_credentials()
    if CALL_LOG_VARIABLE in os.environ:  # the end-to-end tests check these calls against the deployed roles
        record_calls(CallFile(os.environ[CALL_LOG_VARIABLE]))
    os.environ.update(application_environment())
    # One readable line per request and per run (from local_stack's logger) instead of Lambda's JSON logs
    # and metrics (EMF lines nobody collects here).
    os.environ.update(
        POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true"
    )
    # The structured lines name this service, as a deployed stack's name its stack, not the tests' stack.
    os.environ["POWERTOOLS_SERVICE_NAME"] = LOCAL_SERVICE_NAME
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("local_stack").setLevel(logging.INFO)

    import moto

    serialise_moto_calls()
    per_thread_requests()  # requests are served concurrently, each on its thread
    with moto.mock_aws():
        serve(port)


def port_from_environment() -> int:
    """`PORT`, or 3000; a value that is not a port stops here with a message, not a traceback."""
    value = os.environ.get("PORT", "3000")
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SystemExit(f"PORT={value!r} is not a port number (1-65535)")
    return int(value)


def serve(port: int) -> None:
    # Imported inside moto's mock so every AWS client the functions create at import time is local.
    from devtools.functions import build_function
    from devtools.resources import create_resources, create_targets
    from devtools.template import LOCAL_WEBHOOK_SECRET, TARGET_ARNS, resolve
    from local_stack.server import FunctionPool, example_commands, make_server
    from local_stack.workers import ThreadShardDispatcher, TickLoop, TimerMapping, WorkerPoolDispatcher
    from serverless_jobs.adapters.system_clock import SystemClock
    from serverless_jobs.settings import Settings
    from serverless_jobs.wiring import AwsClients

    create_resources()
    create_targets()
    # No Lambda service for lambda targets; webhooks may go to plain http on this machine.
    settings, clients, clock = replace(Settings.from_environment(), local_stack=True), AwsClients(), SystemClock()
    dispatcher = WorkerPoolDispatcher()  # stands in for Lambda's async invoke; its workers start below
    loop = TickLoop()  # stands in for the rule and for the async invoke of a wake
    # The pool takes closed runs' owed notifications too: the executor sends them, as on AWS.
    # Requests are served at once, each by an instance of the API function no other request is using.
    api = FunctionPool(
        lambda: build_function(
            "ApiFunction", settings, clients, clock, dispatcher=dispatcher, waker=loop, notifications=dispatcher
        )
    )
    api.warm()
    try:  # before any worker starts, so a busy port ends here and nothing is left running
        server = make_server(port, api)
    except OSError as error:
        raise SystemExit(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror} (PORT=<another port> make dev)"
        ) from None
    timer = TimerMapping(settings.timer_queue, resolve({"Fn::GetAtt": ["TimerQueue", "Arn"]}))
    dispatch = build_function(
        "DispatchFunction", settings, clients, clock, dispatcher=dispatcher, notifications=dispatcher, sleep=timer.sleep
    )
    shards = ThreadShardDispatcher(dispatch)
    tick = build_function(
        "TickFunction",
        settings,
        clients,
        clock,
        dispatcher=dispatcher,
        shards=shards,
        sleep=loop.sleep,
        notifications=dispatcher,
    )
    dispatcher.start(build_function("ExecutorFunction", settings, clock, waker=loop))

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    base = f"http://127.0.0.1:{port}"
    print(
        f"serverless-jobs is running on {base} (moto in-process; only your webhooks leave this machine)\n"
        f"  Console: {base}/ui/   Swagger UI: {base}/swagger   OpenAPI: {base}/swagger?format=json\n"
        f"Try:\n{example_commands(base)}\n"
        "Targets in moto (a job's `target`): "
        + ", ".join(TARGET_ARNS[kind] for kind in ("sqs", "eventbridge", "stepfunctions"))
        + f"; webhooks (http or https, any address) are signed with the secret {LOCAL_WEBHOOK_SECRET!r}\n"
        "Ctrl-C stops it.",
        flush=True,
    )
    loop.start(tick)
    timer.start(dispatch, clients.sqs)  # an alarm set before this waits in moto's queue, as on SQS
    server.serve_forever(poll_interval=0.2)
    timer.stop()
    loop.stop()
    server.server_close()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
    sys.exit(0)
