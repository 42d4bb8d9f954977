"""The tick's EventBridge rule: a name within EventBridge's 64 characters for any stack, one per stack."""

from __future__ import annotations

import re

import pytest

from devtools.aws_calls import AwsCall
from devtools.template import STACK_NAME, Deployment, load_template, translated_template
from harness.permissions import Permissions

# CloudFormation allows stack names of up to 128 characters.
LONGEST_STACK_NAME = "s" + "-long" * 25 + "-x"


@pytest.mark.parametrize("stack_name", [STACK_NAME, LONGEST_STACK_NAME])
def test_the_rule_name_fits_eventbridge_and_is_the_one_the_functions_switch_and_may_read(stack_name: str) -> None:
    assert len(stack_name) <= 128
    stack = Deployment(load_template(), stack_name=stack_name)
    name = stack.physical_name("TickRule")

    assert len(name) <= 64
    assert re.fullmatch(r"[.\-_A-Za-z0-9]+", name)
    for function in ("ApiFunction", "TickFunction"):
        environment = load_template()["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert stack.resolve(environment["RUNNER_RULE"]) == name
    deployed = Permissions(Deployment(translated_template(), stack_name=stack_name))
    rule = stack.attribute("TickRule", "Arn")
    for function in ("ApiFunction", "TickFunction"):
        assert deployed.decide(AwsCall(function, "events:DescribeRule", rule)).allowed


def test_two_stacks_in_one_account_get_two_rules() -> None:
    names = {Deployment(load_template(), stack_name=name).physical_name("TickRule") for name in ("jobs", "jobs-2")}
    assert len(names) == 2
