"""`concurrencyKey` + `concurrencyLimit`: at most N runs of the jobs sharing a key at once, across the fleet.

The claim takes a slot of the key's counter in its own transaction and the finish (or lost-run recovery)
gives it back in its own, so the counter always equals the runs held; a job finding no slot stays due and
is claimed once one frees (the finish wakes the tick).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from devtools.stack import Stack
from serverless_jobs.usecases.claim import Refused, claim_manual

KEY = "tenant-7"


def create_herd(stack: Stack, count: int, limit: int, key: str = KEY, **fields: Any) -> list[str]:
    """`count` one-time jobs due now sharing `key`; the API starts each at once if a slot is free."""
    fields = {"concurrencyKey": key, "concurrencyLimit": limit, "timeoutSeconds": 30, **fields}
    return [stack.create(**fields)["id"] for _ in range(count)]


def holding(stack: Stack, job_ids: Iterable[str]) -> int:
    """How many of the jobs hold a run (claimed, not yet finished or recovered)."""
    held = 0
    for job_id in job_ids:
        job = stack.jobs.get(job_id)
        held += job is not None and job.run_id is not None
    return held


def check_slots(stack: Stack, job_ids: list[str], limit: int, key: str = KEY) -> int:
    """The key's counter equals the runs its jobs hold, and is within the limit; the count."""
    held = holding(stack, job_ids)
    assert stack.jobs.slots_held(key) == held
    assert held <= limit
    return held


def statuses(stack: Stack, job_ids: Iterable[str]) -> list[str]:
    return [stack.job(job_id)["status"] for job_id in job_ids]


def test_the_fields_are_shown_and_a_key_needs_its_limit(stack: Stack) -> None:
    job = stack.create(concurrencyKey=KEY, concurrencyLimit=2, schedule="0 3 * * *")
    assert (job["concurrencyKey"], job["concurrencyLimit"]) == (KEY, 2)

    refused: list[tuple[dict[str, Any], str]] = [
        ({"concurrencyKey": KEY}, "concurrencyLimit"),
        ({"concurrencyLimit": 2}, "concurrencyKey"),
        ({"concurrencyKey": KEY, "concurrencyLimit": 0}, "concurrencyLimit"),
        ({"concurrencyKey": "no spaces", "concurrencyLimit": 1}, "concurrencyKey"),
    ]
    for fields, named in refused:
        reply = stack.api.post("/jobs", {"name": "job", "handler": "echo", **fields})
        assert reply.status == 400, fields
        assert named in reply.body["message"]

    reply = stack.api.put(f"/jobs/{job['id']}", {"concurrencyLimit": None})
    assert reply.status == 400
    assert "concurrencyLimit" in reply.body["message"]
    cleared = stack.api.put(f"/jobs/{job['id']}", {"concurrencyKey": None, "concurrencyLimit": None}).body
    assert (cleared["concurrencyKey"], cleared["concurrencyLimit"]) == (None, None)


def test_the_listing_never_shows_a_slot_counter(stack: Stack) -> None:
    job_ids = create_herd(stack, 2, limit=1)
    assert sorted(stack.listed()) == sorted(job_ids)


def test_a_herd_sharing_a_key_never_runs_past_its_limit_and_all_of_it_runs(stack: Stack) -> None:
    job_ids = create_herd(stack, 7, limit=3)
    assert check_slots(stack, job_ids, 3) == 3  # the API started three; four wait, due

    rounds = 0
    while any(status != "completed" for status in statuses(stack, job_ids)):
        rounds += 1
        assert rounds < 10
        stack.tick()  # claims nothing while the slots are taken
        assert check_slots(stack, job_ids, 3) <= 3
        stack.deliver()  # the runs finish, each freeing its slot and waking the tick
        assert check_slots(stack, job_ids, 3) == 0
        stack.wake()  # the woken passes claim the waiters at once, in due order
        check_slots(stack, job_ids, 3)

    assert stack.jobs.slots_held(KEY) == 0
    assert all(len(stack.history(job_id)) == 1 for job_id in job_ids)


def test_racing_ticks_claim_no_more_than_the_limit_between_them(stack: Stack) -> None:
    due_at = (stack.clock.now() + timedelta(seconds=10)).isoformat()
    job_ids = create_herd(stack, 6, limit=2, runAt=due_at)
    assert check_slots(stack, job_ids, 2) == 0
    stack.clock.advance(11)

    with ThreadPoolExecutor(3) as pool:
        for future in [pool.submit(stack.tick) for _ in range(3)]:
            future.result()

    assert check_slots(stack, job_ids, 2) == 2
    assert len(stack.invocations.payloads) == 2  # two runs dispatched, once each


