"""The alarms and the dashboard of template.yaml: they notify, and they read metrics the code really emits.

The metrics an alarm or a widget names are compared with the series the functions emit in a scenario that
produces every outcome, dimensions included: renaming a metric, or alarming on a dimension set the code
does not write, fails here instead of leaving an alarm that never fires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
import pytest

from devtools.api import ApiClient
from devtools.stack import Stack
from devtools.template import function_ids, function_spec, load_template, resolve, resources, translated_template
from harness.telemetry import Series, emf_series
from serverless_jobs.metrics import Metric
from serverless_jobs.settings import Settings

settings = Settings.from_environment()
NAMESPACE = function_spec("ExecutorFunction").environment["POWERTOOLS_METRICS_NAMESPACE"]
TOPIC = "arn:aws:sns:us-east-1:123456789012:serverless-jobs-alarms"
NO_VALUE = object()
# The dispatch events' queue and the timer's (decision 0075): each has its alarm and its widget.
DEAD_LETTER_QUEUES = {"DeadLetterQueue": "DeadLetterAlarm", "TimerDeadLetterQueue": "TimerDeadLetterAlarm"}


@cache
def translated() -> dict[str, Any]:
    return translated_template()


def evaluate(value: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """The template's conditions, `Fn::If` and `AWS::NoValue` as CloudFormation evaluates them."""

    def inner(item: Any) -> Any:
        return evaluate(item, parameters, conditions)

    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        intrinsics: dict[str, Callable[[], Any]] = {
            "Fn::If": lambda: inner(argument[1] if inner(conditions[argument[0]]) else argument[2]),
            "Fn::Equals": lambda: inner(argument[0]) == inner(argument[1]),
            "Fn::Not": lambda: not inner(argument[0]),
        }
        if key in intrinsics:
            return intrinsics[key]()
        references = {**parameters, "AWS::NoValue": NO_VALUE}
        if key == "Ref" and argument in references:
            return references[argument]
    if isinstance(value, dict):
        evaluated = {key: inner(item) for key, item in value.items()}
        return {key: item for key, item in evaluated.items() if item is not NO_VALUE}
    if isinstance(value, list):
        return [inner(item) for item in value]
    return value


