"""The README's quickstart and the docs' examples, run verbatim; a bounded schemathesis fuzz of the OpenAPI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.local_http import LocalStack
from devtools.template import ROOT
from harness.docs import CONCURRENCY, IDEMPOTENT_CREATE, LABELS, PREVIEW, QUICKSTART, RATE_LIMIT, Block
from harness.fuzz import fuzz_examples
from harness.fuzz_report import FuzzReport

# Requests a run makes at the least per `--max-examples` (about 15 at 100): `make fuzz`, at 2,000, makes 5,000+.
MIN_REQUESTS_PER_EXAMPLE = 10


def run_verbatim(local: LocalStack, block: Block) -> list[Any]:
    """Run a docs shell block against the local stack; its JSON replies, in order."""
    script = block.text().replace("http://127.0.0.1:3000", local.base)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in re.split(r"(?<=\})\s*(?=\{)", result.stdout.strip()) if line]


def test_the_readme_quickstart_works_verbatim(local: LocalStack) -> None:
    replies = run_verbatim(local, QUICKSTART)

    history, failed, trigger, paused = replies[-4:]
    assert len(history["history"]) >= 2
    assert [job["name"] for job in failed["jobs"]] == ["doomed"]
    assert set(trigger) == {"runId"}
    assert paused["status"] == "paused"


def test_the_readme_labels_example_works_verbatim(local: LocalStack) -> None:
    """Before the fuzzing, which creates labelled jobs of its own in this stack."""
    listed, paused, repeated, deleted = run_verbatim(local, LABELS)

    assert [job["name"] for job in listed["jobs"]] == ["nightly-payments"] * 2
    assert paused == {"matched": 2, "changed": 2, "unchanged": 0, "conflicts": [], "nextToken": None}
    assert repeated == {"matched": 2, "changed": 0, "unchanged": 2, "conflicts": [], "nextToken": None}
    assert deleted == {"matched": 3, "changed": 3, "unchanged": 0, "conflicts": [], "nextToken": None}
    assert local.call("GET", "/jobs?label=env=dev") == (200, {"jobs": [], "nextToken": None})


def test_the_readme_preview_example_answers_what_it_shows(local: LocalStack) -> None:
    """The answer printed under the request, in a comment, is the one the API gives."""
    [answer] = run_verbatim(local, PREVIEW)

    shown = PREVIEW.text().strip().splitlines()[-1]
    assert answer == json.loads(shown.removeprefix("# "))


def test_the_readme_idempotent_create_example_creates_its_job(local: LocalStack) -> None:
    [created] = run_verbatim(local, IDEMPOTENT_CREATE)

    assert (created["name"], created["handler"]) == ("once", "echo")
    assert local.call("DELETE", f"/jobs/{created['id']}")[0] == 204


def test_the_readme_flow_control_example_works_verbatim(local: LocalStack) -> None:
    [created] = run_verbatim(local, CONCURRENCY)

    assert (created["concurrencyKey"], created["concurrencyLimit"]) == ("tenant-42", 2)
    assert local.call("DELETE", f"/jobs/{created['id']}")[0] == 204


def test_the_readme_rate_limit_example_starts_two_of_three_due_jobs(local: LocalStack) -> None:
    """A key with limit 2 per 60 s: of three jobs due at once, two start and the third waits, pending, for
    the oldest start to leave the window (a minute: the test does not wait for it)."""
    created = run_verbatim(local, RATE_LIMIT)
    assert [job["rateLimit"] for job in created] == [{"key": "partner-api", "limit": 2, "periodSeconds": 60}] * 3

    # Which two start is the race of three creates, each starting its job at once (or the tick it wakes).
    ids = {job["id"] for job in created}

    def ours(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [job for job in body["jobs"] if job["id"] in ids]

    listed = local.wait_for(
        "/jobs?limit=100", lambda body: [j["status"] for j in ours(body)].count("completed") == 2, 10
    )
    assert sorted(job["status"] for job in ours(listed)) == ["completed", "completed", "pending"]
    [waiting] = [job["id"] for job in ours(listed) if job["status"] == "pending"]
    assert local.call("GET", f"/jobs/{waiting}/history") == (200, {"history": [], "nextToken": None})
    status, refused = local.call("POST", f"/jobs/{waiting}/trigger")
    assert status == 409
    assert "rateLimit key 'partner-api' has no start left" in refused["message"]
    for job in created:
        assert local.call("DELETE", f"/jobs/{job['id']}")[0] == 204


# Operations on a created job the stateful phase must have reached through the links, and the answers that
# show it did: a trigger may find the job running, paused or cancelled (409), as the stack runs it meanwhile.
CHAIN = {
    "GET /jobs/{id}": {200},
    "PUT /jobs/{id}": {200},
    "POST /jobs/{id}/trigger": {202, 409},
    "GET /jobs/{id}/history": {200},
    "DELETE /jobs/{id}": {204},
}


def test_fuzzing_the_openapi_document_statefully_finds_no_server_error_and_no_schema_break(
    local: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    checks = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
    examples = fuzz_examples(100)
    bounds = [
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(examples),
        "--seed",
        "20261128",
        "--workers",
        "1",
    ]
    report = ["--report", "har", "--report-dir", str(tmp_path)]
    result = subprocess.run(
        [str(schemathesis), "run", f"{local.base}/swagger?format=json", "--checks", checks, *bounds, *report],
        check=False,
        capture_output=True,
        text=True,
        timeout=240 * examples // 100,
        cwd=ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(ROOT / "tests" / "harness" / "fuzz_hooks.py")},
    )

    sent = FuzzReport.read(tmp_path)
    with capsys.disabled():  # the figures the README states, in `make test` and `make fuzz` alike
        print(f"\nschemathesis: {sent.requests} requests, {len(sent.server_errors)} server errors, examples {examples}")
    assert result.returncode == 0, result.stdout[-6000:]
    assert sent.server_errors == []
    assert sent.requests >= MIN_REQUESTS_PER_EXAMPLE * examples
    reached = {step: sum(sent.on_created_jobs[f"{step} {status}"] for status in CHAIN[step]) for step in CHAIN}
    assert all(reached.values()), sent.on_created_jobs
