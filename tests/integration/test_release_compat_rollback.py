"""A rollback's view of today's items: each release of PREVIOUS, by its own code (its commit, extracted), reads
and drives what today's code stored, through its handlers, with no failure and no attribute it does not know
dropped. During a stack update, and after CloudFormation rolls one back, the previous release's code runs on
these items.

Slow (two processes over moto, ~30 s): each release's modules share names, so each runs in its own process
(tests/fixtures/releases/dump.py `--rollback`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DUMP = Path(__file__).parents[1] / "fixtures" / "releases" / "dump.py"
# The previous release (a rollback's target), and those before it, kept while their readers still run.
PREVIOUS = {"0.5.0": "e158531", "0.4.0": "ae57a96", "0.3.0": "9bf09ef", "0.2.0": "dc2bede"}


@pytest.mark.parametrize(("version", "commit"), PREVIOUS.items())
def test_the_previous_release_reads_and_drives_what_today_stores(tmp_path: Path, version: str, commit: str) -> None:
    found = subprocess.run(["git", "-C", str(DUMP.parent), "cat-file", "-e", f"{commit}^{{commit}}"], check=False)
    if found.returncode != 0:
        pytest.skip(f"needs the git history (release {version}'s commit {commit}) to extract that release's code")
    subprocess.run([sys.executable, str(DUMP), "--rollback", version, str(tmp_path)], check=True)

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["failures"] == [], report
    stored = json.loads((tmp_path / "today" / "tables.json").read_text())
    assert len(stored["JobsTable"]) > 20  # the scenario's jobs, of every kind, were there to drive
