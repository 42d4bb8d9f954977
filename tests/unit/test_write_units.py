"""The write-unit model bench/run_writes and bench/run_cost count with, on hand-worked examples.

Each expected figure is worked out by hand from DynamoDB's rules (bench/write_units.py names them): item
sizes, 1 KB a unit, transactions doubling the table's units, and a GSI's put, delete, or both when its key
moves. tests/integration/test_write_capture.py records real requests on moto through botocore and costs them.
"""

from __future__ import annotations

from typing import Any

from bench.write_units import Cost, Index, Table, Write, cost, item_size, number_size, tables, tally, units

JOBS = Table("jobs", ("id",), (Index("due", ("shard", "at")), Index("status", ("status", "created"))))


def job(size: int = 0, **attributes: Any) -> dict[str, Any]:
    """A job item in wire form: id, shard, at, status, created; `pad` brings it to `size` bytes if given."""
    item: dict[str, Any] = {
        "id": {"S": "j1"},  # 2 + 2
        "shard": {"S": "3"},  # 5 + 1
        "at": {"N": "1764320400000"},  # 2 + (17643204: ceil(8 significant digits / 2) + 1 = 5)
        "status": {"S": "pending"},  # 6 + 7
        "created": {"N": "1"},  # 7 + 2
        **attributes,
    }
    if size:
        item["pad"] = {"S": "x" * (size - item_size(item) - len("pad"))}
    return item


def test_sizes_follow_dynamodbs_item_size_rules() -> None:
    assert item_size(job()) == 4 + 6 + 7 + 13 + 9
    assert number_size("100") == 2  # trailing zeros trimmed: one significant digit
    assert number_size("-12.50") == 3  # 1, 2, 5
    assert number_size("0") == 2
    assert item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"l": {"L": [{"N": "1"}, {"BOOL": True}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert item_size({"ss": {"SS": ["ab", "c"]}, "b": {"B": b"\x00\x01"}}) == 2 + 3 + 1 + 2
    assert item_size(job(1024)) == 1024


def test_a_unit_covers_one_kb_rounded_up_and_at_least_one() -> None:
    assert [units(0), units(1), units(1024), units(1025), units(4096)] == [1, 1, 1, 2, 4]


def test_a_new_item_is_one_put_on_the_table_and_on_each_index_whose_keys_it_has() -> None:
    assert cost(Write("jobs", None, job(1000)), JOBS) == Cost(1, {"due": 1, "status": 1})
    idle = {name: value for name, value in job(1000).items() if name != "shard"}  # sparse: not in `due`
    assert cost(Write("jobs", None, idle), JOBS) == Cost(1, {"status": 1})


def test_moving_an_index_key_costs_a_delete_and_a_put_on_that_index() -> None:
    before = job(1000)
    after = {**before, "at": {"N": "1764320460000"}, "status": {"S": "running"}}
    # both indexes' keys moved; each ALL entry is the whole 1,000-byte item: 1 unit each way
    assert cost(Write("jobs", before, after), JOBS) == Cost(1, {"due": 2, "status": 2})


def test_changing_only_projected_attributes_costs_one_write_per_index_that_projects_them() -> None:
    before = job(1000, runId={"S": "r1"})
    after = {**before, "runId": {"S": "r2"}}
    assert cost(Write("jobs", before, after), JOBS) == Cost(1, {"due": 1, "status": 1})
    keys_only = Table("jobs", ("id",), (Index("due", ("shard", "at"), "KEYS_ONLY"),))
    assert cost(Write("jobs", before, after), keys_only) == Cost(1)
    included = Table("jobs", ("id",), (Index("due", ("shard", "at"), "INCLUDE", frozenset({"runId"})),))
    assert cost(Write("jobs", before, after), included) == Cost(1, {"due": 1})
    assert cost(Write("jobs", before, before), JOBS) == Cost(1)  # nothing changed: no index write


def test_an_item_leaving_a_sparse_index_costs_one_delete_there() -> None:
    before = job(1000)
    after = {name: value for name, value in before.items() if name not in ("shard", "at")}
    after["status"] = {"S": "completed"}
    assert cost(Write("jobs", before, after), JOBS) == Cost(1, {"due": 1, "status": 2})


def test_the_larger_image_and_the_index_entries_are_costed_by_their_size() -> None:
    before, after = job(1000), job(1500, at={"N": "2"})
    assert cost(Write("jobs", before, after), JOBS) == Cost(2, {"due": 1 + 2, "status": 2})
    keys_only = Table("jobs", ("id",), (Index("due", ("shard", "at"), "KEYS_ONLY"),))
    assert cost(Write("jobs", before, after), keys_only) == Cost(2, {"due": 2})  # two small entries
    assert cost(Write("jobs", after, None), JOBS) == Cost(2, {"due": 2, "status": 2})  # a delete


def test_a_transaction_doubles_the_tables_units_not_the_indexes() -> None:
    before = job(1000)
    after = {**before, "at": {"N": "3"}}
    assert cost(Write("jobs", before, after, transactional=True), JOBS) == Cost(2, {"due": 2, "status": 1})
    assert cost(Write("jobs", before, before, transactional=True, check_only=True), JOBS) == Cost(2)


def test_a_failed_condition_costs_the_existing_items_size_and_no_index() -> None:
    assert cost(Write("jobs", job(2000), job(2000), failed=True), JOBS) == Cost(2)
    assert cost(Write("jobs", None, None, failed=True), JOBS) == Cost(1)
    assert cost(Write("jobs", job(100), job(100), transactional=True, failed=True), JOBS) == Cost(2)


def test_a_tally_sums_the_items_tables_and_each_index() -> None:
    writes = [Write("jobs", None, job(100)), Write("jobs", job(100), {**job(100), "at": {"N": "5"}}, True)]
    counted = tally(writes, {"jobs": JOBS})
    assert (counted.items, counted.table, dict(counted.indexes)) == (2, 3, {"jobs.due": 3, "jobs.status": 2})
    assert counted.total == 8


def test_the_tables_are_read_from_the_template() -> None:
    shapes = tables()
    assert shapes["JobsTable"].keys == ("id",)
    assert shapes["JobsTable"].indexes == (
        Index("due", ("dueShard", "nextRunAt"), "ALL"),
        Index("byStatus", ("status", "createdAt"), "ALL"),
    )
    assert shapes["HistoryTable"].indexes == (
        Index("owedNotifications", ("notifyOwed", "notifyAt"), "INCLUDE", frozenset({"notifyHandOffs"})),
    )
    assert shapes["LabelsTable"].indexes == ()
