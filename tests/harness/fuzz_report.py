"""What a schemathesis run sent and got back, read from its HAR report: requests, server errors, and how far
its stateful phase followed the OpenAPI links from a created job."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# An operation on one job, by method and the path after `/jobs/<id>`: the chain the links make possible.
_ON_A_JOB = re.compile(r"/jobs/(?P<id>[^/]+)(?P<rest>/[a-z]+)?")


@dataclass
class FuzzReport:
    requests: int
    server_errors: list[str]  # "METHOD path status", for the assertion's message
    on_created_jobs: Counter[str]  # "METHOD /jobs/{id}/rest status" of requests on a job a POST /jobs created

    @classmethod
    def read(cls, report_dir: Path) -> FuzzReport:
        entries = [
            entry for har in report_dir.glob("*.json") for entry in json.loads(har.read_text())["log"]["entries"]
        ]
        created: set[str] = set()
        server_errors: list[str] = []
        on_created_jobs: Counter[str] = Counter()
        for entry in entries:  # in the order they were sent
            method, status = entry["request"]["method"], entry["response"]["status"]
            path = urlsplit(entry["request"]["url"]).path
            if status >= 500 or status == 0:
                server_errors.append(f"{method} {path} {status}")
            if (method, path, status) == ("POST", "/jobs", 201):
                created.add(json.loads(entry["response"]["content"]["text"])["id"])
            on_job = _ON_A_JOB.fullmatch(path)
            if on_job and on_job["id"] in created:
                on_created_jobs[f"{method} /jobs/{{id}}{on_job['rest'] or ''} {status}"] += 1
        return cls(len(entries), server_errors, on_created_jobs)
