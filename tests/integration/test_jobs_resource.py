"""`Custom::ServerlessJob` at its Lambda boundary: CloudFormation's own request events in, and the response
PUT to the ResponseURL, here a local HTTP server standing in for S3's presigned URL."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dispatch import InvokeRecorder
from devtools.functions import FakeLambdaContext, build_function
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients

settings = Settings.from_environment()
EVENTS = Path(__file__).parents[2] / "events" / "jobs_resource"


class ResponseUrl:
    """An HTTP server recording each PUT (body and headers), answering 200 as S3 does, or failing `fail` first."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.content_types: list[str | None] = []
        self.fail = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if owner.fail:
                    owner.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                owner.received.append(json.loads(body))
                owner.content_types.append(self.headers.get("Content-Type"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/response?X-Amz-Signature=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def last(self) -> dict[str, Any]:
        return self.received[-1]


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    server = ResponseUrl()
    yield server
    server.server.shutdown()


@pytest.fixture
def resource(clock: ManualClock, clients: AwsClients, invocations: InvokeRecorder, response_url: ResponseUrl) -> Any:
    handler = build_function("JobsResourceFunction", Settings.from_environment(), clients, clock)

    def send(event: dict[str, Any]) -> dict[str, Any]:
        handler({**event, "ResponseURL": response_url.url}, FakeLambdaContext())
        return response_url.last()

    return send


def event(kind: str, **changes: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{kind}.json").read_text())
    for name, value in changes.items():
        loaded[name] = value
    return loaded


def properties(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = copy.deepcopy(event("create")["ResourceProperties"])
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def test_create_makes_the_job_and_answers_its_id(resource: Any, api: ApiClient, response_url: ResponseUrl) -> None:
    created = event("create")
    answer = resource(created)

    assert answer["Status"] == "SUCCESS", answer
    assert (answer["StackId"], answer["RequestId"]) == (created["StackId"], created["RequestId"])
    assert answer["LogicalResourceId"] == "NightlyReport"
    job = api.get(f"/jobs/{answer['PhysicalResourceId']}").body
    assert (job["key"], job["schedule"], job["maxAttempts"]) == ("reports/nightly", "0 2 * * *", 5)  # "5" as sent
    assert answer["Data"] == {"Id": job["id"], "Key": "reports/nightly"}
    assert response_url.content_types == [""]  # as presigned: no Content-Type


def test_a_repeated_create_makes_one_job(resource: Any, api: ApiClient) -> None:
    first = resource(event("create"))
    again = resource(event("create"))

    assert again["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert again["Status"] == "SUCCESS"
    assert len(api.get("/jobs").body["jobs"]) == 1


def test_a_failed_create_names_the_field_and_its_delete_succeeds(resource: Any, api: ApiClient) -> None:
    answer = resource(event("create", ResourceProperties=properties(schedule="every tuesday")))

    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("schedule")
    assert answer["PhysicalResourceId"]
    assert resource(event("delete", PhysicalResourceId=answer["PhysicalResourceId"]))["Status"] == "SUCCESS"
    assert resource(event("create", ResourceProperties=properties(bogus="1")))["Reason"].startswith("bogus")
    assert api.get("/jobs").body["jobs"] == []


def test_a_key_in_use_fails_the_create_naming_it(resource: Any, api: ApiClient) -> None:
    holder = api.post("/jobs", {"name": "by hand", "handler": "echo", "key": "reports/nightly"}).body
    answer = resource(event("create"))
    assert answer["Status"] == "FAILED"
    assert "reports/nightly" in answer["Reason"]
    assert holder["id"] in answer["Reason"]


def test_update_changes_the_job_in_place_and_repeats_harmlessly(resource: Any, api: ApiClient) -> None:
    job_id = resource(event("create"))["PhysicalResourceId"]
    update = event("update", PhysicalResourceId=job_id)

    answer = resource(update)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == job_id  # same id: no replacement
    assert api.get(f"/jobs/{job_id}").body["schedule"] == "0 3 * * *"
    updated_at = api.get(f"/jobs/{job_id}").body["updatedAt"]
    assert resource(update)["PhysicalResourceId"] == job_id
    assert api.get(f"/jobs/{job_id}").body["updatedAt"] == updated_at  # nothing left to change

    refused = resource(event("update", PhysicalResourceId=job_id, ResourceProperties=properties(maxAttempts="99")))
    assert refused["Status"] == "FAILED"
    assert refused["Reason"].startswith("maxAttempts")
    assert refused["PhysicalResourceId"] == job_id


def test_a_changed_key_is_a_replacement_whose_old_job_the_delete_removes(resource: Any, api: ApiClient) -> None:
    old_id = resource(event("create"))["PhysicalResourceId"]
    moved = properties(key="reports/nightly-v2")

    answer = resource(event("update", PhysicalResourceId=old_id, ResourceProperties=moved))
    assert answer["Status"] == "SUCCESS"
    new_id = answer["PhysicalResourceId"]
    assert new_id != old_id
    assert api.get("/jobs", key="reports/nightly-v2").body["jobs"][0]["id"] == new_id

    # CloudFormation's clean-up: Delete of the old PhysicalResourceId
    assert resource(event("delete", PhysicalResourceId=old_id))["Status"] == "SUCCESS"
    assert api.get(f"/jobs/{old_id}").status == 404
    assert api.get(f"/jobs/{new_id}").status == 200


def test_without_a_key_the_stack_and_logical_id_make_one(resource: Any, api: ApiClient) -> None:
    answer = resource(event("create", ResourceProperties=properties(key=None)))
    assert api.get(f"/jobs/{answer['PhysicalResourceId']}").body["key"] == "cfn/consumer/NightlyReport"


def test_delete_removes_the_job_and_repeats_harmlessly(resource: Any, api: ApiClient) -> None:
    job_id = resource(event("create"))["PhysicalResourceId"]
    assert resource(event("delete", PhysicalResourceId=job_id))["Status"] == "SUCCESS"
    assert api.get(f"/jobs/{job_id}").status == 404
    assert api.get("/jobs", key="reports/nightly").body["jobs"] == []
    assert resource(event("delete", PhysicalResourceId=job_id))["Status"] == "SUCCESS"


def test_a_job_due_now_starts_at_once_and_its_delete_takes_its_history(resource: Any, api: ApiClient) -> None:
    answer = resource(event("create", ResourceProperties=properties(schedule=None, key="once")))
    job_id = answer["PhysicalResourceId"]
    assert answer["Status"] == "SUCCESS"
    assert api.get(f"/jobs/{job_id}").body["status"] == "running"
    dynamodb = boto3.client("dynamodb")
    entry = {"jobId": {"S": job_id}, "runKey": {"S": "001796400000000#earlier"}}
    dynamodb.put_item(TableName=settings.history_table, Item=entry)  # as an executor's finish writes one

    assert resource(event("delete", PhysicalResourceId=job_id))["Status"] == "SUCCESS"
    entries = dynamodb.query(
        TableName=settings.history_table,
        KeyConditionExpression="jobId = :id",
        ExpressionAttributeValues={":id": {"S": job_id}},
    )
    assert entries["Items"] == []


def test_a_job_due_within_the_minute_sets_an_alarm_on_the_timer(resource: Any, invocations: InvokeRecorder) -> None:
    assert resource(event("create", ResourceProperties=properties(schedule="20s")))["Status"] == "SUCCESS"
    queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=settings.timer_queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert queue["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"  # hidden until the job is due
    assert invocations.wakes == []


def test_a_job_due_within_a_second_wakes_the_tick_itself(
    resource: Any, clock: ManualClock, invocations: InvokeRecorder
) -> None:
    soon = iso_z(clock.now() + timedelta(milliseconds=500))  # too near for an alarm's whole seconds
    assert resource(event("create", ResourceProperties=properties(schedule=None, runAt=soon)))["Status"] == "SUCCESS"
    assert len(invocations.wakes) == 1


def test_a_key_left_by_a_deleted_job_is_taken_over(resource: Any, api: ApiClient) -> None:
    """A release that knows no keys deletes a job without its key's reservation."""
    left = api.post("/jobs", {"name": "old", "handler": "echo", "key": "reports/nightly"}).body
    boto3.client("dynamodb").delete_item(TableName=settings.jobs_table, Key={"id": {"S": left["id"]}})

    answer = resource(event("create"))
    assert answer["Status"] == "SUCCESS", answer
    assert api.get("/jobs", key="reports/nightly").body["jobs"][0]["id"] == answer["PhysicalResourceId"]


def test_the_response_is_sent_even_when_the_function_fails(
    resource: Any, response_url: ResponseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serverless_jobs.usecases.jobs import JobService

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(JobService, "create", broken)
    answer = resource(event("create"))
    assert answer["Status"] == "FAILED"
    assert "RuntimeError" in answer["Reason"]
    assert answer["PhysicalResourceId"]


def test_the_response_is_sent_again_when_the_url_fails_at_first(resource: Any, response_url: ResponseUrl) -> None:
    response_url.fail = 1
    assert resource(event("create"))["Status"] == "SUCCESS"


def test_a_run_lambda_refuses_fails_at_once(resource: Any, api: ApiClient, invocations: InvokeRecorder) -> None:
    invocations.refusing = "ResourceNotFoundException"
    answer = resource(event("create", ResourceProperties=properties(schedule=None, key="once")))
    invocations.refusing = None

    assert answer["Status"] == "SUCCESS"  # the job is made; its run failed, as through the API
    assert api.get(f"/jobs/{answer['PhysicalResourceId']}/history").body["history"][0]["status"] == "failed"


def test_a_rolled_back_replacement_returns_to_the_old_job(resource: Any, api: ApiClient) -> None:
    """A failed stack update rolls back: CloudFormation sends the new resource the old properties while the
    old job still holds the old key (its clean-up Delete comes only after a successful update)."""
    old_id = resource(event("create"))["PhysicalResourceId"]
    moved = properties(key="reports/nightly-v2")
    new_id = resource(event("update", PhysicalResourceId=old_id, ResourceProperties=moved))["PhysicalResourceId"]

    rollback = event(
        "update",
        RequestId="5d2e7f10-2b4c-4e8a-9f61-0c3b2a1d4e05",
        PhysicalResourceId=new_id,
        ResourceProperties=properties(),
        OldResourceProperties=moved,
    )
    answer = resource(rollback)
    assert answer["Status"] == "SUCCESS", answer
    assert answer["PhysicalResourceId"] == old_id
    assert resource(event("delete", PhysicalResourceId=new_id))["Status"] == "SUCCESS"  # the rollback's clean-up
    assert api.get("/jobs", key="reports/nightly").body["jobs"][0]["id"] == old_id
    assert api.get("/jobs", key="reports/nightly-v2").body["jobs"] == []


def test_another_resources_key_is_not_taken(resource: Any, api: ApiClient) -> None:
    resource(event("create"))
    answer = resource(event("create", LogicalResourceId="Other", RequestId="another"))
    assert answer["Status"] == "FAILED"
    assert "reports/nightly" in answer["Reason"]
