"""Targets on `make dev`: a signed webhook to a receiver on this machine, moto's queue, bus and state machine,
and a lambda target that fails its run saying it needs AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.local_http import LocalStack
from devtools.template import LOCAL_WEBHOOK_SECRET, TARGET_ARNS
from devtools.tls import SelfSigned
from devtools.webhook_receiver import WebhookReceiver
from harness.webhooks import verified_by_readme

DATA = {"invoice": 42}


def run_of(local: LocalStack, target: dict[str, Any], **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a one-time job with `target` (it runs at once); the job and its run once the run has ended."""
    status, job = local.call("POST", "/jobs", {"name": "e2e-target", "target": target, "data": DATA, **fields})
    assert status == 201, job
    ended = local.wait_for(f"/jobs/{job['id']}", lambda body: body["status"] in ("completed", "failed"), 15)
    [run] = local.call("GET", f"/jobs/{job['id']}/history")[1]["history"]
    return ended, run


def test_a_webhook_on_make_dev_gets_a_signed_post_that_the_receiver_verifies(local: LocalStack) -> None:
    with WebhookReceiver(201).running() as receiver:
        job, run = run_of(local, {"type": "http", "url": receiver.url})
        [request] = receiver.received()

    assert verified_by_readme(request, receiver.url, LOCAL_WEBHOOK_SECRET.encode())  # make dev's clock is real
    assert (request.method, request.headers["content-type"], json.loads(request.body)) == (
        "POST",
        "application/json",
        DATA,
    )
    assert request.headers["x-serverless-jobs-job-id"] == job["id"]
    assert (job["status"], run["result"]) == ("completed", {"status": 201, "body": '{"ok": true}'})


def test_an_https_webhook_reaches_a_receiver_whose_certificate_the_executor_is_told_to_trust(
    tmp_path: Path,
) -> None:
    """TLS is verified: the executor trusts what its `SSL_CERT_FILE` names (OpenSSL's own setting, here a
    self-signed certificate), and a receiver with another certificate fails the run, unsent."""
    trusted, other = SelfSigned.create(tmp_path / "trusted"), SelfSigned.create(tmp_path / "other")
    local = LocalStack.start({"SSL_CERT_FILE": str(trusted.cert)})
    try:
        with (
            WebhookReceiver(200, tls=trusted.server_context()).running() as receiver,
            WebhookReceiver(200, tls=other.server_context()).running() as impostor,
        ):
            assert receiver.url.startswith("https://127.0.0.1:")
            job, run = run_of(local, {"type": "http", "url": receiver.url}, maxAttempts=1)
            refused_job, refused = run_of(local, {"type": "http", "url": impostor.url}, maxAttempts=1)
            [request] = receiver.received()
            assert impostor.received() == []
    finally:
        local.stop()

    assert (job["status"], run["result"], json.loads(request.body)) == (
        "completed",
        {"status": 200, "body": '{"ok": true}'},
        DATA,
    )
    assert request.headers["x-serverless-jobs-run-id"] == run["id"]
    assert (refused_job["status"], refused["result"]) == ("failed", None)
    assert "CERTIFICATE_VERIFY_FAILED" in refused["error"], refused["error"]


@pytest.mark.parametrize(
    ("target", "result_key"),
    [
        ({"type": "sqs", "arn": TARGET_ARNS["sqs"]}, "messageId"),
        ({"type": "eventbridge", "busArn": TARGET_ARNS["eventbridge"], "detailType": "e2e"}, "eventId"),
        ({"type": "stepfunctions", "arn": TARGET_ARNS["stepfunctions"]}, "executionArn"),
    ],
)
def test_aws_targets_on_make_dev_reach_moto(local: LocalStack, target: dict[str, Any], result_key: str) -> None:
    job, run = run_of(local, target)

    assert (job["status"], run["error"]) == ("completed", None)
    assert set(run["result"]) == {result_key}


def test_a_lambda_target_on_make_dev_fails_its_run_saying_it_needs_aws(local: LocalStack) -> None:
    job, run = run_of(local, {"type": "lambda", "arn": TARGET_ARNS["lambda"]})

    assert (job["status"], job["attempts"]) == ("failed", 1)
    assert "needs AWS" in run["error"]


def test_make_dev_says_which_targets_it_offers(local: LocalStack) -> None:
    banner = local.output()
    assert all(TARGET_ARNS[kind] in banner for kind in ("sqs", "eventbridge", "stepfunctions"))
    assert LOCAL_WEBHOOK_SECRET in banner
