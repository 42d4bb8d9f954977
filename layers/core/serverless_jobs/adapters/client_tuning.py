"""How long each function waits on AWS and how often botocore retries: one explicit setting per function.

botocore's defaults (a 60 s connect and a 60 s read timeout, legacy mode with 5 attempts) suit none of the
functions: the tick's passes dispatch runs at their due time, the API answers within 15 s, and only the executor, which
records a run that has already happened, can afford to wait longer.
Decision "AWS clients are tuned per function" says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from botocore.config import Config


@dataclass(frozen=True)
class ClientTuning:
    """Timeouts (seconds) and retries for one function's clients; `attempts` counts the first call too."""

    connect_timeout: float
    read_timeout: float
    attempts: int
    retry_mode: Literal["standard", "adaptive"] = "standard"
    max_pool_connections: int = 10

    def botocore_config(self) -> Config:
        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": self.retry_mode, "total_max_attempts": self.attempts},
            max_pool_connections=self.max_pool_connections,
        )


# The API: 15 s in all and 3 s kept back to answer; one call gives up after about 3 x 3 s plus backoff, so a
# request whose AWS is failing answers 503 in time instead of meeting API Gateway's 504.
API_CLIENTS = ClientTuning(connect_timeout=1.0, read_timeout=3.0, attempts=3)
# The tick: a DynamoDB call that has not answered in 2 s is better left to the next pass (1 s after a fault).
# A pass keeps 32 calls in flight (usecases.tick.CALLS_IN_FLIGHT): a connection each, none opened and dropped.
TICK_CLIENTS = ClientTuning(connect_timeout=1.0, read_timeout=2.0, attempts=3, max_pool_connections=32)
# The tick's Invoke calls: up to 32 at once (a pass's calls in flight); adaptive mode slows the whole fan-out
# down when Lambda throttles, instead of every thread retrying into the throttle.
DISPATCH_CLIENTS = ClientTuning(
    connect_timeout=1.0, read_timeout=3.0, attempts=3, retry_mode="adaptive", max_pool_connections=32
)
# The executor: its writes record a run that happened; it has minutes, so it waits and retries longer.
EXECUTOR_CLIENTS = ClientTuning(connect_timeout=2.0, read_timeout=5.0, attempts=5)
# A lambda target's synchronous Invoke: it waits as long as the function runs (at most Lambda's 900 s; the
# executor stops waiting at the job's timeout), and is never retried by botocore, which would run the
# function twice: the run protocol retries it.
TARGET_INVOKE_CLIENTS = ClientTuning(connect_timeout=2.0, read_timeout=900.0, attempts=1)

# Every tuning a function's DynamoDB models are bound with (one pynamodb client per table and tuning).
DYNAMODB_TUNINGS = (API_CLIENTS, TICK_CLIENTS, EXECUTOR_CLIENTS)
