"""Fixtures: the whole application over moto, built from template.yaml.

The environment of every function is read from the template and set before any application module is
imported, because the core reads its settings once per process, as it does on Lambda.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="true",
)

import moto
import pytest

from harness.api import ApiClient
from harness.call_log import CALLS, DESELECTED
from harness.dispatch import InvokeRecorder
from harness.permissions import deployed_permissions
from local_stack.aws_calls import record_calls
from local_stack.functions import load_function_module
from local_stack.resources import create_rules, create_tables, table_contents
from local_stack.template import application_environment

os.environ.update(application_environment())

from harness.stack import Stack
from serverless_jobs.clock import ManualClock

START = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

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


@pytest.fixture
def aws() -> Iterator[list[str]]:
    """A fresh moto account with the template's tables and rule; yields the table names."""
    with moto.mock_aws():
        tables = create_tables()
        create_rules()
        yield tables


@pytest.fixture
def api_module(aws: list[str]) -> Any:
    return load_function_module("ApiFunction")


@pytest.fixture
def clock(api_module: ModuleType) -> Iterator[ManualClock]:
    manual = ManualClock(START)
    real = api_module.service.clock
    api_module.service.clock = manual
    yield manual
    api_module.service.clock = real


@pytest.fixture
def invocations(api_module: ModuleType) -> Iterator[InvokeRecorder]:
    recorder = InvokeRecorder()
    recorder.attach(api_module.lambda_client)
    yield recorder
    recorder.detach(api_module.lambda_client)


@pytest.fixture
def api(api_module: ModuleType, clock: ManualClock, invocations: InvokeRecorder) -> ApiClient:
    return ApiClient(api_module)


@pytest.fixture
def stack(aws: list[str]) -> Iterator[Stack]:
    """API, tick and executor over moto on one manual clock; dispatches are delivered by `stack.deliver()`."""
    wired = Stack(ManualClock(START))
    yield wired
    wired.close()


@pytest.fixture
def snapshot(aws: list[str]) -> Any:
    """Call to read every table; compare two reads to prove a request changed nothing."""
    return lambda: table_contents(aws)
