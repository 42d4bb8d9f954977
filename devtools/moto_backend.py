"""moto, in-process, made safe for threads: one lock around every call botocore hands to moto.

moto is not thread-safe (two conditional writes on one item can both succeed under threads), and the local
stack serves requests, ticks and runs concurrently; serialising the calls keeps DynamoDB's guarantees.

Under that lock, moto's TransactWriteItems also rolls back only the items it names
(`roll_back_transactions_by_item`): moto's own deep-copies every table a transaction touches, first.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from typing import Any

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}

_lock = threading.Lock()


def use_fake_credentials() -> None:
    """Point every AWS client of this process at moto; nothing here may reach a real account."""
    os.environ.update(FAKE_CREDENTIALS)


def serialise_moto_calls() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    original: Callable[..., Any] = BotocoreStubber.__call__
    if getattr(original, "serialised", False):
        return

    def locked(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(self, *args, **kwargs)

    locked.serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    roll_back_transactions_by_item()


def roll_back_transactions_by_item() -> None:
    """moto's TransactWriteItems, its whole-table backup replaced by one of the items it names.

    moto (5.x) deep-copies each table a transaction names before writing, to put it back if the transaction
    is cancelled: a cost that grows with the table. Every run's finish was a transaction (the job and its
    history entry; a concurrency key's or an `overlap: skip` finish still is), so on `make dev` each run
    cost 40-100 ms more once about 1,000 jobs and their history existed, and every other call (a create)
    waited behind it for the lock. A transaction names at most
    100 items, one write each (moto refuses two on one item), and the rest of the table is not touched, so
    putting those items back as they were undoes it all the same. Only while calls are serialised: the
    backup and the writes must not interleave with another call's.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend: Any = models.DynamoDBBackend
    original: Callable[..., None] = backend.transact_write_items
    if getattr(original, "by_item", False):
        return

    class TablesUncopied:
        """moto's `copy` module as its backend sees it: a whole table is not copied (the backup above)."""

        @staticmethod
        def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, Any, Any, Any]] = []
        for entry in transact_items:
            operation: dict[str, Any] = next(iter(entry.values()), {})
            table = self.tables.get(operation.get("TableName"))
            key = operation.get("Item", operation.get("Key")) or {}
            if table is None or table.hash_key_attr not in key:
                continue  # refused before it writes anything
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            before = table.items.get(hash_value)
            if range_value is not None:
                before = (before or {}).get(range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(before)))
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, item in saved:
                put_back(table, hash_value, range_value, item)
            raise

    transact_write_items.by_item = True  # type: ignore[attr-defined]
    models.copy = TablesUncopied  # type: ignore[attr-defined,assignment]
    backend.transact_write_items = transact_write_items


def put_back(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    """Put `item` back under its key in `table` as it was before a transaction (None: it was absent)."""
    where = table.items if range_value is None else table.items[hash_value]
    key = hash_value if range_value is None else range_value
    if item is None:
        where.pop(key, None)
    else:
        where[key] = item
