"""Watches the DynamoDB calls the application makes, through pynamodb's own botocore client."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from serverless_jobs.adapters.dynamodb.models import JobItem, RunItem, bound
from serverless_jobs.settings import Settings


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts operations by name (Scan, Query, UpdateItem ...) and items read (`ScannedCount`) in the block."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    def count_items(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        calls["ScannedCount"] += int(parsed.get("ScannedCount", 0))

    # Each pynamodb model keeps its own botocore client: watch every distinct one.
    settings = Settings.from_environment()
    models = (bound(JobItem, settings.jobs_table), bound(RunItem, settings.history_table))
    clients = {id(client): client for client in (model._get_connection().connection.client for model in models)}
    for client in clients.values():
        client.meta.events.register("before-call.dynamodb", count)
        client.meta.events.register("after-call.dynamodb", count_items)
    try:
        yield calls
    finally:
        for client in clients.values():
            client.meta.events.unregister("before-call.dynamodb", count)
            client.meta.events.unregister("after-call.dynamodb", count_items)
