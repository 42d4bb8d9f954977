"""The template as `sam deploy` creates it (expanded by aws-sam-translator): what a real deploy would get wrong.

Each test here is one finding of a close reading for a real deploy; moto cannot see any of them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from devtools.template import REGION, load_template, translated_template
from serverless_jobs.domain.lifecycle import MAX_DUE_SHARDS

# API Gateway REST APIs give up on an integration after 29 s; a function may take up to 10 s to initialise
# before its own timeout starts counting.
API_GATEWAY_TIMEOUT_SECONDS = 29
LAMBDA_INIT_LIMIT_SECONDS = 10
# What SAM writes as an integration's credentials when it should pass on the caller's (its AWS_IAM default).
CALLER_CREDENTIALS = "arn:aws:iam::*:user/*"


@cache
def deployed() -> dict[str, Any]:
    return translated_template()


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in deployed()["Resources"].items() if spec["Type"] == kind}


def integrations() -> list[dict[str, Any]]:
    """Every method integration of every REST API's OpenAPI body."""
    found: list[dict[str, Any]] = []
    for api in of_type("AWS::ApiGateway::RestApi").values():
        for methods in api["Properties"]["Body"]["paths"].values():
            found.extend(method["x-amazon-apigateway-integration"] for method in methods.values())
    return found


def integrated_functions() -> set[str]:
    """Logical ids of the functions API Gateway calls."""
    return {
        match
        for integration in integrations()
        for match in re.findall(r"\$\{(\w+)\.Arn\}", integration["uri"]["Fn::Sub"])
    }


def test_api_gateway_calls_the_function_as_itself_not_with_the_callers_credentials() -> None:
    # SAM's AWS_IAM default passes the caller's credentials on (CALLER_CREDENTIALS): a caller holding only
    # execute-api:Invoke would then get a 500. Without them API Gateway needs a resource-based permission.
    assert integrations()
    for integration in integrations():
        assert "credentials" not in integration, integration
        assert CALLER_CREDENTIALS not in str(integration)
    permitted = {
        permission["Properties"]["FunctionName"]["Ref"]
        for permission in of_type("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    assert integrated_functions() == permitted == {"ApiFunction"}


def test_functions_behind_api_gateway_stop_before_it_gives_up() -> None:
    functions = of_type("AWS::Lambda::Function")
    for logical_id in integrated_functions():
        timeout = functions[logical_id]["Properties"]["Timeout"]
        assert timeout + LAMBDA_INIT_LIMIT_SECONDS < API_GATEWAY_TIMEOUT_SECONDS, logical_id


@pytest.mark.parametrize("logical_id", sorted(of_type("AWS::Lambda::Function")))
def test_every_function_logs_to_a_group_of_its_own_kept_log_retention_days(logical_id: str) -> None:
    group_ref = of_type("AWS::Lambda::Function")[logical_id]["Properties"]["LoggingConfig"]["LogGroup"]
    group = of_type("AWS::Logs::LogGroup")[group_ref["Ref"]]
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete"  # it goes with the stack
    others = [
        spec["Properties"]["LoggingConfig"]["LogGroup"]
        for name, spec in of_type("AWS::Lambda::Function").items()
        if name != logical_id
    ]
    assert group_ref not in others


def test_log_retention_offers_exactly_what_cloudwatch_accepts() -> None:
    parameter = load_template()["Parameters"]["LogRetentionDays"]
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, "AWS::Logs::LogGroup").schema
    assert parameter["AllowedValues"] == schema["properties"]["RetentionInDays"]["enum"]
    assert parameter["Default"] == 30


def test_the_tick_sweeps_every_shard_the_template_allows() -> None:
    # The tick moves jobs off shards MAX_DUE_SHARDS can reach; a higher MaxValue would strand some.
    assert load_template()["Parameters"]["DueShards"]["MaxValue"] == MAX_DUE_SHARDS
