"""`make dev`'s process, started as a user starts it, used over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.template import ROOT

START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, {"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def local_stack() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack"],
        cwd=ROOT,
        env={**environment, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if call(base, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_jobs_run_over_http_and_ctrl_c_stops_it_cleanly(local_stack: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = local_stack
    status, job = call(base, "POST", "/jobs", {"name": "hello", "handler": "echo", "data": {"n": 1}})
    assert status == 201, job
    call(base, "POST", "/jobs", {"name": "nap", "handler": "sleep", "data": {"seconds": 60}})

    for _ in range(50):
        if call(base, "GET", f"/jobs/{job['id']}")[1]["status"] == "completed":
            break
        time.sleep(0.1)
    _, history = call(base, "GET", f"/jobs/{job['id']}/history")
    assert [run["result"] for run in history["history"]] == [{"n": 1}]

    process.send_signal(signal.SIGINT)  # with the 60 s handler still running
    output, _ = process.communicate(timeout=5)
    assert process.returncode == 0
    assert "Traceback" not in output
    assert f"running on {base}" in output
    assert "POST /jobs 201" in output
