"""Every DynamoDB write unit each operation costs, index writes included, by schedule kind: `make bench`.

Each operation runs on a Stack (moto) with every write request captured at botocore (bench.write_capture)
and costed by the template's tables and indexes (bench.write_units): the Jobs table's `due` and `byStatus`
indexes project ALL, so a write that moves either index's key costs a delete and a put on it, and one that
changes any other attribute one write on each index the item is in. Jobs are "1 KB jobs": their `data` is
padded so that the job's item, at its largest in the operation, is 1 KB (1,024 bytes), the size one write
unit covers; a smaller job costs the same, a larger one more. Default settings (template.yaml).
Run: `python -m bench.run_writes`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import moto

from bench.figures import Figure, show
from bench.write_capture import Request, captured_writes
from bench.write_units import Table, Tally, item_size, tables, tally
from devtools.clock import ManualClock
from devtools.environment import use_template_environment
from devtools.resources import create_resources, create_targets
from devtools.stack import START, Stack
from devtools.template import TARGET_ARNS
from serverless_jobs.domain.timefmt import iso_z

JOBS_TABLE = "JobsTable"
KINDS = {  # schedule kind -> the job's schedule fields
    "minute or slower (1h)": {"schedule": "1h"},
    "sub-minute (30s)": {"schedule": "30s"},
    "one-time (runAt)": {"runAt": iso_z(START + timedelta(minutes=30))},
}
CREATE, LABELLED, CLAIM, RUN, TRIGGER, RETRY, FAILED, NOTIFIED = (
    "create",
    "create with two labels (LabelsTable)",
    "tick claim",
    "successful run, claim to finish",
    "trigger and its run",
    "retry (an attempt that fails, retry due)",
    "failed run (last attempt)",
    "failed run, its onFailure notification sent (SQS)",
)


@dataclass(frozen=True)
class Operations:
    """Each operation's captured write requests, and the seconds an invocation waited for the run (sub-minute:
    the alarm's pass waiting out its sub-second rest)."""

    requests: dict[str, list[Request]]
    slept_per_run: float

    def tallies(self, shapes: dict[str, Table]) -> dict[str, Tally]:
        return {
            name: tally((w for r in requests for w in r.writes), shapes) for name, requests in self.requests.items()
        }

    def largest_job(self) -> int:
        return max(
            item_size(image)
            for requests in self.requests.values()
            for request in requests
            for write in request.writes
            if write.table == JOBS_TABLE
            for image in (write.before, write.after)
            if image is not None
        )


@contextmanager
def fresh_stack(**settings: Any) -> Iterator[Stack]:
    """A Stack on a fresh moto account with the template's tables and rule, settings changed as given."""
    with moto.mock_aws():
        create_resources()
        stack = Stack(ManualClock(START), **settings)
        try:
            yield stack
        finally:
            stack.close()


def operations(kind: str, pad: int = 0) -> Operations:
    """The operations on a job of `kind` whose `data` carries `pad` bytes of padding."""
    fields = {**KINDS[kind], "data": {"pad": "x" * pad}}
    captured: dict[str, list[Request]] = {}

    def capture(name: str, action: Callable[[], Any]) -> Any:
        with captured_writes() as requests:
            result = action()
        captured[name] = requests
        return result

    slept = 0.0
    with fresh_stack() as stack:
        job = capture(CREATE, lambda: stack.create(**fields))
        if kind.startswith("sub-minute"):
            reports = capture(CLAIM, lambda: _by_alarm(stack, job["id"]))
            slept = sum(report.get("slept", 0.0) for report in reports)
        else:
            stack.clock.advance(31 * 60 if "runAt" in fields else 3600)
            capture(CLAIM, stack.tick)
        with captured_writes() as run:
            stack.deliver()
        captured[RUN] = captured[CLAIM] + run
        if kind.startswith("minute"):
            capture(TRIGGER, lambda: (stack.api.post(f"/jobs/{job['id']}/trigger", None), stack.deliver()))
            capture(LABELLED, lambda: stack.create(**fields, labels={"team": "billing", "tier": "gold"}))
    with fresh_stack() as stack:
        failing = stack.create(**{**fields, "handler": "fail", "maxAttempts": 2, "retryBackoffSeconds": 60})
        stack.clock.advance(31 * 60 if "runAt" in fields else 3600)
        capture(RETRY, lambda: (stack.tick(), stack.deliver()))
        stack.clock.advance(61)
        capture(FAILED, lambda: (stack.tick(), stack.deliver()))
        assert stack.history(failing["id"])[0]["status"] == "failed", stack.history(failing["id"])
    if kind.startswith("minute"):  # the History table's owedNotifications index: the mark, then its clearing
        with fresh_stack() as stack:
            create_targets()
            notify = {"onFailure": {"type": "sqs", "arn": TARGET_ARNS["sqs"]}}
            stack.create(**{**fields, "handler": "fail", "maxAttempts": 1, "notify": notify})
            stack.clock.advance(3600)
            capture(NOTIFIED, lambda: (stack.tick(), stack.deliver()))
    return Operations(captured, slept)


IMMEDIATE = "immediate (no runAt: its create starts it)"


def immediate_operations(pad: int = 0) -> Operations:
    """A one-time job with no `runAt`: its create (which stores it claimed, its run dispatched: decision
    "The claim is the start") and its run, whose `data` carries `pad` bytes of padding."""
    captured: dict[str, list[Request]] = {}
    with fresh_stack() as stack:
        with captured_writes() as create:
            job = stack.create(data={"pad": "x" * pad})
        assert job["status"] == "running", job
        with captured_writes() as run:
            [result] = stack.deliver()
        assert result["outcome"] == "completed", result
        captured[CREATE], captured[RUN] = create, run
    return Operations(captured, 0.0)


def one_kb_immediate() -> Operations:
    """`immediate_operations` on a 1 KB job."""
    return immediate_operations(1024 - immediate_operations().largest_job())


def _by_alarm(stack: Stack, job_id: str) -> list[dict[str, Any]]:
    """The alarm the job's create set (decision 0075) shows when it is due, and its pass claims the job;
    the reports of the tick woken instead, if the create woke one (none: the alarm's waits are the
    dispatch function's, in `stack.alarms.sleeps`)."""
    stack.fire_timers()
    reports = stack.wake()
    assert stack.job(job_id)["status"] == "running", stack.job(job_id)
    return [*reports, {"slept": sum(stack.alarms.sleeps)}]


def one_kb(kind: str) -> Operations:
    """The operations on a 1 KB job of `kind`: padded so its item at its largest is 1,024 bytes."""
    return operations(kind, 1024 - operations(kind).largest_job())


def figures_of(kind: str, tallies: dict[str, Tally]) -> list[Figure]:
    figures = []
    for name, counted in tallies.items():
        label = f"{kind}, {name}"
        figures += [
            Figure(f"{label}: items written", counted.items, "items"),
            Figure(f"{label}: WRU on tables", counted.table, "WRU"),
            Figure(f"{label}: WRU on indexes ({_by_index(counted)})", counted.index_total, "WRU"),
            Figure(f"{label}: WRU in all", counted.total, "WRU"),
        ]
    return figures


def _by_index(counted: Tally) -> str:
    return ", ".join(f"{name.split('.')[-1]} {units}" for name, units in sorted(counted.indexes.items())) or "none"


def measure() -> list[Figure]:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    shapes = tables()
    figures = []
    for kind in KINDS:
        figures += figures_of(kind, one_kb(kind).tallies(shapes))
    return figures + figures_of(IMMEDIATE, one_kb_immediate().tallies(shapes))


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
