"""Deploy is one command: `sam deploy` (dev) or `sam deploy --config-env prod` finds everything in samconfig.toml.

The SAM CLI runs here for real but offline: without credentials it reads samconfig.toml, expands it into
its arguments and stops at its first AWS call. Reaching that call with stdin closed proves it asks nothing.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devtools.template import ROOT, load_template, translated_template

ENVIRONMENTS = ["default", "prod"]
SAM = str(Path(sys.executable).parent / "sam")
IAM_TYPES = {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group"}
NAME_OF_IAM = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
}


def offline_sam(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The SAM CLI with no AWS credentials or config, no telemetry and nothing on stdin."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("AWS_") or key == "AWS_CA_BUNDLE"
    }
    environment.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_DEFAULT_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return subprocess.run(
        [SAM, *arguments],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@cache
def deploy_settings(environment: str) -> dict[str, Any]:
    """What `sam deploy --config-env <environment>` read from samconfig.toml, after it ran up to AWS."""
    run = offline_sam("deploy", "--config-env", environment, "--debug")
    output = run.stdout + run.stderr
    assert "Unable to locate credentials" in output, output[-3000:]  # got as far as calling AWS, unprompted
    [values] = re.findall(r"Configuration values are: (\{.*\})", output)
    settings: dict[str, Any] = ast.literal_eval(values)
    return settings


def overrides(environment: str) -> dict[str, str]:
    # As the SAM CLI reads them: space-separated Key=Value pairs, a value may be quoted (`Key=""` is empty).
    return dict(pair.split("=", 1) for pair in shlex.split(deploy_settings(environment)["parameter_overrides"]))


def test_sam_validate_lints_and_translates_offline() -> None:
    for arguments in (["validate", "--lint"], ["validate"]):
        run = offline_sam(*arguments)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "is a valid SAM Template" in run.stdout


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_deploy_needs_no_prompt_and_knows_its_stack_bucket_and_capabilities(environment: str) -> None:
    settings = deploy_settings(environment)
    assert settings["stack_name"]
    assert settings["resolve_s3"] is True
    assert settings["fail_on_empty_changeset"] is False  # a deploy with nothing new succeeds
    assert set(settings["capabilities"].split()) == required_capabilities()


def test_dev_and_prod_are_separate_stacks_and_prod_shows_its_change_set_first() -> None:
    dev, prod = deploy_settings("default"), deploy_settings("prod")
    assert dev["stack_name"] != prod["stack_name"]
    assert dev["s3_prefix"] != prod["s3_prefix"]
    assert (dev["confirm_changeset"], prod["confirm_changeset"]) == (False, True)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_override_is_a_value_the_template_accepts(environment: str) -> None:
    parameters = load_template()["Parameters"]
    for name, value in overrides(environment).items():
        assert name in parameters, f"{environment}: {name} is no parameter of template.yaml"
        assert accepts(parameters[name], value), f"{environment}: {name}={value} is refused by the template"
    assert translated_template(overrides(environment))["Resources"]


def test_prod_sets_every_parameter_so_the_file_is_what_runs() -> None:
    # sam deploy keeps a parameter's previous value when no override names it: one hand-made
    # `--parameter-overrides` would otherwise stay in prod unseen. Architecture must match the build
    # (`make build ARCH=...`), so it follows the template's default.
    missing = set(load_template()["Parameters"]) - {"Architecture"} - set(overrides("prod"))
    assert not missing, f"add {sorted(missing)} to prod's parameter_overrides in samconfig.toml"


def required_capabilities() -> set[str]:
    """What CloudFormation demands for the deployed template (SAM's transform runs inside a change set)."""
    resources = translated_template()["Resources"].values()
    iam = [resource for resource in resources if resource["Type"] in IAM_TYPES]
    named = [resource for resource in iam if NAME_OF_IAM.get(resource["Type"]) in resource.get("Properties", {})]
    nested = [resource for resource in resources if resource["Type"] == "AWS::CloudFormation::Stack"]
    transforms = load_template().get("Transform", [])
    macros = [
        name
        for name in ([transforms] if isinstance(transforms, str) else transforms)
        if not name.startswith("AWS::Serverless")
    ]
    needed = set()
    if iam:
        needed.add("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
    if nested or macros:
        needed.add("CAPABILITY_AUTO_EXPAND")
    return needed


def accepts(parameter: dict[str, Any], value: str) -> bool:
    """CloudFormation's own checks of a parameter value: allowed values, bounds, pattern."""
    if "AllowedValues" in parameter and value not in [str(allowed) for allowed in parameter["AllowedValues"]]:
        return False
    if parameter["Type"] == "Number":
        number = float(value)
        return bool(parameter.get("MinValue", number) <= number <= parameter.get("MaxValue", number))
    return re.fullmatch(parameter.get("AllowedPattern", ".*"), value) is not None
