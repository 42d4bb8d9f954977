"""Labels on jobs and `GET /jobs?label=k=v`: groups read from the labels table, kept with their jobs."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_calls
from serverless_jobs.settings import Settings

settings = Settings.from_environment()


def create(api: ApiClient, labels: dict[str, str], **fields: Any) -> dict[str, Any]:
    reply = api.post("/jobs", {"name": "job", "handler": "echo", "schedule": "1h", "labels": labels, **fields})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


def listed(api: ApiClient, label: str, **query: str) -> list[str]:
    """Every job id of a label's listing, over all its pages."""
    ids: list[str] = []
    token: str | None = None
    while True:
        reply = api.get("/jobs", label=label, **query, **({"nextToken": token} if token else {}))
        assert reply.status == 200, reply.body
        ids.extend(job["id"] for job in reply.body["jobs"])
        token = reply.body["nextToken"]
        if token is None:
            return ids


def memberships() -> list[tuple[str, str]]:
    """(label, job id) of every item in the labels table."""
    items = boto3.client("dynamodb").scan(TableName=settings.labels_table)["Items"]
    return sorted((item["label"]["S"], item["jobId"]["S"]) for item in items)


def test_a_job_shows_its_labels_and_is_listed_under_each(api: ApiClient) -> None:
    billing = create(api, {"team": "billing", "tier": "gold"})
    create(api, {"team": "search"})
    create(api, {})

    assert billing["labels"] == {"team": "billing", "tier": "gold"}
    assert api.get(f"/jobs/{billing['id']}").body["labels"] == {"team": "billing", "tier": "gold"}
    assert listed(api, "team=billing") == [billing["id"]]
    assert listed(api, "tier=gold") == [billing["id"]]
    assert listed(api, "team=nobody") == []
    assert api.post("/jobs", {"name": "plain", "handler": "echo"}).body["labels"] == {}


def test_a_label_lists_newest_first_over_pages_without_a_scan(api: ApiClient, clock: ManualClock) -> None:
    ids = []
    for _ in range(7):
        ids.append(create(api, {"team": "billing"})["id"])
        clock.advance(1)
    create(api, {"team": "search"})

    with dynamodb_calls() as calls:
        assert listed(api, "team=billing", limit="3") == ids[::-1]
    assert calls["Scan"] == 0
    assert calls["Query"] == 3  # one Query and one BatchGetItem a page
    assert calls["BatchGetItem"] == 3


def test_label_and_status_combine(api: ApiClient) -> None:
    ids = [create(api, {"team": "billing"})["id"] for _ in range(5)]
    for job_id in ids[:3]:
        assert api.post(f"/jobs/{job_id}/pause").status == 200
    create(api, {"team": "search"})

    assert sorted(listed(api, "team=billing", status="paused")) == sorted(ids[:3])
    assert sorted(listed(api, "team=billing", status="pending", limit="1")) == sorted(ids[3:])
    assert listed(api, "team=billing", status="failed") == []


def test_a_token_of_one_label_is_refused_for_another(api: ApiClient) -> None:
    for _ in range(3):
        create(api, {"team": "billing"})
    token = api.get("/jobs", label="team=billing", limit="1").body["nextToken"]

    for query in ({"label": "team=search"}, {}, {"label": "team=billing", "status": "paused"}):
        reply = api.get("/jobs", nextToken=token, **query)
        assert reply.status == 400
        assert reply.body["message"].startswith("nextToken:")


def test_an_update_moves_the_job_between_groups(api: ApiClient) -> None:
    job = create(api, {"team": "billing", "tier": "gold"})

    reply = api.put(f"/jobs/{job['id']}", {"labels": {"team": "search", "tier": "gold", "env": "prod"}})

    assert reply.status == 200
    assert reply.body["labels"] == {"team": "search", "tier": "gold", "env": "prod"}
    assert listed(api, "team=billing") == []
    assert listed(api, "team=search") == listed(api, "env=prod") == listed(api, "tier=gold") == [job["id"]]
    assert memberships() == sorted([("team=search", job["id"]), ("tier=gold", job["id"]), ("env=prod", job["id"])])
    # Other edits leave the groups as they were; an empty map leaves every group.
    assert api.put(f"/jobs/{job['id']}", {"name": "renamed"}).body["labels"]["env"] == "prod"
    assert api.put(f"/jobs/{job['id']}", {"labels": {}}).body["labels"] == {}
    assert memberships() == []


