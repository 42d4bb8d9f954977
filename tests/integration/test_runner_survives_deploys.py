"""The runner switch outlives every stack update and rollback: its record in StateTable is the truth, and a
deploy that re-enables (or replaces) the tick's rule does not start a stopped runner: the first tick the
rule fires dispatches nothing and disables the rule again. The heartbeat alarm the stop muted stays muted
(a deploy resets it only by updating the alarm, which the upgrade check flags)."""

from __future__ import annotations

import boto3
import pytest

from devtools.stack import Stack
from devtools.template import function_spec, resolve, resources

RULE = function_spec("TickFunction").environment["RUNNER_RULE"]
ALARM = function_spec("ApiFunction").environment["HEARTBEAT_ALARM"]


@pytest.fixture
def alarm(stack: Stack) -> str:
    """The heartbeat alarm as deployed (moto holds it, so its actions' state can be read)."""
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        ActionsEnabled=True,
    )
    return ALARM


def rule_state() -> str:
    state: str = boto3.client("events").describe_rule(Name=RULE)["State"]
    return state


def alarm_notifies() -> bool:
    (found,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    return bool(found["ActionsEnabled"])


def deploy_touching_the_rule(*, replace_rule: bool) -> None:
    """What CloudFormation does to the rule on an update that touches it: re-applies the template's
    `State: ENABLED`, or makes a new rule."""
    events = boto3.client("events")
    rule = resolve(resources("AWS::Events::Rule")["TickRule"]["Properties"])
    if replace_rule:
        events.delete_rule(Name=RULE)
    events.put_rule(Name=RULE, ScheduleExpression=rule["ScheduleExpression"], State=rule["State"])


@pytest.mark.parametrize("replace_rule", [False, True], ids=["rule updated", "rule replaced"])
def test_a_stopped_runner_stays_stopped_across_a_deploy(stack: Stack, alarm: str, replace_rule: bool) -> None:
    job = stack.create(schedule="1m")
    assert stack.api.post("/jobs/runner/stop").body == {"running": False}
    assert (rule_state(), alarm_notifies()) == ("DISABLED", False)

    deploy_touching_the_rule(replace_rule=replace_rule)
    assert rule_state() == "ENABLED"
    assert stack.api.get("/jobs/runner").body == {"running": False}

    stack.clock.advance(120)
    report = stack.tick()  # the re-enabled rule fires once

    assert (report["passes"], report["dispatched"]) == (0, 0)
    assert stack.invocations.payloads == []
    assert stack.job(job["id"])["status"] == "pending"
    assert (rule_state(), alarm_notifies()) == ("DISABLED", False)  # costs nothing again, pages nobody


def test_a_running_runner_is_untouched_by_a_deploy(stack: Stack, alarm: str) -> None:
    stack.create(schedule="1m")
    deploy_touching_the_rule(replace_rule=True)
    stack.clock.advance(60)

    assert stack.tick()["dispatched"] == 1
    assert (rule_state(), alarm_notifies()) == ("ENABLED", True)
    assert stack.api.get("/jobs/runner").body == {"running": True}


def test_a_stack_from_before_the_record_keeps_its_rules_state_until_switched(stack: Stack, alarm: str) -> None:
    """0.2.0 kept the switch in the rule alone: after the upgrade its stopped rule still reads stopped, and
    the first switch writes the record."""
    state_table = function_spec("TickFunction").environment["STATE_TABLE"]
    assert boto3.client("dynamodb").scan(TableName=state_table)["Items"] == []
    boto3.client("events").disable_rule(Name=RULE)  # stopped under the previous release

    assert stack.api.get("/jobs/runner").body == {"running": False}
    assert stack.api.post("/jobs/runner/start").body == {"running": True}
    assert (rule_state(), alarm_notifies()) == ("ENABLED", True)
    assert boto3.client("dynamodb").scan(TableName=state_table)["Items"] == [
        {"name": {"S": "runner"}, "running": {"BOOL": True}}
    ]


def test_a_start_is_never_undone_by_a_tick_reading_the_record(stack: Stack, alarm: str) -> None:
    stack.api.post("/jobs/runner/stop")
    stack.api.post("/jobs/runner/start")
    stack.create(schedule="1m")
    stack.clock.advance(60)

    assert stack.tick()["dispatched"] == 1
    assert (rule_state(), alarm_notifies()) == ("ENABLED", True)
