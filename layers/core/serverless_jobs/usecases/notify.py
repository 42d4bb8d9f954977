"""Tell a job's `notify` target how a run ended, after the run is recorded (issue 14, DESIGN §5, §9).

At least once: sent after the entry is closed and the job moved on, so a notification never precedes what
it reports; a few quick attempts within the invocation, then given up and recorded on the run's entry
(`notification: {"delivered": false, ...}`). Never raises and never changes the job: a notification
that cannot be delivered is the notifier's problem, not the run's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aws_lambda_powertools import Logger

from serverless_jobs.domain.job import Job, Run, RunRequest, run_log_keys
from serverless_jobs.domain.notify import fails_for_good, message
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import iso_z_millis
from serverless_jobs.ports import TargetSender
from serverless_jobs.usecases.deps import Deps

logger = Logger(child=True)

ATTEMPTS = 3
ATTEMPT_TIMEOUT_SECONDS = 5.0
PAUSE_SECONDS = (0.1, 0.3)  # between attempts: a blip passes, the run's invocation is not held long
# Time kept back from the invocation's remaining time to record a notification given up.
RECORD_RESERVE_SECONDS = 2.0
OUT_OF_TIME = "OutOfTime: the invocation had no time left to send the notification"


def notify_closed_run(
    deps: Deps, job_id: str, claimed_at: int, run_id: str, targets: TargetSender, remaining_seconds: Callable[[], float]
) -> bool:
    """Send the notification of a run another function closed (recover.hand_off_notification), from its
    stored entry and its job as they are now; False when either is gone or the entry is still open."""
    entry = deps.history.get(job_id, claimed_at, run_id)
    job = deps.jobs.get(job_id)
    if entry is None or job is None or entry.status == "running":
        return False
    notify(deps, job, entry, targets, remaining_seconds)
    return True


def notify(deps: Deps, job: Job, run: Run, targets: TargetSender, remaining_seconds: Callable[[], float]) -> None:
    """Send `run`'s notification, if `job.notify` wants one; record it on the entry if it cannot be sent.
    Each attempt fits in the invocation's `remaining_seconds()`, so a late run's notification never makes
    its executor time out."""
    target = None if job.notify is None else job.notify.target_for(run, job.max_attempts)
    if target is None:
        return
    final = run.status == "completed" or fails_for_good(run, job.max_attempts)
    request = RunRequest(job.id, run.id, run.attempt, iso_z_millis(run.scheduled_at), run.trigger)
    outcome = Outcome(False, OUT_OF_TIME)
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE_SECONDS[attempt - 1])
        timeout = min(ATTEMPT_TIMEOUT_SECONDS, remaining_seconds() - RECORD_RESERVE_SECONDS)
        if timeout <= 0:
            outcome = Outcome(False, OUT_OF_TIME)
            break
        try:
            outcome, _ = targets.send(target, message(run, final=final), request, timeout)
        except Exception as error:  # a sender never raises; a notification never fails its run if one does
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        if outcome.succeeded or not outcome.retryable:
            break
    if not outcome.succeeded:
        record_undelivered(deps, run, target, outcome.error)


def record_undelivered(deps: Deps, run: Run, target: Target, error: str | None) -> None:
    """A notification given up: logged, and recorded on the run's entry for the history to show."""
    keys = run_log_keys(run.job_id, run.id, run.attempt, run.trigger)
    logger.warning("notification not delivered", extra={**keys, "target": target.label, "error": error})
    run.notification = {"delivered": False, "target": target.type, "error": error}
    try:
        deps.history.annotate(run)
    except Exception:
        logger.exception("notification failure not recorded on the run", extra=keys)
