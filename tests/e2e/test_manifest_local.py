"""`serverless-jobs plan` / `apply` against `make dev`: create, drift, idempotence, prune, import by key."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from devtools.local_http import LocalStack
from harness.docs import MANIFEST
from serverless_jobs_client import JobsClient
from serverless_jobs_client.cli import cli

CONSOLE_SCRIPT = Path(sys.executable).parent / "serverless-jobs"


@pytest.fixture(scope="module")
def client(local: LocalStack) -> JobsClient:
    return JobsClient(local.base)


@pytest.fixture
def name() -> str:
    return f"suite-{uuid.uuid4().hex[:8]}"  # this test's own manifest and keys in the shared stack


@pytest.fixture
def write(tmp_path: Path, name: str) -> Callable[..., str]:
    def written(jobs: list[dict[str, Any]], suffix: str = ".yaml") -> str:
        path = tmp_path / f"jobs{suffix}"
        document = {"manifest": name, "jobs": jobs}
        path.write_text(json.dumps(document) if suffix == ".json" else yaml.safe_dump(document))
        return str(path)

    return written


def cli_run(local: LocalStack, *arguments: str) -> Result:
    return CliRunner(mix_stderr=False).invoke(cli, ["--api", local.base, *arguments])


def two_jobs(name: str) -> list[dict[str, Any]]:
    return [
        {"key": f"{name}/daily", "name": "Daily report", "handler": "echo", "schedule": "0 6 * * *",
         "timezone": "Europe/Paris", "data": {"to": "ops"}, "labels": {"team": "billing"}},
        {"key": f"{name}/sweep", "name": "Sweep", "handler": "echo", "schedule": "15m", "maxAttempts": 5},
    ]  # fmt: skip


def test_apply_creates_then_changes_nothing_the_second_time(
    local: LocalStack, client: JobsClient, write: Any, name: str
) -> None:
    path = write(two_jobs(name))

    planned = cli_run(local, "plan", path)
    assert planned.exit_code == 2, planned.stderr
    assert f"+ create {name}/daily" in planned.output
    assert "2 to create, 0 unchanged" in planned.output
    assert client.get_by_key(f"{name}/daily") is None  # a plan changes nothing

    applied = cli_run(local, "apply", path)
    assert applied.exit_code == 0, applied.stderr
    assert f"created {name}/daily" in applied.output
    daily = client.get_by_key(f"{name}/daily")
    assert daily is not None
    assert daily.schedule == "0 6 * * *"
    assert daily.labels == {
        "team": "billing",
        "serverless-jobs/manifest": name,
        "serverless-jobs/applied": daily.labels["serverless-jobs/applied"],
    }

    again = cli_run(local, "apply", path, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "no changes, 2 unchanged" in again.output
    assert client.get_by_key(f"{name}/daily") == daily  # not even updatedAt moved
    assert cli_run(local, "plan", path).exit_code == 0


def test_a_change_made_by_hand_is_planned_as_drift_and_put_back(
    local: LocalStack, client: JobsClient, write: Any, name: str
) -> None:
    path = write(two_jobs(name))
    assert cli_run(local, "apply", path).exit_code == 0
    sweep = client.get_by_key(f"{name}/sweep")
    assert sweep is not None
    client.update(sweep.id, schedule="1h", maxAttempts=2)

    planned = cli_run(local, "plan", path)
    assert planned.exit_code == 2
    assert f"~ update {name}/sweep [{sweep.id}] (drift: changed by hand since the last apply)" in planned.output
    assert '    schedule: "1h" -> "15m"' in planned.output
    assert "    maxAttempts: 2 -> 5" in planned.output
    assert "1 to update, 1 unchanged" in planned.output

    as_json = json.loads(cli_run(local, "plan", path, "--json").output)
    assert as_json["changes"] == [
        {
            "action": "update",
            "key": f"{name}/sweep",
            "id": sweep.id,
            "drift": True,
            "fields": {"schedule": {"from": "1h", "to": "15m"}, "maxAttempts": {"from": 2, "to": 5}},
        }
    ]
    assert as_json["unchanged"] == [f"{name}/daily"]

    dry = cli_run(local, "apply", path, "--dry-run")
    assert dry.exit_code == 2
    assert client.get(sweep.id).schedule == "1h"

    assert cli_run(local, "apply", path, "--detailed-exitcode").exit_code == 2
    assert client.get(sweep.id).schedule == "15m"
    assert cli_run(local, "plan", path).exit_code == 0

    # a change in the file is a change, not drift
    changed = two_jobs(name)
    changed[1]["schedule"] = "30m"
    planned = cli_run(local, "plan", write(changed))
    assert f"~ update {name}/sweep [{sweep.id}]\n" in planned.output


def test_prune_deletes_only_this_files_jobs(local: LocalStack, client: JobsClient, write: Any, name: str) -> None:
    assert cli_run(local, "apply", write(two_jobs(name))).exit_code == 0
    bystander = client.create(name="by hand", handler="echo", schedule="1h", key=f"{name}/hand")
    other = client.create(name="unkeyed", handler="echo", schedule="1h", labels={"team": "billing"})
    kept = write(two_jobs(name)[:1])

    planned = cli_run(local, "plan", kept)
    assert planned.exit_code == 0  # without --prune, a job dropped from the file stays
    assert f"! {name}/sweep: no longer in the file; `--prune` deletes it" in planned.output
    pruning = cli_run(local, "plan", kept, "--prune")
    assert pruning.exit_code == 2
    assert f"- delete {name}/sweep" in pruning.output
    assert "1 to delete" in pruning.output

    assert cli_run(local, "apply", kept, "--prune").exit_code == 0
    assert client.get_by_key(f"{name}/sweep") is None
    assert client.get_by_key(f"{name}/daily") is not None
    assert client.get(bystander.id).key == f"{name}/hand"
    assert client.get(other.id).name == "unkeyed"
    assert cli_run(local, "plan", kept, "--prune").exit_code == 0


def test_a_job_made_by_hand_is_imported_by_its_key(
    local: LocalStack, client: JobsClient, write: Any, name: str
) -> None:
    made = client.create(name="old name", handler="echo", schedule="1h", key=f"{name}/daily")
    path = write(two_jobs(name)[:1], ".json")

    planned = cli_run(local, "plan", path)
    assert f"< import {name}/daily [{made.id}] (made by hand; taken under this file)" in planned.output
    assert '    name: "old name" -> "Daily report"' in planned.output
    assert cli_run(local, "apply", path).exit_code == 0
    imported = client.get(made.id)  # the same job, now the file's
    assert imported.name == "Daily report"
    assert imported.labels["serverless-jobs/manifest"] == name
    assert cli_run(local, "plan", path).exit_code == 0


def test_a_file_that_does_not_validate_is_refused_whole(
    local: LocalStack, client: JobsClient, write: Any, name: str
) -> None:
    jobs = two_jobs(name)
    jobs.append({"key": f"{name}/bad", "name": "bad", "handler": "echo", "schedule": "every tuesday"})
    jobs.append({"key": f"{name}/worse", "name": "worse", "handler": "echo", "maxAttempts": 99})
    path = write(jobs)

    result = subprocess.run(
        [CONSOLE_SCRIPT, "--api", local.base, "apply", path], capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert f"job '{name}/bad': schedule" in result.stderr
    assert f"job '{name}/worse': maxAttempts" in result.stderr
    assert client.get_by_key(f"{name}/daily") is None  # nothing changed, not even the valid jobs
    duplicate = write([two_jobs(name)[0], two_jobs(name)[0]])
    refused = cli_run(local, "plan", duplicate)
    assert refused.exit_code == 1
    assert f"job '{name}/daily': key: is listed twice" in refused.stderr


def test_the_readmes_file_applies_and_prunes_to_nothing(local: LocalStack, client: JobsClient, tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(MANIFEST.text())

    applied = cli_run(local, "apply", str(path))
    assert applied.exit_code == 0, applied.stderr
    nightly = client.get_by_key("reports/nightly")
    assert nightly is not None
    assert nightly.timezone == "Europe/Paris"
    assert cli_run(local, "plan", str(path)).exit_code == 0

    path.write_text(yaml.safe_dump({"manifest": "reports", "jobs": []}))
    assert cli_run(local, "apply", str(path), "--prune").exit_code == 0
    assert client.get_by_key("reports/nightly") is None
    assert client.get_by_key("reports/cleanup") is None
