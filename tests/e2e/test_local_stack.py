"""`make dev`'s process, started as a user starts it, used over real HTTP on loopback (DESIGN §7)."""

from __future__ import annotations

import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from devtools.aws_calls import AwsCall
from devtools.local_http import COMMAND, LocalStack, environment
from devtools.stack import lateness
from devtools.template import ACCOUNT, REGION, ROOT


def status_is(*wanted: str) -> Any:
    return lambda job: job["status"] in wanted


def test_create_list_get_update_delete(local: LocalStack) -> None:
    job = local.create(schedule="1h")
    assert job["id"] in {listed["id"] for listed in local.call("GET", "/jobs?status=pending&limit=100")[1]["jobs"]}
    assert local.call("GET", f"/jobs/{job['id']}") == (200, job)
    status, updated = local.call("PUT", f"/jobs/{job['id']}", {"name": "renamed"})
    assert (status, updated["name"]) == (200, "renamed")
    assert local.call("DELETE", f"/jobs/{job['id']}")[0] == 204
    assert local.call("GET", f"/jobs/{job['id']}")[0] == 404


def test_a_2s_interval_runs_at_least_3_times_in_10s(local: LocalStack) -> None:
    job = local.create(schedule="2s")
    history = local.wait_for(f"/jobs/{job['id']}/history", lambda body: len(body["history"]) >= 3, 10)
    assert len(history["history"]) >= 3
    local.call("POST", f"/jobs/{job['id']}/cancel")


def test_a_5s_interval_runs_each_occurrence_through_the_sqs_timer(local: LocalStack) -> None:
    """Each next occurrence is 5 s after a run's finish writes it: the executor sets an alarm on the timer
    queue (decision 0075), which the local mapping delivers to the dispatch function when it shows."""
    mark = len(local.calls.read_text().splitlines())
    job = local.create(schedule="5s")
    history = local.wait_for(f"/jobs/{job['id']}/history", lambda body: len(body["history"]) >= 3, 20)
    local.call("POST", f"/jobs/{job['id']}/cancel")

    runs = sorted(history["history"], key=lambda run: run["scheduledAt"])[:3]
    scheduled = [datetime.fromisoformat(run["scheduledAt"]) for run in runs]
    assert [later - earlier for earlier, later in pairwise(scheduled)] == [timedelta(seconds=5)] * 2  # none missed
    # within the timer's second: not the next minute's tick (a precision figure is bench.local_precision's)
    assert all(lateness(run) < timedelta(seconds=1) for run in runs)
    calls = [AwsCall.from_json(line) for line in local.calls.read_text().splitlines()[mark:]]
    timer = f"arn:aws:sqs:{REGION}:{ACCOUNT}:TimerQueue"
    assert AwsCall("ExecutorFunction", "sqs:SendMessage", timer) in calls


def test_fail_ends_failed_after_its_attempts_and_flaky_completes(local: LocalStack) -> None:
    failing = local.create(handler="fail", data={"message": "boom"}, maxAttempts=3, retryBackoffSeconds=1)
    flaky = local.create(handler="flaky", data={"succeedOnAttempt": 2}, retryBackoffSeconds=1)

    failed = local.wait_for(f"/jobs/{failing['id']}", status_is("failed"), 15)
    completed = local.wait_for(f"/jobs/{flaky['id']}", status_is("completed"), 15)

    assert (failed["status"], failed["attempts"], failed["lastError"]) == ("failed", 3, "HandlerFailure: boom")
    runs = local.call("GET", f"/jobs/{failing['id']}/history")[1]["history"]
    assert [run["status"] for run in runs] == ["failed"] * 3
    assert (completed["status"], completed["attempts"]) == ("completed", 2)
    # one log line per run, a failed one saying why; no JSON logs or EMF metric lines among them
    output = local.output()
    assert f"run  failed job={failing['id']} attempt=3 trigger=retry error='HandlerFailure: boom'" in output
    assert not [line for line in output.splitlines() if line.startswith("{")]


def test_trigger_pause_resume_cancel(local: LocalStack) -> None:
    job = local.create(schedule="1h")
    status, accepted = local.call("POST", f"/jobs/{job['id']}/trigger")
    assert status == 202
    history = local.wait_for(f"/jobs/{job['id']}/history", lambda body: body["history"], 5)["history"]
    assert history[0]["id"] == accepted["runId"]
    assert history[0]["trigger"] == "manual"

    local.wait_for(f"/jobs/{job['id']}", status_is("pending"), 5)
    assert local.call("POST", f"/jobs/{job['id']}/pause")[1]["status"] == "paused"
    assert local.call("POST", f"/jobs/{job['id']}/resume")[1]["status"] == "pending"
    assert local.call("POST", f"/jobs/{job['id']}/cancel")[1]["status"] == "cancelled"


def test_runner_stop_and_start(local: LocalStack) -> None:
    assert local.call("POST", "/jobs/runner/stop") == (200, {"running": False})
    job = local.create(schedule="1s")
    time.sleep(2.5)
    assert local.call("GET", f"/jobs/{job['id']}/history")[1]["history"] == []

    assert local.call("POST", "/jobs/runner/start") == (200, {"running": True})
    history = local.wait_for(f"/jobs/{job['id']}/history", lambda body: body["history"], 5)
    assert history["history"]
    local.call("POST", f"/jobs/{job['id']}/cancel")


def test_200_one_time_jobs_created_at_once_each_run_exactly_once(local: LocalStack) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        jobs = list(pool.map(lambda n: local.create(data={"n": n}), range(200)))

    for job in jobs:
        local.wait_for(f"/jobs/{job['id']}", status_is("completed"), 30)
    for job in jobs:
        runs = local.call("GET", f"/jobs/{job['id']}/history")[1]["history"]
        assert [run["result"] for run in runs] == [job["data"]]


def test_ctrl_c_stops_it_within_5s_without_a_traceback() -> None:
    local = LocalStack.start()
    try:
        local.create(handler="sleep", data={"seconds": 60})
        local.create(schedule="30s")  # an alarm waiting in the timer queue, its mapping polling
        time.sleep(0.5)

        local.process.send_signal(signal.SIGINT)  # with the 60 s handler still running
        local.process.wait(timeout=5)
        output = local.output()
    finally:
        local.stop()
    assert local.process.returncode == 0
    assert "Traceback" not in output
    assert f"running on {local.base}" in output
    assert "POST /jobs 201" in output


@pytest.mark.parametrize(
    ("given", "message"),
    [("busy", "cannot listen on 127.0.0.1:{port}: Address already in use"), ("3e3", "PORT='3e3' is not a port")],
)
def test_a_port_it_cannot_use_is_a_one_line_error(local: LocalStack, given: str, message: str) -> None:
    port = local.base.rsplit(":", 1)[1] if given == "busy" else given
    result = subprocess.run(
        COMMAND,
        cwd=ROOT,
        env=environment(port),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert message.format(port=port) in result.stderr
    assert "Traceback" not in result.stderr
