"""The sample events in events/ are real: each one, sent as is (with a live job's id), gets its answer."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from devtools.api import ApiClient, events_dir, sample_event
from serverless_jobs.domain.job import RunRequest

SAMPLE_ID = "3f0c6b1e8a2d4c9bb7e1f2a3c4d5e6f7"

EXPECTED_STATUS = {
    "create-job": 201,
    "list-jobs": 200,
    "list-jobs-by-label": 200,
    "bulk-pause": 200,
    "get-job": 200,
    "update-job": 200,
    "delete-job": 204,
    "trigger-job": 202,
    "pause-job": 200,
    "resume-job": 200,
    "cancel-job": 200,
    "job-history": 200,
    "runner-state": 200,
    "runner-start": 200,
    "runner-stop": 200,
    "preview-schedule": 200,
    "health": 200,
    "swagger": 200,
}


def test_every_api_sample_is_covered() -> None:
    assert {path.stem for path in events_dir().glob("*.json")} == set(EXPECTED_STATUS)


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_api_sample_event_gets_its_status(api: ApiClient, name: str) -> None:
    job = api.post("/jobs", {"name": "sample", "handler": "echo", "schedule": "1h"}).body
    if name == "resume-job":
        api.post(f"/jobs/{job['id']}/pause")
    event = json.loads(json.dumps(sample_event(name)).replace(SAMPLE_ID, job["id"]))

    reply = api.send(event)

    assert reply.status == EXPECTED_STATUS[name], reply.body


def test_tick_and_executor_samples_are_valid_json_for_their_functions() -> None:
    root = events_dir().parent
    tick = json.loads((root / "tick" / "scheduled.json").read_text())
    dispatch = json.loads((root / "executor" / "dispatch.json").read_text())

    assert tick["detail-type"] == "Scheduled Event"
    assert set(dispatch) == {field.name for field in fields(RunRequest)}