def test_a_waiting_job_is_claimed_when_the_slot_frees_without_waiting_for_the_next_minute(stack: Stack) -> None:
    first, second = create_herd(stack, 2, limit=1)
    assert statuses(stack, [first, second]) == ["running", "pending"]

    [result] = stack.deliver()
    assert result["jobId"] == first
    stack.wake()  # the finish's wake: the clock has not reached the next minute's tick
    assert statuses(stack, [first, second]) == ["completed", "running"]
    assert check_slots(stack, [first, second], 1) == 1


def test_jobs_waiting_for_a_slot_start_in_due_order_across_shards(stack: Stack) -> None:
    job_ids = []
    for _ in range(6):  # a millisecond apart: the creation order is the due order
        job_ids += create_herd(stack, 1, limit=2)
        stack.clock.advance(0.001)
    assert statuses(stack, job_ids) == ["running"] * 2 + ["pending"] * 4  # free slots: started by the API
    assert len({stack.jobs.get(job_id).due_shard for job_id in job_ids[2:]}) > 1  # type: ignore[union-attr]

    order: list[str] = []
    while len(order) < len(job_ids):
        order += [result["jobId"] for result in stack.deliver()]
        stack.wake()  # each finish wakes a pass, which claims the soonest due waiter

    assert order == job_ids


def test_a_job_created_while_another_waits_for_the_freed_slot_does_not_pass_it(stack: Stack) -> None:
    _, second = create_herd(stack, 2, limit=1)
    stack.clock.advance(0.001)
    stack.deliver()  # the first finishes: its slot is free, and the pass its finish woke has not run yet

    [third] = create_herd(stack, 1, limit=1)
    assert statuses(stack, [second, third]) == ["pending", "pending"]  # the second waits longer: its turn

    order: list[str] = []
    while len(order) < 2:
        stack.clock.advance(0.001)  # a pass after a mark, not in its millisecond
        stack.wake()
        order += [result["jobId"] for result in stack.deliver()]
    assert order == [second, third]
    assert stack.jobs.slots_held(KEY) == 0

    [fourth] = create_herd(stack, 1, limit=1)  # nobody waits now: a free slot is taken at once
    assert statuses(stack, [fourth]) == ["running"]


def test_a_waiting_mark_whose_job_is_gone_holds_up_one_create_for_a_pass_only(stack: Stack) -> None:
    _, second = create_herd(stack, 2, limit=1)
    assert stack.api.delete(f"/jobs/{second}").status == 204  # it waited, and will not run
    stack.deliver()
    stack.wake()  # the finish's pass: no job of the key is due

    [third] = create_herd(stack, 1, limit=1)  # the stale mark refuses the API's claim; the create wakes a pass
    stack.clock.advance(0.001)
    stack.wake()
    assert statuses(stack, [third]) == ["running"]
    stack.deliver()
    [fourth] = create_herd(stack, 1, limit=1)
    assert statuses(stack, [fourth]) == ["running"]  # that pass took the mark away


def test_triggering_a_job_whose_key_has_no_free_slot_is_a_409_and_changes_nothing(stack: Stack) -> None:
    [running] = create_herd(stack, 1, limit=1)
    scheduled = stack.create(concurrencyKey=KEY, concurrencyLimit=1, schedule="0 3 * * *")

    reply = stack.api.post(f"/jobs/{scheduled['id']}/trigger")
    assert reply.status == 409
    assert reply.body["message"] == (  # the one reason, not "started meanwhile, or no free slot"
        f"job '{scheduled['id']}' cannot be triggered now: its concurrencyKey has no free slot (all 1 of key "
        f"'{KEY}' are held); trigger it again once a run of the key ends"
    )
    assert stack.job(scheduled["id"]) == scheduled
    assert check_slots(stack, [running, scheduled["id"]], 1) == 1


def test_a_refused_claim_says_whether_the_key_was_full_or_the_job_changed_first(stack: Stack) -> None:
    create_herd(stack, 1, limit=1)
    scheduled = stack.create(concurrencyKey=KEY, concurrencyLimit=1, schedule="0 3 * * *")
    deps = stack.deps()
    seen = deps.jobs.get(scheduled["id"])
    assert seen is not None
    assert claim_manual(deps, seen, stack.clock.now()) is Refused.SLOT_FULL

    stack.deliver()  # the running job's run ends: its slot is free
    assert stack.api.put(f"/jobs/{seen.id}", {"name": "renamed"}).status == 200
    assert claim_manual(deps, seen, stack.clock.now()) is Refused.LOST_RACE  # the copy read before the edit
    assert (stack.job(seen.id)["status"], stack.jobs.slots_held(KEY)) == ("pending", 0)


