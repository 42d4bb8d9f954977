"""Settings read once from the environment that template.yaml gives each function."""

from __future__ import annotations

import os
from dataclasses import dataclass

# The handlers/ folder's package: always loaded, so the built-in example handlers are always registered.
BUILT_IN_HANDLERS = "job_handlers"


@dataclass(frozen=True)
class Settings:
    jobs_table: str
    history_table: str
    due_shards: int
    history_retention_days: int
    executor_function: str
    runner_rule: str
    lease_margin_seconds: int
    tick_poll_seconds: float
    handler_packages: tuple[str, ...]
    heartbeat_alarm: str
    log_job_data: bool

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        return cls(
            jobs_table=env.get("JOBS_TABLE", "jobs"),
            history_table=env.get("HISTORY_TABLE", "job-history"),
            due_shards=int(env.get("DUE_SHARDS", "4")),
            history_retention_days=int(env.get("HISTORY_RETENTION_DAYS", "30")),
            executor_function=env.get("EXECUTOR_FUNCTION", "executor"),
            runner_rule=env.get("RUNNER_RULE", "tick"),
            lease_margin_seconds=int(env.get("LEASE_MARGIN_SECONDS", "60")),
            tick_poll_seconds=float(env.get("TICK_POLL_SECONDS", "1")),
            handler_packages=(
                BUILT_IN_HANDLERS,
                *(name.strip() for name in env.get("HANDLER_PACKAGES", "").split(",") if name.strip()),
            ),
            heartbeat_alarm=env.get("HEARTBEAT_ALARM", "tick-heartbeat"),
            # Job data and results are the user's, not ours: out of the logs unless the stack says otherwise.
            log_job_data=env.get("LOG_JOB_DATA", "false").lower() == "true",
        )


settings = Settings.from_environment()
