"""`POST /jobs/validate`: a create's checks and answer, with nothing stored (for `serverless-jobs plan`)."""

from __future__ import annotations

from devtools.api import ApiClient
from devtools.dynamo import dynamodb_calls


def test_validate_answers_the_job_a_create_would_make_and_stores_nothing(api: ApiClient) -> None:
    body = {"name": "report", "handler": "echo", "schedule": "0 6 * * *", "runAt": "2030-01-01T01:00:00+01:00"}

    with dynamodb_calls() as calls:
        reply = api.post("/jobs/validate", {**body, "key": "reports/daily"})

    assert reply.status == 200, reply.body
    assert reply.body["runAt"] == "2030-01-01T00:00:00.000Z"  # normalised as a created job shows it
    assert reply.body["maxAttempts"] == 3
    assert reply.body["key"] == "reports/daily"
    assert sum(calls.values()) == 0
    assert api.get("/jobs").body["jobs"] == []
    created = api.post("/jobs", {**body, "key": "reports/daily"}).body
    assert reply.body["id"] is None  # nothing stored, so no id that a client could follow
    assert {**reply.body, "id": created["id"]} == created  # the same job, field for field


def test_validate_refuses_what_a_create_refuses_naming_the_field(api: ApiClient) -> None:
    refused: list[tuple[dict[str, object], str]] = [
        ({"schedule": "sometimes"}, "schedule"),
        ({"maxAttempts": 99}, "maxAttempts"),
        ({"key": "a=b"}, "key"),
    ]
    for bad, field in refused:
        reply = api.post("/jobs/validate", {"name": "job", "handler": "echo", **bad})
        assert reply.status == 400
        assert reply.body["message"].startswith(field), reply.body