def test_delete_removes_the_job_from_its_groups(api: ApiClient) -> None:
    job = create(api, {"team": "billing", "tier": "gold"})
    kept = create(api, {"team": "billing"})

    assert api.delete(f"/jobs/{job['id']}").status == 204

    assert listed(api, "team=billing") == [kept["id"]]
    assert memberships() == [("team=billing", kept["id"])]


def test_a_run_leaves_the_labels_and_groups_alone(api: ApiClient) -> None:
    job = create(api, {"team": "billing"}, schedule=None)  # one-time: claimed and dispatched at once

    assert api.get(f"/jobs/{job['id']}").body["status"] == "running"
    assert listed(api, "team=billing", status="running") == [job["id"]]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({f"k{n}": "v" for n in range(11)}, "labels: has 11 pairs; at most 10"),
        ({"bad key": "v"}, "labels: key 'bad key' is not a label key; keys are 1..63 characters"),
        ({"-team": "v"}, "labels: key '-team' is not a label key"),
        ({"k" * 64: "v"}, "labels: key 'kkkk"),
        ({"team": ""}, "labels.team: '' is not a label value; values are 1..128 characters"),
        ({"team": "a=b"}, "labels.team: 'a=b' is not a label value"),
        ({"team": "v" * 129}, "labels.team: 'vvvv"),
        ({"team": 7}, "labels.team: Input should be a valid string"),
        ({"team": None}, "labels.team: Input should be a valid string"),
        (["team=billing"], "labels: Input should be a valid dictionary"),
    ],
)
def test_invalid_labels_are_refused_naming_the_field_and_change_nothing(
    api: ApiClient, snapshot: Any, labels: Any, message: str
) -> None:
    job = create(api, {"team": "billing"})
    before = snapshot()

    for reply in (
        api.post("/jobs", {"name": "n", "handler": "echo", "labels": labels}),
        api.put(f"/jobs/{job['id']}", {"labels": labels}),
    ):
        assert reply.status == 400
        assert reply.body["message"].startswith(message), reply.body
    assert snapshot() == before


def test_labels_may_not_be_set_to_null(api: ApiClient) -> None:
    job = create(api, {"team": "billing"})
    reply = api.put(f"/jobs/{job['id']}", {"labels": None})
    assert (reply.status, reply.body["message"]) == (400, "labels: may not be null")


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("team", "label: 'team' is not key=value (e.g. team=billing)"),
        ("=billing", "label: key '' is not a label key"),
        ("team=", "label: value '' is not a label value"),
        ("team=a b", "label: value 'a b' is not a label value"),
    ],
)
def test_an_invalid_label_query_is_a_400_naming_label(api: ApiClient, selector: str, message: str) -> None:
    reply = api.get("/jobs", label=selector)
    assert reply.status == 400
    assert reply.body["message"].startswith(message), reply.body


def test_the_widest_labels_are_kept_as_given(api: ApiClient) -> None:
    labels = {f"app.example.com/k{n}": f"{n}:user@example.com/" + "v" * 100 for n in range(10)}
    labels["K" * 63] = "x" * 128
    del labels["app.example.com/k9"]

    job = create(api, labels)

    assert api.get(f"/jobs/{job['id']}").body["labels"] == labels
    assert listed(api, f"{'K' * 63}={'x' * 128}") == [job["id"]]


def test_a_create_repeated_after_its_key_record_is_gone_returns_the_stored_job_once(api: ApiClient) -> None:
    body = {"name": "once", "handler": "echo", "schedule": "1h", "labels": {"team": "billing"}}
    headers = {"Idempotency-Key": "labels-key-1"}
    first = api.request("POST", "/jobs", body, headers=headers)
    records = boto3.client("dynamodb")
    for item in records.scan(TableName=settings.idempotency_table)["Items"]:  # expired, say
        records.delete_item(TableName=settings.idempotency_table, Key={"id": item["id"]})

    again = api.request("POST", "/jobs", body, headers=headers)

    assert (first.status, again.status) == (201, 201)
    assert again.body["id"] == first.body["id"]
    assert memberships() == [("team=billing", first.body["id"])]
