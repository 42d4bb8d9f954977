"""The deployed stack, simulated: the SAM-translated template created as a CloudFormation stack in moto.

What moto's CloudFormation cannot create is listed below and left out; test_deployed_template.py reads those
resources in the translated template instead. A type moto has no model for it would skip with a warning,
so the list is checked against moto itself. Of the functions it creates, moto also drops `LoggingConfig`,
`Layers` and `Architectures` (the translated-template tests and the arm64 build test cover them).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import moto
import pytest
from moto.cloudformation.parsing import get_model_map

from devtools.template import REGION, ROOT, STACK_NAME, load_template, translated_template

# Types moto's CloudFormation has no model for.
MOTO_HAS_NO_MODEL = {"AWS::ApiGateway::Stage", "AWS::CloudWatch::Alarm", "AWS::Lambda::EventInvokeConfig"}
# moto's REST API model reads `Name` only, never the OpenAPI body, so the API has no method to deploy.
MOTO_CANNOT_DEPLOY = {"AWS::ApiGateway::Deployment"}


@dataclass(frozen=True)
class SimulatedStack:
    template: dict[str, Any]  # as created: the translated template less what moto cannot create
    outputs: dict[str, str]
    physical_ids: dict[str, str]  # logical id -> physical id
    statuses: dict[str, str]


def creatable(template: dict[str, Any]) -> dict[str, Any]:
    """The translated template as moto can create it; the REST API named as SAM's body title names it."""
    created: dict[str, Any] = json.loads(json.dumps(template))
    left_out = MOTO_HAS_NO_MODEL | MOTO_CANNOT_DEPLOY
    absent = {name: spec["Type"] for name, spec in created["Resources"].items() if spec["Type"] in left_out}
    created["Resources"] = _stand_in_for(
        absent, {name: spec for name, spec in created["Resources"].items() if name not in absent}
    )
    for spec in created["Resources"].values():
        if spec["Type"] == "AWS::ApiGateway::RestApi":
            spec["Properties"]["Name"] = spec["Properties"]["Body"]["info"]["title"]
    return created


def _stand_in_for(absent: dict[str, str], value: Any) -> Any:
    """References to resources left out become what CloudFormation would give: the name, or an ARN."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and argument in absent:
            return argument
        if key == "Fn::GetAtt" and argument[0] in absent:
            return _stand_in_arn(absent, argument[0])
        if key == "Fn::Sub" and isinstance(argument, str):
            return {key: re.sub(r"\$\{(\w+)(\.Arn)?\}", lambda found: _sub_stand_in(absent, found), argument)}
    if isinstance(value, dict):
        return {key: _stand_in_for(absent, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stand_in_for(absent, item) for item in value]
    return value


def _stand_in_arn(absent: dict[str, str], name: str) -> str:
    service = absent[name].split("::")[1].lower()
    return f"arn:aws:{service}:{REGION}:123456789012:{name}"


def _sub_stand_in(absent: dict[str, str], found: re.Match[str]) -> str:
    name, arn = found.group(1), found.group(2)
    if name not in absent:
        return found.group(0)
    return _stand_in_arn(absent, name) if arn else name


def upload_code(template: dict[str, Any]) -> None:
    """Each function's and layer's code, zipped where the translated template says `sam package` puts it."""
    s3 = boto3.client("s3", region_name=REGION)
    buckets: set[str] = set()
    for spec in template["Resources"].values():
        location = spec["Properties"].get("Code") or spec["Properties"].get("Content")
        if not isinstance(location, dict) or "S3Key" not in location:
            continue
        if location["S3Bucket"] not in buckets:
            s3.create_bucket(Bucket=location["S3Bucket"])
            buckets.add(location["S3Bucket"])
        source = ROOT / location["S3Key"].removesuffix(".zip")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for path in sorted(source.rglob("*.py")):
                zipped.write(path, path.relative_to(source))
        s3.put_object(Bucket=location["S3Bucket"], Key=location["S3Key"], Body=archive.getvalue())


@pytest.fixture(scope="module")
def simulated() -> Iterator[SimulatedStack]:
    template = creatable(translated_template())
    with moto.mock_aws():
        upload_code(template)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName=STACK_NAME, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
        )
        [stack] = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        summaries = [
            summary
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=STACK_NAME)
            for summary in page["StackResourceSummaries"]
        ]
        yield SimulatedStack(
            template=template,
            outputs={output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])},
            physical_ids={summary["LogicalResourceId"]: summary["PhysicalResourceId"] for summary in summaries},
            statuses={summary["LogicalResourceId"]: summary["ResourceStatus"] for summary in summaries},
        )


# Per type: the call that describes a resource by its physical id, raising when there is none.
DESCRIBE = {
    "AWS::DynamoDB::Table": ("dynamodb", "describe_table", "TableName"),
    "AWS::Lambda::Function": ("lambda", "get_function", "FunctionName"),
    "AWS::Events::Rule": ("events", "describe_rule", "Name"),
    "AWS::SQS::Queue": ("sqs", "get_queue_attributes", "QueueUrl"),
    "AWS::IAM::Role": ("iam", "get_role", "RoleName"),
    "AWS::ApiGateway::RestApi": ("apigateway", "get_rest_api", "restApiId"),
}


def describe(kind: str, physical_id: str) -> dict[str, Any]:
    """What the resource's own service says about it; fails when the service does not know it."""
    if kind == "AWS::Logs::LogGroup":  # described by name prefix only
        groups = boto3.client("logs", region_name=REGION).describe_log_groups(logGroupNamePrefix=physical_id)
        [group] = [group for group in groups["logGroups"] if group["logGroupName"] == physical_id]
        return dict(group)
    service, method, key = DESCRIBE[kind]
    client = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]  # a name from DESCRIBE
    description: dict[str, Any] = getattr(client, method)(**{key: physical_id})
    return description


