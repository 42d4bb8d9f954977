"""Fixtures of the tiers that run the application over moto, built from template.yaml.

Imported by those tiers' conftests (integration, infrastructure, contract), never by the root one: the unit
tier runs without moto loaded. The root conftest has set the template's environment and started recording
the functions' AWS calls before this module loads anything of theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import moto
import pytest

from devtools.api import ApiClient
from devtools.clock import ManualClock
from devtools.dispatch import InvokeRecorder
from devtools.functions import build_function
from devtools.moto_backend import serialise_moto_calls
from devtools.resources import create_resources, create_targets, table_contents
from devtools.stack import START, Stack
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.settings import Settings
from serverless_jobs.wiring import AwsClients

# A tick pass, the dispatcher and the local stack call moto from many threads at once.
serialise_moto_calls()


@pytest.fixture
def aws() -> Iterator[list[str]]:
    """A fresh moto account with the template's tables and rule; yields the table names."""
    with moto.mock_aws():
        tables = create_resources()
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
