"""The API answers before API Gateway gives up (29 s): long work stops by the Lambda's remaining time."""

from __future__ import annotations

from typing import Any

import boto3

from devtools.api import ApiClient
from devtools.stack import Stack
from serverless_jobs.http import routes
from serverless_jobs.settings import Settings

settings = Settings.from_environment()


def job_with_history(stack: Stack, runs: int) -> str:
    stack.deliver_at_once()
    job_id: str = stack.create(schedule="1h")["id"]
    for _ in range(runs):
        assert stack.api.post(f"/jobs/{job_id}/trigger").status == 202
    assert len(stored_history(job_id)) == runs
    return job_id


def stored_history(job_id: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = client.query(
        TableName=settings.history_table,
        KeyConditionExpression="jobId = :job",
        ExpressionAttributeValues={":job": {"S": job_id}},
    )["Items"]
    return items


def test_delete_removes_the_job_and_its_whole_history(stack: Stack) -> None:
    job_id = job_with_history(stack, runs=5)

    assert stack.api.delete(f"/jobs/{job_id}").status == 204

    assert stack.api.get(f"/jobs/{job_id}").status == 404
    assert stored_history(job_id) == []


def test_delete_with_no_time_left_answers_and_leaves_the_history_to_its_ttl(stack: Stack) -> None:
    job_id = job_with_history(stack, runs=3)
    margin = routes.ANSWER_MARGIN_MILLIS
    hurried = ApiClient(stack.api_handler, remaining_millis=margin)

    assert hurried.delete(f"/jobs/{job_id}").status == 204

    assert stack.api.get(f"/jobs/{job_id}").status == 404
    assert stack.api.get(f"/jobs/{job_id}/history").status == 404  # what is left is unreachable
    left = stored_history(job_id)
    assert len(left) == 3
    assert all("expiresAt" in item for item in left)
