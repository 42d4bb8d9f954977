"""Opening a run's history entry is the run's start (decision "The claim is the start"): exactly one call
opens it. On DynamoDB the write carries its call's own token, so botocore resending it after a lost answer
(the same request, the same token) still opens, where another delivery's call (another token) does not."""

from __future__ import annotations

import uuid
from unittest import mock

from harness.moto_fixtures import aws
from serverless_jobs.adapters.dynamodb.history_store import DynamoHistoryStore
from serverless_jobs.domain.job import Run
from serverless_jobs.settings import Settings

__all__ = ["aws"]


def entry() -> Run:
    return Run("a", "r1", "running", 1, "schedule", claimed_at=5_000, started_at=5_000, expires_at=9_999_999)


def test_a_resent_open_still_opens_and_another_call_does_not(aws: list[str]) -> None:
    history = DynamoHistoryStore(Settings.from_environment().history_table)
    token = uuid.uuid4()
    with mock.patch("uuid.uuid4", return_value=token):
        assert history.open(entry())
        assert history.open(entry())  # the same request again: its answer was lost, it is still the opener
    assert not history.open(entry())  # a duplicate delivery's own call
    closed = entry()
    closed.status, closed.completed_at, closed.duration = "completed", 6_000, 1_000
    assert history.record(closed)
    with mock.patch("uuid.uuid4", return_value=token):
        assert not history.open(entry())  # never reopened once closed, even by its opener
    assert history.get("a", 5_000, "r1") == closed
