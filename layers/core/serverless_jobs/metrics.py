"""Operational metrics as CloudWatch EMF (Powertools Metrics): every name in one place, counted where it happens.

The core calls `count`, `milliseconds` and `per_handler`; each Lambda function flushes the invocation's
metrics once with `@metrics.log_metrics`, one log line that CloudWatch turns into metrics. The namespace
(`POWERTOOLS_METRICS_NAMESPACE`) and the `service` dimension (`POWERTOOLS_SERVICE_NAME`, the stack's name,
so two stacks in one account never share a series) come from the template.

Every metric lands in the service-wide series (dimension `service` alone): CloudWatch alarms cannot sum
across dimension values, so the alarms read that series. An executor invocation is about one run of one
handler, so its metrics also land, from the same log line, in that handler's series (`service`,
`handler`) for the dashboard. The tick and the API speak of many runs in one invocation; their metrics
stay service-wide, and their log lines name each run.
"""

from __future__ import annotations

import warnings
from enum import StrEnum

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

# Most API requests count nothing; Powertools would warn about every such flush.
warnings.filterwarnings("ignore", message="No application metrics to publish")


class Metric(StrEnum):
    RUNS_STARTED = "RunsStarted"  # executor: a run began (once per run, duplicates are not counted)
    RUNS_SUCCEEDED = "RunsSucceeded"  # executor: the handler returned
    RUNS_FAILED = "RunsFailed"  # executor: the handler raised, overstayed its timeout, or is not registered
    RUNS_TIMED_OUT = "RunsTimedOut"  # tick: a run's lease expired without a report (the executor died)
    DISPATCH_REFUSED = "DispatchRefused"  # tick, API: Lambda refused the Invoke; the run failed unstarted
    DISPATCH_LAG_MS = "DispatchLagMs"  # executor: startedAt - scheduledAt, for scheduled and manual runs
    RUN_DURATION_MS = "RunDurationMs"  # executor: completedAt - startedAt
    TICK_DUE_JOBS = "TickDueJobs"  # tick: due jobs one pass found
    TICK_PASS_MS = "TickPassMs"  # tick: how long one pass took


metrics = Metrics()


def count(metric: Metric, value: int = 1) -> None:
    _add(metric, MetricUnit.Count, value)


def milliseconds(metric: Metric, value: float) -> None:
    _add(metric, MetricUnit.Milliseconds, value)


def per_handler(handler: str) -> None:
    """Put this invocation's metrics in `handler`'s series too: only for an invocation about one run."""
    if not is_metrics_disabled():
        metrics.add_dimensions(service=str(metrics.provider.service), handler=handler)


def _add(metric: Metric, unit: MetricUnit, value: float) -> None:
    # Disabled (the local stack) means nothing is buffered: Powertools would still print every 100th value.
    if not is_metrics_disabled():
        metrics.add_metric(name=metric.value, unit=unit, value=value)
