"""Labels and bulk operations on `make dev`, over real HTTP: a group listed by its label, and each bulk action
answering its counts and conflicts, a repeat changing nothing more."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from devtools.local_http import LocalStack


def bulk(local: LocalStack, action: str, label: str, **fields: Any) -> dict[str, Any]:
    status, answer = local.call("POST", f"/jobs/bulk/{action}", {"label": label, **fields})
    assert (status, answer["nextToken"]) == (200, None), answer
    body: dict[str, Any] = answer
    return body


def counts(answer: dict[str, Any]) -> tuple[int, int, int, list[str]]:
    conflicting = [conflict["id"] for conflict in answer["conflicts"]]
    return answer["matched"], answer["changed"], answer["unchanged"], conflicting


@pytest.fixture
def group(local: LocalStack) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """A label of this test's own in the shared stack: three hourly jobs, and a one-time job already completed."""
    team = f"team-{uuid.uuid4().hex[:8]}"
    hourly = [local.create(schedule="1h", labels={"team": team, "n": str(n)}) for n in range(3)]
    done = local.create(labels={"team": team})  # one-time: runs at once
    assert local.wait_for(f"/jobs/{done['id']}", lambda job: job["status"] == "completed", 5)["status"] == "completed"
    return f"team={team}", hourly, done


def test_a_label_lists_its_jobs_newest_first_and_with_a_status(local: LocalStack, group: Any) -> None:
    label, hourly, done = group

    status, listed = local.call("GET", f"/jobs?label={label}")
    pending = local.call("GET", f"/jobs?label={label}&status=pending")[1]
    one = local.call("GET", "/jobs?label=n=1&limit=100")[1]

    assert (status, [job["id"] for job in listed["jobs"]]) == (200, [done["id"]] + [j["id"] for j in hourly[::-1]])
    assert {job["id"] for job in pending["jobs"]} == {job["id"] for job in hourly}
    assert hourly[1]["id"] in {job["id"] for job in one["jobs"]}
    assert local.call("GET", "/jobs?label=team")[0] == 400


def test_pause_and_resume_a_group_then_repeat_each(local: LocalStack, group: Any) -> None:
    label, hourly, done = group

    paused = bulk(local, "pause", label)
    paused_again = bulk(local, "pause", label)
    resumed = bulk(local, "resume", label)
    resumed_again = bulk(local, "resume", label)

    assert counts(paused) == (4, 3, 0, [done["id"]])
    assert paused["conflicts"][0]["message"] == (
        f"job '{done['id']}' is completed; only pending or running jobs can be paused"
    )
    assert counts(paused_again) == (4, 0, 3, [done["id"]])
    assert counts(resumed) == (4, 3, 0, [done["id"]])
    assert counts(resumed_again) == (4, 0, 3, [done["id"]])
    assert [local.call("GET", f"/jobs/{job['id']}")[1]["status"] for job in hourly] == ["pending"] * 3


def test_trigger_a_group_runs_each_job_once_and_a_repeat_meets_the_running_ones(local: LocalStack) -> None:
    label = f"batch={uuid.uuid4().hex[:8]}"
    key, value = label.split("=")
    jobs = [local.create(handler="sleep", data={"seconds": 3}, schedule="1h", labels={key: value}) for _ in range(2)]

    triggered = bulk(local, "trigger", label)
    repeated = bulk(local, "trigger", label)  # both still sleeping (3 s)
    for job in jobs:
        local.wait_for(f"/jobs/{job['id']}/history", lambda body: body["history"][0]["status"] == "completed", 10)

    assert counts(triggered) == (2, 2, 0, [])
    assert counts(repeated)[:3] == (2, 0, 0)
    assert {conflict["id"] for conflict in repeated["conflicts"]} == {job["id"] for job in jobs}
    for job in jobs:
        [run] = local.call("GET", f"/jobs/{job['id']}/history")[1]["history"]
        assert (run["trigger"], run["status"]) == ("manual", "completed")


def test_cancel_then_delete_a_group(local: LocalStack, group: Any) -> None:
    label, hourly, done = group

    cancelled = bulk(local, "cancel", label)
    cancelled_again = bulk(local, "cancel", label)
    deleted = bulk(local, "delete", label)
    deleted_again = bulk(local, "delete", label)

    assert counts(cancelled) == (4, 3, 0, [done["id"]])
    assert counts(cancelled_again) == (4, 0, 3, [done["id"]])
    assert counts(deleted) == (4, 4, 0, [])
    assert counts(deleted_again) == (0, 0, 0, [])
    assert local.call("GET", f"/jobs?label={label}")[1]["jobs"] == []
    assert all(local.call("GET", f"/jobs/{job['id']}")[0] == 404 for job in [*hourly, done])


def test_an_update_moves_a_job_out_of_its_group_and_bulk_leaves_it_alone(local: LocalStack, group: Any) -> None:
    label, hourly, _ = group
    moved = f"{label}-x"

    status, job = local.call("PUT", f"/jobs/{hourly[0]['id']}", {"labels": {"team": moved.split("=")[1]}})
    paused = bulk(local, "pause", label, status="pending")

    assert (status, job["labels"]) == (200, {"team": moved.split("=")[1]})
    assert counts(paused) == (2, 2, 0, [])
    assert local.call("GET", f"/jobs/{hourly[0]['id']}")[1]["status"] == "pending"
    assert [job["id"] for job in local.call("GET", f"/jobs?label={moved}")[1]["jobs"]] == [hourly[0]["id"]]
