"""`--stack NAME` finds the API from the stack's `ApiUrl` output (CloudFormation over moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import moto
import pytest
from botocore.session import Session

from devtools.template import load_template
from serverless_jobs_client import ClientError, api_url_of_stack
from serverless_jobs_client.stacks import API_URL_OUTPUT

REGION = "eu-west-1"
URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"


def deploy(name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=name, TemplateBody=json.dumps(template))


@pytest.fixture
def cloudformation() -> Iterator[None]:
    with moto.mock_aws():
        yield


def test_the_stack_output_the_client_reads_is_the_one_the_template_declares() -> None:
    assert API_URL_OUTPUT in load_template()["Outputs"]


@pytest.mark.usefixtures("cloudformation")
def test_the_api_url_is_the_stacks_output() -> None:
    deploy("jobs-prod", {"JobsTableName": "jobs", API_URL_OUTPUT: URL})

    assert api_url_of_stack("jobs-prod", Session(), REGION) == URL


@pytest.mark.usefixtures("cloudformation")
def test_a_missing_stack_or_output_is_an_error_naming_it() -> None:
    deploy("not-jobs", {"Other": "x"})

    with pytest.raises(ClientError, match=r"cannot read stack 'absent'.*does not exist"):
        api_url_of_stack("absent", Session(), REGION)
    with pytest.raises(ClientError, match="stack 'not-jobs' has no ApiUrl output"):
        api_url_of_stack("not-jobs", Session(), REGION)
