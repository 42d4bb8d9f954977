"""`serverless-jobs bulk` follows the API's pages to the end; stopped before it, it prints what it did so far
and the nextToken to go on from, and `--next-token` goes on from there. A fake `send` plays the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from serverless_jobs_client import JobsClient
from serverless_jobs_client.cli import Target, cli
from serverless_jobs_client.transport import Reply, Transport


def page(matched: int, next_token: str | None) -> Reply:
    body = {"matched": matched, "changed": matched, "unchanged": 0, "conflicts": [], "nextToken": next_token}
    return Reply(200, {}, json.dumps(body).encode())


class Api:
    """Answers each bulk request with the next reply; records the nextToken each one sent."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.tokens: list[str | None] = []

    def __call__(self, method: str, url: str, headers: Any, body: bytes | None, timeout: float) -> Reply:
        self.tokens.append(json.loads(body or b"{}").get("nextToken"))
        return self.replies.pop(0)


def bulk(monkeypatch: pytest.MonkeyPatch, api: Api, *arguments: str) -> Result:
    client = JobsClient("http://127.0.0.1:3000", transport=Transport("http://127.0.0.1:3000", send=api))
    monkeypatch.setattr(Target, "client", property(lambda target: client))
    return CliRunner(mix_stderr=False).invoke(cli, ["--api", "http://127.0.0.1:3000", "bulk", *arguments])


def test_bulk_adds_up_every_page_and_prints_the_last_token(monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(page(3, "t1"), page(2, "t2"), page(1, None))

    result = bulk(monkeypatch, api, "pause", "--label", "team=a", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.output) == {"matched": 6, "changed": 6, "unchanged": 0, "conflicts": [], "nextToken": None}
    assert api.tokens == [None, "t1", "t2"]


def test_a_bulk_stopped_before_the_end_says_what_it_did_and_where_to_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = Reply(400, {}, json.dumps({"message": "nextToken: is not a token this API returned"}).encode())
    stopped = bulk(monkeypatch, Api(page(3, "t1"), refused), "delete", "--label", "team=a", "--json")
    resumed_api = Api(page(2, None))
    resumed = bulk(monkeypatch, resumed_api, "delete", "--label", "team=a", "--next-token", "t1")

    assert stopped.exit_code == 1
    assert json.loads(stopped.output)["nextToken"] == "t1"  # the totals so far, on stdout
    assert stopped.stderr.splitlines() == [
        "stopped before the end: go on with --next-token t1",
        "Error: nextToken: is not a token this API returned (HTTP 400)",
    ]
    assert resumed_api.tokens == ["t1"]
    assert resumed.output == "delete: matched 2, changed 2, unchanged 0\n"
