"""The settings template.yaml gives each function, read and checked once, when a function is built.

Nothing reads the environment at import: a function builds its settings in Lambda's init phase (and a
test or the local stack builds its own), and a missing or malformed variable stops it there with a message
naming the variable, instead of a default that quietly points at the wrong table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from serverless_jobs.domain.targets import OwnResources

N = TypeVar("N", int, float)


class SettingsError(Exception):
    """A variable the template should have set is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    jobs_table: str
    history_table: str
    due_shards: int
    history_retention_days: int
    executor_function: str = ""  # functions that dispatch (API, tick) name the executor
    runner_rule: str = ""  # functions that read or switch the runner name the tick's rule
    tick_function: str = ""  # functions that write jobs due soon (API, executor) wake the tick
    handler_packages: tuple[str, ...] = ()  # more handler packages than the built-in job_handlers
    lease_margin_seconds: int = 60
    heartbeat_alarm: str = ""  # the API mutes it while the runner is stopped
    idempotency_table: str = ""  # the API's record of answers to requests with an Idempotency-Key
    labels_table: str = ""  # the API's label groups (a membership per label and job)
    state_table: str = ""  # the stack's own state: the runner switch, the page-token key
    log_job_data: bool = False  # job data and results are the user's: out of the logs unless the stack says
    # The ARNs (IAM patterns) a job's target may name: the executor's role grants exactly these.
    target_arn_patterns: tuple[str, ...] = ()
    # The SSM SecureString parameter holding the secret webhooks are signed with; empty: no webhooks.
    webhook_secret_parameter: str = ""
    # Set by the local stack (`make dev`), never by the template: no Lambda service to invoke, and webhooks
    # may be plain http to a private or loopback address (a receiver on this machine).
    local_stack: bool = False
    dispatch_function: str = ""  # the tick hands shards of a herd to this function (empty: it never fans out)
    fan_out_threshold: int = 200  # due jobs in one pass beyond which the tick hands its shards out
    dead_letter_queue: str = ""  # the executor's undeliverable events (its URL): never a job's target
    # The SQS timer's queue URL (decision 0075): functions that set alarms send to it; empty: no timer, the
    # tick sleeps towards work due within its minute as before.
    timer_queue: str = ""
    function_name: str = ""  # this function's own name, as Lambda's runtime sets it (AWS_LAMBDA_FUNCTION_NAME)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Settings:
        values = os.environ if env is None else env
        return cls(
            jobs_table=_required(values, "JOBS_TABLE"),
            history_table=_required(values, "HISTORY_TABLE"),
            due_shards=_number(values, "DUE_SHARDS", int, minimum=1),
            history_retention_days=_number(values, "HISTORY_RETENTION_DAYS", int, minimum=1),
            executor_function=values.get("EXECUTOR_FUNCTION", ""),
            runner_rule=values.get("RUNNER_RULE", ""),
            tick_function=values.get("TICK_FUNCTION", ""),
            handler_packages=_listed(values.get("HANDLER_PACKAGES", "")),
            lease_margin_seconds=_number(values, "LEASE_MARGIN_SECONDS", int, minimum=0, default="60"),
            heartbeat_alarm=values.get("HEARTBEAT_ALARM", ""),
            idempotency_table=values.get("IDEMPOTENCY_TABLE", ""),
            labels_table=values.get("LABELS_TABLE", ""),
            state_table=values.get("STATE_TABLE", ""),
            log_job_data=values.get("LOG_JOB_DATA", "false").lower() == "true",
            target_arn_patterns=_listed(values.get("TARGET_ARN_PATTERNS", "")),
            webhook_secret_parameter=values.get("WEBHOOK_SECRET_PARAMETER", "").strip(),
            dispatch_function=values.get("DISPATCH_FUNCTION", ""),
            fan_out_threshold=_number(values, "FAN_OUT_THRESHOLD", int, minimum=1, default="200"),
            dead_letter_queue=values.get("DEAD_LETTER_QUEUE", ""),
            timer_queue=values.get("TIMER_QUEUE", "").strip(),
            function_name=values.get("AWS_LAMBDA_FUNCTION_NAME", ""),
        )

    @property
    def own_resources(self) -> OwnResources:
        """The stack's functions and queues this function knows of, which no job may target. The API knows
        them all (its own name from the runtime: a reference to itself would be a cycle in the template)."""
        functions = (self.executor_function, self.tick_function, self.dispatch_function, self.function_name)
        queue = self.dead_letter_queue.rstrip("/").rsplit("/", 1)[-1]
        return OwnResources(frozenset(filter(None, functions)), frozenset(filter(None, [queue])))


def _listed(text: str) -> tuple[str, ...]:
    """A comma-separated parameter's items, blanks dropped."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _required(values: Mapping[str, str], name: str) -> str:
    value = values.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set; template.yaml sets it for every function")
    return value


def _number(values: Mapping[str, str], name: str, kind: type[N], *, minimum: N, default: str | None = None) -> N:
    text = values.get(name, default) if default is not None else _required(values, name)
    try:
        number = kind(text)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}={text!r} is not a {kind.__name__}") from None
    if number < minimum:
        raise SettingsError(f"{name}={text!r} must be at least {minimum}")
    return number
