"""Validation errors become one message naming every offending field, in the API's words."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from serverless_jobs.http.schemas import JobCreate, JobUpdate, SchedulePreview
from serverless_jobs.http.validation import describe_validation_errors, field_name


def message_for(model: type[JobCreate | JobUpdate | SchedulePreview], body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return describe_validation_errors(raised.value.errors())


def test_field_names_drop_the_request_part() -> None:
    assert field_name(("body", "data", "x")) == "data.x"
    assert field_name(("query", "limit")) == "limit"
    assert field_name(("body",)) == "body"


def test_missing_and_unknown_fields() -> None:
    assert message_for(JobCreate, {"surprise": 1}) == "name: is required; surprise: is not a known field"
    # handler or target: asked for once the fields themselves are valid
    assert message_for(JobCreate, {"name": "n"}) == "handler: is required, unless the job has a target"


def test_a_target_field_is_named_without_pydantics_union_member() -> None:
    assert field_name(("body", "target", "http", "url")) == "target.url"
    assert message_for(JobCreate, {"name": "n", "target": {"type": "sqs"}}) == "target.arn: is required"


def test_core_messages_are_kept_whole() -> None:
    assert message_for(JobCreate, {"name": "n", "handler": "echo", "schedule": "0s"}) == (
        "schedule: interval '0s' must be at least 1s"
    )


def test_update_refuses_null_for_required_fields_but_clears_the_window() -> None:
    assert message_for(JobUpdate, {"handler": None}) == "handler: may not be null"
    cleared = JobUpdate.model_validate({"schedule": None, "runAt": None, "endAt": None})
    assert cleared.model_fields_set == {"schedule", "runAt", "endAt"}


def test_range_messages_name_the_limits() -> None:
    assert "less than or equal to 50" in message_for(SchedulePreview, {"schedule": "5m", "count": 99})
