"""Human output: aligned text tables and `field: value` listings, times in UTC to the second."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from serverless_jobs_client.models import Job, RateLimit, Run

MAX_CELL = 60


def cell(value: Any) -> str:
    """One value as table text: times to the second, None as `-`, JSON as compact JSON, cut at 60 characters."""
    if value is None:
        text = "-"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%SZ")
    elif isinstance(value, dict | list | bool):
        text = json.dumps(value, separators=(",", ":"))
    else:
        text = " ".join(str(value).split())  # one line: newlines in an error would break the table
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    texts = [[cell(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[index]) for row in texts)]) for index, header in enumerate(headers)]
    lines = [headers, *texts]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


JOB_COLUMNS = ("ID", "NAME", "STATUS", "SCHEDULE", "CREATED", "NEXT RUN", "LAST RUN", "LAST ERROR")
RUN_COLUMNS = ("RUN", "STATUS", "ATTEMPT", "TRIGGER", "STARTED", "DURATION", "ERROR")


def job_row(job: Job) -> list[Any]:
    return [job.id, job.name, job.status, job.schedule, job.createdAt, job.nextRunAt, job.lastRunAt, job.lastError]


def run_row(run: Run) -> list[Any]:
    duration = None if run.duration is None else f"{run.duration}ms"
    return [run.id, run.status, run.attempt, run.trigger, run.startedAt, duration, run.error]


def job_table(jobs: Sequence[Job]) -> str:
    return table(JOB_COLUMNS, [job_row(job) for job in jobs])


def run_table(runs: Sequence[Run]) -> str:
    return table(RUN_COLUMNS, [run_row(run) for run in runs])


def run_line(run: Run) -> str:
    """One run on one line of its own, as `history --follow` streams them (log-like, no shared widths)."""
    started, status, attempt, trigger, duration, error = (
        cell(value) for value in (run.startedAt, run.status, run.attempt, run.trigger, run.duration, run.error)
    )
    line = f"{started}  {status:<9}  run={run.id} attempt={attempt} trigger={trigger}"
    if run.ended:
        line += f" duration={duration}ms"
    return line + (f" error={error}" if run.error else "")


def details(job: Job) -> str:
    """Every field the API sent, one per line, in its order (so fields added later show too); times as the
    tables show them."""
    body = job.raw
    width = max((len(key) for key in body), default=0)
    return "\n".join(f"{key.ljust(width)}  {_detail(getattr(job, key, value))}" for key, value in body.items())


def _detail(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return cell(value)
    if isinstance(value, RateLimit):
        value = value.to_api()
    if isinstance(value, dict | list | bool):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
