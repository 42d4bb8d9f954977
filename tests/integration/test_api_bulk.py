"""`POST /jobs/bulk/{action}`: one job operation over a label's group, counted, repeatable, in bounded time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from devtools.api import ApiClient
from devtools.dispatch import InvokeRecorder
from devtools.dynamo import watching
from devtools.functions import FakeLambdaContext
from devtools.stack import Stack
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.domain import lifecycle
from serverless_jobs.http import routes
from serverless_jobs.usecases.bulk import PAGE_SIZE


def create_group(api: ApiClient, count: int, labels: dict[str, str], **fields: Any) -> list[str]:
    ids = []
    for _ in range(count):
        body = {"name": "job", "handler": "echo", "schedule": "1h", "labels": labels, **fields}
        reply = api.post("/jobs", body)
        assert reply.status == 201, reply.body
        ids.append(reply.body["id"])
    return ids


def listed(api: ApiClient, **query: str) -> list[str]:
    """Every job id of a listing, over all its pages."""
    ids: list[str] = []
    token: str | None = None
    while True:
        reply = api.get("/jobs", limit="100", **query, **({"nextToken": token} if token else {}))
        ids.extend(job["id"] for job in reply.body["jobs"])
        token = reply.body["nextToken"]
        if token is None:
            return ids


def statuses(api: ApiClient, ids: list[str]) -> set[str]:
    return {api.get(f"/jobs/{job_id}").body["status"] for job_id in ids}


def bulk(api: ApiClient, action: str, **body: Any) -> dict[str, Any]:
    reply = api.post(f"/jobs/bulk/{action}", body)
    assert reply.status == 200, reply.body
    answer: dict[str, Any] = reply.body
    return answer


def test_a_bulk_pause_over_more_than_a_page_pauses_every_job_of_the_group_once(api: ApiClient) -> None:
    group = create_group(api, PAGE_SIZE + 5, {"team": "billing"})
    others = create_group(api, 2, {"team": "search"})

    answer = bulk(api, "pause", label="team=billing")

    assert answer == {
        "matched": PAGE_SIZE + 5,
        "changed": PAGE_SIZE + 5,
        "unchanged": 0,
        "conflicts": [],
        "nextToken": None,
    }
    assert sorted(listed(api, status="paused")) == sorted(group)
    assert statuses(api, others) == {"pending"}


def test_a_repeated_bulk_operation_reports_the_jobs_unchanged(api: ApiClient) -> None:
    group = create_group(api, 4, {"team": "billing"})
    assert bulk(api, "pause", label="team=billing")["changed"] == 4

    assert bulk(api, "pause", label="team=billing") == {
        "matched": 4, "changed": 0, "unchanged": 4, "conflicts": [], "nextToken": None,
    }  # fmt: skip
    assert bulk(api, "resume", label="team=billing")["changed"] == 4
    assert bulk(api, "resume", label="team=billing")["unchanged"] == 4
    assert statuses(api, group) == {"pending"}
    assert bulk(api, "cancel", label="team=billing")["changed"] == 4
    assert bulk(api, "cancel", label="team=billing")["unchanged"] == 4
    assert bulk(api, "delete", label="team=billing")["changed"] == 4
    assert bulk(api, "delete", label="team=billing") == {
        "matched": 0, "changed": 0, "unchanged": 0, "conflicts": [], "nextToken": None,
    }  # fmt: skip
    assert all(api.get(f"/jobs/{job_id}").status == 404 for job_id in group)


def test_jobs_the_operation_does_not_allow_are_conflicts_and_the_rest_go_on(api: ApiClient) -> None:
    group = create_group(api, 3, {"team": "billing"})
    assert api.post(f"/jobs/{group[1]}/cancel").status == 200

    answer = bulk(api, "pause", label="team=billing")

    assert (answer["matched"], answer["changed"], answer["unchanged"]) == (3, 2, 0)
    assert answer["conflicts"] == [
        {"id": group[1], "message": f"job '{group[1]}' is cancelled; only pending or running jobs can be paused"}
    ]
    assert statuses(api, [group[0], group[2]]) == {"paused"}


def test_a_job_changed_while_the_bulk_runs_is_a_conflict_not_a_failure(
    api: ApiClient, job_store: DynamoJobStore
) -> None:
    group = create_group(api, 3, {"team": "billing"})
    victim = group[1]

    def cancel_concurrently(**_: Any) -> None:
        """Right after the bulk read the group's jobs, another request cancels one of them."""
        before = job_store.get(victim)
        assert before is not None
        if before.status != "cancelled":
            after = replace(before)
            lifecycle.cancel(after)
            assert job_store.update(before, after)

    with watching({"after-call.dynamodb.BatchGetItem": cancel_concurrently}):
        answer = bulk(api, "pause", label="team=billing")

    assert answer["changed"] == 2
    assert [conflict["id"] for conflict in answer["conflicts"]] == [victim]
    assert "is cancelled" in answer["conflicts"][0]["message"]
    assert api.get(f"/jobs/{victim}").body["status"] == "cancelled"


