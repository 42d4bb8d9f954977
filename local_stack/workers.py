"""What stands in for Lambda locally: a pool that runs dispatched runs, threads for a herd's shards, the
tick loop (the rule, and the tick's wakes), and the timer queue's event source mapping."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devtools.functions import LambdaHandler
from local_stack.context import InvocationContext
from serverless_jobs.adapters.lambda_events import notify_event, run_event, shard_event, sqs_event, wake_event
from serverless_jobs.domain.job import RunRequest

log = logging.getLogger("local_stack")


class WorkerPoolDispatcher:
    """The Dispatcher and NotificationHandOff interfaces over daemon worker threads, as Lambda's async invoke
    of the executor: dispatched runs, and closed runs' owed notifications. A run still going never blocks
    shutdown."""

    def __init__(self) -> None:
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()

    def start(self, execute: LambdaHandler, workers: int = 8) -> None:
        """Run what is dispatched (and was, before this) with `execute`, the executor function's handler."""
        for number in range(workers):
            threading.Thread(target=self._work, args=(execute,), name=f"executor-{number}", daemon=True).start()

    def dispatch(self, runs: Sequence[RunRequest]) -> list[RunRequest]:
        for run in runs:
            self._queue.put(run_event(run))
        return []

    def hand_off(self, job_id: str, run_id: str, claimed_at: int) -> bool:
        self._queue.put(notify_event(job_id, run_id, claimed_at))
        return True

    def _work(self, execute: LambdaHandler) -> None:
        while True:
            event = self._queue.get()
            context = InvocationContext.starting("ExecutorFunction")
            try:
                log.info(outcome_line(event, execute(event, context)))
            except Exception:
                ids = event.get("notify", event)
                log.exception(
                    "run  crashed job=%s run=%s (the tick recovers it, or resends its notification)",
                    ids.get("jobId"),
                    ids.get("runId"),
                )


def outcome_line(event: dict[str, Any], result: dict[str, Any]) -> str:
    """The log line of one executor invocation: a run's outcome, or a notification sent for a closed run."""
    if "notify" in event:
        return f"notify {result['outcome']} job={result['jobId']} run={result['runId']}"
    error = f" error={result['error']!r}" if result["error"] else ""
    return f"run  {result['outcome']} job={event['jobId']} attempt={event['attempt']} trigger={event['trigger']}{error}"


class ThreadShardDispatcher:
    """The ShardDispatcher interface: each shard of a herd the tick hands out runs the dispatch function on a
    daemon thread of its own, as Lambda would run parallel invocations."""

    def __init__(self, dispatch: LambdaHandler) -> None:
        self._dispatch = dispatch

    def hand_off(self, shard: str, due_by: datetime) -> bool:
        event = shard_event(shard, due_by)
        threading.Thread(target=self._run, args=(event,), name=f"dispatch-{shard}", daemon=True).start()
        return True

    def _run(self, event: dict[str, Any]) -> None:
        context = InvocationContext.starting("DispatchFunction")
        try:
            report = self._dispatch(event, context)
            log.info("dispatch shard=%s dispatched=%s", event["shard"], report.get("dispatched"))
        except Exception:
            log.exception("dispatch crashed shard=%s (its jobs stay due)", event["shard"])


