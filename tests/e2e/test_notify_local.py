"""Notifications on `make dev`: a real webhook receiver hears of a job failing for good and of a success."""

from __future__ import annotations

import json
import time
from typing import Any

from devtools.local_http import LocalStack
from devtools.webhook_receiver import Received, WebhookReceiver


def create(local: LocalStack, **fields: Any) -> dict[str, Any]:
    status, job = local.call("POST", "/jobs", {"name": "e2e-notify", **fields})
    assert status == 201, job
    created: dict[str, Any] = job
    return created


def requests_when(receiver: WebhookReceiver, count: int, seconds: float = 15.0) -> list[Received]:
    """The receiver's requests once `count` have come, or all it has after `seconds`."""
    deadline = time.monotonic() + seconds
    while len(receiver.received()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return receiver.received()


def test_make_dev_notifies_a_webhook_of_a_failure_for_good_and_of_a_success(local: LocalStack) -> None:
    with WebhookReceiver(200).running() as receiver:
        hook = {"type": "http", "url": receiver.url}
        failing = create(local, handler="fail", data={"message": "boom"}, maxAttempts=1, notify={"onFailure": hook})
        passing = create(local, handler="echo", notify={"onSuccess": hook, "onFailure": hook})
        requests = requests_when(receiver, 2)

    notifications = {body["jobId"]: body for body in (json.loads(request.body) for request in requests)}
    [failed_run] = local.call("GET", f"/jobs/{failing['id']}/history")[1]["history"]
    [passed_run] = local.call("GET", f"/jobs/{passing['id']}/history")[1]["history"]
    assert len(requests) == 2
    assert notifications[failing["id"]] == {
        "jobId": failing["id"],
        "runId": failed_run["id"],
        "outcome": "failed",
        "error": "HandlerFailure: boom",
        "attempt": 1,
        "final": True,
        "scheduledAt": failed_run["scheduledAt"],
    }
    assert (notifications[passing["id"]]["runId"], notifications[passing["id"]]["outcome"]) == (
        passed_run["id"],
        "completed",
    )
    assert (failed_run["notification"], passed_run["notification"]) == (None, None)


def test_a_notification_given_up_is_logged_naming_the_service_and_the_notifications_own_target(
    local: LocalStack,
) -> None:
    with WebhookReceiver(400).running() as receiver:  # a 4xx is not retried: given up at once
        job = create(local, handler="echo", notify={"onSuccess": {"type": "http", "url": receiver.url}})
        requests_when(receiver, 1)
        ran = local.wait_for(
            f"/jobs/{job['id']}/history", lambda body: body["history"] and body["history"][0]["notification"], 10
        )

    assert ran["history"][0]["notification"]["target"] == "http"
    [line] = [line for line in local.output().splitlines() if "notification not delivered" in line]
    logged = json.loads(line[line.index("{") :])
    assert (logged["service"], logged["notifyTarget"], logged["jobId"]) == ("serverless-jobs-local", "http", job["id"])
    assert "target" not in logged  # the job has a handler, not a target
