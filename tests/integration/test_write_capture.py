"""bench/write_capture's record of real requests on moto, costed by the write-unit model (bench/write_units).

The model itself is tested on hand-worked examples in tests/unit/test_write_units.py.
"""

from __future__ import annotations

import boto3
import moto
import pytest
from botocore.exceptions import ClientError

from bench.write_capture import captured_writes
from bench.write_units import cost, tables


def test_requests_are_captured_at_botocore_with_their_items_before_and_after() -> None:
    with moto.mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="JobsTable",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "dueShard", "AttributeType": "S"},
                {"AttributeName": "nextRunAt", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "due",
                    "KeySchema": [
                        {"AttributeName": "dueShard", "KeyType": "HASH"},
                        {"AttributeName": "nextRunAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        item = {"id": {"S": "j1"}, "dueShard": {"S": "0"}, "nextRunAt": {"N": "1"}, "status": {"S": "pending"}}
        with captured_writes() as requests:
            client.put_item(TableName="JobsTable", Item=item)
            client.update_item(
                TableName="JobsTable",
                Key={"id": {"S": "j1"}},
                UpdateExpression="SET nextRunAt = :at",
                ExpressionAttributeValues={":at": {"N": "2"}},
            )
            with pytest.raises(ClientError):
                client.put_item(TableName="JobsTable", Item=item, ConditionExpression="attribute_not_exists(id)")
            other = {"id": {"S": "j2"}, "status": {"S": "pending"}}
            client.batch_write_item(RequestItems={"JobsTable": [{"PutRequest": {"Item": other}}]})
            with pytest.raises(ClientError):
                client.transact_write_items(
                    TransactItems=[
                        {"Delete": {"TableName": "JobsTable", "Key": {"id": {"S": "j2"}}}},
                        {
                            "Put": {
                                "TableName": "JobsTable",
                                "Item": item,
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                    ]
                )
    operations = [request.operation for request in requests]
    assert operations == ["PutItem", "UpdateItem", "PutItem", "BatchWriteItem", "TransactWriteItems"]
    put, update, refused = (request.writes[0] for request in requests[:3])
    batched, cancelled = requests[3].writes, requests[4].writes
    assert [(write.before, write.after) for write in batched] == [(None, other)]
    assert [(write.failed, write.transactional) for write in cancelled] == [(True, True), (True, True)]
    assert cancelled[0].before == other  # the delete never happened
    assert (put.before, put.after) == (None, item)
    assert update.after == {**item, "nextRunAt": {"N": "2"}}
    assert refused.failed
    shapes = tables()
    assert [cost(write, shapes["JobsTable"]).indexes for write in (put, update, refused)] == [
        {"due": 1},
        {"due": 2},
        {},
    ]
