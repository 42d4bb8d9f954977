"""Which tests a session ran: the least-privilege check needs the calls of every suite in SUITES.

The end-to-end tests drive `make dev` in a process of its own, whose calls this session's recorder never
sees, so they add nothing to the check; `make test` runs them in a pytest process beside this one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.template import ROOT

# The suites whose calls, all together, must use every grant: folders, or single files under tests/.
SUITES = ("integration", "infrastructure/test_operations_template.py")
DESELECTED = pytest.StashKey[list[Path]]()


def incomplete_because(session: pytest.Session) -> str | None:
    """Why this session did not run the whole of SUITES; None if it did."""
    if any("::" in argument for argument in session.config.args):
        return "tests were selected by node id"
    deselected = [path for path in session.config.stash.get(DESELECTED, []) if _in_suites(path)]
    if deselected:
        return f"tests of {deselected[0].relative_to(ROOT)} were deselected"
    collected = {item.path for item in session.items}
    for suite in SUITES:
        for path in _files(ROOT / "tests" / suite):
            if path not in collected:
                return f"{path.relative_to(ROOT)} was not collected"
    return None


def _files(suite: Path) -> list[Path]:
    return sorted(suite.glob("test_*.py")) if suite.is_dir() else [suite]


def _in_suites(path: Path) -> bool:
    return any(path.is_relative_to(ROOT / "tests" / suite) for suite in SUITES)
