"""A job's `notify`: how a run ended, sent to a target after the run is recorded (issue 14, DESIGN §9).

The notification target is moto's queue of TARGET_ARNS, reached with the executor's role as SAM deploys it
(tests/infrastructure/test_permissions.py checks each call); the queue's messages are what a user receives.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from devtools.stack import Stack
from devtools.template import ACCOUNT, TARGET_ARNS

pytestmark = pytest.mark.usefixtures("targets")
QUEUE = {"type": "sqs", "arn": TARGET_ARNS["sqs"]}
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs-target-queue"


def received() -> list[dict[str, Any]]:
    """Every notification the queue holds, oldest first, each as its body says."""
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def run_until_settled(stack: Stack, job_id: str) -> dict[str, Any]:
    """Deliver the job's runs and its retries (each due after its backoff) until it stops running."""
    stack.deliver()
    while (job := stack.job(job_id))["status"] == "pending" and job["nextRunAt"] is not None:
        stack.clock.advance(60)
        stack.tick()
        stack.deliver()
    return job


def test_a_job_that_fails_for_good_after_retries_sends_one_failure_notification(stack: Stack) -> None:
    job = stack.create(handler="fail", data={"message": "boom"}, maxAttempts=3, notify={"onFailure": QUEUE})

    settled = run_until_settled(stack, job["id"])

    [notification] = received()
    last = stack.history(job["id"])[0]
    assert (settled["status"], settled["attempts"]) == ("failed", 3)
    assert notification == {
        "jobId": job["id"],
        "runId": last["id"],
        "outcome": "failed",
        "error": "HandlerFailure: boom",
        "attempt": 3,
        "final": True,
        "scheduledAt": last["scheduledAt"],
    }
    assert settled["notify"] == {"onFailure": QUEUE, "onSuccess": None, "onEveryFailure": False}


def test_on_every_failure_sends_one_notification_per_failed_attempt(stack: Stack) -> None:
    notify = {"onFailure": QUEUE, "onEveryFailure": True}
    job = stack.create(handler="fail", data={"message": "boom"}, maxAttempts=3, notify=notify)

    run_until_settled(stack, job["id"])

    runs = stack.history(job["id"])[::-1]
    assert [(n["runId"], n["attempt"], n["final"]) for n in received()] == [
        (runs[0]["id"], 1, False),
        (runs[1]["id"], 2, False),
        (runs[2]["id"], 3, True),
    ]


def test_a_success_notifies_on_success_and_a_retried_success_sends_no_failure(stack: Stack) -> None:
    notify = {"onFailure": QUEUE, "onSuccess": QUEUE}
    job = stack.create(handler="flaky", data={"succeedOnAttempt": 2}, notify=notify)

    settled = run_until_settled(stack, job["id"])

    [notification] = received()
    assert settled["status"] == "completed"
    assert (notification["outcome"], notification["attempt"], notification["error"]) == ("completed", 2, None)


def test_an_undeliverable_notification_is_recorded_on_the_run_and_the_job_is_unaffected(stack: Stack) -> None:
    job = stack.create(notify={"onSuccess": QUEUE})
    boto3.client("sqs").delete_queue(QueueUrl=QUEUE_URL)

    settled = run_until_settled(stack, job["id"])

    [run] = stack.history(job["id"])
    assert (settled["status"], settled["lastError"], run["status"]) == ("completed", None, "completed")
    assert run["notification"]["delivered"] is False
    assert run["notification"]["target"] == "sqs"
    assert "QueueDoesNotExist" in run["notification"]["error"] or "NonExistentQueue" in run["notification"]["error"]


def test_a_lost_run_the_tick_fails_for_good_is_notified_through_the_executor(stack: Stack) -> None:
    job = stack.create(timeoutSeconds=30, maxAttempts=1, notify={"onFailure": QUEUE})  # its executor never runs
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)

    assert stack.tick()["recovered"] == 1
    stack.deliver()  # the lost run's late event (stale, skipped) and the notification the tick handed over

    [lost] = stack.history(job["id"])
    [notification] = received()
    assert (stack.job(job["id"])["status"], lost["status"]) == ("failed", "timed_out")
    assert (notification["runId"], notification["outcome"], notification["final"]) == (lost["id"], "timed_out", True)
    assert notification["error"].startswith("LeaseExpired")


def test_a_refused_run_whose_notification_lambda_refuses_too_records_it_undelivered(stack: Stack) -> None:
    job = stack.create(runAt="2026-11-28T09:00:10.000Z", maxAttempts=1, notify={"onFailure": QUEUE})
    stack.invocations.refusing = "ResourceNotFoundException"  # the run's dispatch and the hand-off alike
    stack.clock.advance(10)

    assert stack.tick()["undelivered"] == 1

    [refused] = stack.history(job["id"])
    assert (stack.job(job["id"])["status"], refused["status"]) == ("failed", "failed")
    assert refused["notification"]["delivered"] is False
    assert refused["notification"]["error"].startswith("HandOffRefused")


def test_notify_is_changed_and_cleared_by_update(stack: Stack) -> None:
    job = stack.create(schedule="1h")

    set_ = stack.api.put(f"/jobs/{job['id']}", {"notify": {"onSuccess": QUEUE}})
    cleared = stack.api.put(f"/jobs/{job['id']}", {"notify": None})

    assert set_.body["notify"] == {"onFailure": None, "onSuccess": QUEUE, "onEveryFailure": False}
    assert cleared.body["notify"] is None


OTHER_QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:not-listed"


@pytest.mark.parametrize(
    ("notify", "message"),
    [
        ({}, "notify: needs onFailure or onSuccess"),
        ({"onEveryFailure": True, "onSuccess": QUEUE}, "notify.onEveryFailure: needs notify.onFailure"),
        ({"onFailure": {"type": "sqs", "arn": OTHER_QUEUE}}, "notify.onFailure.arn: is outside the ARNs"),
        ({"onSuccess": {"type": "sqs", "arn": TARGET_ARNS["lambda"]}}, "notify.onSuccess.arn: is not a sqs"),
        ({"onFailure": {"type": "ftp"}}, "notify.onFailure: type must be one of"),
        ({"onFailure": {"type": "http"}}, "notify.onFailure.url: is required"),
        ({"onFailure": QUEUE, "onEveryFailure": "yes"}, "notify.onEveryFailure: "),
        ({"onFailure": QUEUE, "onRetry": QUEUE}, "notify.onRetry: is not a known field"),
        ("sqs", "notify: "),
    ],
)
def test_an_invalid_notify_is_a_400_naming_the_field_and_changes_nothing(
    stack: Stack, snapshot: Any, notify: Any, message: str
) -> None:
    before = snapshot()

    reply = stack.api.post("/jobs", {"name": "job", "handler": "echo", "notify": notify})

    assert reply.status == 400
    assert reply.body["message"].startswith(message), reply.body["message"]
    assert snapshot() == before
