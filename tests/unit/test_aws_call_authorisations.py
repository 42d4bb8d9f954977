"""Which IAM action and resource ARN AWS checks for an API call, as the permission tests record it."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.aws_calls import authorisations

REGION = "us-east-1"
ARN = "arn:aws:{service}:us-east-1:123456789012:{resource}"


def table(name: str) -> str:
    return ARN.format(service="dynamodb", resource=f"table/{name}")


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("dynamodb", "PutItem", {"TableName": "Jobs"}, [("dynamodb:PutItem", table("Jobs"))]),
        ("dynamodb", "Query", {"TableName": "Jobs", "IndexName": "due"}, [("dynamodb:Query", table("Jobs/index/due"))]),
        ("dynamodb", "GetItem", {"TableName": table("Jobs")}, [("dynamodb:GetItem", table("Jobs"))]),
        (
            "dynamodb",
            "BatchWriteItem",
            {"RequestItems": {"History": [], "Jobs": []}},
            [("dynamodb:BatchWriteItem", table("History")), ("dynamodb:BatchWriteItem", table("Jobs"))],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "Jobs"}}, {"ConditionCheck": {"TableName": "History"}}]},
            [("dynamodb:PutItem", table("Jobs")), ("dynamodb:ConditionCheckItem", table("History"))],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "Executor"},
            [("lambda:InvokeFunction", ARN.format(service="lambda", resource="function:Executor"))],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "Executor", "Qualifier": "live"},
            [("lambda:InvokeFunction", ARN.format(service="lambda", resource="function:Executor:live"))],
        ),
        (
            "events",
            "DescribeRule",
            {"Name": "tick"},
            [("events:DescribeRule", ARN.format(service="events", resource="rule/tick"))],
        ),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/Dead"},
            [("sqs:SendMessage", ARN.format(service="sqs", resource="Dead"))],
        ),
        ("monitoring", "PutMetricData", {}, [("cloudwatch:PutMetricData", None)]),
    ],
)
def test_authorisations(
    service: str, operation: str, params: dict[str, Any], expected: list[tuple[str, str | None]]
) -> None:
    assert authorisations(service, operation, params, REGION) == expected
