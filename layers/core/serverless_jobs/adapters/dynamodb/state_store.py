"""The stack's own state: small named records in `StateTable` that no deploy may overwrite.

Why a table of its own: a resource's properties are re-applied by CloudFormation on every update that
touches them (a rule's State, an alarm's ActionsEnabled), and the Jobs table is scanned by every release's
listing, which must never meet an item kind it does not know. Nothing in this table is read by a caller:
only the functions read it (the runner switch, the page-token key).

Records are read eventually consistent (half a read unit: the tick reads the runner's every pass, and a
switch reaches it within a second) and written attribute by attribute, so a record written by a later
release keeps the attributes this one does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The record names: each idea's one home in this table.
RUNNER = "runner"
PAGE_TOKEN_KEY = "page-token-key"

_KEY = "name"


class StackState:
    """Named records of `StateTable`, each a map of attributes (strings, numbers, booleans, bytes)."""

    def __init__(self, client: Callable[[], DynamoDBClient], table: str) -> None:
        self._client_of = client
        self._table = table

    def get(self, name: str, *, consistent: bool = False) -> dict[str, Any] | None:
        """The record's attributes (its name left out), or None when it was never written."""
        key = {_KEY: {"S": name}}
        reply = self._client_of().get_item(TableName=self._table, Key=key, ConsistentRead=consistent)
        item = reply.get("Item")
        if item is None:
            return None
        return {field: _plain(value) for field, value in item.items() if field != _KEY}

    def put(self, name: str, attributes: Mapping[str, Any]) -> None:
        """Sets these attributes of the record (creating it), leaving its other attributes as they are."""
        names = {f"#a{index}": field for index, field in enumerate(attributes)}
        values = {f":a{index}": _typed(value) for index, value in enumerate(attributes.values())}
        assignments = ", ".join(f"#a{index} = :a{index}" for index in range(len(attributes)))
        self._client_of().update_item(
            TableName=self._table,
            Key={_KEY: {"S": name}},
            UpdateExpression=f"SET {assignments}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def put_if_absent(self, name: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Writes the record unless it exists; either way answers the record as stored (the first writer's)."""
        client = self._client_of()
        item = {_KEY: {"S": name}} | {field: _typed(value) for field, value in attributes.items()}
        try:
            client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": _KEY},
            )
        except client.exceptions.ConditionalCheckFailedException:
            stored = self.get(name, consistent=True)  # the write that won, just made
            if stored is not None:
                return stored
            raise
        return dict(attributes)


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"a state record holds strings, numbers, booleans and bytes, not {type(value).__name__}")


def _plain(value: Mapping[str, Any]) -> Any:
    (kind, raw), *_ = value.items()
    if kind == "N":
        number = float(raw)
        return int(number) if number.is_integer() and "." not in raw else number
    if kind == "B":
        return bytes(raw)
    return raw  # S, BOOL; a kind a later release writes is handed back as stored
