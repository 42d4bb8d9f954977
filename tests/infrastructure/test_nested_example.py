"""Installing without forking: examples/nested/template.yaml nests the published application in an application
of your own, passes it parameters and reads its outputs, and its function is a job's lambda target.

Validated offline: aws-sam-translator expands it here (the Serverless Application Repository's one call answered
as the repository would), and `make lint` runs cfn-lint on it beside template.yaml. Every parameter it passes
and output it reads must be this template's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from devtools.template import ACCOUNT, REGION, ROOT, accepts, load_template
from serverless_jobs.version import __version__

EXAMPLE = ROOT / "examples" / "nested" / "template.yaml"
PUBLISHED = "https://awsserverlessrepo-changesets.s3.amazonaws.com/serverless-jobs/template.yaml"


class Repository:
    """The Serverless Application Repository's answer to a nested application: its template's URL."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def create_cloud_formation_template(self, ApplicationId: str, SemanticVersion: str) -> dict[str, str]:
        self.asked.append((ApplicationId, SemanticVersion))
        return {"ApplicationId": ApplicationId, "TemplateId": "t-1", "Status": "ACTIVE", "TemplateUrl": PUBLISHED}


def expanded(repository: Repository) -> dict[str, Any]:
    plugin = ServerlessAppPlugin(sar_client=repository)
    translator = Translator(None, Parser(), [plugin], boto_session=boto3.session.Session(region_name=REGION))
    parameters = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::StackName": "team-app"}
    result: dict[str, Any] = translator.translate(
        yaml_parse(EXAMPLE.read_text()), parameter_values=parameters, get_managed_policy_map=dict
    )
    return result


def test_the_example_nests_this_release_and_sam_expands_it_to_a_nested_stack() -> None:
    repository = Repository()
    stack = expanded(repository)["Resources"]["Jobs"]
    [(application, version)] = repository.asked
    assert application.endswith(
        ":applications/" + load_template()["Metadata"]["AWS::ServerlessRepo::Application"]["Name"]
    )
    assert version == __version__
    assert stack["Type"] == "AWS::CloudFormation::Stack"
    assert stack["Properties"]["TemplateURL"] == PUBLISHED


def test_what_the_example_passes_and_reads_is_the_applications_own() -> None:
    stack = expanded(Repository())
    parameters = load_template()["Parameters"]
    for name, value in stack["Resources"]["Jobs"]["Properties"]["Parameters"].items():
        assert name in parameters, f"{name} is no parameter of template.yaml"
        if isinstance(value, str):
            assert accepts(parameters[name], value)
    outputs = set(load_template()["Outputs"])
    read = outputs_read(stack)
    assert read, "the example reads none of the application's outputs"
    assert read <= outputs, f"{read - outputs} are no outputs of template.yaml"


def test_the_users_function_is_what_jobs_may_target() -> None:
    jobs = expanded(Repository())["Resources"]["Jobs"]["Properties"]["Parameters"]
    assert jobs["TargetArnPatterns"] == {"Fn::GetAtt": ["ReportFunction", "Arn"]}


def outputs_read(template: dict[str, Any]) -> set[str]:
    """The nested application's outputs the template reads (`!GetAtt Jobs.Outputs.X`)."""
    text = json.dumps(template)
    return set(re.findall(r'"Fn::GetAtt": \["Jobs", "Outputs\.([A-Za-z0-9]+)"\]', text))
