"""`POST /jobs` with an Idempotency-Key creates at most once (decision "Idempotent create"): repeats replay,
misuse is a 409."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from devtools.api import ApiClient, Reply
from devtools.clock import ManualClock
from devtools.dispatch import InvokeRecorder
from devtools.functions import build_function
from devtools.moto_backend import serialise_moto_calls
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients

JOB = {"name": "report", "handler": "echo", "data": {"to": "ops"}}  # one-time, at once: the API dispatches it
KEY = "7b1f4a52-3c1e-4f0e-9a57-2d8e1c0b6a11"
Snapshot = Callable[[], dict[str, list[dict[str, Any]]]]


def create(api: ApiClient, body: dict[str, Any], key: str | None = KEY, header: str = "Idempotency-Key") -> Reply:
    return api.request("POST", "/jobs", body, headers=None if key is None else {header: key})


def stored_jobs(snapshot: Snapshot) -> list[dict[str, Any]]:
    return snapshot()[Settings.from_environment().jobs_table]


def test_a_repeat_with_the_same_key_and_body_answers_the_first_job_and_creates_nothing(
    api: ApiClient, snapshot: Snapshot, invocations: InvokeRecorder
) -> None:
    first = create(api, JOB)
    after_first = snapshot()

    again = create(api, JOB)
    lowercase = create(api, JOB, header="idempotency-key")  # header names are case-insensitive

    assert first.status == again.status == lowercase.status == 201
    assert again.body == lowercase.body == first.body
    assert snapshot() == after_first
    assert len(stored_jobs(snapshot)) == 1
    assert [payload["jobId"] for payload in invocations.payloads] == [first.body["id"]]  # run once, not thrice


def test_the_same_json_document_is_the_same_body_whatever_its_key_order_and_spacing(
    api: ApiClient, snapshot: Snapshot
) -> None:
    first = create(api, JOB)

    again = api.request(
        "POST",
        "/jobs",
        raw_body='{ "data" : {"to":"ops"},\n  "handler": "echo", "name": "report" }',
        headers={"Idempotency-Key": KEY},
    )

    assert again.status == 201
    assert again.body == first.body
    assert len(stored_jobs(snapshot)) == 1


def test_the_replay_is_the_first_answer_not_the_job_as_it_is_now(api: ApiClient) -> None:
    first = create(api, {**JOB, "schedule": "1h"})
    api.post(f"/jobs/{first.body['id']}/pause")

    again = create(api, {**JOB, "schedule": "1h"})

    assert (again.status, again.body["status"]) == (201, "pending")
    assert api.get(f"/jobs/{first.body['id']}").body["status"] == "paused"


def test_the_same_key_with_another_body_is_a_409_naming_the_key_and_changes_nothing(
    api: ApiClient, snapshot: Snapshot
) -> None:
    create(api, JOB)
    before = snapshot()

    reply = create(api, {**JOB, "data": {"to": "finance"}})

    assert reply.status == 409
    assert reply.body == {
        "message": f"Idempotency-Key '{KEY}' was used for a different request within the last 24 h; "
        "send a new key to create another job"
    }
    assert snapshot() == before


def test_without_a_key_every_request_creates_a_job(api: ApiClient, snapshot: Snapshot) -> None:
    first, second = create(api, JOB, key=None), create(api, JOB, key=None)

    assert first.status == second.status == 201
    assert first.body["id"] != second.body["id"]
    assert len(stored_jobs(snapshot)) == 2


def test_different_keys_create_different_jobs(api: ApiClient, snapshot: Snapshot) -> None:
    first, second = create(api, JOB, key="a"), create(api, JOB, key="b")

    assert first.body["id"] != second.body["id"]
    assert len(stored_jobs(snapshot)) == 2


def test_a_refused_create_frees_its_key_for_the_corrected_request(api: ApiClient, snapshot: Snapshot) -> None:
    refused = create(api, {**JOB, "schedule": "1h", "endAt": "2026-11-28T08:00:00Z"})  # window already closed

    corrected = create(api, {**JOB, "schedule": "1h"})

    assert refused.status == 400
    assert refused.body["message"].startswith("endAt:")
    assert corrected.status == 201
    assert len(stored_jobs(snapshot)) == 1


def test_the_answer_is_kept_for_24_hours(api: ApiClient) -> None:
    before = time.time()
    create(api, JOB)
    after = time.time()

    table = Settings.from_environment().idempotency_table
    [record] = boto3.client("dynamodb").scan(TableName=table)["Items"]
    assert record["status"] == {"S": "COMPLETED"}
    assert int(before) + 86_400 <= int(record["expiration"]["N"]) <= after + 86_400


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "must be 1..255 characters, not 0"),
        ("k" * 256, "must be 1..255 characters, not 256"),
        ("tab\there", "must be printable ASCII (a UUID is a good key)"),
        ("clé", "must be printable ASCII (a UUID is a good key)"),
    ],
)
def test_a_malformed_key_is_a_400_naming_the_header_and_changes_nothing(
    api: ApiClient, snapshot: Snapshot, key: str, problem: str
) -> None:
    before = snapshot()

    reply = create(api, JOB, key=key)

    assert (reply.status, reply.body) == (400, {"message": f"Idempotency-Key: {problem}"})
    assert snapshot() == before


def test_a_255_character_key_is_accepted(api: ApiClient) -> None:
    assert create(api, JOB, key="k" * 255).status == 201


def test_a_repeat_while_the_first_request_still_runs_is_told_to_retry_and_then_gets_the_job(
    api: ApiClient, clock: ManualClock, invocations: InvokeRecorder, snapshot: Snapshot
) -> None:
    other_instance = ApiClient(build_function("ApiFunction", Settings.from_environment(), AwsClients(), clock))
    meanwhile: list[Reply] = []
    # The first request is mid-create (dispatching its run) when the repeat reaches another API instance.
    invocations.on_invoke = lambda _: meanwhile.append(create(other_instance, JOB))

    first = create(api, JOB)
    invocations.on_invoke = None
    later = create(other_instance, JOB)

    [in_progress] = meanwhile
    assert in_progress.status == 409
    assert in_progress.body == {
        "message": f"Idempotency-Key '{KEY}': a request with this key is still in progress; send it again shortly"
    }
    assert in_progress.headers["retry-after"] == "1"
    assert (first.status, later.status, later.body) == (201, 201, first.body)
    assert len(stored_jobs(snapshot)) == 1


def test_two_concurrent_requests_with_one_key_create_one_job(
    clock: ManualClock, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialise_moto_calls()
    # Lambda never runs two invocations in one process; Powertools' shared metric buffer is not for threads.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # Two API instances, as Lambda runs concurrent requests: a resolver serves one request at a time.
    instances = [
        ApiClient(build_function("ApiFunction", Settings.from_environment(), AwsClients(), clock)) for _ in "ab"
    ]
    start = threading.Barrier(len(instances))
    replies: list[Reply] = []

    def send(instance: ApiClient) -> None:
        start.wait()
        replies.append(create(instance, {**JOB, "schedule": "1h"}))

    threads = [threading.Thread(target=send, args=(instance,)) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [job] = stored_jobs(snapshot)
    created = [reply for reply in replies if reply.status == 201]
    assert created, [reply.body for reply in replies]
    assert all(reply.body["id"] == job["id"]["S"] for reply in created)
    for reply in replies:
        assert reply.status == 201 or (reply.status, reply.headers["retry-after"]) == (409, "1")


def test_an_answer_stored_plain_by_the_previous_release_still_replays(
    api: ApiClient, clock: ManualClock, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers are now stored compressed; one stored as the previous release did (the answer as it is)
    within the last 24 h must replay after the upgrade, and a new API process replays it the same."""
    from aws_lambda_powertools.utilities.idempotency.serialization.no_op import NoOpSerializer

    from serverless_jobs.http import idempotency

    with monkeypatch.context() as previous_release:
        previous_release.setattr(idempotency, "_compressed_answers", NoOpSerializer)
        first = create(api, JOB)
    records = snapshot()[Settings.from_environment().idempotency_table]
    assert '"name": "report"' in records[0]["data"]["S"]  # stored plain, as before

    upgraded = ApiClient(build_function("ApiFunction", Settings.from_environment(), AwsClients(), clock))
    again = create(upgraded, JOB)

    assert (again.status, again.body) == (201, first.body)
    assert len(stored_jobs(snapshot)) == 1
