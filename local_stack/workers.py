"""What stands in for Lambda locally: a pool that runs dispatched runs, threads for a herd's shards, the tick loop."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import datetime

from devtools.functions import FakeLambdaContext, LambdaHandler
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.timefmt import to_millis

log = logging.getLogger("local_stack")

EXECUTOR_TIMEOUT_MILLIS = 900_000
DISPATCH_TIMEOUT_MILLIS = 60_000


class WorkerPoolDispatcher:
    """The Dispatcher interface over daemon worker threads: a run still going never blocks shutdown."""

    def __init__(self) -> None:
        self._queue: queue.Queue[RunRequest] = queue.Queue()

    def start(self, execute: LambdaHandler, workers: int = 8) -> None:
        """Run what is dispatched (and was, before this) with `execute`, the executor function's handler."""
        for number in range(workers):
            threading.Thread(target=self._work, args=(execute,), name=f"executor-{number}", daemon=True).start()

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        for run in runs:
            self._queue.put(run)
        return []

    def _work(self, execute: LambdaHandler) -> None:
        while True:
            run = self._queue.get()
            context = FakeLambdaContext(function_name="ExecutorFunction", remaining_millis=EXECUTOR_TIMEOUT_MILLIS)
            try:
                result = execute(run.to_payload(), context)
                error = f" error={result['error']!r}" if result["error"] else ""
                log.info(
                    "run  %s job=%s attempt=%s trigger=%s%s",
                    result["outcome"],
                    run.jobId,
                    run.attempt,
                    run.trigger,
                    error,
                )
            except Exception:
                log.exception(
                    "run  crashed job=%s run=%s (its lease will expire and it is retried)", run.jobId, run.runId
                )


class ThreadShardDispatcher:
    """The ShardDispatcher interface: each shard of a herd the tick hands out runs the dispatch function on a
    daemon thread of its own, as Lambda would run parallel invocations."""

    def __init__(self, dispatch: LambdaHandler) -> None:
        self._dispatch = dispatch

    def hand_off(self, shard: str, due_by: datetime) -> bool:
        event = {"shard": shard, "dueBy": to_millis(due_by)}
        threading.Thread(target=self._run, args=(event,), name=f"dispatch-{shard}", daemon=True).start()
        return True

    def _run(self, event: dict[str, object]) -> None:
        context = FakeLambdaContext(function_name="DispatchFunction", remaining_millis=DISPATCH_TIMEOUT_MILLIS)
        try:
            report = self._dispatch(event, context)
            log.info("dispatch shard=%s dispatched=%s", event["shard"], report.get("dispatched"))
        except Exception:
            log.exception("dispatch crashed shard=%s (its jobs stay due)", event["shard"])


class TickLoop:
    """Fires the tick function every `interval` seconds, as the rule would; the tick reads the runner switch."""

    def __init__(self, tick: LambdaHandler, interval: float) -> None:
        self._tick = tick
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tick", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        event = {"detail-type": "Scheduled Event", "source": "local_stack", "detail": {}}
        next_pass = time.monotonic()
        while not self._stop.wait(max(0.0, next_pass - time.monotonic())):
            # A fixed rate: a slow pass does not push the next one back, nor do passes pile up behind it.
            next_pass = max(next_pass + self._interval, time.monotonic())
            try:
                # No time left in this context: the tick makes exactly one pass; this loop is the poller.
                report = self._tick(event, FakeLambdaContext(function_name="TickFunction", remaining_millis=0))
                # Each dispatched run logs its own line; the tick speaks only of runs that never reported.
                if report["recovered"] or report["undelivered"]:
                    log.info("tick recovered=%s undelivered=%s", report["recovered"], report["undelivered"])
            except Exception:
                log.exception("tick failed")
