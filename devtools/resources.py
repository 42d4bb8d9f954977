"""Builds the template's stateful resources in moto: tables exactly as declared, and the tick's rule."""

from __future__ import annotations

from typing import Any

import boto3

from devtools.template import resolve, resources


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


def create_rules() -> None:
    client = boto3.client("events")
    for spec in resources("AWS::Events::Rule").values():
        properties = resolve(spec["Properties"])
        client.put_rule(
            Name=properties["Name"],
            ScheduleExpression=properties["ScheduleExpression"],
            State=properties["State"],
        )


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
