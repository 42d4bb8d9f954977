"""CHANGELOG.md read as the record of releases: each one's version, date, commit and Upgrading notes.

A release's entry is `## [X.Y.Z] - YYYY-MM-DD` and names its commit (``Commit `<sha>` ``); the version being
worked on is `## [X.Y.Z] - unreleased`, its notes still spread over changelog.d/*.md fragments until the
release assembles them. The upgrade check (devtools/upgrade.py) compares the template with the last release's
and accepts an intended breaking change only when these notes name it.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devtools.template import ROOT

CHANGELOG = ROOT / "CHANGELOG.md"
FRAGMENTS = ROOT / "changelog.d"

_HEADING = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2}|unreleased)\s*$", re.M)
_COMMIT = re.compile(r"[Cc]ommit `(?P<sha>[0-9a-f]{7,40})`")
_SECTION = re.compile(r"^### (?P<title>.+?)\s*$", re.M)


@dataclass(frozen=True)
class Release:
    version: str
    date: str | None  # None while unreleased
    commit: str | None
    text: str  # the entry below its heading

    @property
    def upgrading(self) -> str:
        return section(self.text, "Upgrading")


def section(text: str, title: str) -> str:
    """The body of the `### <title>` section in `text` (empty when there is none)."""
    headings = list(_SECTION.finditer(text))
    for index, heading in enumerate(headings):
        if heading["title"] == title:
            end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
            return text[heading.end() : end].strip()
    return ""


def releases(text: str | None = None) -> list[Release]:
    """Every entry of the changelog, as written (newest first)."""
    text = CHANGELOG.read_text() if text is None else text
    headings = list(_HEADING.finditer(text))
    entries = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = text[heading.end() : end]
        # A trailing link-reference block belongs to no entry.
        body = re.split(r"^\[\d+\.\d+\.\d+\]: ", body, maxsplit=1, flags=re.M)[0]
        commit = _COMMIT.search(body)
        date = None if heading["date"] == "unreleased" else heading["date"]
        entries.append(Release(heading["version"], date, commit["sha"] if commit else None, body.strip()))
    return entries


def last_release(current_version: str, text: str | None = None) -> Release:
    """The newest release older than `current_version`: what a stack is upgraded from."""
    current = _numbers(current_version)
    for release in releases(text):
        if _numbers(release.version) < current and release.date is not None:
            return release
    raise LookupError(f"CHANGELOG.md records no release before {current_version}")


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_commit(release: Release) -> str:
    """The release's full commit id: the one its entry names, else its tag `v<version>`."""
    reference = release.commit or f"v{release.version}"
    run = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise LookupError(
            f"release {release.version}: no commit {reference} in this clone (a shallow clone? `git fetch --unshallow`)"
        )
    return run.stdout.strip()


def file_at(commit: str, path: str) -> str:
    """A file's text as it was at `commit`."""
    return subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def upgrading_notes(version: str, text: str | None = None, fragments: Path = FRAGMENTS) -> str:
    """What the Upgrading notes of `version` say: its changelog entry's, and while it is unreleased, the
    fragments' in changelog.d/ that the release will assemble into it."""
    notes = [release.upgrading for release in releases(text) if release.version == version]
    released = any(release.version == version and release.date is not None for release in releases(text))
    if not released and fragments.is_dir():
        notes += [section(fragment.read_text(), "Upgrading") for fragment in sorted(fragments.glob("*.md"))]
    return "\n\n".join(note for note in notes if note)
