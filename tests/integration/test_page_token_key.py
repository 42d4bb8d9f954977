"""Page tokens are signed with the stack's own random key: made once, kept in StateTable, the same for every
API process of the stack and no other, and read only by a request that encodes or decodes a token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.functions import build_function
from serverless_jobs.adapters.dynamodb.state_store import PAGE_TOKEN_KEY
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients

SETTINGS = Settings.from_environment()


def state_calls(clients: AwsClients) -> Iterator[list[str]]:
    """The operations the API makes on StateTable, in the block."""
    calls: list[str] = []

    def seen(params: dict[str, Any], model: Any, **_: Any) -> None:
        if params.get("TableName") == SETTINGS.state_table:
            calls.append(model.name)

    events = clients.dynamodb.meta.events
    events.register("provide-client-params.dynamodb.*", seen)
    yield calls
    events.unregister("provide-client-params.dynamodb.*", seen)


@pytest.fixture
def calls_on_state(clients: AwsClients) -> Iterator[list[str]]:
    yield from state_calls(clients)


def two_pages_worth(api: ApiClient) -> None:
    for number in range(3):
        assert api.post("/jobs", {"name": f"j{number}", "handler": "echo", "schedule": "1h"}).status == 201


def stored_key() -> bytes | None:
    table = boto3.client("dynamodb")
    item = table.get_item(TableName=SETTINGS.state_table, Key={"name": {"S": PAGE_TOKEN_KEY}}).get("Item")
    return None if item is None else bytes.fromhex(item["key"]["S"])


def test_the_key_is_32_random_bytes_made_once_and_shared_by_every_api_process(
    api: ApiClient, clients: AwsClients, clock: ManualClock
) -> None:
    two_pages_worth(api)
    assert stored_key() is None  # nothing listed yet: no key made

    token = api.get("/jobs", limit="1").body["nextToken"]
    key = stored_key()
    assert key is not None
    assert len(key) == 32
    # Another cold start of the API, a process of its own: reads the same key, accepts the first's token.
    other = ApiClient(build_function("ApiFunction", SETTINGS, AwsClients(), clock))
    assert other.get("/jobs", limit="1", nextToken=token).status == 200
    assert stored_key() == key


def test_another_stacks_key_refuses_this_stacks_tokens(api: ApiClient, clock: ManualClock) -> None:
    two_pages_worth(api)
    token = api.get("/jobs", limit="1").body["nextToken"]

    # The same tables, but the key record made again (as a new stack would make its own).
    boto3.client("dynamodb").delete_item(TableName=SETTINGS.state_table, Key={"name": {"S": PAGE_TOKEN_KEY}})
    other = ApiClient(build_function("ApiFunction", SETTINGS, AwsClients(), clock))
    reply = other.get("/jobs", limit="1", nextToken=token)

    assert reply.status == 400
    assert reply.body["message"].startswith("nextToken:")
    assert "start the listing again" in reply.body["message"]


def test_only_a_request_with_a_token_reads_the_key_and_only_once(api: ApiClient, calls_on_state: list[str]) -> None:
    two_pages_worth(api)
    job_id = api.get("/jobs", limit="3").body["jobs"][0]["id"]
    assert api.get(f"/jobs/{job_id}").status == 200
    assert calls_on_state == []  # no token encoded or decoded yet: the key is not read

    token = api.get("/jobs", limit="1").body["nextToken"]
    api.get("/jobs", limit="1", nextToken=token)
    api.get("/jobs", limit="1", nextToken=token)

    assert calls_on_state.count("GetItem") == 1
    assert calls_on_state.count("PutItem") == 1  # the first reader made it
