"""The client reads the API's answers by their DESIGN §5 names, keeps working when the API grows, and has a typed
attribute and a CLI option for every create field."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from devtools.template import ROOT
from serverless_jobs_client import BulkResult, Job, RateLimit, Run, tables
from serverless_jobs_client.job_options import FIELDS
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


def test_overlap_and_rate_limit_are_typed_and_a_rate_limit_goes_back_as_the_api_reads_it() -> None:
    limited = {"key": "partner-api", "limit": 5, "periodSeconds": 60}
    job = Job.from_api({"id": "j", "name": "n", "status": "pending", "overlap": "skip", "rateLimit": limited})
    unlimited = Job.from_api({"id": "j", "name": "n", "status": "pending", "overlap": "buffer", "rateLimit": None})

    assert (job.overlap, job.rateLimit) == ("skip", RateLimit(key="partner-api", limit=5, periodSeconds=60))
    assert job.rateLimit is not None
    assert job.rateLimit.to_api() == limited
    assert (unlimited.overlap, unlimited.rateLimit) == ("buffer", None)


# words the paragraph gives as a field's values, not fields
FIELD_VALUES = {"buffer", "skip"}


def design_create_fields() -> set[str]:
    """The create fields DESIGN §5 lists (its "Create fields:" paragraph)."""
    design = (ROOT / "docs" / "DESIGN.md").read_text()
    paragraph = design[design.index("Create fields:") :].split("\n\n")[0]
    return set(re.findall(r"`([a-z][A-Za-z]*)`", paragraph)) - FIELD_VALUES


def test_every_create_field_of_the_design_has_a_typed_attribute_and_a_cli_option() -> None:
    fields = design_create_fields()
    assert {"name", "handler", "rateLimit", "overlap", "concurrencyLimit"} <= fields  # the paragraph was read

    assert fields - {spec.name for spec in dataclasses.fields(Job)} == set()
    assert fields - {option.field for option in FIELDS} == {"labels"}  # given as --label key=value, repeatable


def test_a_jobs_details_show_times_as_its_table_does_and_every_other_field_as_sent() -> None:
    job = Job.from_api(
        {
            "id": "j",
            "name": "n",
            "status": "pending",
            "nextRunAt": "2026-12-06T01:08:44.512Z",
            "lastRunAt": None,
            "rateLimit": {"key": "k", "limit": 2, "periodSeconds": 10},
            "priority": 7,  # a field a newer API sends
        }
    )

    lines = dict(line.split(None, 1) for line in tables.details(job).splitlines())

    assert lines["nextRunAt"] == "2026-12-06 01:08:44Z" == tables.cell(job.nextRunAt)
    assert lines["nextRunAt"] in tables.job_table([job])
    assert (lines["lastRunAt"], lines["priority"]) == ("-", "7")
    assert lines["rateLimit"] == '{"key": "k", "limit": 2, "periodSeconds": 10}'
