"""What an operator sees of each run: the EMF metrics the functions emit and their structured log lines.

Metric values are read from the functions' output as CloudWatch extracts them, in the namespace and with
the `service` dimension template.yaml gives the functions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from devtools.clock import ManualClock
from devtools.stack import START, Stack
from devtools.template import STACK_NAME, function_spec
from harness.docs import LOGS_QUERY, LOGS_QUERY_SHELL
from harness.telemetry import LogCapture, Series, emf_series, function_logger
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.metrics import Metric
from serverless_jobs.registry import RunContext, registered_for_now
from serverless_jobs.settings import Settings

settings = Settings.from_environment()
ENVIRONMENT = function_spec("ExecutorFunction").environment
NAMESPACE = ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
SERVICE = ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]
SECRET = "s3cr3t-do-not-log"


def emitted(output: str, metric: Metric, **dimensions: str) -> list[float] | None:
    """The values `metric` got in `output`, service-wide or, given a handler, in that handler's series."""
    return emf_series(output).get(Series.of(NAMESPACE, metric, service=SERVICE, **dimensions))


def millis_between(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) / timedelta(milliseconds=1)


def test_metrics_go_to_the_product_namespace_and_each_stack_is_its_own_service() -> None:
    assert NAMESPACE == "ServerlessJobs"
    assert SERVICE == STACK_NAME


