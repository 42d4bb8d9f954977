"""A job's `notify`: how a run ended, sent to a target after the run is recorded (decision "Notifications").

The notification target is moto's queue of TARGET_ARNS, reached with the executor's role as SAM deploys it
(tests/infrastructure/test_permissions.py checks each call); the queue's messages are what a user receives.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from devtools.functions import FakeLambdaContext, build_function
from devtools.stack import Stack
from devtools.template import ACCOUNT, TARGET_ARNS
from local_stack.workers import WorkerPoolDispatcher
from serverless_jobs.domain.notify import RESEND_AFTER_MILLIS
from serverless_jobs.domain.outcome import Outcome

pytestmark = pytest.mark.usefixtures("targets")
QUEUE = {"type": "sqs", "arn": TARGET_ARNS["sqs"]}
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs-target-queue"
RESEND_AFTER_SECONDS = RESEND_AFTER_MILLIS // 1000


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


def test_a_refused_hand_off_stays_owed_and_a_later_tick_hands_it_over_again(stack: Stack) -> None:
    job = stack.create(runAt="2026-11-28T09:00:10.000Z", maxAttempts=1, notify={"onFailure": QUEUE})
    stack.invocations.refusing = "ResourceNotFoundException"  # the run's dispatch and the hand-off alike
    stack.clock.advance(10)
    assert stack.tick()["undelivered"] == 1
    stack.invocations.refusing = None

    stack.clock.advance(RESEND_AFTER_SECONDS - 1)
    too_soon = tick_with_time(stack)
    stack.clock.advance(2)
    resent = tick_with_time(stack)
    stack.deliver()

    [refused] = stack.history(job["id"])
    [notification] = received()
    assert (too_soon["renotified"], resent["renotified"]) == (0, 1)
    assert (stack.job(job["id"])["status"], refused["status"], refused["notification"]) == ("failed", "failed", None)
    assert (notification["runId"], notification["outcome"]) == (refused["id"], "failed")
    assert notification["error"].startswith("DispatchRefused")


class Killed(BaseException):
    """The executor's process ending mid-invocation (Lambda's timeout, an out-of-memory kill): no handler
    catches it, as none outlives the process."""


class DyingTargets:
    """A target sender whose process is killed as it starts to send."""

    def send(self, *_: Any) -> tuple[Outcome, Any]:
        raise Killed


def test_an_executor_killed_after_recording_its_run_loses_no_notification(stack: Stack) -> None:
    job = stack.create(data={"n": 1}, notify={"onSuccess": QUEUE})
    dying = stack.build_executor(targets=DyingTargets())
    [dispatched] = stack.invocations.payloads

    with pytest.raises(Killed):
        dying(dispatched, FakeLambdaContext(function_name="ExecutorFunction", remaining_millis=900_000))
    stack.delivered += 1
    recorded = stack.history(job["id"])
    unsent = received()
    stack.clock.advance(RESEND_AFTER_SECONDS + 1)
    resent = tick_with_time(stack)
    stack.deliver()

    [run] = stack.history(job["id"])
    [notification] = received()
    assert (stack.job(job["id"])["status"], recorded[0]["status"], unsent) == ("completed", "completed", [])
    assert resent["renotified"] == 1
    assert (notification["runId"], notification["outcome"], run["notification"]) == (run["id"], "completed", None)
    assert_nothing_more_is_sent(stack)


def test_a_notification_never_sent_is_handed_over_less_and_less_often_up_to_hourly(stack: Stack) -> None:
    stack.create(timeoutSeconds=30, maxAttempts=1, notify={"onFailure": QUEUE})
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
    stack.tick()  # the lost run closed, its notification handed to an executor that never sends it
    gaps = []  # (handed over a minute early?, handed over on time?) for each hand-off

    # a minute after the close, then 2, 4, ... 64 minutes after each hand-off, then hourly
    for minutes in (1, 1, 2, 4, 8, 16, 32, 64, 64):
        stack.clock.advance(60 * minutes - 60)
        early = tick_with_time(stack)["renotified"]
        stack.clock.advance(60)
        gaps.append((early, tick_with_time(stack)["renotified"]))

    assert gaps == [(0, 1)] * 9


def test_a_notification_delivered_once_is_never_sent_again(stack: Stack) -> None:
    job = stack.create(notify={"onSuccess": QUEUE})

    stack.deliver()
    [notification] = received()
    [run] = stack.history(job["id"])

    assert notification["runId"] == run["id"]
    assert_nothing_more_is_sent(stack)


def test_a_duplicate_hand_off_of_a_sent_notification_sends_nothing(stack: Stack) -> None:
    job = stack.create(timeoutSeconds=30, maxAttempts=1, notify={"onFailure": QUEUE})
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
    stack.tick()
    [_, hand_off] = stack.invocations.payloads

    first, again = stack.deliver()[1], stack.execute(hand_off)

    assert (first["outcome"], again["outcome"]) == ("notified", "skipped")
    assert [notification["runId"] for notification in received()] == [stack.history(job["id"])[0]["id"]]


def test_an_owed_notification_whose_job_stopped_notifying_is_dropped_unsent(stack: Stack) -> None:
    job = stack.create(timeoutSeconds=30, maxAttempts=1, notify={"onFailure": QUEUE})
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
    stack.tick()
    stack.api.put(f"/jobs/{job['id']}", {"notify": None})

    stack.deliver()

    assert received() == []
    assert_nothing_more_is_sent(stack)


def test_on_make_dev_a_run_the_tick_closes_is_notified_by_the_worker_pool(stack: Stack) -> None:
    pool = WorkerPoolDispatcher()  # make dev's stand-in for the async invokes of the executor
    tick = build_function(
        "TickFunction", stack.settings, stack.clients, stack.clock, dispatcher=pool, notifications=pool
    )
    job = stack.create(timeoutSeconds=30, maxAttempts=1, notify={"onFailure": QUEUE})  # its run is never started
    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)

    assert stack.tick(handler=tick)["recovered"] == 1
    pool.start(stack.executor_handler, workers=1)
    notifications = wait_for_notifications(1)

    [lost] = stack.history(job["id"])
    assert [(n["runId"], n["outcome"]) for n in notifications] == [(lost["id"], "timed_out")]


def wait_for_notifications(expected: int, seconds: float = 10.0) -> list[dict[str, Any]]:
    """The queue's notifications once `expected` have come (sent by another thread), or all after `seconds`."""
    notifications: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while len(notifications) < expected and time.monotonic() < deadline:
        notifications += received()
        time.sleep(0.05)
    return notifications


def tick_with_time(stack: Stack) -> dict[str, Any]:
    """A tick with seconds to spare, as the rule's is: time enough to hand owed notifications over."""
    return stack.tick(remaining_millis=10_000)


def assert_nothing_more_is_sent(stack: Stack) -> None:
    """Later ticks, past the time an owed notification is handed over again, send nothing more."""
    for _ in range(2):
        stack.clock.advance(RESEND_AFTER_SECONDS + 1)
        assert tick_with_time(stack)["renotified"] == 0
        stack.deliver()
    assert received() == []


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
