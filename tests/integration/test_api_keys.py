"""Job keys: unique per stack by a reservation written in the job's transaction, found by `GET /jobs?key=`."""

from __future__ import annotations

from typing import Any

import boto3

from devtools.api import ApiClient
from devtools.dynamo import dynamodb_calls
from serverless_jobs.settings import Settings

settings = Settings.from_environment()


def create(api: ApiClient, **fields: Any) -> dict[str, Any]:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", "schedule": "1h", **fields})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def by_key(api: ApiClient, key: str) -> list[str]:
    reply = api.get("/jobs", key=key)
    assert reply.status == 200, reply.body
    assert reply.body["nextToken"] is None
    return [job["id"] for job in reply.body["jobs"]]


def reservations() -> dict[str, str]:
    """key -> holder id, from the labels table (where the previous release's Jobs table Scan never looks)."""
    items = boto3.client("dynamodb").scan(TableName=settings.labels_table)["Items"]
    return {item["label"]["S"][5:]: item["jobId"]["S"] for item in items if item["label"]["S"].startswith("#key/")}


def test_a_key_is_shown_and_finds_its_job_in_two_reads(api: ApiClient) -> None:
    job = create(api, key="reports/daily")
    create(api)

    assert job["key"] == "reports/daily"
    assert api.get(f"/jobs/{job['id']}").body["key"] == "reports/daily"
    with dynamodb_calls() as calls:
        assert by_key(api, "reports/daily") == [job["id"]]
    assert calls["GetItem"] == 2
    assert calls["Scan"] == 0
    assert by_key(api, "reports/weekly") == []
    assert by_key(api, "reports/daily") == [job["id"]]
    assert api.get("/jobs", key="reports/daily", status="paused").body["jobs"] == []


def test_a_second_job_with_a_key_in_use_is_refused_naming_key_and_holder(api: ApiClient) -> None:
    first = create(api, key="billing:nightly", labels={"team": "billing"})

    reply = api.post("/jobs", {"name": "again", "handler": "echo", "key": "billing:nightly"})

    assert reply.status == 409
    assert "billing:nightly" in reply.body["message"]
    assert first["id"] in reply.body["message"]
    assert [job["id"] for job in api.get("/jobs").body["jobs"]] == [first["id"]]  # nothing else written
    assert reservations() == {"billing:nightly": first["id"]}


def test_an_update_sets_moves_and_clears_the_key_with_its_reservation(api: ApiClient) -> None:
    job = create(api)
    other = create(api, key="taken")

    assert api.put(f"/jobs/{job['id']}", {"key": "mine"}).body["key"] == "mine"
    assert reservations() == {"mine": job["id"], "taken": other["id"]}

    refused = api.put(f"/jobs/{job['id']}", {"key": "taken", "name": "renamed"})
    assert refused.status == 409
    assert other["id"] in refused.body["message"]
    assert api.get(f"/jobs/{job['id']}").body["name"] == "job"  # refused whole

    assert api.put(f"/jobs/{job['id']}", {"key": "moved"}).body["key"] == "moved"
    assert reservations() == {"moved": job["id"], "taken": other["id"]}
    assert by_key(api, "mine") == []
    assert create(api, key="mine")["key"] == "mine"  # the old key is free again

    assert api.put(f"/jobs/{job['id']}", {"key": None}).body["key"] is None
    assert "moved" not in reservations()


def test_deleting_a_job_frees_its_key(api: ApiClient) -> None:
    job = create(api, key="once")
    assert api.delete(f"/jobs/{job['id']}").status == 204
    assert reservations() == {}
    assert create(api, key="once")["id"] != job["id"]


def test_a_key_left_by_a_release_that_knows_no_keys_is_taken_over(api: ApiClient) -> None:
    """0.2.0 deletes a job without its reservation, and drops `key` when it rewrites a job whole."""
    deleted = create(api, key="left/deleted")
    rewritten = create(api, key="left/rewritten")
    table = boto3.client("dynamodb")
    table.delete_item(TableName=settings.jobs_table, Key={"id": {"S": deleted["id"]}})
    table.update_item(
        TableName=settings.jobs_table,
        Key={"id": {"S": rewritten["id"]}},
        UpdateExpression="REMOVE #k",
        ExpressionAttributeNames={"#k": "key"},
    )

    assert by_key(api, "left/deleted") == []
    assert by_key(api, "left/rewritten") == []
    heir = create(api, key="left/deleted")
    moved = create(api)
    assert api.put(f"/jobs/{moved['id']}", {"key": "left/rewritten"}).status == 200
    assert reservations() == {"left/deleted": heir["id"], "left/rewritten": moved["id"]}
    assert by_key(api, "left/deleted") == [heir["id"]]


def test_a_key_outside_its_shape_is_refused_naming_the_field(api: ApiClient) -> None:
    for key in ["", "a=b", "-lead", "x" * 129, "space d", "é"]:
        reply = api.post("/jobs", {"name": "job", "handler": "echo", "key": key})
        assert reply.status == 400, key
        assert reply.body["message"].startswith("key"), (key, reply.body)
        assert api.get("/jobs", key=key).status == 400
    assert api.get("/jobs").body["jobs"] == []