def test_a_completed_run_counts_its_start_success_lag_and_duration_for_the_service_and_its_handler(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    def takes_1500ms(data: dict[str, Any], ctx: RunContext) -> Any:
        """A handler that runs for 1.5 s of the stack's manual clock."""
        stack.clock.advance(1.5)
        return data

    with registered_for_now("test-takes-1500ms", takes_1500ms):
        job = stack.create(handler="test-takes-1500ms", runAt="2026-11-28T09:00:10.000Z")
        stack.clock.advance(10.7)  # the tick comes 700 ms after the run was due
        stack.tick()
        capsys.readouterr()

        stack.deliver()

    out = capsys.readouterr().out
    [run] = stack.history(job["id"])
    lag = millis_between(run["startedAt"], run["scheduledAt"])
    assert lag == 700
    assert run["duration"] == 1500
    for series in ({}, {"handler": job["handler"]}):
        assert emitted(out, Metric.RUNS_STARTED, **series) == [1]
        assert emitted(out, Metric.RUNS_SUCCEEDED, **series) == [1]
        assert emitted(out, Metric.DISPATCH_LAG_MS, **series) == [lag]
        assert emitted(out, Metric.RUN_DURATION_MS, **series) == [run["duration"]]
        assert emitted(out, Metric.RUNS_FAILED, **series) is None


def test_a_failed_run_counts_runs_failed_for_its_handler(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.create(handler="fail", data={"message": "boom"}, maxAttempts=1)
    capsys.readouterr()

    stack.deliver()

    out = capsys.readouterr().out
    assert emitted(out, Metric.RUNS_FAILED) == [1]
    assert emitted(out, Metric.RUNS_FAILED, handler="fail") == [1]
    assert emitted(out, Metric.RUNS_SUCCEEDED, handler="fail") is None


def test_a_duplicate_delivery_is_not_a_second_start(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.create()
    [payload] = stack.invocations.payloads
    capsys.readouterr()

    stack.execute(payload)
    stack.execute(payload)

    assert emitted(capsys.readouterr().out, Metric.RUNS_STARTED) == [1]


def test_a_manual_run_lags_from_its_trigger_and_a_retry_is_not_counted_as_lag(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    job = stack.create(handler="flaky", data={"succeedOnAttempt": 2}, schedule="1h", retryBackoffSeconds=1)
    stack.api.post(f"/jobs/{job['id']}/trigger")
    stack.clock.advance(0.25)  # Lambda's queue takes a moment
    capsys.readouterr()
    stack.deliver()
    manual = capsys.readouterr().out
    stack.clock.advance(2)
    stack.tick()
    stack.deliver()
    retry = capsys.readouterr().out

    assert emitted(manual, Metric.DISPATCH_LAG_MS) == [250]
    assert emitted(manual, Metric.RUNS_FAILED) == [1]
    assert emitted(retry, Metric.RUNS_SUCCEEDED) == [1]
    # its scheduledAt is the failed attempt's: the backoff would read as lateness
    assert emitted(retry, Metric.DISPATCH_LAG_MS) is None
    assert [run["trigger"] for run in stack.history(job["id"])] == ["retry", "manual"]


def test_each_tick_pass_counts_its_due_jobs_and_how_long_it_took(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        stack.create(runAt="2026-11-28T09:00:01.000Z")
    stack.invocations.on_invoke = lambda payload: stack.clock.advance(0.1)  # each Invoke takes 100 ms
    capsys.readouterr()

    report = stack.tick(remaining_millis=65_000)

    out = capsys.readouterr().out
    passes = emitted(out, Metric.TICK_PASS_MS)
    assert passes is not None
    # a pass at 09:00:00 finds nothing due yet; the one at 09:00:01 dispatches three runs
    assert passes == [0, 300]
    assert report["passes"] == 2
    due = emitted(out, Metric.TICK_DUE_JOBS)
    assert due == [0, 3]


def test_a_lost_run_counts_runs_timed_out_and_its_log_line_names_the_run(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    job = stack.create(timeoutSeconds=30, maxAttempts=2)  # dispatched; the executor never runs
    [payload] = stack.invocations.payloads
    stack.clock.advance(30 + settings.lease_margin_seconds + 1)
    capsys.readouterr()

    with LogCapture(function_logger("TickFunction")) as logs:
        assert stack.tick()["recovered"] == 1

    assert emitted(capsys.readouterr().out, Metric.RUNS_TIMED_OUT) == [1]
    [line] = logs.about("run failed without reporting")
    assert line["level"] == "WARNING"
    assert {key: line[key] for key in ("jobId", "runId", "attempt", "trigger")} == {
        "jobId": job["id"],
        "runId": payload["runId"],
        "attempt": 1,
        "trigger": "schedule",
    }
    assert (line["handler"], line["status"]) == ("echo", "timed_out")


def test_a_dispatch_lambda_refuses_is_counted_by_the_tick_and_by_the_api(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.create(runAt="2026-11-28T09:00:01.000Z")
    stack.invocations.refusing = "TooManyRequestsException"
    stack.clock.advance(1)
    capsys.readouterr()

    with LogCapture(function_logger("TickFunction")) as logs:
        stack.tick()
        tick_out = capsys.readouterr().out
        immediate = stack.create()
        api_out = capsys.readouterr().out

    assert emitted(tick_out, Metric.DISPATCH_REFUSED) == [1]
    assert emitted(api_out, Metric.DISPATCH_REFUSED) == [1]
    refused = logs.about("dispatch refused")
    assert len(refused) == 2
    assert refused[1]["jobId"] == immediate["id"]
    for line in refused + logs.about("run failed without reporting"):
        assert {"jobId", "runId", "attempt", "trigger"} <= set(line)


def test_the_run_line_names_the_run_and_never_holds_its_data_or_result(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    with LogCapture(function_logger("ExecutorFunction")) as logs:
        job = stack.create(data={"password": SECRET})
        stack.deliver()

    [run] = stack.history(job["id"])
    assert run["result"] == {"password": SECRET}  # the history has it; the logs must not
    [line] = logs.about("run finished")
    assert {key: line[key] for key in ("jobId", "runId", "attempt", "trigger", "handler", "outcome")} == {
        "jobId": job["id"],
        "runId": run["id"],
        "attempt": 1,
        "trigger": "schedule",
        "handler": "echo",
        "outcome": "completed",
    }
    assert "data" not in line
    assert "result" not in line
    captured = capsys.readouterr()
    assert SECRET not in logs.text + captured.out + captured.err


def test_log_job_data_puts_the_data_and_result_on_the_run_line(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), log_job_data=True)

    with LogCapture(function_logger("ExecutorFunction")) as logs:
        stack.create(data={"greeting": "hello"})
        stack.deliver()

    [line] = logs.about("run finished")
    assert (line["data"], line["result"]) == ({"greeting": "hello"}, {"greeting": "hello"})


def test_a_skipped_delivery_is_logged_with_the_run_keys(stack: Stack) -> None:
    stack.create()
    [payload] = stack.invocations.payloads
    stack.execute(payload)

    with LogCapture(function_logger("ExecutorFunction")) as logs:
        stack.execute(payload)

    [line] = logs.about("run skipped: a stale delivery, or its run detached")
    assert {key: line[key] for key in ("jobId", "runId", "attempt", "trigger")} == {
        key: payload[key] for key in ("jobId", "runId", "attempt", "trigger")
    }


def test_a_scheduled_run_started_on_time_lags_zero(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.deliver_at_once()
    stack.create(runAt=iso_z(stack.clock.now() + timedelta(seconds=5)))
    stack.clock.advance(5)
    capsys.readouterr()

    stack.tick()

    assert emitted(capsys.readouterr().out, Metric.DISPATCH_LAG_MS) == [0]


def test_the_docs_logs_insights_query_finds_the_run_line_by_its_run_id(stack: Stack) -> None:
    query = LOGS_QUERY.text()
    with LogCapture(function_logger("ExecutorFunction")) as logs:
        job = stack.create(handler="fail", data={"message": "boom"}, maxAttempts=1)  # a line with every field
        stack.deliver()

    [line] = logs.about("run finished")
    shown = [field.strip() for field in query.split("|")[0].removeprefix("fields").split(",")]
    assert {field for field in shown if not field.startswith("@")} <= set(line)  # @timestamp is Logs Insights' own
    match = re.search(r'filter (\w+) = "RUN_ID"', query)
    assert match is not None
    assert line[match.group(1)] == stack.history(job["id"])[0]["id"]
    assert " ".join(query.split()) in LOGS_QUERY_SHELL.text()  # the shell version runs the same query
