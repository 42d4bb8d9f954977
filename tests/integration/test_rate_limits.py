"""`rateLimit: {key, limit, periodSeconds}`: at most `limit` run starts of the jobs sharing a key in any
`periodSeconds`, across the fleet, as a sliding window (decision "Rate limits").

A start is a claim (scheduled, retry or manual): it writes its time on a free place of the key's window in
the claim's own transaction. A due job finding no free place stays due, and a pass comes again (an alarm on
the SQS timer) when the oldest start leaves the window: not sooner (no spinning), not later (no waiting for
the next minute).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from devtools.dynamo import dynamodb_calls
from devtools.stack import Stack
from serverless_jobs.domain.timefmt import from_millis, iso_z, to_millis

KEY = "partner-api"


def limited(limit: int, period: int, key: str = KEY) -> dict[str, Any]:
    return {"rateLimit": {"key": key, "limit": limit, "periodSeconds": period}}


def create_herd(stack: Stack, count: int, limit: int, period: int, key: str = KEY, **fields: Any) -> list[str]:
    """`count` jobs sharing `key`; without `runAt` each is due now and the API starts it if the key allows."""
    return [stack.create(**limited(limit, period, key), timeoutSeconds=30, **fields)["id"] for _ in range(count)]


def starts(stack: Stack, job_ids: Iterable[str]) -> list[int]:
    """Every start (claim) of the jobs, as epoch ms, from their history and their runs still out."""
    history = stack.deps().history
    claimed: set[tuple[str, int]] = set()
    for job_id in job_ids:
        claimed |= {(run.id, run.claimed_at) for run in history.page(job_id, 100, None).items if run.attempt > 0}
        job = stack.jobs.get(job_id)
        if job is not None and job.run_id is not None and job.last_run_at is not None:
            claimed.add((job.run_id, job.last_run_at))
    return sorted(at for _, at in claimed)


def most_in_any_window(times: list[int], period: int) -> int:
    """The most starts that any half-open interval of `period` seconds holds."""
    return max((sum(1 for other in times if start <= other < start + period * 1000) for start in times), default=0)


def statuses(stack: Stack, job_ids: Iterable[str]) -> list[str]:
    return [stack.job(job_id)["status"] for job_id in job_ids]


def test_a_key_with_limit_2_starts_two_of_three_due_jobs_then_the_third_as_the_oldest_start_leaves(
    stack: Stack,
) -> None:
    job_ids = create_herd(stack, 3, limit=2, period=60)
    assert statuses(stack, job_ids) == ["running", "running", "pending"]
    first_start = starts(stack, job_ids)[0]
    stack.deliver()

    stack.clock.advance(30)
    assert stack.tick()["dispatched"] == 0  # finished or not, both starts are in the window
    report = stack.tick(remaining_millis=65_000)  # a whole minute's invocation: an alarm for the place freeing
    assert (report["dispatched"], report["passes"], report["slept"]) == (0, 1, 0.0)
    [alarm] = stack.fire_timers()  # no spinning: one pass now, one when the oldest start leaves the window
    assert alarm == {"batchItemFailures": []}
    assert stack.job(job_ids[2])["status"] == "running"
    assert starts(stack, job_ids)[-1] == first_start + 60_000  # to the millisecond, not at the next minute


@pytest.mark.parametrize(
    ("limit", "period", "started"),
    [(1, 5, [0, 5000, 10_000]), (2, 10, [0, 1, 10_000, 10_001, 20_000])],
)
def test_waiting_jobs_each_start_as_a_place_frees_from_the_woken_tick_not_at_the_next_minute(
    stack: Stack, limit: int, period: int, started: list[int]
) -> None:
    # The API starts what the key allows and sets an alarm for the first place to free; nothing is written
    # for the waiters after that one, so each alarm's pass that takes a place sets the next, as it frees.
    stack.deliver_at_once()
    created = to_millis(stack.clock.now())
    job_ids = []
    for _ in started:  # a millisecond apart: the creation order is the due order
        job_ids += create_herd(stack, 1, limit, period)
        stack.clock.advance(0.001)

    stack.fire_timers()

    assert statuses(stack, job_ids) == ["completed"] * len(started)
    assert [starts(stack, [job_id])[0] - created for job_id in job_ids] == started


def test_the_field_is_shown_changed_and_cleared_and_bad_values_are_400s_naming_the_field(stack: Stack) -> None:
    job = stack.create(**limited(5, 60), schedule="0 3 * * *")
    assert job["rateLimit"] == {"key": KEY, "limit": 5, "periodSeconds": 60}

    refused: list[tuple[Any, str]] = [
        ({"key": KEY, "limit": 0, "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": 1001, "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": "5", "periodSeconds": 60}, "rateLimit.limit"),
        ({"key": KEY, "limit": 5, "periodSeconds": 0}, "rateLimit.periodSeconds"),
        ({"key": KEY, "limit": 5, "periodSeconds": 86_401}, "rateLimit.periodSeconds"),
        ({"key": "no spaces", "limit": 5, "periodSeconds": 60}, "rateLimit.key"),
        ({"limit": 5, "periodSeconds": 60}, "rateLimit.key"),
        ({"key": KEY, "limit": 5, "periodSeconds": 60, "burst": 2}, "rateLimit.burst"),
        ("5/minute", "rateLimit"),
    ]
    for value, named in refused:
        reply = stack.api.post("/jobs", {"name": "job", "handler": "echo", "rateLimit": value})
        assert reply.status == 400, value
        assert reply.body["message"].startswith(named), reply.body
        reply = stack.api.put(f"/jobs/{job['id']}", {"rateLimit": value})
        assert reply.status == 400, value
        assert reply.body["message"].startswith(named), reply.body
    assert stack.job(job["id"]) == job

    changed = stack.api.put(f"/jobs/{job['id']}", limited(2, 3600, "other")).body
    assert changed["rateLimit"] == {"key": "other", "limit": 2, "periodSeconds": 3600}
    cleared = stack.api.put(f"/jobs/{job['id']}", {"rateLimit": None}).body
    assert cleared["rateLimit"] is None
    assert stack.job(job["id"])["rateLimit"] is None


def test_retries_count_as_starts_and_wait_for_the_window(stack: Stack) -> None:
    job_id = stack.create(
        **limited(1, 60), handler="fail", data={"message": "boom"}, maxAttempts=2, retryBackoffSeconds=1
    )["id"]
    first_start = starts(stack, [job_id])[0]
    stack.deliver()  # fails; its retry is due a second later
    stack.clock.advance(2)
    assert stack.tick()["dispatched"] == 0
    assert stack.job(job_id)["status"] == "pending"

    stack.clock.advance(40)
    assert stack.tick(remaining_millis=65_000)["dispatched"] == 0  # an alarm for when the place frees
    stack.fire_timers()
    assert starts(stack, [job_id]) == [first_start, first_start + 60_000]
    stack.deliver()
    assert [(run["attempt"], run["trigger"]) for run in stack.history(job_id)] == [(2, "retry"), (1, "schedule")]


def test_triggering_a_job_whose_key_has_no_start_left_is_a_409_saying_when_and_changes_nothing(
    stack: Stack, snapshot: Any
) -> None:
    [started] = create_herd(stack, 1, limit=1, period=600)
    scheduled = stack.create(**limited(1, 600), schedule="0 3 * * *")
    frees = from_millis(starts(stack, [started])[0]) + timedelta(seconds=600)
    before = snapshot()

    reply = stack.api.post(f"/jobs/{scheduled['id']}/trigger")
    assert reply.status == 409
    assert f"rateLimit key '{KEY}' has no start left" in reply.body["message"]
    assert iso_z(frees) in reply.body["message"]
    assert snapshot() == before

    stack.clock.advance(600)
    assert stack.api.post(f"/jobs/{scheduled['id']}/trigger").status == 202  # a manual run is a start too
    assert statuses(stack, [scheduled["id"]]) == ["running"]


def test_with_a_concurrency_key_both_must_pass_and_a_refused_slot_takes_no_start(stack: Stack) -> None:
    both = {**limited(2, 60), "concurrencyKey": "tenant", "concurrencyLimit": 1, "timeoutSeconds": 30}
    first, second = (stack.create(**both)["id"] for _ in range(2))
    assert statuses(stack, [first, second]) == ["running", "pending"]  # the slot refused the second
    assert len(stack.jobs.rate_window(KEY)) == 1  # and its refused claim wrote no start

    stack.deliver()
    stack.wake()  # the freed slot wakes the tick: the second has its slot and the window's second start
    assert statuses(stack, [first, second]) == ["completed", "running"]
    assert len(starts(stack, [first, second])) == 2

    third = stack.create(**both)["id"]  # a free slot once the second ends, but no start left for a minute
    stack.deliver()
    stack.wake()
    assert statuses(stack, [second, third]) == ["completed", "pending"]
    stack.clock.advance(60)
    stack.tick()
    assert statuses(stack, [third]) == ["running"]


def test_waiting_jobs_start_in_due_order_across_shards_one_as_each_place_frees(stack: Stack) -> None:
    now = stack.clock.now()
    job_ids = create_herd(stack, 5, limit=1, period=10, runAt=iso_z(now + timedelta(seconds=1)))
    # due a millisecond apart, created in an order that is not the due order, on shards the ids spread over
    due_order = list(reversed(job_ids))
    for offset, job_id in enumerate(due_order):
        runs_at = iso_z(now + timedelta(seconds=1, milliseconds=offset))
        assert stack.api.put(f"/jobs/{job_id}", {"runAt": runs_at}).status == 200
    assert len({stack.jobs.get(job_id).due_shard for job_id in job_ids}) > 1  # type: ignore[union-attr]
    stack.clock.advance(2)
    stack.alarms.fired = len(stack.timers.sent)  # the writes' own alarms are lost: the minute's tick serves them

    report = stack.tick(remaining_millis=65_000)
    assert (report["dispatched"], report["passes"]) == (1, 1)  # and an alarm for when the place frees
    passes = stack.fire_timers()
    assert len(passes) == 4  # one per start, each when the place frees: nothing spins between
    assert stack.sleeps == []
    claimed = [starts(stack, [job_id])[0] for job_id in due_order]
    assert claimed == sorted(claimed)
    assert [later - earlier for earlier, later in pairwise(claimed)] == [10_000] * 4


def test_twenty_jobs_waiting_on_one_key_cost_a_pass_one_read_and_no_write(stack: Stack) -> None:
    create_herd(stack, 21, limit=1, period=60, runAt=iso_z(stack.clock.now() + timedelta(seconds=1)))
    stack.clock.advance(2)
    assert stack.tick()["dispatched"] == 1
    stack.clock.advance(10)

    with dynamodb_calls() as calls:
        report = stack.tick()

    assert (report["examined"], report["dispatched"]) == (20, 0)
    assert calls["GetItem"] == 1  # the key's window, read by the soonest waiter; the 19 after it read nothing
    assert calls["TransactWriteItems"] + calls["UpdateItem"] == 0


def test_racing_ticks_start_no_more_than_the_limit_between_them(stack: Stack) -> None:
    runs_at = iso_z(stack.clock.now() + timedelta(seconds=10))
    job_ids = create_herd(stack, 6, limit=2, period=60, runAt=runs_at)
    stack.clock.advance(11)

    with ThreadPoolExecutor(3) as pool:
        for future in [pool.submit(stack.tick) for _ in range(3)]:
            future.result()

    assert len(stack.invocations.payloads) == 2  # two runs dispatched, once each
    assert len(starts(stack, job_ids)) == 2
    assert len(stack.jobs.rate_window(KEY)) == 2


def test_the_listing_never_shows_a_rate_window(stack: Stack) -> None:
    job_ids = create_herd(stack, 2, limit=5, period=60)
    assert sorted(stack.listed()) == sorted(job_ids)


def test_no_window_ever_holds_more_than_the_limit_under_random_races_triggers_lost_runs_and_duplicates(
    stack: Stack,
) -> None:
    rng = random.Random(1415)
    keys = {"a": (2, 15), "b": (1, 10)}
    herd = {
        key: create_herd(stack, 3, limit, period, key=key, schedule="4s", maxAttempts=2, retryBackoffSeconds=1)
        for key, (limit, period) in keys.items()
    }
    every_job = [job_id for jobs in herd.values() for job_id in jobs]
    delivered: list[dict[str, Any]] = []

    for _ in range(80):
        step = rng.choice(["tick", "race", "deliver", "deliver", "lose", "duplicate", "trigger", "advance", "wake"])
        pending = stack.invocations.payloads[stack.delivered :]
        if step == "tick":
            stack.tick()
        elif step == "race":  # two ticks and a trigger at once
            with ThreadPoolExecutor(3) as pool:
                trigger = pool.submit(stack.api.post, f"/jobs/{rng.choice(every_job)}/trigger")
                for future in [pool.submit(stack.tick), pool.submit(stack.tick)]:
                    future.result()
                assert trigger.result().status in (202, 409)
        elif step == "deliver" and pending:
            stack.delivered += 1
            delivered.append(pending[0])
            stack.execute(pending[0])
        elif step == "lose" and pending:
            stack.delivered += 1  # the run's executor never starts: its lease runs out, the tick retries
        elif step == "duplicate" and delivered:
            assert stack.execute(rng.choice(delivered))["outcome"] == "skipped"
        elif step == "trigger":
            assert stack.api.post(f"/jobs/{rng.choice(every_job)}/trigger").status in (202, 409)
        elif step == "advance":
            stack.clock.advance(rng.choice([2, 10, 25, 95]))
        elif step == "wake":
            stack.wake()
        for key, (limit, _) in keys.items():
            assert len(stack.jobs.rate_window(key)) <= limit

    # Every start ever made is in history (or is a run still out): no window of the walk held more than
    # the limit, the walk did fill each window, and it went on past it.
    for key, (limit, period) in keys.items():
        times = starts(stack, herd[key])
        assert most_in_any_window(times, period) == limit
        assert len(times) > 2 * limit
