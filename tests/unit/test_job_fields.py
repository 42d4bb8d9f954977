"""The job's field table at the HTTP edge covers every field the API and the use cases speak of, so a
field added to one of them and not to the table fails here, not as a 500 or a field silently dropped."""

from __future__ import annotations

from dataclasses import fields

from serverless_jobs.domain.job import Job
from serverless_jobs.http.job_fields import JOB_FIELDS, WRITABLE
from serverless_jobs.http.schemas import JobCreate, JobUpdate, JobView
from serverless_jobs.usecases.jobs import JobSpec


def test_a_request_s_every_field_is_one_the_table_converts() -> None:
    assert set(JobCreate.model_fields) == set(WRITABLE)
    assert set(JobUpdate.model_fields) == set(WRITABLE)


def test_the_table_makes_a_job_spec_of_exactly_its_attributes() -> None:
    assert {field.attribute for field in WRITABLE.values()} == {spec_field.name for spec_field in fields(JobSpec)}


def test_a_view_shows_every_field_of_the_table_and_the_next_run() -> None:
    assert set(JobView.model_fields) == {field.api for field in JOB_FIELDS} | {"nextRunAt"}


def test_every_field_is_a_job_attribute() -> None:
    attributes = {job_field.name for job_field in fields(Job)}
    assert {field.attribute for field in JOB_FIELDS} <= attributes
