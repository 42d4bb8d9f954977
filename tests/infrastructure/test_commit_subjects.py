"""Commit subjects stay under 72 characters, the why in the body (CONTRIBUTING.md): checked for every commit
since the newest release, so a long subject is caught before it lands, never rewritten after."""

from __future__ import annotations

import subprocess

from devtools.changelog import release_commit, releases
from devtools.template import ROOT

LONGEST_SUBJECT = 72


def subjects_since_the_newest_release() -> list[str]:
    newest = next(release for release in releases() if release.date is not None)
    run = subprocess.run(
        ["git", "log", "--no-merges", "--format=%s", f"{release_commit(newest)}..HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.splitlines()


def test_every_commit_since_the_newest_release_has_a_short_subject() -> None:
    long = [subject for subject in subjects_since_the_newest_release() if len(subject) > LONGEST_SUBJECT]
    assert long == [], f"subjects over {LONGEST_SUBJECT} characters (say the why in the body): {long}"
