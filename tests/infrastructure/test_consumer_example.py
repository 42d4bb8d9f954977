"""examples/consumer/template.yaml: a template of your own declaring jobs as `Custom::ServerlessJob` resources.

Validated offline: aws-sam-translator expands it here, and `make lint` runs cfn-lint on it. Each job's
properties, their references resolved as CloudFormation would and turned to text as CloudFormation hands
a custom resource every scalar, are a job the resource function accepts; its ServiceToken is this stack's
export.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from devtools.template import ACCOUNT, REGION, ROOT, load_template
from serverless_jobs.http.custom_resource import answer

EXAMPLE = ROOT / "examples" / "consumer" / "template.yaml"


def expanded() -> dict[str, Any]:
    translator = Translator(None, Parser(), [], boto_session=boto3.session.Session(region_name=REGION))
    parameters = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::StackName": "reports"}
    result: dict[str, Any] = translator.translate(
        yaml_parse(EXAMPLE.read_text()), parameter_values=parameters, get_managed_policy_map=dict
    )
    return result


def jobs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == "Custom::ServerlessJob"}


def as_sent(value: Any) -> Any:
    """A property as CloudFormation sends it to a custom resource: references resolved, scalars as text."""
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        resource, _ = value["Fn::GetAtt"]
        kind = "function:reports-reports" if resource == "ReportFunction" else "reports-reports-cleanup"
        service = "lambda" if resource == "ReportFunction" else "sqs"
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}"
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return str(value["Fn::Sub"]).replace("${AWS::StackName}", "reports")
    if isinstance(value, dict):
        return {name: as_sent(item) for name, item in value.items()}
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def test_sam_expands_the_example_with_two_jobs_on_this_stacks_service_token() -> None:
    template = expanded()
    declared = jobs(template)
    assert len(declared) == 2
    export = load_template()["Outputs"]["ServiceToken"]["Export"]["Name"]["Fn::Sub"]
    assert export == "${AWS::StackName}-ServiceToken"
    for properties in declared.values():
        assert properties["ServiceToken"] == {"Fn::ImportValue": {"Fn::Sub": "${JobsStackName}-ServiceToken"}}


@pytest.mark.parametrize("logical_id", ["NightlyReport", "QueueCleanup"])
def test_each_job_as_cloudformation_sends_it_is_one_the_function_accepts(logical_id: str) -> None:
    properties = {
        name: as_sent(value) for name, value in jobs(expanded())[logical_id].items() if name != "ServiceToken"
    }
    event = {"RequestType": "Create", "LogicalResourceId": logical_id, "ResourceProperties": properties}

    class Validating:
        """A JobService that checks (the API's rules, no clock or store needed for these jobs) and stops."""

        def create(self, spec: Any, job_id: str) -> Any:
            raise Accepted(spec)

    with pytest.raises(Accepted) as accepted:
        answer(Validating(), event, lambda: True)  # type: ignore[arg-type]
    assert accepted.value.spec.name


class Accepted(Exception):
    def __init__(self, spec: Any) -> None:
        super().__init__()
        self.spec = spec
