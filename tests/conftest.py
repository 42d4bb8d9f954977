"""What every tier shares: the template's environment, and the record of every AWS call the functions make.

Every function's environment is read from the template and set first: loading a function module builds
its handler from that environment, as Lambda's init phase does. Nothing here loads moto: the tiers that run
the application over it import their fixtures from harness/moto_fixtures.py, and the unit tier runs without.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from devtools.environment import use_template_environment

# Before anything loads the functions' modules: Powertools names each module's logger by the service
# (POWERTOOLS_SERVICE_NAME) when the module is imported, as Lambda's init phase does with its environment.
use_template_environment()

from devtools.aws_calls import record_calls  # noqa: E402
from devtools.call_log import CALLS  # noqa: E402
from harness.call_log import DESELECTED  # noqa: E402
from harness.permissions import deployed_permissions  # noqa: E402

record_calls(CALLS.add)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_all_tests: runs last, on what the whole session recorded")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("after_all_tests") is not None)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash.setdefault(DESELECTED, []).extend(item.path for item in items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """After a test and its fixtures (a local stack's last calls included), fail it for any call denied.

    Every AWS call the functions made since the previous test is checked against its function's role as
    SAM deploys it (moto enforces no IAM, so nothing else would see one).
    """
    try:
        yield
    finally:
        calls = CALLS.take(item.nodeid)
        denied = deployed_permissions().denials(calls, item.nodeid) if calls else []
        if denied:
            pytest.fail("AWS calls the deployed roles do not allow:\n" + "\n".join(denied), pytrace=False)
