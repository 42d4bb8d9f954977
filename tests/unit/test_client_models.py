"""The client reads the API's answers by their DESIGN §5 names, and keeps working when the API grows."""

from __future__ import annotations

from datetime import UTC, datetime

from serverless_jobs_client import BulkResult, Job, Run
from serverless_jobs_client.models import api_time


def test_a_field_added_later_is_kept_and_one_not_yet_sent_reads_as_absent() -> None:
    job = Job.from_api(
        {"id": "j", "name": "n", "status": "pending", "priority": 7, "nextRunAt": "0001-01-01T00:00:00.000Z"}
    )

    assert (job.id, job.status, job.maxRuns, job.labels) == ("j", "pending", None, {})
    assert job.nextRunAt == datetime(1, 1, 1, tzinfo=UTC)
    assert job.raw["priority"] == 7


def test_a_runs_times_and_outcome_are_typed() -> None:
    run = Run.from_api(
        {"id": "r", "jobId": "j", "status": "timed_out", "attempt": 2, "startedAt": "2026-11-28T09:45:39.123Z"}
    )

    assert run.startedAt == datetime(2026, 11, 28, 9, 45, 39, 123000, tzinfo=UTC)
    assert (run.ended, run.failed) == (True, True)
    assert api_time(run.startedAt) == "2026-11-28T09:45:39.123Z"


def test_bulk_pages_add_up() -> None:
    first = BulkResult.from_api(
        {"matched": 3, "changed": 2, "unchanged": 0, "conflicts": [{"id": "a", "message": "m"}], "nextToken": "t"}
    )
    last = BulkResult.from_api({"matched": 1, "changed": 1, "unchanged": 0, "conflicts": [], "nextToken": None})

    total = first + last

    assert (total.matched, total.changed, total.unchanged, total.nextToken) == (4, 3, 0, None)
    assert total.conflicts == [{"id": "a", "message": "m"}]
