"""Tell a job's `notify` target how a run ended, after the run is recorded (issue 14, DESIGN §5, §9).

At least once: sent after the entry is closed and the job moved on, so a notification never precedes what
it reports; a few quick attempts within the invocation, then given up and recorded on the run's entry
(`notification: {"delivered": false, ...}`). Never raises and never changes the job: a notification
that cannot be delivered is the notifier's problem, not the run's.
"""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger

from serverless_jobs.domain.job import Job, Run, RunRequest, run_log_keys
from serverless_jobs.domain.notify import fails_for_good, message
from serverless_jobs.domain.outcome import Outcome
from serverless_jobs.ports import TargetSender
from serverless_jobs.usecases.deps import Deps

logger = Logger(child=True)

ATTEMPTS = 3
ATTEMPT_TIMEOUT_SECONDS = 5.0
PAUSE_SECONDS = (0.1, 0.3)  # between attempts: a blip passes, the run's invocation is not held long


def notify(deps: Deps, job: Job, run: Run, targets: TargetSender) -> None:
    """Send `run`'s notification, if `job.notify` wants one; record it on the entry if it cannot be sent."""
    target = None if job.notify is None else job.notify.target_for(run, job.max_attempts)
    if target is None:
        return
    final = run.status == "completed" or fails_for_good(run, job.max_attempts)
    request = RunRequest(job.id, run.id, run.attempt, None, run.trigger)
    outcome = Outcome(False)
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE_SECONDS[attempt - 1])
        try:
            outcome, _ = targets.send(target, message(run, final=final), request, ATTEMPT_TIMEOUT_SECONDS)
        except Exception as error:  # a sender never raises; a notification never fails its run if one does
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        if outcome.succeeded or not outcome.retryable:
            break
    keys = run_log_keys(job.id, run.id, run.attempt, run.trigger)
    if outcome.succeeded:
        return
    logger.warning("notification not delivered", extra={**keys, "target": target.label, "error": outcome.error})
    run.notification = {"delivered": False, "target": target.type, "error": outcome.error}
    try:
        deps.history.annotate(run)
    except Exception:
        logger.exception("notification failure not recorded on the run", extra=keys)
