"""Today's code reads and drives what each earlier release stored (tests/fixtures/releases/, dumped by that
release's own code: dump.py there): loaded into tables built from today's template, the jobs read, list and
page as that release answered, and they run, retry, pause, resume, cancel, trigger, update and delete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.clock import ManualClock
from devtools.stack import Stack

FIXTURES = Path(__file__).parents[1] / "fixtures" / "releases"
VERSIONS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())

# Fields of a job's answer that changed on purpose since a release, each with why; every other field of
# that release's answer is today's answer too.
CHANGED: dict[str, dict[str, str]] = {
    "0.1.0": {},
    "0.2.0": {},
    "0.3.0": {},
    "0.4.0": {},
    "0.5.0": {},
}
# Releases whose page tokens were signed with a key made from the tables' names (0.3.0 on: StateTable's key).
SIGNED_BY_NAMES = {"0.1.0", "0.2.0"}
# Fields today's answers have that a release's did not: new, with their values for an old job or run.
RUN_ADDED = {"notification": None}
JOB_ADDED = {
    "labels": {},
    "jitterSeconds": 0,
    "maxRuns": None,
    "catchupWindowSeconds": None,
    "overlap": "buffer",
    "concurrencyKey": None,
    "concurrencyLimit": None,
    "rateLimit": None,
    "target": None,
    "notify": None,
}


@dataclass
class Release:
    version: str
    stack: Stack
    jobs: dict[str, str]  # id by the role it plays in the dump's scenario
    answers: dict[str, Any]  # what that release's API answered
    tables: dict[str, list[dict[str, Any]]]
    in_flight: list[dict[str, Any]]  # the dispatch events of the runs the release's tick dispatched last

    def role(self, role: str) -> str:
        return self.jobs[role]


def load(version: str, tables_today: list[str]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Put every item the release stored into today's tables; its scenario and tables."""
    folder = FIXTURES / version
    scenario: dict[str, Any] = json.loads((folder / "scenario.json").read_text())
    tables: dict[str, list[dict[str, Any]]] = json.loads((folder / "tables.json").read_text())
    client = boto3.client("dynamodb")
    for name, items in tables.items():
        assert name in tables_today, f"{version}'s table {name} is gone from the template"
        for item in items:
            client.put_item(TableName=name, Item=item)
    return scenario, tables


@pytest.fixture(params=VERSIONS)
def release(request: pytest.FixtureRequest, aws: list[str]) -> Iterator[Release]:
    version: str = request.param
    scenario, tables = load(version, aws)
    answers = json.loads((FIXTURES / version / "answers.json").read_text())
    stack = Stack(ManualClock(datetime.fromisoformat(scenario["now"])))
    yield Release(version, stack, scenario["jobs"], answers, tables, scenario["inFlight"])
    stack.close()


def ok(reply: Any) -> Any:
    assert 200 <= reply.status < 300, reply.body
    return reply.body


