"""The OpenAPI document is part of the contract: a change to it is made on purpose, with its snapshot.

`make openapi` rewrites docs/openapi.json from the API function; review the diff and commit it with the change.
"""

from __future__ import annotations

import json
import os

from devtools.api import ApiClient
from devtools.template import ROOT

SNAPSHOT = ROOT / "docs" / "openapi.json"


def test_the_openapi_document_matches_its_snapshot(api: ApiClient) -> None:
    served = api.get("/swagger", format="json").body
    rendered = json.dumps(served, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(rendered)

    assert SNAPSHOT.exists(), "no docs/openapi.json yet: run `make openapi`"
    assert rendered == SNAPSHOT.read_text(), "the OpenAPI document changed: run `make openapi`, review, commit"
