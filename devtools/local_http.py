"""The local stack as a user runs it: `python -m local_stack` in a subprocess, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from devtools.aws_calls import CALL_LOG_VARIABLE
from devtools.call_log import CALLS
from devtools.template import ROOT

START_TIMEOUT_SECONDS = 30


# `make dev`'s command: the stack runs here exactly as a user starts it.
COMMAND = [sys.executable, "-m", "local_stack"]


def environment(port: str) -> dict[str, str]:
    """This process's environment without AWS settings, so the stack can reach only its own moto."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return {**inherited, "PORT": port}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalStack:
    base: str
    process: subprocess.Popen[str]
    log: IO[str]
    calls: Path  # its functions' AWS calls, which the tests check against the deployed roles

    @classmethod
    def start(cls, variables: dict[str, str] | None = None) -> LocalStack:
        """`make dev`'s process, with `variables` added to its environment (`SSL_CERT_FILE`, say)."""
        port = free_port()
        # Its log goes to a file: a pipe nobody reads fills up and blocks every thread that logs.
        log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - open as long as the stack runs; stop() closes it
        descriptor, name = tempfile.mkstemp(prefix="aws-calls-", suffix=".jsonl")
        os.close(descriptor)
        calls = Path(name)
        CALLS.watch(calls)
        process = subprocess.Popen(
            COMMAND,
            cwd=ROOT,
            env={**environment(str(port)), **(variables or {}), CALL_LOG_VARIABLE: str(calls)},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stack = cls(f"http://127.0.0.1:{port}", process, log, calls)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                if stack.call("GET", "/health")[0] == 200:
                    return stack
            except OSError:
                time.sleep(0.2)
        stack.stop()
        raise RuntimeError("the local stack did not start")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, {"Content-Type": "application/json"}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def create(self, **fields: Any) -> dict[str, Any]:
        """POST /jobs with `name` and `handler` filled in; fails loudly unless the job is created."""
        status, job = self.call("POST", "/jobs", {"name": "e2e", "handler": "echo", **fields})
        assert status == 201, job
        created: dict[str, Any] = job
        return created

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """The job's runs, newest first (the first page)."""
        runs: list[dict[str, Any]] = self.call("GET", f"/jobs/{job_id}/history")[1]["history"]
        return runs

    def wait_for(self, path: str, done: Any, seconds: float) -> Any:
        """Poll GET `path` until `done(body)` holds; the last body either way."""
        deadline = time.monotonic() + seconds
        body = self.call("GET", path)[1]
        while not done(body) and time.monotonic() < deadline:
            time.sleep(0.2)
            body = self.call("GET", path)[1]
        return body

    def output(self) -> str:
        """Everything the stack has printed so far: its banner, then one line per request and per run."""
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        CALLS.forget(self.calls)
        self.calls.unlink()
