"""Tell a job's `notify` target how a run ended, after the run is recorded (DESIGN §5, decision "Notifications").

At least once: the write that closes a run marks its notification owed (`domain.notify.mark_owed`); the
sender clears the mark once the notification is delivered, or given up after a few quick attempts and
recorded on the run's entry (`notification: {"delivered": false, ...}`). A mark left behind (the sender died,
Lambda refused a hand-off) is found by the tick's passes (`resend_owed`) and handed to the executor again, so
a receiver may get a notification twice and dedupes by `runId`. Never raises and never changes the job: a
notification that cannot be delivered is the notifier's problem, not the run's.

`clear_owed` (was `settle_owed`) clears a run's owed mark; "settle" is no verb of the core any more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger

from serverless_jobs.domain.job import Job, Run, RunRequest, run_log_keys
from serverless_jobs.domain.notify import fails_for_good, message, resend_delay_millis
from serverless_jobs.domain.outcome import Outcome, error_log_fields
from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import iso_z_millis, to_millis
from serverless_jobs.ports import TargetSender
from serverless_jobs.usecases.deps import Deps

logger = Logger(child=True)

ATTEMPTS = 3
ATTEMPT_TIMEOUT_SECONDS = 5.0
PAUSE_SECONDS = (0.1, 0.3)  # between attempts: a blip passes, the run's invocation is not held long
# Time kept back from the invocation's remaining time to record a notification given up.
RECORD_RESERVE_SECONDS = 2.0
OUT_OF_TIME = "OutOfTime: the invocation had no time left to send the notification"
# Owed notifications one tick pass hands over at most: a backlog (many executors lost at once) drains over a
# few passes, and a pass stays short.
RESEND_LIMIT = 25


def notify_closed_run(
    deps: Deps, job_id: str, claimed_at: int, run_id: str, targets: TargetSender, remaining_seconds: Callable[[], float]
) -> bool:
    """Send the owed notification of a run another function closed (or whose sender was lost), from its
    stored entry and its job as they are now; False when nothing is owed (the entry is gone, still open, or
    its notification went out already: a duplicate hand-off) or the job is gone (the mark is cleared)."""
    entry = deps.history.get(job_id, claimed_at, run_id)
    if entry is None or entry.status == "running" or entry.notify_at is None:
        return False
    job = deps.jobs.get(job_id)
    if job is None:
        clear_owed(deps, entry)
        return False
    notify(deps, job, entry, targets, remaining_seconds)
    return True


def notify(deps: Deps, job: Job, run: Run, targets: TargetSender, remaining_seconds: Callable[[], float]) -> None:
    """Send `run`'s notification, if `job.notify` wants one; record it on the entry if it cannot be sent.
    Each attempt fits in the invocation's `remaining_seconds()`, so a late run's notification never makes
    its executor time out."""
    target = None if job.notify is None else job.notify.target_for(run, job.max_attempts)
    if target is None:  # nobody to tell (an update cleared `notify` since the run closed): nothing owed
        clear_owed(deps, run)
        return
    final = run.status == "completed" or fails_for_good(run, job.max_attempts)
    request = RunRequest(job.id, run.id, run.attempt, iso_z_millis(run.scheduled_at), run.trigger)
    keys = request.log_keys()
    outcome = Outcome(False, OUT_OF_TIME)
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE_SECONDS[attempt - 1])
        timeout = min(ATTEMPT_TIMEOUT_SECONDS, remaining_seconds() - RECORD_RESERVE_SECONDS)
        if timeout <= 0:  # left owed: the tick hands it to an executor with time (resend_owed)
            logger.warning("notification left for a later executor", extra={**keys, "errorType": "OutOfTime"})
            return
        try:
            outcome, _ = targets.send(target, message(run, final=final), request, timeout)
        except Exception as error:  # a sender never raises; a notification never fails its run if one does
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        if outcome.succeeded or not outcome.retryable:
            break
    if outcome.succeeded:
        clear_owed(deps, run)
    else:
        record_undelivered(deps, run, target, outcome.error)


def record_undelivered(deps: Deps, run: Run, target: Target, error: str | None) -> None:
    """A notification given up: logged, and recorded on the run's entry for the history to show (in the
    write that clears its mark: it is owed no longer)."""
    keys = run_log_keys(run.job_id, run.id, run.attempt, run.trigger)
    # the notification's own target (`http`), as history shows it: not `target.label`, which names a target job
    extra = {**keys, "notifyTarget": target.type, **error_log_fields(error, with_data=deps.settings.log_job_data)}
    logger.warning("notification not delivered", extra=extra)
    run.notification = {"delivered": False, "target": target.type, "error": error}
    run.notify_at = None
    annotate(deps, run)


def clear_owed(deps: Deps, run: Run) -> None:
    """Clear `run`'s mark of an owed notification, if it has one: sent, or nobody left to send it to."""
    if run.notify_at is not None:
        run.notify_at = None
        annotate(deps, run)


def annotate(deps: Deps, run: Run) -> None:
    """Rewrite the closed entry as `run` stands; a failure is logged (a mark left owed is sent again)."""
    try:
        deps.history.annotate(run)
    except Exception:
        keys = run_log_keys(run.job_id, run.id, run.attempt, run.trigger)
        logger.exception("notification state not recorded on the run", extra=keys)


def resend_owed(deps: Deps, now: datetime, has_time: Callable[[], bool]) -> int:
    """Hand the executor the notifications owed past their `notify_at` (their sender died, or Lambda refused
    the hand-off): one Query of at most RESEND_LIMIT, then for each, while `has_time()`, a conditional write
    that moves its `notify_at` on (a minute, doubling with each hand-off up to an hour: a concurrent tick,
    or the next pass, does not hand it too) and the hand-off. A refused hand-off stays owed and is handed
    again then. How many were handed over."""
    if deps.notifications is None or not has_time():  # a pass with no time to hand any over asks nothing
        return 0
    now_millis = to_millis(now)
    handed = 0
    for owed in deps.history.owed(now_millis, RESEND_LIMIT):
        if not has_time():
            break
        if deps.history.postpone(owed, now_millis + resend_delay_millis(owed.hand_offs)):
            handed += deps.notifications.hand_off(owed.job_id, owed.run_id, owed.claimed_at)
    return handed
