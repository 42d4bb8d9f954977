"""Fixtures: the whole application over moto, built from template.yaml.

Every function's environment is read from the template and set first: loading a function module builds
its handler from that environment, as Lambda's init phase does.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import moto
import pytest

from devtools.environment import use_template_environment

# Before anything loads the functions' modules: Powertools names each module's logger by the service
# (POWERTOOLS_SERVICE_NAME) when the module is imported, as Lambda's init phase does with its environment.
use_template_environment()

from devtools.api import ApiClient  # noqa: E402
from devtools.aws_calls import record_calls  # noqa: E402
from devtools.call_log import CALLS  # noqa: E402
from devtools.clock import ManualClock  # noqa: E402
from devtools.dispatch import InvokeRecorder  # noqa: E402
from devtools.functions import build_function  # noqa: E402
from devtools.moto_backend import serialise_moto_calls  # noqa: E402
from devtools.resources import create_rules, create_tables, create_targets, table_contents  # noqa: E402
from devtools.stack import START, Stack  # noqa: E402
from harness.call_log import DESELECTED  # noqa: E402
from harness.permissions import deployed_permissions  # noqa: E402
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore  # noqa: E402
from serverless_jobs.settings import Settings  # noqa: E402
from serverless_jobs.wiring import AwsClients  # noqa: E402

record_calls(CALLS.add)
# A tick pass, the dispatcher and the local stack call moto from many threads at once.
serialise_moto_calls()


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
def targets(aws: list[str]) -> None:
    """The queue, bus, state machine and webhook secret jobs' targets reach on the test stack (STACK_PARAMETERS)."""
    create_targets()


@pytest.fixture
def clock(aws: list[str]) -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def clients(aws: list[str]) -> AwsClients:
    return AwsClients()


@pytest.fixture
def invocations(clients: AwsClients) -> Iterator[InvokeRecorder]:
    recorder = InvokeRecorder()
    recorder.attach(clients.lambda_invoke)
    yield recorder
    recorder.detach(clients.lambda_invoke)


@pytest.fixture
def api(clock: ManualClock, clients: AwsClients, invocations: InvokeRecorder) -> ApiClient:
    """The API function built as on Lambda, on the manual clock, its Invoke calls captured."""
    return ApiClient(build_function("ApiFunction", Settings.from_environment(), clients, clock))


@pytest.fixture
def job_store(aws: list[str]) -> DynamoJobStore:
    """The Jobs table as the functions read it, for what the API does not show (e.g. the `due` fields)."""
    settings = Settings.from_environment()
    return DynamoJobStore(settings.jobs_table, settings.history_table, labels_table=settings.labels_table)


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
