"""Schedules through the API: EventBridge expressions verbatim, windows that end, and what is refused."""

from __future__ import annotations

import pytest

from devtools.stack import Stack


@pytest.mark.parametrize(
    ("schedule", "timezone", "next_run_at"),
    [
        ("rate(5 minutes)", "UTC", "2026-11-28T09:05:00.000Z"),  # the first run, at creation, has started
        ("rate(1 hour)", "UTC", "2026-11-28T10:00:00.000Z"),
        ("cron(0 12 * * ? *)", "UTC", "2026-11-28T12:00:00.000Z"),
        ("cron(0 12 * * ? *)", "Europe/Berlin", "2026-11-28T11:00:00.000Z"),
        ("cron(0 9 ? * MON-FRI *)", "UTC", "2026-11-30T09:00:00.000Z"),
        ("cron(0 9 ? * 2-6 *)", "UTC", "2026-11-30T09:00:00.000Z"),  # 1-7 = SUN-SAT
        ("cron(0 9 L * ? *)", "UTC", "2026-11-30T09:00:00.000Z"),
        ("cron(0 9 ? * 6L *)", "UTC", "2026-12-25T09:00:00.000Z"),  # last Friday of December
        ("cron(0 9 ? * 2#1 *)", "UTC", "2026-12-07T09:00:00.000Z"),  # first Monday
        ("cron(0 9 15W * ? *)", "UTC", "2026-12-15T09:00:00.000Z"),
        ("cron(0 9 1 1 ? 2028)", "UTC", "2028-01-01T09:00:00.000Z"),
        ("cron(0/30 20-2 ? * MON-FRI *)", "UTC", "2026-11-30T00:00:00.000Z"),  # wraps: 20-23 and 0-2
        ("cron(0 0 ? * L *)", "UTC", "2026-12-05T00:00:00.000Z"),  # L: the last day of the week, Saturday
        ("at(2026-12-01T10:00:00)", "America/New_York", "2026-12-01T15:00:00.000Z"),
    ],
)
def test_eventbridge_expressions_are_accepted_verbatim(
    stack: Stack, schedule: str, timezone: str, next_run_at: str
) -> None:
    job = stack.create(schedule=schedule, timezone=timezone)

    assert (job["schedule"], job["nextRunAt"]) == (schedule, next_run_at)
    assert stack.api.get(f"/jobs/{job['id']}").body["schedule"] == schedule


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 * * ?)", "needs 6 fields"),
        ("cron(0 25 * * ? *)", "hour field '25'"),
        ("cron(0 12 ? * 8 *)", "day-of-week field '8'"),
        ("cron(0 12 * * ? 1969)", "year field '1969'"),
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(5 fortnights)", "is not a rate"),
        ("at(2026-02-30T10:00:00)", "not a valid at()"),
        ("at(2026-11-01T10:00:00)", "no occurrence"),  # in the past
        ("0 12 * * ? *", "cron(min hour day month weekday year)"),
        ("0 0 5-40 * *", "day-of-month field '5-40'"),
    ],
)
def test_bad_eventbridge_expressions_say_what_is_wrong(stack: Stack, schedule: str, words: str) -> None:
    for path in ("/jobs", "/schedules/preview"):
        body = {"name": "job", "handler": "echo", "schedule": schedule} if path == "/jobs" else {"schedule": schedule}
        reply = stack.api.post(path, body)
        assert reply.status == 400, reply.body
        assert reply.body["message"].startswith("schedule:")
        assert words in reply.body["message"]


def test_an_at_job_runs_once_and_completes(stack: Stack) -> None:
    job = stack.create(schedule="at(2026-11-28T10:00:00)", timezone="Europe/London")
    stack.clock.advance(3600)

    assert stack.tick()["dispatched"] == 1
    stack.deliver()

    done = stack.job(job["id"])
    assert (done["status"], done["nextRunAt"]) == ("completed", None)


def test_a_recurring_job_completes_when_its_window_runs_out(stack: Stack) -> None:
    job = stack.create(schedule="rate(1 minute)", endAt="2026-11-28T09:02:30Z")
    stack.deliver()  # rate() without runAt runs at once, as on EventBridge Scheduler: the API started it

    for _ in range(2):
        stack.clock.advance(60)
        assert stack.tick()["dispatched"] == 1
        stack.deliver()

    done = stack.job(job["id"])
    assert (done["status"], done["nextRunAt"]) == ("completed", None)
    assert len(stack.history(job["id"])) == 3


@pytest.mark.parametrize(
    ("schedule", "occurrences"),
    [
        # EventBridge Scheduler's rule: 02:30 does not exist on 2027-03-14 in New York, so that day has no run.
        ("cron(30 2 * * ? *)", ["2027-03-13T07:30:00.000Z", "2027-03-15T06:30:00.000Z", "2027-03-16T06:30:00.000Z"]),
        # The project's rule for 5-field cron: that day runs at 03:00 EDT, the first instant after the gap.
        ("30 2 * * *", ["2027-03-13T07:30:00.000Z", "2027-03-14T07:00:00.000Z", "2027-03-15T06:30:00.000Z"]),
    ],
)
def test_preview_across_a_dst_change(stack: Stack, schedule: str, occurrences: list[str]) -> None:
    reply = stack.api.post(
        "/schedules/preview",
        {"schedule": schedule, "timezone": "America/New_York", "runAt": "2027-03-13T00:00:00Z", "count": 3},
    )

    assert reply.body["occurrences"] == occurrences
