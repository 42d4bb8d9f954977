"""Records every DynamoDB write request any client makes, at the botocore boundary, as `Write`s (one an item).

Each item a request names is read from moto's backend just before and just after botocore hands the request
over (no AWS call, so nothing else is counted), giving bench.write_units the images that decide its cost.
Requests are serialised while recorded, so that a before and an after belong to one request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

from bench.write_units import Table, Write, tables
from devtools.template import ACCOUNT

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
METHOD = "_make_api_call"  # where every botocore client's request passes, with its parameters as sent
FAILED = ("ConditionalCheckFailedException", "TransactionCanceledException")


@dataclass(frozen=True)
class Request:
    """One write request: its operation and the items it wrote (or was charged for)."""

    operation: str
    writes: tuple[Write, ...]


@dataclass(frozen=True)
class _Target:
    table: str
    key: dict[str, Any]
    check_only: bool = False


@contextmanager
def captured_writes() -> Iterator[list[Request]]:
    """The write requests made in the block, in order, by every botocore client of this process."""
    shapes = tables()
    requests: list[Request] = []
    lock = threading.RLock()
    original = vars(BaseClient)[METHOD]

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != "dynamodb" or operation not in WRITES:
            return original(client, operation, params)
        with lock:
            targets = _targets(operation, params, shapes)
            before = [_image(client, target) for target in targets]
            transactional = operation == "TransactWriteItems"
            try:
                answer = original(client, operation, params)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in FAILED:
                    writes = tuple(
                        Write(t.table, image, image, transactional, failed=True)
                        for t, image in zip(targets, before, strict=True)
                    )
                    requests.append(Request(operation, writes))
                raise
            after = [_image(client, target) for target in targets]
            requests.append(
                Request(
                    operation,
                    tuple(
                        Write(t.table, old, new, transactional, check_only=t.check_only)
                        for t, old, new in zip(targets, before, after, strict=True)
                    ),
                )
            )
            return answer

    setattr(BaseClient, METHOD, recording)
    try:
        yield requests
    finally:
        setattr(BaseClient, METHOD, original)


def _targets(operation: str, params: dict[str, Any], shapes: dict[str, Table]) -> list[_Target]:
    """The items a write request names: table and key of each."""

    def key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in shapes[table].keys}

    if operation == "PutItem":
        return [_Target(params["TableName"], key_of(params["TableName"], params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [_Target(params["TableName"], params["Key"])]
    if operation == "BatchWriteItem":
        return [
            _Target(
                table,
                key_of(table, entry["PutRequest"]["Item"]) if "PutRequest" in entry else entry["DeleteRequest"]["Key"],
            )
            for table, entries in params["RequestItems"].items()
            for entry in entries
        ]
    targets = []
    for entry in params["TransactItems"]:
        (kind, action), *_ = entry.items()
        key = key_of(action["TableName"], action["Item"]) if kind == "Put" else action["Key"]
        targets.append(_Target(action["TableName"], key, check_only=kind == "ConditionCheck"))
    return targets


def _image(client: BaseClient, target: _Target) -> dict[str, Any] | None:
    backend = dynamodb_backends[ACCOUNT][client.meta.region_name]
    item = backend.get_item(target.table, target.key)
    return None if item is None else dict(item.to_json()["Attributes"])
