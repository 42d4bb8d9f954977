"""Each contract test runs on both adapters of a port: DynamoDB over moto, and the in-memory one."""

from __future__ import annotations

import pytest

from devtools.memory_stores import MemoryHistoryStore, MemoryJobStore
from harness.moto_fixtures import aws
from serverless_jobs.adapters.dynamodb.history_store import DynamoHistoryStore
from serverless_jobs.adapters.dynamodb.job_store import DynamoJobStore
from serverless_jobs.ports import HistoryStore, JobStore
from serverless_jobs.settings import Settings

__all__ = ["aws", "stores"]

Stores = tuple[JobStore, HistoryStore]


@pytest.fixture(params=["dynamodb", "memory"])
def stores(request: pytest.FixtureRequest) -> Stores:
    """A job store and its history store, empty: on the template's tables over moto, or in memory."""
    if request.param == "memory":
        history = MemoryHistoryStore()
        return MemoryJobStore(history), history
    request.getfixturevalue("aws")
    settings = Settings.from_environment()
    jobs = DynamoJobStore(settings.jobs_table, settings.history_table, labels_table=settings.labels_table)
    return jobs, DynamoHistoryStore(settings.history_table)
