"""Drives the API function with API Gateway proxy events made from the sample files in events/api/."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.functions import FakeLambdaContext, LambdaHandler
from devtools.template import ROOT

EVENTS = ROOT / "events" / "api"

# (method, path pattern) -> the sample event a request of that shape is built from.
SAMPLE_FOR = [
    ("POST", r"/jobs", "create-job"),
    ("GET", r"/jobs", "list-jobs"),
    ("GET", r"/jobs/runner", "runner-state"),
    ("POST", r"/jobs/bulk/[^/]*", "bulk-pause"),
    ("POST", r"/jobs/runner/start", "runner-start"),
    ("POST", r"/jobs/runner/stop", "runner-stop"),
    ("GET", r"/jobs/[^/]*/history", "job-history"),
    ("POST", r"/jobs/[^/]*/trigger", "trigger-job"),
    ("POST", r"/jobs/[^/]*/pause", "pause-job"),
    ("POST", r"/jobs/[^/]*/resume", "resume-job"),
    ("POST", r"/jobs/[^/]*/cancel", "cancel-job"),
    ("GET", r"/jobs/[^/]*", "get-job"),
    ("PUT", r"/jobs/[^/]*", "update-job"),
    ("DELETE", r"/jobs/[^/]*", "delete-job"),
    ("POST", r"/schedules/preview", "preview-schedule"),
    ("GET", r"/swagger", "swagger"),
]


def sample_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded


def _base_event(method: str, path: str) -> dict[str, Any]:
    for sample_method, pattern, name in SAMPLE_FOR:
        if sample_method == method and re.fullmatch(pattern, path):
            return sample_event(name)
    return sample_event("health")  # any route: only the envelope is reused


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    raw: str


class ApiClient:
    """Requests to the API function's handler; each gets a Lambda context with `remaining_millis` left, or
    the one `context` makes (a clock of its own)."""

    def __init__(
        self,
        handler: LambdaHandler,
        remaining_millis: int = 30_000,
        context: Callable[[], FakeLambdaContext] | None = None,
    ) -> None:
        self.handler = handler
        self.remaining_millis = remaining_millis
        self.context = context

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        raw_body: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        event = copy.deepcopy(_base_event(method, path))
        event["httpMethod"] = method
        event["path"] = path
        event["pathParameters"] = {"proxy": path.lstrip("/")}
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = f"/{event['requestContext']['stage']}{path}"
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        event["body"] = raw_body if raw_body is not None else (None if json_body is None else json.dumps(json_body))
        if headers:
            event["headers"] = {**event["headers"], **headers}
            event["multiValueHeaders"] = {**event["multiValueHeaders"], **{k: [v] for k, v in headers.items()}}
        return self.send(event)

    def send(self, event: dict[str, Any]) -> Reply:
        context = (
            self.context()
            if self.context
            else FakeLambdaContext(function_name="ApiFunction", remaining_millis=self.remaining_millis)
        )
        response = self.handler(event, context)
        raw = response.get("body") or ""
        headers = {key.lower(): value for key, value in (response.get("headers") or {}).items()}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ",".join(values)
        content_type = headers.get("content-type", "")
        body = json.loads(raw) if raw and content_type.startswith("application/json") else raw
        return Reply(response["statusCode"], body, headers, raw)

    def get(self, path: str, **query: str) -> Reply:
        return self.request("GET", path, query=query or None)

    def post(self, path: str, json_body: Any = None) -> Reply:
        return self.request("POST", path, json_body)

    def put(self, path: str, json_body: Any) -> Reply:
        return self.request("PUT", path, json_body)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)


def sample_path(name: str) -> str:
    path: str = sample_event(name)["path"]
    return path


def events_dir() -> Path:
    return EVENTS
