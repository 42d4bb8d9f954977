"""What the core can refuse. The API maps each to a status code; the core itself knows no HTTP."""

from __future__ import annotations


class JobsError(Exception):
    """Base of every refusal; `str(error)` is a message fit for the caller."""


class InvalidInput(JobsError, ValueError):
    """A value that cannot be accepted; the message starts with the field's name.

    A ValueError too, so pydantic validators can raise it and keep the message.
    """

    def __init__(self, field: str, problem: str) -> None:
        # A message may quote what was sent, lone surrogates (`"\ud800"` in JSON) included: escaped, so that
        # pydantic, the logs and the answer can all encode it as UTF-8.
        super().__init__(f"{field}: {problem}".encode("utf-8", "backslashreplace").decode("utf-8"))
        self.field = field


class ScheduleError(InvalidInput):
    """A schedule, time zone or window that cannot run; the message says what to change."""


class NotFound(JobsError):
    def __init__(self, job_id: str) -> None:
        shown = job_id if len(job_id) <= 64 else f"{job_id[:64]}... ({len(job_id)} characters)"
        super().__init__(f"job '{shown}' not found")


class RunnerRuleMissing(JobsError):
    def __init__(self, rule_name: str) -> None:
        super().__init__(f"the runner's EventBridge rule '{rule_name}' does not exist; deploy the stack's TickRule")


class Conflict(JobsError):
    """The job's current state does not allow the request (e.g. triggering a job that is running)."""


class KeyInUse(Conflict):
    """A job's `key` is held by another job: keys are unique in a stack."""

    def __init__(self, key: str, holder: str) -> None:
        super().__init__(f"key: '{key}' is in use by job '{holder}'")
        self.key = key
        self.holder = holder