def test_a_bulk_trigger_starts_each_job_once_and_a_repeat_finds_them_running(
    api: ApiClient, invocations: InvokeRecorder
) -> None:
    group = create_group(api, 3, {"team": "billing"})

    first = bulk(api, "trigger", label="team=billing")
    again = bulk(api, "trigger", label="team=billing")

    assert (first["changed"], first["conflicts"]) == (3, [])
    assert sorted(payload["jobId"] for payload in invocations.payloads) == sorted(group)
    assert (again["changed"], len(again["conflicts"])) == (0, 3)
    assert all("is running" in conflict["message"] for conflict in again["conflicts"])


def test_a_status_narrows_the_selection(api: ApiClient) -> None:
    group = create_group(api, 4, {"team": "billing"})
    for job_id in group[:2]:
        assert api.post(f"/jobs/{job_id}/pause").status == 200

    answer = bulk(api, "cancel", label="team=billing", status="paused")

    assert (answer["matched"], answer["changed"]) == (2, 2)
    assert statuses(api, group[:2]) == {"cancelled"}
    assert statuses(api, group[2:]) == {"pending"}


@dataclass
class Countdown(FakeLambdaContext):
    """A Lambda context whose remaining time drops by `step` each time it is asked."""

    step: int = 0

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_millis -= self.step
        return self.remaining_millis + self.step


def test_a_bulk_out_of_time_answers_with_a_token_that_goes_on_where_it_stopped(stack: Stack) -> None:
    group = create_group(stack.api, 15, {"team": "billing"})
    margin = routes.ANSWER_MARGIN_MILLIS
    # Time for about five jobs per request (and the first, whatever the time), then the answer.
    hurried = ApiClient(stack.api_handler, context=lambda: Countdown(remaining_millis=margin + 5_000, step=1_000))

    answers = [bulk(hurried, "pause", label="team=billing")]
    while answers[-1]["nextToken"] is not None:
        answers.append(bulk(hurried, "pause", label="team=billing", nextToken=answers[-1]["nextToken"]))

    assert len(answers) >= 3
    assert all(answer["matched"] < len(group) for answer in answers)
    assert sum(answer["changed"] for answer in answers) == len(group)  # each job acted on exactly once
    assert sum(answer["unchanged"] for answer in answers) == 0
    assert statuses(stack.api, group) == {"paused"}


def test_a_bulk_with_no_time_to_spare_still_goes_past_one_job(stack: Stack) -> None:
    group = create_group(stack.api, 3, {"team": "billing"})
    margin = routes.ANSWER_MARGIN_MILLIS
    out_of_time = ApiClient(stack.api_handler, remaining_millis=margin)

    answers = [bulk(out_of_time, "pause", label="team=billing")]
    while answers[-1]["nextToken"] is not None:
        answers.append(bulk(out_of_time, "pause", label="team=billing", nextToken=answers[-1]["nextToken"]))

    assert [answer["changed"] for answer in answers] == [1, 1, 1]
    assert statuses(stack.api, group) == {"paused"}


def test_a_bulk_token_belongs_to_its_action_and_selector(stack: Stack) -> None:
    create_group(stack.api, 8, {"team": "billing"})
    hurried = ApiClient(stack.api_handler, context=lambda: Countdown(remaining_millis=5_000, step=1_000))
    token = bulk(hurried, "pause", label="team=billing")["nextToken"]
    assert token is not None

    for action, body in (
        ("resume", {"label": "team=billing"}),
        ("pause", {"label": "team=search"}),
        ("pause", {"label": "team=billing", "status": "pending"}),
    ):
        reply = stack.api.post(f"/jobs/bulk/{action}", {**body, "nextToken": token})
        assert reply.status == 400
        assert reply.body["message"].startswith("nextToken:")


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/jobs/bulk/explode", {"label": "team=billing"}, "action: "),
        ("/jobs/bulk/pause", {}, "label: is required"),
        ("/jobs/bulk/pause", {"label": "team"}, "label: 'team' is not key=value"),
        ("/jobs/bulk/pause", {"label": "team=billing", "status": "asleep"}, "status: "),
        ("/jobs/bulk/pause", {"label": "team=billing", "labels": {}}, "labels: is not a known field"),
        ("/jobs/bulk/pause", {"label": "team=billing", "nextToken": "forged"}, "nextToken: "),
    ],
)
def test_an_invalid_bulk_request_is_a_400_naming_the_field_and_changes_nothing(
    api: ApiClient, snapshot: Any, path: str, body: dict[str, Any], message: str
) -> None:
    create_group(api, 2, {"team": "billing"})
    before = snapshot()

    reply = api.post(path, body)

    assert reply.status == 400
    assert reply.body["message"].startswith(message), reply.body
    assert snapshot() == before
