"""Intrinsic functions resolve to the names and ARNs the tests use, as CloudFormation would for the stack."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.template import ACCOUNT, REGION, STACK_NAME, Deployment

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Topic": {"Type": "String", "Default": ""},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
    },
    "Conditions": {
        "HasTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Topic"}, ""]}]},
        "Either": {"Fn::Or": [{"Condition": "HasTopic"}, {"Fn::Equals": ["x", "x"]}]},
        "Both": {"Fn::And": [{"Condition": "HasTopic"}, {"Condition": "Either"}]},
    },
    "Resources": {
        "Jobs": {"Type": "AWS::DynamoDB::Table"},
        "Run": {"Type": "AWS::Serverless::Function"},
        "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-f"}}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"Name": "tick"}},
        "Dead": {"Type": "AWS::SQS::Queue"},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/Run"}},
    },
}
STACK = Deployment(TEMPLATE)
STACK_UUID = STACK.stack_id.rsplit("/", 1)[1]


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


@pytest.mark.parametrize(
    ("value", "resolved"),
    [
        ({"Ref": "Jobs"}, "Jobs"),
        ({"Ref": "Named"}, f"{STACK_NAME}-f"),
        ({"Ref": "Rule"}, "tick"),
        ({"Ref": "Dead"}, f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/Dead"),
        ({"Ref": "Zones"}, ["a", "b"]),
        ({"Ref": "AWS::StackId"}, f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/{STACK_UUID}"),
        ({"Fn::GetAtt": ["Jobs", "Arn"]}, arn("dynamodb", "table/Jobs")),
        ({"Fn::GetAtt": "Run.Arn"}, arn("lambda", "function:Run")),
        ({"Fn::GetAtt": ["Rule", "Arn"]}, arn("events", "rule/tick")),
        ({"Fn::GetAtt": ["Dead", "Arn"]}, arn("sqs", "Dead")),
        ({"Fn::GetAtt": ["Dead", "QueueName"]}, "Dead"),
        ({"Fn::GetAtt": ["Alarm", "Arn"]}, arn("cloudwatch", "alarm:Alarm")),
        ({"Fn::GetAtt": ["Logs", "Arn"]}, arn("logs", "log-group:/aws/lambda/Run:*")),
        ({"Fn::Sub": "${Jobs.Arn}/index/due"}, arn("dynamodb", "table/Jobs/index/due")),
        ({"Fn::Sub": "${AWS::Region}-${Jobs}-${!Literal}"}, f"{REGION}-Jobs-${{Literal}}"),
        ({"Fn::Sub": ["${Name}-${Run}", {"Name": {"Fn::Join": ["+", ["a", "b"]]}}]}, "a+b-Run"),
        ({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}, STACK_UUID),
        ({"Fn::If": ["HasTopic", "yes", "no"]}, "no"),
        ({"Fn::If": ["Either", "yes", "no"]}, "yes"),
        ({"Fn::If": ["Both", "yes", "no"]}, "no"),
        ([1, {"Fn::If": ["HasTopic", 2, {"Ref": "AWS::NoValue"}]}], [1]),
        ({"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}}, {"Keep": 1}),
    ],
)
def test_resolve(value: Any, resolved: Any) -> None:
    assert STACK.resolve(value) == resolved


def test_parameters_given_replace_defaults_in_conditions() -> None:
    topic = arn("sns", "alarms")
    stack = Deployment(TEMPLATE, parameters={"Topic": topic})
    assert stack.resolve({"Fn::If": ["HasTopic", {"Ref": "Topic"}, {"Ref": "AWS::NoValue"}]}) == topic


def test_each_stack_has_its_own_id() -> None:
    assert Deployment(TEMPLATE, stack_name="other").stack_id != STACK.stack_id


def test_what_it_cannot_resolve_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="Fn::GetAZs"):
        STACK.resolve({"Fn::GetAZs": ""})
    with pytest.raises(KeyError, match="Missing"):
        STACK.resolve({"Ref": "Missing"})
