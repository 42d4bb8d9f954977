"""`overlap` on `make dev`'s process over real HTTP (decision "Overlap"): two `1s` jobs whose runs
take 2.2 s, one with `skip` and one with `buffer`, side by side on the real clock, tick loop and worker pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devtools.local_http import LocalStack

SLOW = {"handler": "sleep", "data": {"seconds": 2.2}, "schedule": "1s"}


def create(local: LocalStack, **fields: Any) -> dict[str, Any]:
    status, job = local.call("POST", "/jobs", {"name": "e2e-overlap", **SLOW, **fields})
    assert status == 201, job
    body: dict[str, Any] = job
    return body


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def runs(local: LocalStack, job: dict[str, Any], done: Any) -> list[dict[str, Any]]:
    """The job's history once `done(history)` holds (or after 10 s), the job then cancelled."""
    body = local.wait_for(f"/jobs/{job['id']}/history", lambda body: done(body["history"]), 10)
    local.call("POST", f"/jobs/{job['id']}/cancel")
    history: list[dict[str, Any]] = body["history"]
    return history


def completed(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [run for run in history if run["status"] == "completed"]


def test_skip_records_a_slow_runs_overlap_in_history_and_buffer_runs_it_once_after(local: LocalStack) -> None:
    skipping = create(local, overlap="skip")
    buffering = create(local)  # buffer, the default

    history = runs(local, skipping, lambda history: any(run["status"] == "skipped" for run in history))
    skipped = next(run for run in history if run["status"] == "skipped")
    ran = next(run for run in completed(history) if run["completedAt"] == skipped["completedAt"])
    assert skipped["error"].startswith("Overlap: ")  # the two or three occurrences of a 2.2 s run, one entry
    assert f"fell due while run {ran['id']} ran; overlap is skip" in skipped["error"]
    assert (skipped["attempt"], skipped["trigger"]) == (0, "schedule")
    assert at(ran["scheduledAt"]) < at(skipped["scheduledAt"]) <= at(ran["completedAt"])

    history = runs(local, buffering, lambda history: len(completed(history)) >= 2)
    earlier, later = reversed(completed(history)[-2:])
    assert not [run for run in history if run["status"] == "skipped"]
    # the latest occurrence due while the earlier run ran, and only that one: not the one or two before it
    assert at(later["scheduledAt"]) <= at(earlier["completedAt"])
    assert (at(later["scheduledAt"]) - at(earlier["scheduledAt"])).total_seconds() >= 2
