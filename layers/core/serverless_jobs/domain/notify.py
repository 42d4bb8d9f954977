"""Who hears how a run ended (decision "Notifications"): a job's `notify` targets and the message they get.

Plain data and rules, no AWS: which target (if any) a closed run notifies, and what it carries. Sending
is the executor's (usecases/notify.py), through the same TargetSender a job's own target goes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serverless_jobs.domain.targets import Target
from serverless_jobs.domain.timefmt import iso_z_millis

if TYPE_CHECKING:  # job.py holds a Notify
    from serverless_jobs.domain.job import Job, Run

# How long a closed run's notification may stay owed before the tick hands it to the executor (again): longer
# than a send takes (usecases/notify: 3 attempts of at most 5 s), so one under way is not doubled, and short
# enough that one an executor lost goes out within a minute or two.
RESEND_AFTER_MILLIS = 60_000
# Each hand-off of the same notification waits twice as long as the one before, up to 64 minutes: one whose
# executor dies every time (a target that crashes it) costs a few dozen invocations a day, not one a minute.
MAX_RESEND_DOUBLINGS = 6


@dataclass(frozen=True)
class Notify:
    """`onFailure` hears of a job failing for good (or of every failed attempt, with `on_every_failure`),
    `onSuccess` of every run that completed."""

    on_failure: Target | None = None
    on_success: Target | None = None
    on_every_failure: bool = False

    def to_api(self) -> dict[str, Any]:
        """The API's (and the table's) shape; an unset target is absent."""
        shape: dict[str, Any] = {"onEveryFailure": self.on_every_failure}
        if self.on_failure is not None:
            shape["onFailure"] = self.on_failure.to_api()
        if self.on_success is not None:
            shape["onSuccess"] = self.on_success.to_api()
        return shape

    @classmethod
    def from_api(cls, value: Mapping[str, Any]) -> Notify:
        """The inverse of `to_api`, for a value the API validated (or the table stored)."""
        failure, success = value.get("onFailure"), value.get("onSuccess")
        return cls(
            on_failure=None if failure is None else Target.from_api(failure),
            on_success=None if success is None else Target.from_api(success),
            on_every_failure=bool(value.get("onEveryFailure", False)),
        )

    def targets(self) -> tuple[Target, ...]:
        """The targets set, for the create-time check that the stack may reach them."""
        return tuple(target for target in (self.on_failure, self.on_success) if target is not None)

    def target_for(self, run: Run, max_attempts: int) -> Target | None:
        """The target that hears of `run` (closed), or None: a failed attempt that will be retried is
        news only with `on_every_failure`."""
        if run.status == "completed":
            return self.on_success
        if self.on_every_failure or fails_for_good(run, max_attempts):
            return self.on_failure
        return None


def fails_for_good(run: Run, max_attempts: int) -> bool:
    """Whether a failed run is its occurrence's last attempt (outcome.next_state retries no further)."""
    return run.status != "completed" and (not run.retryable or run.attempt >= max_attempts)


def message(run: Run, *, final: bool) -> dict[str, Any]:
    """What a notification carries: the run's ids, how it ended and why, and whether it was the last try."""
    return {
        "jobId": run.job_id,
        "runId": run.id,
        "outcome": run.status,
        "error": run.error,
        "attempt": run.attempt,
        "final": final,
        "scheduledAt": iso_z_millis(run.scheduled_at),
    }


def mark_owed(job: Job, run: Run, now_millis: int) -> None:
    """Mark `run` (closed) as owing its notification when `job.notify` wants one, before the write that
    records the close: the mark is stored with the close, so a function that dies before sending loses
    nothing; the tick hands a mark older than RESEND_AFTER_MILLIS to the executor again."""
    owed = job.notify is not None and job.notify.target_for(run, job.max_attempts) is not None
    run.notify_at = now_millis + RESEND_AFTER_MILLIS if owed else None


def resend_delay_millis(hand_offs: int) -> int:
    """How long after its `hand_offs`-th hand-off (0: the close) an owed notification is handed over again."""
    return RESEND_AFTER_MILLIS << min(hand_offs, MAX_RESEND_DOUBLINGS)
