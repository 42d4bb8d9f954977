"""The client follows the API's pages as they come: short or empty pages with a nextToken go on, the name
filter is sent as `name`, and answers in UTF-8 as is (not ASCII-escaped) read back as sent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from serverless_jobs_client import JobsClient
from serverless_jobs_client.transport import Reply, Transport

URL = "http://127.0.0.1:3000"


class Pages:
    """Answers each request with the next page, written as the API writes it (UTF-8, not escaped)."""

    def __init__(self, *bodies: dict[str, object]) -> None:
        self.bodies = list(bodies)
        self.queries: list[dict[str, list[str]]] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
        self.queries.append(parse_qs(urlsplit(url).query))
        text = json.dumps(self.bodies.pop(0), ensure_ascii=False, separators=(",", ":"))
        return Reply(200, {"Content-Type": "application/json"}, text.encode())


def job(number: int) -> dict[str, object]:
    return {"id": f"j{number}", "name": f"café ☕ {number}", "status": "pending"}


def client_over(pages: Pages) -> JobsClient:
    return JobsClient(URL, transport=Transport(URL, send=pages, sleep=lambda seconds: None))


def test_list_follows_short_and_empty_pages_to_the_end() -> None:
    pages = Pages(
        {"jobs": [job(1), job(2)], "nextToken": "t1"},
        {"jobs": [], "nextToken": "t2"},
        {"jobs": [job(3)], "nextToken": None},
    )

    listed = list(client_over(pages).list(name="Café", label="team=a", page_size=10))

    assert [item.id for item in listed] == ["j1", "j2", "j3"]
    assert listed[0].name == "café ☕ 1"
    assert [query.get("nextToken") for query in pages.queries] == [None, ["t1"], ["t2"]]
    assert all(query["name"] == ["Café"] and query["label"] == ["team=a"] for query in pages.queries)


def test_history_follows_short_pages() -> None:
    run = {"id": "r", "jobId": "j1", "status": "completed", "attempt": 1, "trigger": "manual"}
    pages = Pages({"history": [run], "nextToken": "t1"}, {"history": [{**run, "id": "s"}], "nextToken": None})

    assert [item.id for item in client_over(pages).history("j1", page_size=100)] == ["r", "s"]
