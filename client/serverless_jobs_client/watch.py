"""Following runs as they happen, by polling the job's history (the API has no push channel)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import islice

from serverless_jobs_client.client import JobsClient
from serverless_jobs_client.errors import ClientError
from serverless_jobs_client.models import Run


class WaitTimedOut(ClientError):
    """The run had not ended when the wait's time ran out."""


def wait_for_run(
    client: JobsClient,
    job_id: str,
    run_id: str,
    *,
    interval: float = 1.0,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_poll: Callable[[Run | None], None] = lambda run: None,
) -> Run:
    """The run once it has ended (completed, failed, timed out or skipped).

    A triggered run shows in history once its executor starts it; until then, and while it runs, this
    polls every `interval` seconds, calling `on_poll` with what it saw (a spinner's cue).
    """
    deadline = None if timeout is None else clock() + timeout
    while True:
        run = client.run(job_id, run_id)
        on_poll(run)
        if run is not None and run.ended:
            return run
        if deadline is not None and clock() >= deadline:
            state = run.status if run is not None else "not started"
            raise WaitTimedOut(f"run {run_id} of job {job_id} is still {state} after {timeout:g}s")
        sleep(interval)


def follow_history(
    client: JobsClient,
    job_id: str,
    *,
    interval: float = 0.5,
    backlog: int = 10,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Run]:
    """The job's latest `backlog` runs, oldest first, then each run as it starts and again as it ends.

    Endless: the caller stops iterating (Ctrl-C in the CLI). A run is yielded once per status it is seen in.
    """
    seen: set[tuple[str, str]] = set()
    window = max(backlog, 20)  # how far back each poll looks for changes: more runs than start per poll
    first = True
    while True:
        latest = list(islice(client.history(job_id, page_size=window), window))
        fresh = [run for run in reversed(latest) if (run.id, run.status) not in seen]
        if first:
            fresh = fresh[-backlog:] if backlog else []
            seen.update((run.id, run.status) for run in latest)
            first = False
        for run in fresh:
            seen.add((run.id, run.status))
            yield run
        sleep(interval)
