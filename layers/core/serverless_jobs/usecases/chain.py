"""The chain of alarms per shard (decision 0075): where a pass's look-ahead sets the next alarm, so that each
due time within the minute gets one alarm, not two.

A pass looks ahead on each shard it asked: the soonest jobs due later (`LOOK_AHEAD_JOBS` of them, one Query).
The soonest is where the pass's invocation must be next (usecases.tick); but a job whose own write alarmed
it (usecases.wake.alarmed_by_write: every write that leaves a job due within the minute does) needs no
alarm of the chain's too. The chain's next link is then the soonest job behind it that no write alarmed,
so the jobs stored before the minute (which only the chain serves) keep theirs. When every job read is one
a write alarmed, the chain goes on at the last of them: more may wait behind it, and a pass there reads
again. Before "Alarms once" the chain alarmed the soonest job whatever set it, and a `30s` job's next run
got two alarms whenever a pass looked after its finish (1.5 messages a run; now 1: bench.timer_requests).

Either message lost stays safe: the write's alarm lost leaves its job in the `due` index for the minute's
tick (as any lost alarm); a chain's link lost leaves the jobs behind it to the minute's tick, and never the
write-alarmed job, which its own alarm serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from serverless_jobs.domain.job import Upcoming
from serverless_jobs.domain.timefmt import from_millis, to_millis
from serverless_jobs.usecases.alarms import is_near, set_alarms
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.wake import alarmed_by_write

# Jobs a look-ahead reads on a shard: four 1 KB jobs are one 4 KB read, half a read unit (eventually
# consistent), as one job is; enough to pass over a few write-alarmed jobs to the next that needs the chain.
LOOK_AHEAD_JOBS = 4


@dataclass(frozen=True)
class Relay:
    """A shard whose soonest job due later (`alarmed`, epoch ms) was alarmed by its own write: the chain's
    next link is `link` instead (None: nothing behind it needs one)."""

    alarmed: int
    link: int | None


def relay_of(later: Sequence[Upcoming]) -> Relay | None:
    """For a shard's soonest jobs due later (`LOOK_AHEAD_JOBS` at most, soonest first), the relay, or None when
    the soonest needs the chain's alarm itself (or there is none)."""
    if not later or not alarmed_by_write(later[0]):
        return None
    behind = [job.next_run_at for job in later if not alarmed_by_write(job)]
    if behind:
        return Relay(later[0].next_run_at, behind[0])
    return Relay(later[0].next_run_at, later[-1].next_run_at if len(later) >= LOOK_AHEAD_JOBS else None)


def alarm_far(
    deps: Deps,
    known: Mapping[int, int | None],
    deadline: datetime,
    alarmed: dict[int, int],
    relays: Mapping[int, Relay],
) -> dict[int, int | None]:
    """`known` less the shards whose soonest job, before `deadline`, is due further than NEAR_SECONDS away:
    each of those gets its chain's next alarm on the SQS timer (usecases.alarms), at that job's instant or, if
    its write alarmed it, at the link of its shard's relay (`relays`), chained up to `deadline`, unless this
    invocation set that one already (`alarmed`, updated), instead of an invocation sleeping towards it. A
    shard whose alarm the queue refused stays (the invocation sleeps towards it, as without a timer)."""
    if deps.timer is None:
        return dict(known)
    now, until = deps.clock.now(), to_millis(deadline)
    far = {
        shard: due
        for shard, due in known.items()
        if due is not None and due < until and not is_near(from_millis(due), now)
    }
    links = {shard: link_for(shard, due, relays) for shard, due in far.items()}
    wanted = {shard: link for shard, link in links.items() if link is not None and link < until}
    fresh = {str(shard): link for shard, link in wanted.items() if alarmed.get(shard) != link}
    alarmed.update({int(shard): fresh[shard] for shard in set_alarms(deps, fresh, deadline)})
    return {
        shard: due
        for shard, due in known.items()
        if shard not in far or (shard in wanted and alarmed.get(shard) != wanted[shard])
    }


def link_for(shard: int, due: int, relays: Mapping[int, Relay]) -> int | None:
    """Where `shard`'s chain passes next for its soonest job due later at `due`: there, unless a write
    alarmed that job (the relay's link then)."""
    relay = relays.get(shard)
    return relay.link if relay is not None and relay.alarmed == due else due
