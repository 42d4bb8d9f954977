"""Cold starts as a user pays them: a fresh interpreter loads a function and serves its first request.

Each sample is a fresh process of this venv's python that imports a function's handler module from its
CodeUri folder by its Handler string, with the template's environment and LAMBDA_TASK_ROOT as Lambda sets
them (so its `build(...)` runs as in Lambda's init phase), then serves one real request: the API a GET of
an unknown job (events/api/get-job.json), the tick one pass (a scheduled event, 0 ms left), the executor
one run of an unknown job (events/executor/dispatch.json). The baseline is a fresh process that creates a
bare botocore DynamoDB client and makes one call; a second one does the same without garbage collection,
as the functions' init runs (serverless_jobs.init_phase), to show what that lever is worth. All talk to one
local moto server (AWS_ENDPOINT_URL) holding the template's tables and rule; samples are alternated so all
meet the same machine. Tracing is off (POWERTOOLS_TRACE_DISABLED: there is no X-Ray daemon here). All run
without the packages this venv has for its tools but Lambda has not (NOT_IN_LAMBDA), which botocore and
urllib3 would otherwise import when present. Figures are wall time per process, the interpreter's own start
included on every side.
Run: `make bench` (or `python -m bench.cold_start`).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from bench.figures import Figure, show
from devtools.moto_backend import use_fake_credentials
from devtools.resources import create_resources
from devtools.template import ROOT, function_spec

SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "5"))
# Each function and the event its first request carries; the tick's context has no time left: one pass.
FIRST_REQUESTS = {
    "ApiFunction": ("events/api/get-job.json", 30_000),
    "TickFunction": ("events/tick/scheduled.json", 0),
    "ExecutorFunction": ("events/executor/dispatch.json", 30_000),
}
# Issue 13's goals, as a multiple of the bare client's cold start.
GOALS = {"ApiFunction": 2.0, "TickFunction": 1.5, "ExecutorFunction": 1.5}

# In this venv for sam and moto, in neither Lambda's runtime nor the layer (layers/core/requirements.txt), yet
# imported when present: botocore loads the CRT (awscrt, ~40-80 ms), urllib3 pyOpenSSL (with cryptography),
# botocore certifi's CA bundle, pynamodb blinker for its signals. Hidden from both sides' processes.
NOT_IN_LAMBDA = ("awscrt", "OpenSSL", "cryptography", "certifi", "blinker")
AS_IN_LAMBDA = f"""
import sys

class NotInLambda:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in {NOT_IN_LAMBDA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NotInLambda)
"""

# What Lambda's runtime does: import the handler's module from the task root, then call it once.
FUNCTION_PROCESS = (
    AS_IN_LAMBDA
    + """
import importlib, json, sys
code_dir, module, attribute, event_path, remaining = sys.argv[1:]
sys.path.insert(0, code_dir)
handler = getattr(importlib.import_module(module), attribute)

class Context:
    function_name = "cold-start"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-start"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    def get_remaining_time_in_millis(self):
        return int(remaining)

with open(event_path) as event:
    print(json.dumps(handler(json.load(event), Context()), default=str))
"""
)

BASELINE_PROCESS = (
    AS_IN_LAMBDA
    + """
