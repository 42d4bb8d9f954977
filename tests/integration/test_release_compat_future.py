"""Today's code beside a later release (decision "Stored data across releases"): what a later release may write
into the tables (new attributes, new kinds of item, new values) is kept on every write of ours, skipped by
every listing, and never fails a page, the tick, the executor or the API."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from devtools.stack import Stack
from serverless_jobs.registry import RunContext, registered_for_now

JOBS, HISTORY = "JobsTable", "HistoryTable"
LATER: dict[str, Any] = {"laterField": {"S": "kept"}, "laterMap": {"M": {"n": {"N": "7"}}}}


def raw(table: str, key: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    return item


def add_later_fields(table: str, key: dict[str, Any]) -> None:
    """What a later release might have added to an item: attributes this one does not know."""
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET laterField = :f, laterMap = :m",
        ExpressionAttributeValues={":f": LATER["laterField"], ":m": LATER["laterMap"]},
    )


def keeps_later_fields(item: dict[str, Any]) -> bool:
    return all(item.get(name) == value for name, value in LATER.items())


def later_items(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Items a later release might put in the Jobs table, each in the due and status indexes, due now:
    new kinds of item (ids `<kind>#...`), and jobs with a status, a target type or a value this one cannot
    read. `job` is a raw job of ours to copy."""
    due = {"dueShard": job.get("dueShard", {"S": "0"}), "nextRunAt": {"N": "0"}, "status": {"S": "pending"}}
    meta = {"id": {"S": "meta#runner"}, "createdAt": {"N": "1"}, "enabled": {"BOOL": True}, **due}
    kind = {"id": {"S": "future#y"}, "createdAt": {"N": "2"}, "name": {"S": "not a job"}, **due}
    status = {**copy.deepcopy(job), **due, "id": {"S": "laterstatus"}, "status": {"S": "archived"}}
    target = {**copy.deepcopy(job), **due, "id": {"S": "latertarget"}}
    target["target"] = {"S": '{"type":"kafka","topic":"t"}'}
    target.pop("handler", None)
    undecodable = {**copy.deepcopy(job), **due, "id": {"S": "laterform"}, "attempts": {"N": "1.5"}}
    return [meta, kind, status, target, undecodable]


@pytest.fixture
def stack_with_later_items(stack: Stack) -> tuple[Stack, str, list[dict[str, Any]]]:
    ours = stack.create(name="ours", schedule="1h")["id"]
    template = raw(JOBS, {"id": {"S": ours}})
    items = later_items(template)
    client = boto3.client("dynamodb")
    for item in items:
        client.put_item(TableName=JOBS, Item=item)
    return stack, ours, items


def test_listings_tick_and_api_skip_what_they_cannot_read_and_leave_it_alone(
    stack_with_later_items: tuple[Stack, str, list[dict[str, Any]]],
) -> None:
    stack, ours, items = stack_with_later_items
    once = stack.create(name="once")["id"]  # due now

    for query in ({}, {"status": "pending"}, {"status": "running"}):
        listed, token = [], None
        for _ in range(20):
            reply = stack.api.get("/jobs", limit="2", **query, **({"nextToken": token} if token else {}))
            assert reply.status == 200, reply.body
            listed += [job["id"] for job in reply.body["jobs"]]
            token = reply.body.get("nextToken")
            if not token:
                break
        assert set(listed) <= {ours, once}, query
    for item in items:
        job_id = item["id"]["S"]
        if "#" not in job_id:
            assert stack.api.get(f"/jobs/{job_id}").status == 404, job_id
            assert stack.api.post(f"/jobs/{job_id}/trigger").status == 404, job_id

    report = stack.tick()
    assert [result["outcome"] for result in stack.deliver()] == ["completed"], report
    assert stack.job(once)["status"] == "completed"
    stack.clock.advance(3600)
    stack.tick()
    stack.deliver()
    assert stack.history(ours)[0]["status"] == "completed"
    for item in items:  # never claimed, never written
        assert raw(JOBS, {"id": item["id"]}) == item


def test_every_write_of_a_job_keeps_the_attributes_a_later_release_added(stack: Stack) -> None:
    job_id = stack.create(name="mine", schedule="1h", labels={"team": "a"})["id"]
    key = {"id": {"S": job_id}}
    add_later_fields(JOBS, key)
    api = stack.api

    writes: list[Callable[[], object]] = [
        lambda: api.put(f"/jobs/{job_id}", {"name": "renamed"}),  # an UpdateItem
        lambda: api.put(f"/jobs/{job_id}", {"labels": {"team": "b"}}),  # a transaction with its memberships
        lambda: api.post(f"/jobs/{job_id}/pause"),
        lambda: api.post(f"/jobs/{job_id}/resume"),
        lambda: api.post(f"/jobs/{job_id}/trigger"),  # the claim
        stack.deliver,  # the start mark, then the finish with the entry's close
        lambda: api.post(f"/jobs/{job_id}/cancel"),
    ]
    for write in writes:
        write()
        assert keeps_later_fields(raw(JOBS, key)), write
    assert stack.history(job_id)[0]["status"] == "completed"


def test_closing_a_run_keeps_what_a_later_release_added_to_its_entry(stack: Stack) -> None:
    """The running entry is closed by an update of the attributes we know, not replaced."""

    def annotated_by_a_later_release(data: dict[str, Any], context: RunContext) -> str:
        [entry] = boto3.client("dynamodb").query(
            TableName=HISTORY,
            KeyConditionExpression="jobId = :j",
            ExpressionAttributeValues={":j": {"S": context.job_id}},
        )["Items"]
        add_later_fields(HISTORY, {"jobId": entry["jobId"], "runKey": entry["runKey"]})
        return "done"

    with registered_for_now("test-annotated-entry", annotated_by_a_later_release):
        job_id = stack.create(name="annotated", handler="test-annotated-entry")["id"]
        stack.tick()
        stack.deliver()

    [run] = stack.history(job_id)
    assert (run["status"], run["result"]) == ("completed", "done")
    [entry] = boto3.client("dynamodb").scan(TableName=HISTORY)["Items"]
    assert keeps_later_fields(entry)


def test_history_entries_with_a_later_status_or_trigger_are_shown_as_they_are(stack: Stack) -> None:
    job_id = stack.create(name="ran", runAt="2026-11-28T09:00:00Z")["id"]
    stack.tick()
    stack.deliver()
    [entry] = boto3.client("dynamodb").scan(TableName=HISTORY)["Items"]
    later: dict[str, Any] = {**entry, "runKey": {"S": "000000000000001#later"}, "id": {"S": "later"}}
    later |= {"status": {"S": "superseded"}, "trigger": {"S": "webhook"}, **LATER}
    boto3.client("dynamodb").put_item(TableName=HISTORY, Item=later)

    runs = stack.history(job_id)
    assert [(run["status"], run["trigger"]) for run in runs] == [("completed", "schedule"), ("superseded", "webhook")]