class TickLoop:
    """Runs the tick as AWS does: an invocation every minute (the rule) and one for each wake (the API's and
    the executor's `Waker`), one at a time, each sleeping in `sleep` until its soonest due job.

    A wake interrupts that sleep, so the running invocation passes again and sees the write; between
    invocations it starts one. `stop` interrupts it too, and the invocation's context then has no time left,
    so the tick ends within its current pass.
    """

    def __init__(self, every_seconds: float = 60.0) -> None:
        self._every = every_seconds
        self._nudged = threading.Event()  # a wake (or stop) since the last sleep began
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._woken_for: datetime | None = None  # the latest due time woken for, no invocation started for it
        self._wakes = 0  # wakes so far, and how many the tick had seen when it last woke from a sleep
        self._seen = 0
        self._thread: threading.Thread | None = None

    def start(self, tick: LambdaHandler) -> None:
        """Run `tick`, the tick function's handler built with `sleep=self.sleep`."""
        self._thread = threading.Thread(target=self._loop, args=(tick,), name="tick", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def wake(self, due_at: datetime) -> None:
        """The local Waker: a job falls due before the next minute's tick."""
        with self._lock:
            self._woken_for = due_at if self._woken_for is None else max(self._woken_for, due_at)
            self._wakes += 1
        self._nudged.set()

    def sleep(self, seconds: float) -> bool:
        """The tick's sleep, cut short by a wake or stop; True when a wake came since the last sleep ended
        (during it, or during the pass before it), so the tick's next pass asks every shard."""
        self._nudged.wait(seconds)
        self._nudged.clear()
        with self._lock:
            woken, self._seen = self._wakes != self._seen, self._wakes
        return woken

    def _loop(self, tick: LambdaHandler) -> None:
        next_minute = time.monotonic()
        while not self._stopping.is_set():
            if time.monotonic() >= next_minute:
                # A fixed rate, as the rule's: a long invocation does not push the next minute's back.
                next_minute = max(next_minute + self._every, time.monotonic())
                event: dict[str, Any] = {
                    "detail-type": "Scheduled Event",
                    "source": "local_stack",
                    "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "detail": {},
                }
            else:
                with self._lock:
                    waiting = self._woken_for is None
                if waiting:  # a wake the last invocation ended before is served at once
                    self.sleep(next_minute - time.monotonic())
                with self._lock:
                    woken_for, self._woken_for = self._woken_for, None
                if self._stopping.is_set() or time.monotonic() >= next_minute or woken_for is None:
                    continue
                # One invocation at a time here, so one serves every wake so far: up to the latest due.
                event = wake_event(woken_for)
            self._invoke(tick, event)

    def _invoke(self, tick: LambdaHandler, event: dict[str, Any]) -> None:
        try:
            report = tick(event, LoopContext.stopped_by(self._stopping))
            # Each dispatched run logs its own line; the tick speaks only of runs that never reported, and
            # of notifications it handed to the executor again.
            if report["recovered"] or report["undelivered"] or report["renotified"]:
                log.info(
                    "tick recovered=%s undelivered=%s renotified=%s",
                    report["recovered"],
                    report["undelivered"],
                    report["renotified"],
                )
        except Exception:
            log.exception("tick failed")


@dataclass
class LoopContext(InvocationContext):
    """A tick invocation's context: Lambda's timeout counting down from now, and no time left once the
    local stack is stopping, so the tick ends at once."""

    stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def stopped_by(cls, stopping: threading.Event, function: str = "TickFunction") -> LoopContext:
        started = InvocationContext.starting(function)
        return cls(
            function_name=started.function_name,
            remaining_millis=started.remaining_millis,
            ends_at=started.ends_at,
            stopping=stopping,
        )

    def get_remaining_time_in_millis(self) -> int:
        return 0 if self.stopping.is_set() else super().get_remaining_time_in_millis()


# How often the local mapping asks moto's timer queue: a message shows within this of its delay's end.
POLL_SECONDS = 0.02


class TimerMapping:
    """The timer queue's event source mapping (decision 0075), played over moto's queue, which keeps each
    message hidden for its DelaySeconds as SQS does: a thread receives every POLL_SECONDS (Lambda's long
    poll would keep moto's lock for its 20 s) and invokes the dispatch function with each batch, at most 10,
    on a thread of its own, as Lambda runs batches in parallel; then deletes the messages the invocation did
    not report failed, as the mapping does. `stop` ends the polling and the invocations' waits at once (their
    contexts have no time left), so Ctrl-C is never held up."""

    def __init__(self, queue_url: str, queue_arn: str) -> None:
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, dispatch: LambdaHandler, client: Any) -> None:
        """Deliver the queue's messages to `dispatch`, the dispatch function's handler built with
        `sleep=self.sleep`, receiving with `client` (an SQS client)."""
        self._thread = threading.Thread(target=self._poll, args=(dispatch, client), name="timer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def sleep(self, seconds: float) -> None:
        """The dispatch function's wait for an alarm's instant, cut short by `stop`."""
        self._stopping.wait(seconds)

    def _poll(self, dispatch: LambdaHandler, client: Any) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                answer = client.receive_message(
                    QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
                )
            except Exception:
                log.exception("timer: receiving from the queue failed; trying again")
                continue
            messages = answer.get("Messages", [])
            if messages:
                threading.Thread(
                    target=self._invoke, args=(dispatch, client, messages), name="timer-dispatch", daemon=True
                ).start()

    def _invoke(self, dispatch: LambdaHandler, client: Any, messages: list[dict[str, Any]]) -> None:
        event = sqs_event([(message["MessageId"], message["Body"]) for message in messages], self._queue_arn)
        try:
            result = dispatch(event, LoopContext.stopped_by(self._stopping, "DispatchFunction"))
        except Exception:
            log.exception("timer: dispatch crashed (its messages show again after their visibility timeout)")
            return
        failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)]
            try:
                client.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception:
                log.exception("timer: deleting delivered messages failed (they show again, harmlessly)")
