"""The test and local stacks' moto rolls a cancelled transaction back item by item (devtools.moto_backend),
not from a copy of each whole table: what a cancelled TransactWriteItems wrote is undone all the same, on a
table with a hash key and on one with a range key too, and a committed one stays written."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from serverless_jobs.settings import Settings


def key_of(client: Any, table: str, number: int) -> dict[str, Any]:
    """A key of `table` made from `number`, whatever its schema's attributes."""
    schema = client.describe_table(TableName=table)["Table"]
    types = {each["AttributeName"]: each["AttributeType"] for each in schema["AttributeDefinitions"]}
    return {part["AttributeName"]: {types[part["AttributeName"]]: str(number)} for part in schema["KeySchema"]}


def contents(client: Any, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table)["Items"], key=repr)


@pytest.mark.parametrize("which", ["jobs_table", "history_table"])
def test_a_cancelled_transaction_is_undone_and_a_committed_one_kept(aws: list[str], which: str) -> None:
    assert getattr(DynamoDBBackend.transact_write_items, "by_item", False)  # the rollback under test
    client: Any = boto3.client("dynamodb")
    table = getattr(Settings.from_environment(), which)
    for number in (1, 2):
        client.put_item(TableName=table, Item={**key_of(client, table, number), "note": {"S": f"kept {number}"}})
    before = contents(client, table)
    writes = [
        {"Put": {"TableName": table, "Item": {**key_of(client, table, 3), "note": {"S": "new"}}}},
        {"Delete": {"TableName": table, "Key": key_of(client, table, 1)}},
        {
            "Update": {
                "TableName": table,
                "Key": key_of(client, table, 2),
                "UpdateExpression": "SET note = :changed",
                "ExpressionAttributeValues": {":changed": {"S": "changed"}},
            }
        },
    ]
    refused = {
        "ConditionCheck": {
            "TableName": table,
            "Key": key_of(client, table, 4),
            "ConditionExpression": "attribute_exists(note)",
        }
    }

    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[*writes, refused])
    assert contents(client, table) == before

    client.transact_write_items(TransactItems=writes)
    notes = sorted(item["note"]["S"] for item in contents(client, table))
    assert notes == ["changed", "new"]
