"""The runner switch (the EventBridge rule itself), schedule preview, health and the API's own documents."""

from __future__ import annotations

import json
import warnings
from typing import Any

import boto3
import pytest

from devtools.api import ApiClient
from devtools.template import function_spec


def rule_state() -> str:
    rule_name = function_spec("ApiFunction").environment["RUNNER_RULE"]
    state: str = boto3.client("events").describe_rule(Name=rule_name)["State"]
    return state


def test_runner_switch_disables_and_enables_the_tick_rule(api: ApiClient) -> None:
    assert api.get("/jobs/runner").body == {"running": True}

    stopped = api.post("/jobs/runner/stop")
    assert (stopped.status, stopped.body) == (200, {"running": False})
    assert rule_state() == "DISABLED"
    assert api.get("/jobs/runner").body == {"running": False}
    assert api.post("/jobs/runner/stop").body == {"running": False}

    started = api.post("/jobs/runner/start")
    assert (started.status, started.body) == (200, {"running": True})
    assert rule_state() == "ENABLED"


@pytest.mark.parametrize(
    ("request_body", "occurrences"),
    [
        (
            {"schedule": "0 9 * * MON-FRI", "timezone": "America/New_York", "count": 3},
            ["2026-11-30T14:00:00.000Z", "2026-12-01T14:00:00.000Z", "2026-12-02T14:00:00.000Z"],
        ),
        (
            {"schedule": "90m", "runAt": "2026-11-28T08:00:00Z", "count": 3},
            ["2026-11-28T09:30:00.000Z", "2026-11-28T11:00:00.000Z", "2026-11-28T12:30:00.000Z"],
        ),
        (
            {"schedule": "1d", "endAt": "2026-11-30T12:00:00Z", "count": 10},
            ["2026-11-29T09:00:00.000Z", "2026-11-30T09:00:00.000Z"],
        ),
        (
            {"schedule": "*/20 * * * *"},
            [
                f"2026-11-28T{hour:02d}:{minute:02d}:00.000Z"
                for hour, minute in ((9, 0), (9, 20), (9, 40), (10, 0), (10, 20))
            ],
        ),
    ],
)
def test_preview_lists_the_next_occurrences(
    api: ApiClient, request_body: dict[str, Any], occurrences: list[str]
) -> None:
    reply = api.post("/schedules/preview", request_body)

    assert reply.status == 200, reply.body
    assert reply.body == {"occurrences": occurrences}


@pytest.mark.parametrize(
    ("request_body", "message_start"),
    [
        ({"schedule": "61 * * * *"}, "schedule: cron minute field '61'"),
        ({"schedule": "5m", "timezone": "Atlantis/Capital"}, "timezone:"),
        ({"schedule": "5m", "count": 0}, "count:"),
        ({"schedule": "5m", "count": 51}, "count:"),
        ({"timezone": "UTC"}, "schedule: is required"),
        ({"schedule": "0 0 31 2 *"}, "schedule: has no occurrence"),
        ({"schedule": "5m", "handler": "echo"}, "handler: is not a known field"),
    ],
)
def test_preview_says_what_is_wrong(api: ApiClient, request_body: dict[str, Any], message_start: str) -> None:
    reply = api.post("/schedules/preview", request_body)

    assert reply.status == 400
    assert reply.body["message"].startswith(message_start), reply.body


def test_health(api: ApiClient) -> None:
    assert api.get("/health").status == 200


def test_openapi_document_describes_every_route(api: ApiClient) -> None:
    reply = api.get("/swagger", format="json")

    assert reply.status == 200
    document = json.loads(reply.raw)
    assert document["openapi"].startswith("3.")
    routes = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert routes >= {
        "POST /jobs", "GET /jobs", "GET /jobs/{id}", "PUT /jobs/{id}", "DELETE /jobs/{id}",
        "POST /jobs/{id}/trigger", "POST /jobs/{id}/pause", "POST /jobs/{id}/resume",
        "POST /jobs/{id}/cancel", "GET /jobs/{id}/history", "GET /jobs/runner", "POST /jobs/runner/start",
        "POST /jobs/runner/stop", "POST /schedules/preview", "GET /health",
    }  # fmt: skip
    assert set(document["paths"]["/jobs"]["post"]["responses"]) >= {"201", "400"}
    assert set(document["paths"]["/jobs/{id}"]["delete"]["responses"]) >= {"204", "404"}
    assert set(document["paths"]["/jobs/{id}/trigger"]["post"]["responses"]) >= {"202", "404", "409"}
    create_schema = document["components"]["schemas"]["JobCreate"]
    assert create_schema["additionalProperties"] is False
    assert set(create_schema["required"]) == {"name"}  # and one of handler and target
    target = create_schema["properties"]["target"]["anyOf"][0]
    assert set(target["discriminator"]["mapping"]) == {"lambda", "http", "sqs", "eventbridge", "stepfunctions"}


def test_the_docs_are_the_same_whenever_asked_for(api: ApiClient) -> None:
    # The docs' route is registered by the first request for them: later ones reuse it (no second
    # registration, which Powertools warns about) and every other route answers before and after.
    assert api.get("/health").status == 200
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="A route like this was already registered")
        replies = [api.get(path, format="json") for path in ("/swagger", "/swagger/", "/swagger")]

    assert [reply.status for reply in replies] == [200, 200, 200]
    assert replies[0].raw == replies[1].raw == replies[2].raw
    assert api.get("/health").status == 200
    assert api.get("/jobs/unknown").status == 404


def test_swagger_ui_is_a_page(api: ApiClient) -> None:
    reply = api.get("/swagger")

    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "swagger" in reply.raw.lower()


def test_without_its_rule_the_runner_counts_as_running_and_switching_it_is_404(api: ApiClient) -> None:
    boto3.client("events").delete_rule(Name=function_spec("ApiFunction").environment["RUNNER_RULE"])

    assert api.get("/jobs/runner").body == {"running": True}
    for action in ("start", "stop"):
        reply = api.post(f"/jobs/runner/{action}")
        assert reply.status == 404
        assert "does not exist" in reply.body["message"]
