"""The SQS timer's receiving side (decision 0075): the dispatch function hears a batch of alarms and passes
over their shards at their instants.

Each alarm shows up to a second before its instant (usecases.alarms rounds its delay down); the pass waits
out only that remainder (the injected sleep, never past the Lambda's remaining time less the margin), then
runs the tick's pass (`run_pass`) over the shards due then. The batch's alarms are merged first: alarms for
the same shard and instant make one pass, and a shard's soonest instant is the one passed at.

A pass looks ahead on its shards, as the tick's do. Up to the batch's `until` (the end of the minute whose
tick set the chain; a write's alarm has none), what it finds is served too: due within a second, by waiting
in this invocation and passing again; further, by an alarm of its own (this is how the tick learns the
jobs due later in its minute on a shard: one alarm at a time, each the soonest then that no write alarmed,
for one look-ahead Query and one message each: usecases.chain). Jobs a pass leaves waiting for their rate
limit extend `until` within a minute when the pass took a place (usecases.tick.serving_waits), so they are
served as places free.

Nothing here loses work: a pass that fails or is cut short leaves its jobs in the `due` index, and the
minute's tick claims them; a duplicate alarm is harmless (a claim is a conditional write that admits one).
A stopped runner dispatches nothing here either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.ports import Alarm, Dispatcher
from serverless_jobs.usecases.chain import Relay, alarm_far
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.tick import (
    FAILED,
    SAFETY_MARGIN_SECONDS,
    WINDOW_SECONDS,
    TickReport,
    due_shards,
    earliest,
    guarded,
    looked_again,
    run_pass,
    serving_waits,
)


def run_alarms(
    deps: Deps,
    dispatcher: Dispatcher,
    alarms: Sequence[Alarm],
    *,
    remaining_seconds: Callable[[], float],
    is_running: Callable[[], bool],
    sleep: Callable[[float], object],
) -> TickReport:
    """Pass over each alarm's shards at its instant, and what their look-ahead finds before the batch's
    `until`, as the module says; the passes' report (`slept`: the waits, each at most about a second)."""
    if not alarms:
        return TickReport(passes=0)
    clock = deps.clock
    known: dict[int, int | None] = {}  # each shard's next instant to pass at
    for alarm in alarms:
        for shard in map(int, alarm.shards):
            known[shard] = min(alarm.at, known.get(shard) or alarm.at)
    deadline = from_millis(max(max(alarm.until, alarm.at + 1) for alarm in alarms))
    window_ends = from_millis(min(alarm.at for alarm in alarms)) + timedelta(seconds=WINDOW_SECONDS)
    alarmed: dict[int, int] = {}
    relays: dict[int, Relay] = {}  # the shards whose soonest job its write alarmed, as the last look saw
    total = TickReport(passes=0)
    while True:
        # an alarm shown long before its instant (a clock's step) is set again rather than waited for
        known = alarm_far(deps, known, deadline, alarmed, relays)
        wake_at = earliest([from_millis(due) for due in known.values() if due is not None])
        if wake_at is None or wake_at >= deadline:
            break
        allowed = remaining_seconds() - SAFETY_MARGIN_SECONDS
        if allowed <= 0:
            break  # the jobs stay due: the minute's tick claims them
        # read before the wait, so the pass follows it at once (a switch stopped during it: a second late)
        running = guarded("read the runner switch", is_running)
        if running is False or running is FAILED:
            break  # stopped, or not known to run: nothing dispatched; the minute's tick reads it again
        pause = min(max(0.0, (wake_at - clock.now()).total_seconds()), allowed)
        if pause > 0:
            sleep(pause)
            total += TickReport(passes=0, slept=pause)
        shards = due_shards(known, to_millis(clock.now()))
        if not shards:
            continue  # the sleep ended early
        done = run_pass(deps, dispatcher, shards)
        total += done.report
        known, relays = looked_again(known, shards, done.ahead), looked_again(relays, shards, done.relays)
        deadline = serving_waits(deadline, window_ends, done)
    return total
