"""The HistoryStore contract (serverless_jobs.ports), the same assertions on the DynamoDB and in-memory adapters."""

from __future__ import annotations

from dataclasses import replace

from serverless_jobs.domain.job import Run
from serverless_jobs.ports import HistoryStore, JobStore, OwedNotification

Stores = tuple[JobStore, HistoryStore]  # the `stores` fixture (conftest.py): one of each adapter


def entry(job_id: str = "a", run_id: str = "r1", claimed_at: int = 5_000) -> Run:
    return Run(job_id, run_id, "running", 1, "manual", claimed_at=claimed_at, started_at=claimed_at, expires_at=99)


def closed(run: Run, status: str = "completed", at: int = 6_000, notify_at: int | None = None) -> Run:
    return replace(run, status=status, completed_at=at, duration=at - run.started_at, notify_at=notify_at)  # type: ignore[arg-type]


def test_an_entry_is_written_while_open_and_closed_once(stores: Stores) -> None:
    _, history = stores
    run = entry()
    assert history.get("a", 5_000, "r1") is None
    assert history.record(run)
    assert history.record(run)  # the same open write again (a retry after a lost answer)
    done = replace(closed(run), result={"n": 1}, error=None)
    assert history.record(done)
    assert history.get("a", 5_000, "r1") == done
    assert not history.record(closed(run, "failed", 7_000))  # whoever closes it first decides
    assert not history.record(run)  # never reopened
    assert history.get("a", 5_000, "r1") == done


def test_a_run_is_opened_once_and_never_after_it_was_closed(stores: Stores) -> None:
    _, history = stores
    run = entry()
    assert history.open(run)
    assert not history.open(run)  # a duplicate delivery of the run finds it opened
    assert history.get("a", 5_000, "r1") == run
    assert history.record(closed(run))
    lost = entry(run_id="r2")
    assert history.record(closed(lost, "timed_out"))  # the tick closed it as lost before its executor came
    assert not history.open(lost)
    assert history.get("a", 5_000, "r2") == closed(lost, "timed_out")


def test_an_annotation_lands_only_on_the_entry_closed_as_given(stores: Stores) -> None:
    _, history = stores
    run = entry()
    assert not history.annotate(closed(run))  # never written
    assert history.record(closed(run))
    noted = replace(closed(run), notification={"delivered": False, "target": "t", "error": "down"})
    assert not history.annotate(replace(noted, status="failed"))
    assert not history.annotate(replace(noted, completed_at=6_001))
    assert history.annotate(noted)
    assert history.get("a", 5_000, "r1") == noted


def test_owed_notifications_come_due_soonest_first_and_a_postponement_lands_once(stores: Stores) -> None:
    _, history = stores
    assert history.record(closed(entry("a", "r1"), notify_at=9_000))
    assert history.record(closed(entry("b", "r2"), notify_at=8_000))
    assert history.record(closed(entry("c", "r3"), notify_at=20_000))
    assert history.record(closed(entry("d", "r4")))  # nothing owed
    owed = history.owed(10_000, 10)
    assert owed == [OwedNotification("b", 5_000, "r2", 8_000, 0), OwedNotification("a", 5_000, "r1", 9_000, 0)]
    assert history.owed(10_000, 1) == owed[:1]
    assert history.postpone(owed[0], 30_000)
    assert not history.postpone(owed[0], 40_000)  # another tick took it: its notify_at moved
    assert history.owed(10_000, 10) == owed[1:]
    assert history.owed(30_000, 10)[-1] == OwedNotification("b", 5_000, "r2", 30_000, 1)
    sent = replace(closed(entry("b", "r2"), notify_at=None), notification={"delivered": True})
    assert history.annotate(sent)  # sent: no longer owed
    assert [item.job_id for item in history.owed(40_000, 10)] == ["a", "c"]


def test_a_jobs_runs_are_listed_newest_first_in_pages_that_resume(stores: Stores) -> None:
    _, history = stores
    for number in range(5):
        assert history.record(entry("a", f"r{number}", claimed_at=1_000 + number))
    assert history.record(entry("b", "other", claimed_at=9_000))
    first = history.page("a", 2, None)
    assert [run.id for run in first.items] == ["r4", "r3"]
    assert first.last_key == history.after(first.items[-1])
    second = history.page("a", 2, first.last_key)
    rest = history.page("a", 2, second.last_key)
    assert [run.id for run in second.items + rest.items] == ["r2", "r1", "r0"]
    assert rest.last_key is None
    assert [run.id for run in history.page("a", 10, history.after(first.items[0])).items] == ["r3", "r2", "r1", "r0"]


def test_deleting_a_jobs_runs_stops_when_time_runs_out_and_leaves_other_jobs(stores: Stores) -> None:
    _, history = stores
    for number in range(3):
        assert history.record(entry("a", f"r{number}", claimed_at=1_000 + number))
    assert history.record(entry("b", "other"))
    history.delete_all("a", lambda: False)
    assert len(history.page("a", 10, None).items) == 3
    history.delete_all("a", lambda: True)
    assert history.page("a", 10, None).items == []
    assert [run.id for run in history.page("b", 10, None).items] == ["other"]