def test_a_lost_run_gives_its_slot_back_when_its_lease_expires(stack: Stack) -> None:
    lost, waiting = create_herd(stack, 2, limit=1, maxAttempts=1)
    stack.delivered += 1  # the executor for the first run never starts (its event is lost)
    assert check_slots(stack, [lost, waiting], 1) == 1

    stack.clock.advance(30 + stack.settings.lease_margin_seconds + 1)
    report = stack.tick()
    assert report["recovered"] == 1
    assert stack.job(lost)["status"] == "failed"
    stack.tick()  # the next pass claims the waiter
    assert stack.job(waiting)["status"] == "running"
    assert check_slots(stack, [lost, waiting], 1) == 1
    stack.deliver()
    assert check_slots(stack, [lost, waiting], 1) == 0


def test_cancelling_a_job_before_its_run_starts_gives_its_slot_back_when_its_executor_comes(stack: Stack) -> None:
    [job_id] = create_herd(stack, 1, limit=1)
    assert stack.api.post(f"/jobs/{job_id}/cancel").status == 200
    assert check_slots(stack, [job_id], 1) == 1  # the claimed run is held: it may have begun (decision 0076)
    assert [result["outcome"] for result in stack.deliver()] == ["skipped"]  # it had not: its executor lets go
    assert check_slots(stack, [job_id], 1) == 0
    assert stack.history(job_id) == []  # a run detached before it began leaves no entry
    assert stack.job(job_id)["status"] == "cancelled"


def test_a_job_waiting_for_the_slot_of_a_run_cancelled_before_it_began_starts_at_once(stack: Stack) -> None:
    first, second = create_herd(stack, 2, limit=1)
    assert statuses(stack, [first, second]) == ["running", "pending"]
    assert stack.api.post(f"/jobs/{first}/cancel").status == 200

    assert [result["outcome"] for result in stack.deliver()] == ["skipped"]  # first's run had not begun
    stack.wake()  # its executor let go of the slot and woke a pass: not the next minute's tick

    assert statuses(stack, [first, second]) == ["cancelled", "running"]
    assert check_slots(stack, [first, second], 1) == 1
    assert stack.history(first) == []


def test_a_running_job_given_a_full_key_keeps_its_run_and_takes_a_slot(stack: Stack) -> None:
    [holder] = create_herd(stack, 1, limit=1)
    runner = stack.create()["id"]  # no key: started at once
    assert stack.job(runner)["status"] == "running"

    reply = stack.api.put(f"/jobs/{runner}", {"concurrencyKey": KEY, "concurrencyLimit": 1})
    assert reply.status == 200
    assert stack.jobs.slots_held(KEY) == 2  # both runs are out; the key is over its limit until they end
    stack.deliver()
    assert check_slots(stack, [holder, runner], 1) == 0


def test_deleting_a_running_job_gives_its_slot_back(stack: Stack) -> None:
    [job_id] = create_herd(stack, 1, limit=1)
    assert stack.api.delete(f"/jobs/{job_id}").status == 204
    assert stack.jobs.slots_held(KEY) == 0


def test_slots_never_leak_under_random_claims_finishes_lost_runs_and_duplicate_deliveries(stack: Stack) -> None:
    rng = random.Random(14)
    keys = {"a": 2, "b": 1}
    herd = {
        key: create_herd(stack, 5, limit, key=key, maxAttempts=2, retryBackoffSeconds=1) for key, limit in keys.items()
    }
    delivered: list[dict[str, Any]] = []

    def check() -> None:
        for key, limit in keys.items():
            check_slots(stack, herd[key], limit, key)

    for _ in range(40):
        step = rng.choice(["tick", "deliver", "lose", "duplicate", "advance", "wake"])
        pending = stack.invocations.payloads[stack.delivered :]
        if step == "tick":
            stack.tick()
        elif step == "deliver" and pending:
            stack.delivered += 1
            delivered.append(pending[0])
            stack.execute(pending[0])
        elif step == "lose" and pending:
            stack.delivered += 1  # the run's executor never starts
        elif step == "duplicate" and delivered:
            assert stack.execute(rng.choice(delivered))["outcome"] == "skipped"
        elif step == "advance":
            stack.clock.advance(rng.choice([1, 20, 40]))
        elif step == "wake":
            stack.wake()
        check()

    # Everything settles: lost runs are recovered, every job ends, and no slot stays taken.
    every_job = [job_id for jobs in herd.values() for job_id in jobs]
    for _ in range(20):
        if all(status in ("completed", "failed") for status in statuses(stack, every_job)):
            break
        stack.clock.advance(60)
        stack.tick()
        stack.deliver()
        stack.wake()
        stack.deliver()
        check()
    assert all(status in ("completed", "failed") for status in statuses(stack, every_job))
    assert all(stack.jobs.slots_held(key) == 0 for key in keys)
    endings = {run["status"] for job_id in every_job for run in stack.history(job_id)}
    assert {"completed", "timed_out"} <= endings  # the walk did lose runs, and they were recovered
