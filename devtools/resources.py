"""Builds the template's stateful resources in moto: tables exactly as declared, the tick's rule, the queues
(the timer's among them), and what jobs' targets reach on the test and local stacks (STACK_PARAMETERS names
them)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from devtools.template import (
    ACCOUNT,
    LOCAL_WEBHOOK_SECRET,
    TARGET_ARNS,
    WEBHOOK_SECRET_PARAMETER,
    resolve,
    resources,
)


def create_tables() -> list[str]:
    client = boto3.client("dynamodb")
    names = []
    for logical_id, spec in resources("AWS::DynamoDB::Table").items():
        properties = resolve(spec["Properties"])
        table: dict[str, Any] = {
            "TableName": properties.get("TableName", logical_id),
            "KeySchema": properties["KeySchema"],
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "BillingMode": properties["BillingMode"],
        }
        if "GlobalSecondaryIndexes" in properties:
            table["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
        client.create_table(**table)
        if "TimeToLiveSpecification" in properties:
            client.update_time_to_live(
                TableName=table["TableName"], TimeToLiveSpecification=properties["TimeToLiveSpecification"]
            )
        names.append(table["TableName"])
    return names


# The queue properties moto is given, as the queue's attributes (SSE is AWS's own; moto has no keys to use).
_QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "RedrivePolicy")


def create_queues() -> dict[str, str]:
    """The template's queues, named by their logical ids as the template's `Ref` resolves them (those a
    redrive policy names first); each logical id's queue URL."""
    client = boto3.client("sqs")
    specs = {name: resolve(spec.get("Properties", {})) for name, spec in resources("AWS::SQS::Queue").items()}
    urls = {}
    for name, properties in sorted(specs.items(), key=lambda item: "RedrivePolicy" in item[1]):
        attributes: dict[Any, str] = {
            key: json.dumps(properties[key]) if isinstance(properties[key], dict) else str(properties[key])
            for key in _QUEUE_ATTRIBUTES
            if key in properties
        }
        urls[name] = client.create_queue(QueueName=properties.get("QueueName", name), Attributes=attributes)["QueueUrl"]
    return urls


def create_rules() -> None:
    client = boto3.client("events")
    for spec in resources("AWS::Events::Rule").values():
        properties = resolve(spec["Properties"])
        client.put_rule(
            Name=properties["Name"],
            ScheduleExpression=properties["ScheduleExpression"],
            State=properties["State"],
        )


def create_resources() -> list[str]:
    """Every stateful resource of the template in moto, as a deploy leaves a stack's account: the tables, the
    tick's rule and the queues (the timer's among them); the tables' names. One call, so a resource the
    template gains reaches every stack built from it."""
    names = create_tables()
    create_rules()
    create_queues()
    return names


def create_targets() -> None:
    """The queue, event bus and state machine of TARGET_ARNS, and the webhook secret (a SecureString).

    The function of TARGET_ARNS is not made: moto runs a function in Docker, or with `use_docker: False`
    answers every invoke with its payload (tests/integration/test_targets.py makes it so).
    """
    boto3.client("sqs").create_queue(QueueName=_name(TARGET_ARNS["sqs"], ":"))
    boto3.client("events").create_event_bus(Name=_name(TARGET_ARNS["eventbridge"], "/"))
    boto3.client("stepfunctions").create_state_machine(
        name=_name(TARGET_ARNS["stepfunctions"], ":"),
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/jobs-target-machine",
    )
    boto3.client("ssm").put_parameter(
        Name=WEBHOOK_SECRET_PARAMETER, Value=LOCAL_WEBHOOK_SECRET, Type="SecureString", Overwrite=True
    )


def _name(arn: str, separator: str) -> str:
    return arn.rsplit(separator, 1)[-1]


def table_contents(names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table, in a stable order: a before/after snapshot for "changes nothing"."""
    client = boto3.client("dynamodb")
    contents = {}
    for name in names:
        items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=name):
            items.extend(page["Items"])
        contents[name] = sorted(items, key=repr)
    return contents
