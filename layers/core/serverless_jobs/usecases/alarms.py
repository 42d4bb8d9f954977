"""The SQS timer's sending side (decision 0075): which alarm, with what delay, for work due later.

No invocation waits more than about a second for work to fall due. Work due further ahead, yet before the
next minute's tick, gets an alarm instead: a message of the timer queue hidden for the whole seconds until
it is due (`DelaySeconds`, so it shows up to a second early), which the dispatch function hears and waits
out only the rest of (usecases.timer_pass). Work due within NEAR_SECONDS is passed over in-process: the
sleep is under a second, and a message would come no sooner.

An alarm is one message per distinct second: the shards falling due in the same whole second from now
share one, at the soonest instant among them (a pass at that instant that finds a shard's job not yet due
sees it in its look-ahead, under a second away, and passes again). An alarm lost costs lateness, never
work: the job stays in the `due` index and the minute's tick claims it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.ports import Alarm
from serverless_jobs.usecases.deps import Deps

# Due at most this far ahead: waited for in-process (a pass's sleep, or a woken tick's), no alarm.
NEAR_SECONDS = 1.0
# SQS's longest DelaySeconds.
MAX_DELAY_SECONDS = 900


def delay_seconds(at: datetime, now: datetime) -> int:
    """The whole seconds until `at`, rounded down, within SQS's 0..900: the alarm shows at most 1 s early."""
    return max(0, min(MAX_DELAY_SECONDS, math.floor((at - now).total_seconds())))


def is_near(at: datetime, now: datetime) -> bool:
    """Due within NEAR_SECONDS of `now` (or already): for an in-process wait, not an alarm."""
    return (at - now).total_seconds() <= NEAR_SECONDS


def alarms_for(due: Mapping[str, int], now: datetime, until: datetime) -> list[Alarm]:
    """The alarms for the shards of `due` (shard -> when its soonest job falls due, epoch ms), every one
    of them further than NEAR_SECONDS: one per distinct whole second of delay, at the soonest instant of
    that second, naming its shards (sorted); each chained up to `until`."""
    seconds: dict[int, list[tuple[int, str]]] = {}
    for shard, at in due.items():
        seconds.setdefault(delay_seconds(from_millis(at), now), []).append((at, shard))
    alarms = []
    for delay, falling in sorted(seconds.items()):
        shards = tuple(sorted({shard for _, shard in falling}, key=int))
        alarms.append(Alarm(min(at for at, _ in falling), shards, to_millis(until), delay))
    return alarms


def set_alarms(deps: Deps, due: Mapping[str, int], until: datetime) -> set[str]:
    """Set the alarms for `due` (every one further than NEAR_SECONDS); the shards whose alarm was sent (or
    may have been). Without a timer, none: the caller waits in-process as before."""
    if deps.timer is None or not due:
        return set()
    unsent = deps.timer.set(alarms_for(due, deps.clock.now(), until))
    missed = {shard for alarm in unsent for shard in alarm.shards}
    return set(due) - missed