def deployed_alarms(**parameters: str) -> dict[str, dict[str, Any]]:
    """Each alarm's properties as `sam deploy` creates them with these parameters (the rest at their defaults)."""
    template = translated()
    values = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()} | parameters
    return {
        logical_id: evaluate(resource["Properties"], values, template.get("Conditions", {}))
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def alarm_metrics(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads (its one metric, or each metric of its metric math), unresolved."""
    if "MetricName" in properties:
        return [{key: properties[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in properties["Metrics"] if "MetricStat" in query]


def as_series(metric: dict[str, Any]) -> Series:
    resolved = resolve(metric)
    dimensions = frozenset((item["Name"], item["Value"]) for item in resolved.get("Dimensions", []))
    return Series(resolved["Namespace"], resolved["MetricName"], dimensions)


def dashboard() -> dict[str, Any]:
    [spec] = resources("AWS::CloudWatch::Dashboard").values()
    body: dict[str, Any] = json.loads(resolve(spec["Properties"]["DashboardBody"]))
    return body


def dashboard_rows() -> Iterator[list[Any]]:
    for widget in dashboard()["widgets"]:
        yield from widget["properties"].get("metrics", [])


def dashboard_series() -> list[Series]:
    """Every metric row of the dashboard (no "." shorthand: each row names its metric in full)."""
    found = []
    for row in dashboard_rows():
        if isinstance(row[0], dict):
            continue  # an expression, read by dashboard_searches
        namespace, name, *pairs = [item for item in row if isinstance(item, str)]
        assert "." not in (namespace, name, *pairs)
        found.append(Series(namespace, name, frozenset(zip(pairs[::2], pairs[1::2], strict=True))))
    return found


def dashboard_searches() -> list[tuple[str, frozenset[str], dict[str, str]]]:
    """Each SEARCH of the dashboard: namespace, the dimension names of its schema, and its `key="value"` terms."""
    found = []
    for row in dashboard_rows():
        if not isinstance(row[0], dict):
            continue
        match = re.fullmatch(r"SEARCH\('\{([^}]*)\} ([^']*)', '\w+', \d+\)", row[0]["expression"])
        assert match is not None, row[0]["expression"]
        namespace, *dimension_names = match.group(1).split(",")
        found.append((namespace, frozenset(dimension_names), dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))))
    return found


@pytest.fixture
def emitted(stack: Stack, capsys: pytest.CaptureFixture[str]) -> set[Series]:
    """Every series the functions emit while runs succeed, fail, get lost and get refused."""
    capsys.readouterr()
    stack.create(handler="echo")
    stack.create(handler="fail", data={"message": "boom"}, maxAttempts=1)
    stack.deliver()
    stack.create(runAt="2026-11-28T09:00:01.000Z", timeoutSeconds=1, maxAttempts=1)
    stack.clock.advance(1)
    stack.tick()  # dispatched, never delivered: the executor "dies"
    stack.clock.advance(1 + settings.lease_margin_seconds + 1)
    assert stack.tick()["recovered"] == 1
    stack.invocations.refusing = "TooManyRequestsException"
    stack.create(handler="echo")
    return set(emf_series(capsys.readouterr().out))


def test_the_scenario_emits_every_metric_the_code_declares_and_no_other(emitted: set[Series]) -> None:
    assert {series.name for series in emitted} == {metric.value for metric in Metric}
    assert {series.namespace for series in emitted} == {NAMESPACE}


def test_every_custom_metric_an_alarm_reads_is_a_series_the_code_emits(emitted: set[Series]) -> None:
    read = [
        as_series(metric)
        for spec in resources("AWS::CloudWatch::Alarm").values()
        for metric in alarm_metrics(spec["Properties"])
    ]
    custom = [series for series in read if not series.namespace.startswith("AWS/")]
    assert custom, "no alarm reads the product's own metrics"
    for series in custom:
        assert series in emitted, f"an alarm reads {series}, which nothing emits"


def test_every_custom_metric_the_dashboard_shows_is_a_series_the_code_emits(emitted: set[Series]) -> None:
    custom = [series for series in dashboard_series() if not series.namespace.startswith("AWS/")]
    assert {series.name for series in custom} >= {
        Metric.RUNS_SUCCEEDED,
        Metric.RUNS_FAILED,
        Metric.RUNS_TIMED_OUT,
        Metric.DISPATCH_REFUSED,
        Metric.DISPATCH_LAG_MS,
        Metric.TICK_PASS_MS,
        Metric.TICK_DUE_JOBS,
    }
    for series in custom:
        assert series in emitted, f"the dashboard shows {series}, which nothing emits"
    searches = dashboard_searches()
    assert searches
    for namespace, dimension_names, terms in searches:
        name = terms.pop("MetricName")
        assert any(
            (series.namespace, series.name) == (namespace, name)
            and {key for key, _ in series.dimensions} == dimension_names
            and set(terms.items()) <= series.dimensions
            for series in emitted
        ), f"the dashboard searches {namespace} {name} {dimension_names} {terms}, which nothing emits"


def test_aws_metrics_in_alarms_and_dashboard_name_this_stacks_resources() -> None:
    aws_series = [
        as_series(metric)
        for spec in resources("AWS::CloudWatch::Alarm").values()
        for metric in alarm_metrics(spec["Properties"])
        if metric["Namespace"].startswith("AWS/")
    ] + [series for series in dashboard_series() if series.namespace.startswith("AWS/")]
    queue_names = {resolve({"Fn::GetAtt": [queue, "QueueName"]}) for queue in DEAD_LETTER_QUEUES}
    function_names = {resolve({"Ref": logical_id}) for logical_id in function_ids()}
    for series in aws_series:
        [(dimension, value)] = series.dimensions
        assert (dimension, value in function_names) == ("FunctionName", True) or (
            dimension,
            value in queue_names,
        ) == ("QueueName", True), series


def test_the_dashboard_shows_every_alarm() -> None:
    [alarm_widget] = [widget for widget in dashboard()["widgets"] if widget["type"] == "alarm"]
    shown = {resolve({"Fn::GetAtt": [logical_id, "Arn"]}) for logical_id in resources("AWS::CloudWatch::Alarm")}
    assert set(alarm_widget["properties"]["alarms"]) == shown


@pytest.mark.parametrize("topic", [TOPIC, ""])
def test_every_alarm_notifies_the_topic_exactly_when_one_is_given(topic: str) -> None:
    alarms = deployed_alarms(AlarmTopicArn=topic)

    assert set(alarms) == set(resources("AWS::CloudWatch::Alarm"))
    assert len(alarms) == 8
    for logical_id, properties in alarms.items():
        actions = {key: properties.get(key) for key in ("AlarmActions", "OKActions")}
        expected = [topic] if topic else None
        assert actions == {"AlarmActions": expected, "OKActions": expected}, logical_id


@pytest.mark.parametrize("queue", DEAD_LETTER_QUEUES)
def test_each_dead_letter_queue_alarms_on_its_first_message_and_shows_on_the_dashboard(queue: str) -> None:
    alarm = deployed_alarms(AlarmTopicArn=TOPIC)[DEAD_LETTER_QUEUES[queue]]
    depth = {key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions")}

    assert depth == {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
    }
    # one message visible in any 5 minutes is over the threshold; an idle queue reports no data, which is OK
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 300, 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        "GreaterThanThreshold",
        0,
        "notBreaching",
    )
    assert as_series(depth) in dashboard_series()


def test_the_topic_parameter_accepts_an_sns_arn_or_nothing() -> None:
    pattern = load_template()["Parameters"]["AlarmTopicArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, TOPIC)
    assert re.fullmatch(pattern, "")
    assert not re.fullmatch(pattern, "arn:aws:sqs:us-east-1:123456789012:queue")


def test_the_heartbeat_alarm_goes_off_after_five_minutes_without_a_tick() -> None:
    heartbeat = deployed_alarms()["TickHeartbeatAlarm"]

    assert (heartbeat["Namespace"], heartbeat["MetricName"]) == ("AWS/Lambda", "Invocations")
    assert heartbeat["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "TickFunction"}}]
    assert heartbeat["Period"] * heartbeat["DatapointsToAlarm"] == 300
    assert heartbeat["EvaluationPeriods"] == heartbeat["DatapointsToAlarm"]
    assert (heartbeat["Statistic"], heartbeat["ComparisonOperator"], heartbeat["Threshold"]) == (
        "Sum",
        "LessThanThreshold",
        1,
    )
    assert heartbeat["TreatMissingData"] == "breaching"  # no invocation at all is no data at all
    assert load_template()["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]["HEARTBEAT_ALARM"] == {
        "Ref": "TickHeartbeatAlarm"
    }


def test_the_failed_run_rate_counts_every_unsuccessful_ending_against_all_endings() -> None:
    alarm = deployed_alarms(FailedRunRatePercent="25")["FailedRunRateAlarm"]
    by_id = {query["Id"]: query for query in alarm["Metrics"]}
    reads = {
        query_id: query["MetricStat"]["Metric"]["MetricName"]
        for query_id, query in by_id.items()
        if "MetricStat" in query
    }
    assert sorted(reads.values()) == sorted(
        [Metric.RUNS_SUCCEEDED, Metric.RUNS_FAILED, Metric.RUNS_TIMED_OUT, Metric.DISPATCH_REFUSED]
    )
    [returned] = [query for query in alarm["Metrics"] if query["ReturnData"]]
    unsuccessful = by_id["unsuccessful"]["Expression"]
    names_in = {query_id for query_id in reads if re.search(rf"\b{query_id}\b", unsuccessful)}
    assert {reads[query_id] for query_id in names_in} == {
        Metric.RUNS_FAILED,
        Metric.RUNS_TIMED_OUT,
        Metric.DISPATCH_REFUSED,
    }
    assert re.search(r"100 \* unsuccessful / \(unsuccessful \+ FILL\(succeeded, 0\)\)", returned["Expression"])
    assert alarm["Threshold"] == "25"


def test_the_lag_alarm_reads_the_p99_against_its_parameter() -> None:
    alarm = deployed_alarms(DispatchLagP99Ms="5000")["DispatchLagAlarm"]
    assert (alarm["MetricName"], alarm["ExtendedStatistic"], alarm["Threshold"]) == (
        Metric.DISPATCH_LAG_MS,
        "p99",
        "5000",
    )


def test_job_data_stays_out_of_the_logs_unless_the_stack_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_template()["Parameters"]["LogJobData"]["Default"] == "false"
    assert function_spec("ExecutorFunction").environment["LOG_JOB_DATA"] == "false"
    monkeypatch.setenv("LOG_JOB_DATA", "true")
    assert Settings.from_environment().log_job_data is True


@pytest.mark.parametrize("logical_id", function_ids())
def test_traces_never_carry_job_data(logical_id: str) -> None:
    # Powertools' Tracer records each handler's response in X-Ray unless told not to: the API's hold job data.
    assert function_spec(logical_id).environment["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"


def create_heartbeat_alarm() -> str:
    """The template's heartbeat alarm in moto, under the name the API function is given."""
    name = function_spec("ApiFunction").environment["HEARTBEAT_ALARM"]
    properties = resources("AWS::CloudWatch::Alarm")["TickHeartbeatAlarm"]["Properties"]
    keys = ("Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods", "Threshold")
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        ComparisonOperator=properties["ComparisonOperator"],
        **resolve({key: properties[key] for key in keys}),
    )
    return name


def actions_enabled(name: str) -> bool:
    [alarm] = boto3.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm["ActionsEnabled"]


def test_the_runner_switch_mutes_the_heartbeat_alarm_while_the_runner_is_stopped(api: ApiClient) -> None:
    name = create_heartbeat_alarm()
    assert actions_enabled(name)

    assert api.post("/jobs/runner/stop").body == {"running": False}
    assert not actions_enabled(name)

    assert api.post("/jobs/runner/start").body == {"running": True}
    assert actions_enabled(name)


def test_without_the_heartbeat_alarm_the_runner_switch_still_works(api: ApiClient) -> None:
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []

    assert (api.post("/jobs/runner/stop").status, api.post("/jobs/runner/start").status) == (200, 200)
    assert api.get("/jobs/runner").body == {"running": True}
