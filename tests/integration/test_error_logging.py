"""A run's error text is job data: logged only with LogJobData=true; its type always (issue 20).

The `fail` handler raises with `data["message"]`, so a failed run's error carries what the job's data said.
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools.clock import ManualClock
from devtools.stack import START, Stack
from devtools.webhook_receiver import WebhookReceiver
from harness.telemetry import LogCapture, function_logger
from serverless_jobs.domain.outcome import error_type
from serverless_jobs.settings import Settings

SECRET = "card 4111-1111-1111-1111"


@pytest.fixture(params=[False, True], ids=["LogJobData=false", "LogJobData=true"])
def logged_stack(aws: list[str], request: pytest.FixtureRequest) -> Any:
    wired = Stack(ManualClock(START), log_job_data=request.param)
    yield wired, request.param
    wired.close()


def test_a_failed_runs_line_has_the_errors_type_and_its_text_only_with_log_job_data(
    logged_stack: tuple[Stack, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    stack, with_data = logged_stack
    with LogCapture(function_logger("ExecutorFunction")) as logs:
        job = stack.create(handler="fail", data={"message": SECRET}, maxAttempts=1)
        stack.deliver()

    [run] = stack.history(job["id"])
    [line] = logs.about("run finished")
    assert SECRET in run["error"]  # the history keeps it: the API's readers may see job data
    assert line["errorType"] == run["error"].split(":", 1)[0]
    assert (line.get("error") == run["error"]) is with_data
    captured = capsys.readouterr()
    assert (SECRET in logs.text + captured.out + captured.err) is with_data


def test_a_lost_runs_line_has_its_type(logged_stack: tuple[Stack, bool]) -> None:
    stack, with_data = logged_stack
    stack.create(timeoutSeconds=30, maxAttempts=1)  # dispatched; the executor never runs
    stack.clock.advance(30 + Settings.from_environment().lease_margin_seconds + 1)

    with LogCapture(function_logger("TickFunction")) as logs:
        stack.tick()

    [line] = logs.about("run failed without reporting")
    assert line["errorType"] == "LeaseExpired"
    assert ("error" in line) is with_data


@pytest.mark.usefixtures("targets")
def test_an_undelivered_notifications_line_has_its_type_and_not_the_runs_text(aws: list[str]) -> None:
    stack = Stack(ManualClock(START), local_stack=True)
    with WebhookReceiver(404).running() as receiver, LogCapture(function_logger("ExecutorFunction")) as logs:
        notify = {"onFailure": {"type": "http", "url": receiver.url}}
        stack.create(handler="fail", data={"message": SECRET}, maxAttempts=1, notify=notify)
        stack.deliver()
        [sent] = receiver.received()
    stack.close()

    [line] = logs.about("notification not delivered")
    assert SECRET.encode() in sent.body  # the notification carries the error to its receiver
    assert line["errorType"] == "HTTP 404"
    assert "error" not in line
    assert SECRET not in logs.text


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("HandlerFailure: boom", "HandlerFailure"),
        ('FunctionError (Unhandled): {"errorMessage": "x"}', "FunctionError (Unhandled)"),
        ("HTTP 503 Service Unavailable from POST hooks.example.com", "HTTP 503"),
        ("botocore.exceptions.ReadTimeoutError: Read timeout", "botocore.exceptions.ReadTimeoutError"),
        ("LeaseExpired: the run did not finish within its timeout", "LeaseExpired"),
        ("a secret without a type", None),
        (None, None),
    ],
)
def test_an_errors_type_is_its_leading_name_and_never_its_text(error: str | None, kind: str | None) -> None:
    assert error_type(error) == kind
