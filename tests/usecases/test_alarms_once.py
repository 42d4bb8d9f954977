"""One alarm a due time (decision 0075, "Alarms once"), on the memory stores: a job whose own write alarmed it
gets no second alarm from a pass's chain, the chain goes on for the jobs behind it that no write alarmed,
and every write that stamps a job due within the minute alarms it (else the chain would pass it over)."""

from __future__ import annotations

from dataclasses import replace

from harness.memory_app import App
from harness.memory_timer import Timer, at, moving_clock, ms, stored_before
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.timefmt import from_millis
from serverless_jobs.ports import Alarm
from serverless_jobs.usecases.chain import LOOK_AHEAD_JOBS
from serverless_jobs.usecases.jobs import JobService
from serverless_jobs.usecases.tick import TickReport, run_window, sweep_stranded_shards
from serverless_jobs.usecases.timer_pass import run_alarms


def writing_with(app: App, timer: Timer) -> None:
    """From now on the app's API writes set their alarms on `timer`, as on a stack with the queue."""
    app.service = JobService(replace(app.api_deps, timer=timer), app.queue)


def on_shard(app: App, job: Job, shard: str) -> Job:
    """`job` moved onto `shard` by a store write that leaves its `updatedAt` as it was."""
    assert app.jobs.update(job, replace(job, due_shard=shard))
    return app.job(job.id)


def tick_window(app: App, timer: Timer) -> TickReport:
    """The minute's tick from the clock's now, with the timer, its sleeps moving the clock."""
    return run_window(
        replace(app.tick_deps, timer=timer),
        app.queue,
        remaining_seconds=lambda: 65.0,
        is_running=lambda: True,
        sleep=moving_clock(app, []),
        fired_at=app.clock.now(),
    )


def alarm_pass(app: App, timer: Timer, alarm: Alarm) -> TickReport:
    """The dispatch function's pass for `alarm`, at its instant."""
    app.clock.set(max(app.clock.now(), from_millis(alarm.at)))
    return run_alarms(
        replace(app.tick_deps, timer=timer),
        app.queue,
        [alarm],
        remaining_seconds=lambda: 60.0,
        is_running=lambda: True,
        sleep=moving_clock(app, []),
    )


def instants(alarms: list[Alarm]) -> list[tuple[float, float]]:
    """Each alarm's instant and the end of its chain, in seconds from START."""
    return [((alarm.at - ms(0)) / 1000, (alarm.until - ms(0)) / 1000) for alarm in alarms]


def test_a_job_its_write_alarmed_gets_no_second_alarm_from_the_tick_whose_chain_goes_on_behind_it(app: App) -> None:
    timer = Timer()
    behind = stored_before(app, run_at=ms(45))  # stored before the minute: only the chain alarms it
    writing_with(app, timer)
    soon = app.create(run_at=ms(20))  # its create alarms it, for its own instant
    shard = soon.due_shard or ""
    on_shard(app, behind, shard)
    assert timer.set_alarms == [Alarm(ms(20), (shard,), ms(20), 20)]

    tick_window(app, timer)

    assert timer.set_alarms[1:] == [Alarm(ms(45), (shard,), ms(60), 45)]  # none again for 09:00:20


def test_past_a_look_ahead_of_write_alarmed_jobs_the_chain_goes_on_at_the_last_one_read(app: App) -> None:
    timer = Timer()
    last = stored_before(app, run_at=ms(50))
    writing_with(app, timer)
    written = [app.create(run_at=ms(10 + 5 * n)) for n in range(LOOK_AHEAD_JOBS)]  # 09:00:10, :15, :20, :25
    shard = written[0].due_shard or ""
    for job in [*written[1:], last]:
        on_shard(app, job, shard)
    sent = len(timer.set_alarms)

    tick_window(app, timer)

    # more may wait behind what the look-ahead read: the chain passes at the last of it, and looks again there
    assert instants(timer.set_alarms[sent:]) == [(25, 60)]
    report = alarm_pass(app, timer, timer.set_alarms[-1])
    assert report.dispatched == LOOK_AHEAD_JOBS
    assert instants(timer.set_alarms[sent + 1 :]) == [(50, 60)]


def test_a_job_whose_write_alarm_is_lost_is_run_once_by_the_next_minute_tick(app: App) -> None:
    lost = Timer()
    writing_with(app, lost)
    job = app.create(run_at=ms(20))
    lost.set_alarms.clear()  # sent, and lost: it never shows
    chain = Timer()

    tick_window(app, chain)
    assert (chain.set_alarms, app.queue.runs) == ([], [])  # the write's alarm stood for it

    app.clock.set(at(60))
    tick_window(app, chain)
    app.clock.set(at(120))
    tick_window(app, chain)

    assert [run.jobId for run in app.queue.runs] == [job.id]  # late by the minute, not lost, run once


def test_an_edit_of_a_job_due_within_the_minute_alarms_it_so_the_chain_sets_none(app: App) -> None:
    job = stored_before(app, run_at=ms(30))
    timer = Timer()
    writing_with(app, timer)

    app.service.update(job.id, {"labels": {"team": "billing"}})  # not re-timed, yet it stamps `updatedAt`
    tick_window(app, timer)

    assert timer.set_alarms == [Alarm(ms(30), (job.due_shard or "",), ms(30), 30)]


def test_an_occurrence_skipped_past_its_catchup_window_alarms_the_next_one_within_the_minute(app: App) -> None:
    job = stored_before(app, schedule="30s", catchup_window_seconds=5)  # due at 08:58:00, never run
    app.clock.set(at(20))
    timer = Timer()

    tick_window(app, timer)  # 08:58:00 and the rest skipped; the next inside the window: 09:00:30

    assert timer.set_alarms == [Alarm(ms(30), (job.due_shard or "",), ms(30), 10)]  # the skip's own alarm
    assert alarm_pass(app, timer, timer.set_alarms[0]).dispatched == 1
    assert [run.jobId for run in app.queue.runs] == [job.id]


def test_a_sweep_moving_a_job_its_write_alarmed_alarms_it_on_its_new_shard(app: App) -> None:
    timer = Timer()
    writing_with(app, timer)
    job = app.create(run_at=ms(30))
    stranded = on_shard(app, job, str(app.tick_deps.settings.due_shards))  # a shard a lowered DueShards left
    sent = len(timer.set_alarms)

    assert sweep_stranded_shards(replace(app.tick_deps, timer=timer)) == 1

    assert timer.set_alarms[sent:] == [Alarm(ms(30), (job.due_shard or "",), ms(30), 30)]
    assert stranded.due_shard != job.due_shard
