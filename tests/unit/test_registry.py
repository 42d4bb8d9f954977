"""Handlers live outside the core: a module dropped into a handler package is found by name, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverless_jobs.registry import Registry, RunContext, is_registered, registered_for_now

HANDLER_MODULE = """
from serverless_jobs.registry import handler

@handler("{name}")
def run(data, ctx):
    return "{name}"
"""


def package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, handler_name in modules.items():
        (root / name / f"{module}.py").write_text(HANDLER_MODULE.format(name=handler_name))


def test_a_module_dropped_into_a_handler_package_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package(tmp_path, "team_handlers", {"reports": "send-report", "cleanup": "purge"})
    monkeypatch.syspath_prepend(str(tmp_path))

    found = Registry(("team_handlers",)).handlers()

    assert sorted(found) == ["purge", "send-report"]
    assert found["send-report"]({}, _context()) == "send-report"


def test_a_single_module_can_be_named_instead_of_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package(tmp_path, "ops_handlers", {"nightly": "nightly", "other": "other"})
    monkeypatch.syspath_prepend(str(tmp_path))

    assert list(Registry(("ops_handlers.nightly",)).handlers()) == ["nightly"]


def test_two_handlers_under_one_name_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package(tmp_path, "clashing_handlers", {"first": "same", "second": "same"})
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ValueError, match="'same' is registered twice"):
        Registry(("clashing_handlers",)).handlers()


def test_a_handler_registered_for_one_test_is_gone_afterwards() -> None:
    with registered_for_now("only-here", lambda data, ctx: None):
        assert is_registered("only-here")
    assert not is_registered("only-here")


def test_a_handler_for_now_cannot_shadow_a_deployed_one() -> None:
    with pytest.raises(ValueError, match="'echo' is registered twice"), registered_for_now("echo", lambda d, c: None):
        pass
    assert is_registered("echo")


def _context() -> RunContext:
    return RunContext(job_id="j", run_id="r", attempt=1, scheduled_at=None, trigger="manual", remaining_seconds=float)