import botocore.session
client = botocore.session.get_session().create_client("dynamodb")
client.describe_table(TableName=sys.argv[1])
print("{}")
"""
)


# The bare client with the functions' init treatment: no collection while it loads (serverless_jobs.init_phase).
BASELINE_WITHOUT_GC = BASELINE_PROCESS.replace(
    "import botocore.session", "import gc\ngc.disable()\nimport botocore.session"
)
# The same with an SQS client created at init too (no call): what an eager SQS client (the sub-minute timer's,
# decision "Sub-minute runs without paying for waiting") would add to the tick's or the executor's cold
# start; created lazily, at its first send, it adds nothing to init.
BASELINE_WITH_SQS = BASELINE_WITHOUT_GC.replace(
    "client.describe_table(TableName=sys.argv[1])",
    'client.describe_table(TableName=sys.argv[1])\nbotocore.session.get_session().create_client("sqs")',
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on localhost with the template's tables and rule; yields its endpoint."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        _reset(endpoint)  # moto's backends are this process's: another server's or mock's state is in them
        create_resources()
        yield endpoint
    finally:
        _reset(endpoint)
        server.stop()
        if previous is None:
            del os.environ["AWS_ENDPOINT_URL"]
        else:
            os.environ["AWS_ENDPOINT_URL"] = previous


@dataclass(frozen=True)
class Sample:
    """One process: wall seconds from spawn to exit, the CPU seconds it used (user + system), its reply."""

    seconds: float
    cpu_seconds: float
    reply: dict[str, object]


def _timed(arguments: list[str], environment: dict[str, str]) -> Sample:
    started, used = time.perf_counter(), _children_cpu()
    done = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False)
    seconds, cpu_seconds = time.perf_counter() - started, _children_cpu() - used
    if done.returncode != 0:
        raise RuntimeError(f"{arguments[2:4]} failed:\n{done.stderr}")
    return Sample(seconds, cpu_seconds, json.loads(done.stdout.strip().splitlines()[-1]))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def function_command(logical_id: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a fresh process that loads the function and serves its first request."""
    spec = function_spec(logical_id)
    event, remaining = FIRST_REQUESTS[logical_id]
    environment = {
        **os.environ,
        **spec.environment,
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    arguments = [sys.executable, "-c", FUNCTION_PROCESS, str(spec.code_dir), spec.module, spec.attribute]
    return [*arguments, str(ROOT / event), str(remaining)], environment


def _check(logical_id: str, reply: dict[str, object]) -> None:
    """A first request that failed would measure the wrong thing."""
    if logical_id == "ApiFunction" and reply.get("statusCode") != 404:
        raise RuntimeError(f"the API answered {reply} to a GET of an unknown job")
    if reply.get("error"):
        raise RuntimeError(f"{logical_id} failed its first request: {reply}")


def medians(samples: int = SAMPLES) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU milliseconds per function and for the bare client with and without collection in
    its init ("baseline", "baseline, no gc"; "baseline, no gc, sqs client" creates an SQS client too),
    samples alternated."""
    names = ("baseline", "baseline, no gc", "baseline, no gc, sqs client", *FIRST_REQUESTS)
    runs: dict[str, list[Sample]] = {name: [] for name in names}
    with moto_server():
        jobs_table = function_spec("ApiFunction").environment["JOBS_TABLE"]
        commands = {
            "baseline": ([sys.executable, "-c", BASELINE_PROCESS, jobs_table], dict(os.environ)),
            "baseline, no gc": ([sys.executable, "-c", BASELINE_WITHOUT_GC, jobs_table], dict(os.environ)),
            "baseline, no gc, sqs client": ([sys.executable, "-c", BASELINE_WITH_SQS, jobs_table], dict(os.environ)),
            **{logical_id: function_command(logical_id) for logical_id in FIRST_REQUESTS},
        }
        for _ in range(samples):
            for name, (arguments, environment) in commands.items():
                sample = _timed(arguments, environment)
                _check(name, sample.reply)
                runs[name].append(sample)
    wall = {name: statistics.median(sample.seconds for sample in taken) * 1000 for name, taken in runs.items()}
    cpu = {name: statistics.median(sample.cpu_seconds for sample in taken) * 1000 for name, taken in runs.items()}
    return wall, cpu


def measure() -> list[Figure]:
    """The bare client's cold start, then each function's in ms and as a multiple of the bare client's.

    The functions run their init without the garbage collector (serverless_jobs.init_phase), which a bare
    client's process does not: each function's multiple of a bare client doing the same shows what that
    lever is worth, and what the rest of the function costs. The multiple of CPU time (the process's own,
    not the moto server's) moves less than wall time when other work shares the machine.
    """
    use_fake_credentials()
    ms, cpu = medians()
    baseline, without_gc = ms["baseline"], ms["baseline, no gc"]
    figures = [
        Figure(f"cold start, bare botocore client + 1 call (median of {SAMPLES})", baseline, "ms"),
        Figure("cold start, the same, no collection as in the functions' init", without_gc, "ms"),
    ]
    sqs_client = ms["baseline, no gc, sqs client"] - without_gc
    figures.append(Figure("cold start, an SQS client created at init too (eager; lazy: 0)", sqs_client, "ms"))
    for logical_id, goal in GOALS.items():
        name = f"cold start, {logical_id}"
        if logical_id != "ApiFunction":  # the functions the SQS timer's sends would be in
            figures.append(
                Figure(f"{name} with an eager SQS client / bare client", (ms[logical_id] + sqs_client) / baseline, "x")
            )
        figures += [
            Figure(f"{name}: init + first request", ms[logical_id], "ms"),
            Figure(f"{name} / bare client", ms[logical_id] / baseline, "x", f"<= {goal}x"),
            Figure(f"{name} / bare client without collection", ms[logical_id] / without_gc, "x"),
            Figure(f"{name} / bare client, CPU time", cpu[logical_id] / cpu["baseline"], "x"),
        ]
    return figures


def main() -> None:
    print(f"medians of {SAMPLES} samples per process, alternated; moto server over HTTP")
    show(measure())


if __name__ == "__main__":
    main()
