"""DynamoDB write units as on-demand billing counts them: the table's item and every global secondary index.

A write's cost follows from the item as it was before the request and as it is after (`Write`), the table's
shape in template.yaml (`Table`, `tables()`) and these rules from the DynamoDB developer guide:

- An item's size is the sum of its attribute names' and values' sizes ("Item sizes and formats"); a write
  unit covers 1 KB of it, rounded up, at least 1 ("Read/write capacity mode"). Put, Update and Delete are
  charged the larger of the item's sizes before and after. A write whose condition fails is still charged
  the existing item's size, at least 1 unit, and changes no index.
- A transactional write costs 2 units per KB of each item in it ("Capacity management for transactions":
  a prepare and a commit of every item); a ConditionCheck is counted so too (the application makes none).
  The guide doubles the items' units, not their index writes, and this model follows it: were index
  writes doubled too, a transaction moving a job (a claim under a rate limit or a concurrency key, the
  finish of such a job or of one with a `skipped` entry) would cost 4 units more.
- Each GSI ("Provisioned throughput considerations for Global Secondary Indexes", its write rules): an item
  entering the index (its key attributes all defined) costs one write of its index entry; leaving it, one
  write (a delete); changing an index key attribute's value, two (a delete and a put); changing only
  attributes the index projects, one; anything else, none. An index entry is the table's key, the index's
  key and the projected attributes (ALL: every attribute), 1 KB a unit like any item.

Pure: no AWS, no moto. bench/write_capture.py records `Write`s at the botocore boundary.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from devtools.template import resolve, resources

Item = Mapping[str, Any]  # an item in DynamoDB's wire form: {"name": {"S": "x"}, "n": {"N": "1"}}
UNIT_BYTES = 1024


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key attributes and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    included: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()


@dataclass(frozen=True)
class Write:
    """One item's change by one request: before and after (None: no item), and how it was written."""

    table: str
    before: Item | None
    after: Item | None
    transactional: bool = False
    failed: bool = False  # its condition (or its transaction's) failed: nothing changed
    check_only: bool = False  # a transaction's ConditionCheck: billed, writes nothing


@dataclass(frozen=True)
class Cost:
    """Write units a `Write` costs: on the table's item, and on each index (by name) it touched."""

    table: int
    indexes: Mapping[str, int] = field(default_factory=dict)

    @property
    def index_total(self) -> int:
        return sum(self.indexes.values())

    @property
    def total(self) -> int:
        return self.table + self.index_total


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in wire form (without its name)."""
    (kind, content), *_ = value.items()
    if kind in SCALARS:
        return SCALARS[kind](content)
    if kind in SETS:
        return sum(SCALARS[SETS[kind]](element) for element in content)
    if kind == "L":  # 3 bytes for the list, 1 for each element
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in content.items())
    raise ValueError(f"not a DynamoDB attribute value: {value!r}")


def number_size(text: str) -> int:
    """A number's bytes: 1 per two significant digits (leading and trailing zeros trimmed), plus 1."""
    digits = Decimal(text).normalize().as_tuple().digits if Decimal(text) else (0,)
    return math.ceil(len(digits) / 2) + 1


SCALARS: dict[str, Callable[[Any], int]] = {
    "S": lambda text: len(str(text).encode()),
    "N": lambda text: number_size(str(text)),
    "B": lambda content: len(_raw(content)),
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}
SETS = {"SS": "S", "NS": "N", "BS": "B"}


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    """Write units of an item of `size` bytes: 1 KB each, rounded up, at least 1."""
    return max(1, math.ceil(size / UNIT_BYTES))


def projected(item: Item, table: Table, index: Index) -> dict[str, Any]:
    """The item's entry in `index`: every attribute for ALL, else the keys and the included attributes."""
    if index.projection == "ALL":
        return dict(item)
    kept = set(table.keys) | set(index.keys) | (index.included if index.projection == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in kept}


def index_units(table: Table, index: Index, before: Item | None, after: Item | None) -> int:
    """Write units `index` costs for the item going from `before` to `after` (the GSI write rules)."""
    was = before is not None and all(key in before for key in index.keys)
    now = after is not None and all(key in after for key in index.keys)
    old = projected(before, table, index) if was and before is not None else None
    new = projected(after, table, index) if now and after is not None else None
    if old is None:  # entering the index: one put (or not in it at all)
        return 0 if new is None else units(item_size(new))
    if new is None:  # leaving it: one delete
        return units(item_size(old))
    if any(old[key] != new[key] for key in index.keys):  # the key moved: delete the old entry, put the new
        return units(item_size(old)) + units(item_size(new))
    if old != new:  # projected attributes changed in place
        return units(max(item_size(old), item_size(new)))
    return 0


def cost(write: Write, table: Table) -> Cost:
    """What one item's write costs, by the rules above."""
    factor = 2 if write.transactional else 1
    if write.failed or write.check_only:
        return Cost(factor * units(item_size(write.before or {})))
    size = max(item_size(write.before or {}), item_size(write.after or {}))
    indexes = {index.name: index_units(table, index, write.before, write.after) for index in table.indexes}
    return Cost(factor * units(size), {name: spent for name, spent in indexes.items() if spent})


@dataclass(frozen=True)
class Tally(Cost):
    """Write units of many writes, on their tables and on each index (by `table.index`), and the items written."""

    items: int = 0


def tally(writes: Iterable[Write], shapes: Mapping[str, Table]) -> Tally:
    items = table_units = 0
    indexes: dict[str, int] = {}
    for write in writes:
        spent = cost(write, shapes[write.table])
        items += 0 if write.failed or write.check_only else 1
        table_units += spent.table
        for name, count in spent.indexes.items():
            indexes[f"{write.table}.{name}"] = indexes.get(f"{write.table}.{name}", 0) + count
    return Tally(table_units, indexes, items)


def tables() -> dict[str, Table]:
    """Every DynamoDB table of template.yaml by its name (TableName, else its logical id, as moto builds it)."""
    shapes = {}
    for logical_id, spec in resources("AWS::DynamoDB::Table").items():
        properties = resolve(spec["Properties"])
        name = properties.get("TableName", logical_id)
        shapes[name] = Table(
            name,
            tuple(key["AttributeName"] for key in properties["KeySchema"]),
            tuple(_index(spec) for spec in properties.get("GlobalSecondaryIndexes", [])),
        )
    return shapes


def _index(spec: Mapping[str, Any]) -> Index:
    projection = spec.get("Projection", {})
    return Index(
        spec["IndexName"],
        tuple(key["AttributeName"] for key in spec["KeySchema"]),
        projection.get("ProjectionType", "KEYS_ONLY"),
        frozenset(projection.get("NonKeyAttributes", ())),
    )


def _raw(content: Any) -> bytes:
    return bytes(content) if isinstance(content, bytes | bytearray) else base64.b64decode(content)