def differences(
    version: str, then: dict[str, Any], now: dict[str, Any], added: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """The fields where today's answer differs from the release's (or from `added`'s value, for a field that
    release did not answer), leaving out those changed on purpose."""
    changed = CHANGED[version]
    found = {
        name: (value, now.get(name, "<absent>"))
        for name, value in then.items()
        if name not in changed and now.get(name, "<absent>") != value
    }
    found |= {
        name: ("<absent>", now.get(name, "<absent>"))
        for name, default in added.items()
        if name not in then and name not in changed and now.get(name, "<absent>") != default
    }
    return found


def test_every_job_and_its_history_read_as_the_release_answered(release: Release) -> None:
    api = release.stack.api
    compared = 0
    for role, job_id in release.jobs.items():
        status, then = release.answers["jobs"][role]
        assert status == 200
        now = ok(api.get(f"/jobs/{job_id}"))
        assert differences(release.version, then, now, JOB_ADDED) == {}, role
        compared += 1
        status, then_history = release.answers["history"][role]
        now_history = ok(api.get(f"/jobs/{job_id}/history"))["history"]
        assert [run["id"] for run in now_history] == [run["id"] for run in then_history["history"]], role
        for run_then, run_now in zip(then_history["history"], now_history, strict=True):
            assert differences(release.version, run_then, run_now, RUN_ADDED) == {}, (role, run_then["id"])
            compared += 1
    assert compared == len(release.jobs) + len(release.tables["HistoryTable"])  # all of them, none missed


def test_the_listings_list_what_the_release_listed_and_its_page_tokens_say_start_again(release: Release) -> None:
    api = release.stack.api
    for status, pages in release.answers["lists"].items():
        listed_then = [job["id"] for code, page in pages for job in page["jobs"]]
        query = {} if status == "all" else {"status": status}
        listed_now, token = [], None
        for _ in range(50):
            page = ok(api.get("/jobs", limit="4", **query, **({"nextToken": token} if token else {})))
            listed_now += [job["id"] for job in page["jobs"]]
            token = page.get("nextToken")
            if not token:
                break
        # by status, newest first as then; the whole table then in the Scan's order, now newest first too
        assert (listed_now if query else sorted(listed_now)) == (listed_then if query else sorted(listed_then))
        if len(pages) > 1:
            old_token = pages[0][1]["nextToken"]
            answered = api.get("/jobs", limit="4", **query, nextToken=old_token)
            if release.version in SIGNED_BY_NAMES:
                # signed with a key any caller could make (the tables' names): today's are signed with the
                # stack's secret, so an old one asks to start the listing again
                assert answered.status == 400
                assert answered.body["message"].startswith("nextToken:")
                assert "start the listing again" in answered.body["message"]
            else:  # signed with the stack's own key, which the upgrade keeps: the listing goes on where it was
                assert [job["id"] for job in ok(answered)["jobs"]] == [job["id"] for job in pages[1][1]["jobs"]]


def completed_runs(stack: Stack, job_id: str) -> int:
    return sum(run["status"] == "completed" for run in stack.history(job_id))


def test_successful_runs_count_the_runs_completed_before_the_count_existed(release: Release) -> None:
    stack = release.stack
    for role, job_id in release.jobs.items():
        assert stack.job(job_id)["successfulRuns"] == completed_runs(stack, job_id), role
    # counted once, then stored: the count is on the item, as a release that had it stored it
    raw = boto3.client("dynamodb").get_item(TableName="JobsTable", Key={"id": {"S": release.role("cron")}})["Item"]
    assert raw["successfulRuns"] == {"N": str(completed_runs(stack, release.role("cron")))}


def test_the_release_s_jobs_run_on_retry_and_recover_their_lost_runs(release: Release) -> None:
    stack = release.stack
    # the tick is the first to read them (and so counts the successful runs of 0.1.0's jobs)
    stored = release.tables["HistoryTable"]
    before = {role: sum(run["jobId"]["S"] == job_id for run in stored) for role, job_id in release.jobs.items()}
    outcomes: list[str] = []
    for _ in range(8):  # 09:16 to 09:51: the lost leases expire, the retry falls due
        stack.clock.advance(5 * 60)
        report = stack.tick()
        assert "error" not in json.dumps(report).lower(), report
        outcomes += [result["outcome"] for result in stack.deliver()]

    assert outcomes
    assert set(outcomes) <= {"completed", "failed", "skipped"}, outcomes
    # the run held under a lease at the dump, never started: taken for lost, then retried to completion
    running = stack.history(release.role("running"))
    assert [run["status"] for run in running][:2] == ["completed", "timed_out"]
    assert stack.job(release.role("running"))["status"] == "completed"
    # the retry pending at the dump ran, attempt after attempt (flaky succeeds on its third)
    retried = [(run["attempt"], run["status"], run["trigger"]) for run in stack.history(release.role("retry_pending"))]
    assert retried[-2:] == [(2, "failed", "retry"), (1, "failed", "schedule")]
    assert retried[:-2] in ([], [(3, "completed", "retry")])
    # every recurring job still active ran on
    for role in ("interval", "cron", "rate"):
        assert len(stack.history(release.role(role))) > before[role], role
        assert stack.history(release.role(role))[0]["status"] == "completed", role
    for role, job_id in release.jobs.items():
        assert stack.job(job_id)["successfulRuns"] == completed_runs(stack, job_id), role


def test_the_runs_the_release_dispatched_are_run_by_today_s_executor(release: Release) -> None:
    """During an update, the executor of today is handed the runs the release's tick dispatched."""
    stack = release.stack
    outcomes = [stack.execute(payload)["outcome"] for payload in release.in_flight]
    assert outcomes
    assert set(outcomes) == {"completed"}, outcomes
    [run] = stack.history(release.role("running"))
    assert run["status"] == "completed"
    assert stack.job(release.role("running"))["successfulRuns"] == 1


def test_the_dispatch_function_settles_a_shard_of_the_release_s_due_jobs(release: Release) -> None:
    """As the tick hands a herd's shards to it: the jobs it claims are read (and counted) as the tick's."""
    stack = release.stack
    shards = sorted({item["dueShard"]["S"] for item in release.tables["JobsTable"] if "dueShard" in item})

    def settle_every_shard() -> list[str]:
        for shard in shards:
            stack.dispatch({"shard": shard, "dueBy": int(stack.clock.now().timestamp() * 1000)})
        return [result["outcome"] for result in stack.deliver()]

    stack.clock.advance(6 * 60)  # the leases of the dump's runs expired: taken for lost
    settle_every_shard()
    assert stack.history(release.role("running"))[0]["status"] == "timed_out"
    stack.clock.advance(5 * 60)  # their retries and the recurring jobs' occurrences due
    outcomes = settle_every_shard()
    assert outcomes.count("completed") >= 3, outcomes
    for role in ("interval", "running"):
        assert stack.history(release.role(role))[0]["status"] == "completed", role


def test_the_release_s_jobs_pause_resume_cancel_trigger_update_and_delete(release: Release) -> None:
    stack, api = release.stack, release.stack.api
    interval, paused = release.role("interval"), release.role("paused")
    assert ok(api.post(f"/jobs/{interval}/pause"))["status"] == "paused"
    assert ok(api.post(f"/jobs/{paused}/resume"))["status"] == "pending"
    assert ok(api.post(f"/jobs/{release.role('cron')}/cancel"))["status"] == "cancelled"
    assert ok(api.put(f"/jobs/{release.role('at')}", {"name": "renamed", "data": {"k": 1}}))["name"] == "renamed"
    ok(api.post(f"/jobs/{release.role('future_once')}/trigger"))
    stack.deliver()
    [run] = stack.history(release.role("future_once"))
    assert (run["trigger"], run["status"]) == ("manual", "completed")
    assert ok(api.post(f"/jobs/{interval}/resume"))["status"] in ("pending", "running")

    for role in ("failed", "completed_once", "windowed"):
        assert api.request("DELETE", f"/jobs/{release.role(role)}").status == 204
        assert api.get(f"/jobs/{release.role(role)}").status == 404
        assert api.get(f"/jobs/{release.role(role)}/history").status == 404
    if "labelled" in release.jobs:
        billing = sorted(release.role(role) for role in ("labelled", "keyed") if role in release.jobs)
        assert sorted(job["id"] for job in ok(api.get("/jobs", label="team=billing"))["jobs"]) == billing
        assert api.request("DELETE", f"/jobs/{release.role('labelled')}").status == 204
        left = sorted(set(billing) - {release.role("labelled")})
        assert sorted(job["id"] for job in ok(api.get("/jobs", label="team=billing"))["jobs"]) == left


def test_the_release_s_job_key_finds_its_job_and_holds_until_moved(release: Release) -> None:
    """A key the release reserved (LabelsTable's `#key/...` item) still finds its job and refuses another."""
    if "keyed" not in release.jobs:
        pytest.skip(f"{release.version}'s fixture holds no job key")
    api, keyed = release.stack.api, release.role("keyed")
    assert [job["id"] for job in ok(api.get("/jobs", key="compat/keyed"))["jobs"]] == [keyed]
    refused = api.post("/jobs", {"name": "again", "handler": "echo", "key": "compat/keyed"})
    assert refused.status == 409
    assert keyed in refused.body["message"]
    assert ok(api.put(f"/jobs/{keyed}", {"key": "compat/moved"}))["key"] == "compat/moved"
    assert ok(api.get("/jobs", key="compat/keyed"))["jobs"] == []  # the release's reservation went with it
    assert ok(api.post("/jobs", {"name": "heir", "handler": "echo", "key": "compat/keyed"}))["key"] == "compat/keyed"
