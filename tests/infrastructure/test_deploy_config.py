"""Deploy is one command, upgrade is `git pull && make deploy`, and your settings are yours.

samconfig.example.toml holds the project's settings; `make deploy` copies it once to samconfig.toml, which git
never tracks, so a pull never touches what you set there. The SAM CLI runs here for real but offline: without
credentials it reads a config file, expands it into its arguments and stops at its first AWS call. Reaching
that call with stdin closed proves it asks nothing.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from samcli.commands.deploy.deploy_context import DeployContext

from devtools.template import ROOT, accepts, load_template, translated_template

ENVIRONMENTS = ["default", "prod"]
EXAMPLE = ROOT / "samconfig.example.toml"
GUIDED_0_1_0 = Path(__file__).parent / "fixtures" / "samconfig-0.1.0-guided.toml"
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
def deploy_settings(environment: str, config: Path = EXAMPLE) -> dict[str, Any]:
    """What `sam deploy --config-env <environment>` read from a config file, after it ran up to AWS."""
    run = offline_sam("deploy", "--config-file", str(config), "--config-env", environment, "--debug")
    output = run.stdout + run.stderr
    assert "Unable to locate credentials" in output, output[-3000:]  # got as far as calling AWS, unprompted
    [values] = re.findall(r"Configuration values are: (\{.*\})", output)
    settings: dict[str, Any] = ast.literal_eval(values)
    return settings


def overrides(environment: str, config: Path = EXAMPLE) -> dict[str, str]:
    # As the SAM CLI reads them: space-separated Key=Value pairs, a value may be quoted (`Key=""` is empty).
    return dict(pair.split("=", 1) for pair in shlex.split(deploy_settings(environment, config)["parameter_overrides"]))


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
    assert not missing, f"add {sorted(missing)} to prod's parameter_overrides in samconfig.example.toml"


def git(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=False)


def test_your_settings_are_never_tracked_so_a_pull_never_touches_them() -> None:
    assert git("ls-files", "--error-unmatch", "samconfig.toml").returncode != 0, "samconfig.toml is tracked"
    assert git("check-ignore", "--quiet", "samconfig.toml").returncode == 0, "samconfig.toml is not ignored"
    assert git("ls-files", "--error-unmatch", "samconfig.example.toml").returncode == 0


def test_make_deploy_writes_your_settings_once_and_never_over_them(tmp_path: Path) -> None:
    for name in ("Makefile", "samconfig.example.toml"):
        shutil.copy(ROOT / name, tmp_path / name)

    def make_settings() -> None:
        subprocess.run(["make", "-s", "samconfig.toml"], cwd=tmp_path, check=True, capture_output=True, timeout=60)

    make_settings()
    assert (tmp_path / "samconfig.toml").read_text() == EXAMPLE.read_text()
    yours = EXAMPLE.read_text().replace('stack_name = "serverless-jobs-dev"', 'stack_name = "team-jobs"')
    (tmp_path / "samconfig.toml").write_text(yours)
    (tmp_path / "samconfig.example.toml").write_text(EXAMPLE.read_text() + "# a newer version's example\n")
    os.utime(tmp_path / "samconfig.toml", (0, 0))  # older than the example: still left alone
    make_settings()
    assert (tmp_path / "samconfig.toml").read_text() == yours


def test_make_deploy_takes_everything_from_your_settings() -> None:
    run = subprocess.run(
        ["make", "-n", "deploy", "CONFIG_ENV=prod"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    [deploy] = [line for line in run.stdout.splitlines() if "sam deploy" in line]
    assert deploy.split("sam deploy", 1)[1].split() == ["--config-env", "prod"]


def test_a_first_release_guided_samconfig_deploys_the_same_stack_unchanged() -> None:
    """0.1.0 told you to run `sam deploy --guided`; its samconfig.toml, kept, updates the same stack."""
    settings = deploy_settings("default", GUIDED_0_1_0)
    assert (settings["stack_name"], settings["region"]) == ("team-jobs", "eu-west-1")
    saved = overrides("default", GUIDED_0_1_0)
    # SAM CLI's own merge: an override the template no longer has (TickPollSeconds) is dropped, the others
    # are passed, and every parameter nobody names keeps its value (a new one: its default).
    merged = {item["ParameterKey"]: item for item in DeployContext.merge_parameters(load_template(), saved)}
    assert "TickPollSeconds" not in merged
    parameters = load_template()["Parameters"]
    for name, value in saved.items():
        if name in parameters:
            assert merged[name]["ParameterValue"] == value
            assert accepts(parameters[name], value), f"{name}={value} is refused by the template"
    assert all(merged[name].get("UsePreviousValue") for name in set(parameters) - set(saved))


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
