"""The SQS timer's decisions (decision 0075) on the memory stores: which alarm, with what delay, who sets it,
and the dispatch function's wait for it, bounded by the Lambda's remaining time."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from harness.memory_app import START, App
from harness.memory_timer import Timer, at, moving_clock, ms, stored_before
from serverless_jobs.domain.timefmt import from_millis
from serverless_jobs.ports import Alarm
from serverless_jobs.usecases.alarms import alarms_for, delay_seconds, is_near
from serverless_jobs.usecases.deps import Deps
from serverless_jobs.usecases.tick import run_window
from serverless_jobs.usecases.timer_pass import run_alarms
from serverless_jobs.usecases.wake import wake_if_soon


@dataclass
class Waker:
    woken: list[datetime] = field(default_factory=list)

    def wake(self, due_at: datetime) -> None:
        self.woken.append(due_at)


def test_the_delay_is_the_whole_seconds_to_due_within_sqs_bounds_so_an_alarm_shows_at_most_a_second_early() -> None:
    assert delay_seconds(at(10.999), START) == 10
    assert delay_seconds(at(1.2), START) == 1
    assert delay_seconds(at(-3), START) == 0
    assert delay_seconds(at(2000), START) == 900
    assert is_near(at(1.0), START)
    assert not is_near(at(1.001), START)


def test_alarms_are_one_per_distinct_second_at_its_soonest_instant_naming_its_shards() -> None:
    due = {"3": ms(10.7), "0": ms(10.2), "1": ms(25.0), "12": ms(10.9)}

    alarms = alarms_for(due, START, until=at(60))

    assert alarms == [
        Alarm(ms(10.2), ("0", "3", "12"), ms(60), 10),
        Alarm(ms(25.0), ("1",), ms(60), 25),
    ]


def deps_with(app: App, **changes: object) -> Deps:
    return replace(app.api_deps, **changes)  # type: ignore[arg-type]


def test_a_write_due_later_than_a_second_sets_an_alarm_for_its_own_instant_and_wakes_nothing(app: App) -> None:
    timer, waker = Timer(), Waker()

    wake_if_soon(deps_with(app, timer=timer, waker=waker), at(10.4), ["2"])

    assert timer.set_alarms == [Alarm(ms(10.4), ("2",), ms(10.4), 10)]  # until its instant: no chain
    assert waker.woken == []


def test_a_write_due_within_a_second_or_whose_alarm_is_refused_wakes_the_tick(app: App) -> None:
    timer, waker = Timer(), Waker()
    deps = deps_with(app, timer=timer, waker=waker)

    wake_if_soon(deps, at(0.8), ["2"])
    timer.refusing = True
    wake_if_soon(deps, at(20), ["2"])
    wake_if_soon(deps, at(61), ["2"])  # the next minute's tick's

    assert timer.set_alarms == []
    assert waker.woken == [at(0.8), at(20)]


def test_the_minute_tick_alarms_what_falls_due_later_and_sleeps_only_under_a_second(app: App) -> None:
    timer = Timer()
    near = stored_before(app, run_at=ms(0.5))
    later = stored_before(app, run_at=ms(20.25))
    stored_before(app, run_at=ms(75))  # the next minute's
    sleeps: list[float] = []
    sleep = moving_clock(app, sleeps)

    report = run_window(
        replace(app.tick_deps, timer=timer),
        app.queue,
        remaining_seconds=lambda: 65.0,
        is_running=lambda: True,
        sleep=sleep,
        fired_at=START,
    )

    assert (report.dispatched, sleeps) == (1, [0.5])
    # set by the first pass, or by the one at 09:00:00.5 if the near job hid it on the same shard
    delay = 19 if near.due_shard == later.due_shard else 20
    assert timer.set_alarms == [Alarm(ms(20.25), (later.due_shard or "",), ms(60), delay)]


def test_an_alarms_pass_waits_only_the_rest_claims_and_chains_the_next_due_within_until(app: App) -> None:
    timer = Timer()
    first = stored_before(app, run_at=ms(10.4))
    shard = first.due_shard or ""
    chained = stored_before(app, run_at=ms(30))
    beyond = stored_before(app, run_at=ms(70))
    for job in (chained, beyond):
        assert job.due_shard is not None
        app.jobs.update(job, replace(job, due_shard=shard))  # the same shard as the first
    app.clock.set(at(10))  # the alarm shows at 09:00:10, 10 whole seconds after it was set
    sleeps: list[float] = []
    sleep = moving_clock(app, sleeps)

    report = run_alarms(
        replace(app.tick_deps, timer=timer),
        app.queue,
        [Alarm(ms(10.4), (shard,), ms(60)), Alarm(ms(10.4), (shard,), ms(60))],  # a duplicate: one pass
        remaining_seconds=lambda: 60.0,
        is_running=lambda: True,
        sleep=sleep,
    )

    assert (report.passes, report.dispatched, sleeps) == (1, 1, [0.4])
    assert [run.jobId for run in app.queue.runs] == [first.id]
    assert [(alarm.at, alarm.shards, alarm.until) for alarm in timer.set_alarms] == [(ms(30), (shard,), ms(60))]


def test_an_alarms_wait_never_runs_past_the_lambdas_remaining_time(app: App) -> None:
    job = app.create(run_at=ms(0.9))
    app.clock.set(at(0.1))
    sleeps: list[float] = []

    report = run_alarms(
        app.tick_deps,
        app.queue,
        [Alarm(ms(0.9), (job.due_shard or "",), ms(0.9))],
        remaining_seconds=lambda: 3.5 - sum(sleeps),  # 0.5 s left once the margin is kept back
        is_running=lambda: True,
        sleep=sleeps.append,  # the clock stands still: the Lambda's time bounds the wait
    )

    assert sum(sleeps) == 0.5
    assert report.dispatched == 0  # the job stays due: the minute's tick claims it
    assert app.job(job.id).next_run_at == ms(0.9)


def test_a_stopped_runner_dispatches_nothing_from_an_alarm(app: App) -> None:
    job = app.create(run_at=ms(5))
    app.clock.set(at(5))

    report = run_alarms(
        app.tick_deps,
        app.queue,
        [Alarm(ms(5), (job.due_shard or "",), ms(5))],
        remaining_seconds=lambda: 60.0,
        is_running=lambda: False,
        sleep=lambda seconds: None,
    )

    assert (report.passes, report.dispatched, app.queue.runs) == (0, 0, [])


def test_an_alarm_shown_long_before_its_instant_is_set_again_not_waited_for(app: App) -> None:
    timer = Timer()
    job = app.create(run_at=ms(30))
    sleeps: list[float] = []

    run_alarms(
        replace(app.tick_deps, timer=timer),
        app.queue,
        [Alarm(ms(30), (job.due_shard or "",), ms(30))],
        remaining_seconds=lambda: 60.0,
        is_running=lambda: True,
        sleep=sleeps.append,
    )

    assert sleeps == []
    assert [(alarm.at, alarm.delay_seconds) for alarm in timer.set_alarms] == [(ms(30), 30)]
    assert from_millis(timer.set_alarms[0].until) <= at(30.001)  # still no chain beyond its instant
