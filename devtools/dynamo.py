"""Watches the DynamoDB calls the application makes, through pynamodb's own botocore client."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from serverless_jobs.adapters.client_tuning import DYNAMODB_TUNINGS
from serverless_jobs.adapters.dynamodb.models import JobItem, LabelItem, RunItem, bound
from serverless_jobs.settings import Settings


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts operations by name (Scan, Query, UpdateItem ...) and items read (`ScannedCount`) in the block."""
    calls: Counter[str] = Counter()
    lock = threading.Lock()  # a tick pass makes its calls from many threads

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[model.name] += 1

    def count_items(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        with lock:
            calls["ScannedCount"] += int(parsed.get("ScannedCount", 0))

    with watching({"before-call.dynamodb": count, "after-call.dynamodb": count_items}):
        yield calls


@contextmanager
def watching(handlers: dict[str, Callable[..., None]]) -> Iterator[None]:
    """botocore event handlers (event name -> handler) on every DynamoDB client of the functions, in the block."""
    clients = dynamodb_clients()
    for client in clients:
        for event, handler in handlers.items():
            client.meta.events.register(event, handler)
    try:
        yield
    finally:
        for client in clients:
            for event, handler in handlers.items():
                client.meta.events.unregister(event, handler)


def dynamodb_clients(jobs_table_only: bool = False) -> list[Any]:
    """The botocore clients of the functions' DynamoDB models: pynamodb keeps one per model, so one per
    table and per function's tuning (the labels table's only the API's has calls); the Jobs table's alone
    with `jobs_table_only` (a fault on a job's writes that spares its history's)."""
    settings = Settings.from_environment()
    tables = [(JobItem, settings.jobs_table), (RunItem, settings.history_table), (LabelItem, settings.labels_table)]
    tables = tables[:1] if jobs_table_only else tables
    models = [bound(model, table, tuning) for model, table in tables for tuning in DYNAMODB_TUNINGS]
    clients = {id(client): client for client in (model._get_connection().connection.client for model in models)}
    return list(clients.values())