def describable(kind: str) -> bool:
    return kind in DESCRIBE or kind == "AWS::Logs::LogGroup"


def resource_type(stack: SimulatedStack, logical_id: str) -> str:
    kind: str = stack.template["Resources"][logical_id]["Type"]
    return kind


def test_moto_lacks_a_model_for_exactly_the_types_left_out() -> None:
    kinds = {spec["Type"] for spec in translated_template()["Resources"].values()}
    assert {kind for kind in kinds if kind not in get_model_map()} == MOTO_HAS_NO_MODEL


def test_every_other_resource_is_created_and_exists_in_its_service(simulated: SimulatedStack) -> None:
    assert set(simulated.statuses) == set(simulated.template["Resources"])
    assert set(simulated.statuses.values()) == {"CREATE_COMPLETE"}
    for logical_id, physical_id in simulated.physical_ids.items():
        if describable(resource_type(simulated, logical_id)):
            assert describe(resource_type(simulated, logical_id), physical_id), logical_id


def test_outputs_name_the_resources_created(simulated: SimulatedStack) -> None:
    declared = simulated.template["Outputs"]
    assert set(simulated.outputs) == set(declared)
    for key, output in declared.items():
        if isinstance(output["Value"], dict) and "Ref" in output["Value"]:
            assert simulated.outputs[key] == simulated.physical_ids[output["Value"]["Ref"]], key
    stage = load_template()["Parameters"]["Stage"]["Default"]
    api_id = simulated.physical_ids["Api"]
    assert simulated.outputs["ApiUrl"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}"


def test_every_resource_a_function_environment_names_exists(simulated: SimulatedStack) -> None:
    """A variable set from a parameter or a literal is a setting; any other must name a resource of the stack."""
    parameters = simulated.template.get("Parameters", {})
    by_physical_id = {physical: logical for logical, physical in simulated.physical_ids.items()}
    lambda_client = boto3.client("lambda", region_name=REGION)
    checked = set()
    for logical_id, spec in simulated.template["Resources"].items():
        if spec["Type"] != "AWS::Lambda::Function":
            continue
        declared = spec["Properties"]["Environment"]["Variables"]
        deployed = lambda_client.get_function_configuration(FunctionName=simulated.physical_ids[logical_id])
        values = deployed["Environment"]["Variables"]
        for variable, expression in declared.items():
            if isinstance(expression, str) or expression.get("Ref") in parameters:
                continue  # a literal, a parameter, or a resource moto cannot create (stood in for by its name)
            if str(expression.get("Ref", "")).startswith("AWS::"):
                continue  # a pseudo parameter: the stack's name or region, not a resource
            named = by_physical_id.get(values[variable])
            assert named is not None, f"{logical_id}: {variable}={values[variable]} names nothing in the stack"
            assert describe(resource_type(simulated, named), values[variable])
            checked.add(variable)
    assert {"JOBS_TABLE", "HISTORY_TABLE", "EXECUTOR_FUNCTION", "RUNNER_RULE"} <= checked


def test_api_gateway_may_invoke_the_api_function(simulated: SimulatedStack) -> None:
    # With InvokeRole NONE this resource policy is what lets API Gateway call the function.
    policy = boto3.client("lambda", region_name=REGION).get_policy(FunctionName=simulated.physical_ids["ApiFunction"])
    statements = json.loads(policy["Policy"])["Statement"]
    assert any(
        statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        and simulated.physical_ids["Api"] in json.dumps(statement["Condition"])
        for statement in statements
    ), statements


def test_every_function_has_its_log_group_keeping_log_retention_days(simulated: SimulatedStack) -> None:
    retention = load_template()["Parameters"]["LogRetentionDays"]["Default"]
    for spec in simulated.template["Resources"].values():
        if spec["Type"] == "AWS::Lambda::Function":
            group = simulated.physical_ids[spec["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
            assert describe("AWS::Logs::LogGroup", group)["retentionInDays"] == retention
