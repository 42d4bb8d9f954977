"""Whether the local stack's API lists jobs by name: the e2e tests of the CLI's and the console's name search
need it (GET /jobs?name=, which another branch adds) and say so when it is missing."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from devtools.local_http import LocalStack


def name_filter_is_served(local: LocalStack) -> bool:
    """Lists a name no job has, with a job present: an API without the filter lists that job (on some page)."""
    probe = f"name-probe-{uuid.uuid4().hex}"
    local.call("POST", "/jobs", {"name": probe, "handler": "echo", "runAt": "2099-01-01T00:00:00Z"})
    query, token = f"/jobs?limit=100&name={quote(probe[::-1])}", ""
    while True:
        status, page = local.call("GET", query + (f"&nextToken={quote(token)}" if token else ""))
        if status != 200 or page["jobs"]:
            return False
        token = page["nextToken"]
        if not token:
            return True
