"""template.yaml read as the single source of truth: resources, handlers and environment, refs resolved.

Used by the local stack and the tests, so both run exactly what the template wires.

Physical names follow one rule, so the tests and the resolved environment agree: a table is named by its
logical id, a function by its logical id, and `AWS::StackName` is STACK_NAME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
STACK_NAME = "serverless-jobs-test"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref": value} if suffix == "Ref" else {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def load_template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    return loaded


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in load_template()["Resources"].items() if spec["Type"] == kind}


def _pseudo(name: str) -> str:
    parameters = load_template().get("Parameters", {})
    pseudo = {
        "AWS::StackName": STACK_NAME,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    if name in pseudo:
        return pseudo[name]
    if name in parameters:
        return str(parameters[name]["Default"])
    if name in load_template()["Resources"]:
        return name
    raise KeyError(f"template refers to unknown name {name!r}")


def resolve(value: Any) -> Any:
    """Evaluate the intrinsic functions the template uses for names and environment."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return _pseudo(argument)
        if key == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda match: _sub_variable(match.group(1)), argument)
        if key == "Fn::GetAtt":
            return f"arn:aws:{argument[0]}:{REGION}:{ACCOUNT}:{argument[1]}"
    if isinstance(value, dict):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


def _sub_variable(name: str) -> str:
    if "." in name:
        resource, attribute = name.split(".", 1)
        return str(resolve({"Fn::GetAtt": [resource, attribute]}))
    return _pseudo(name)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    module: str
    attribute: str
    environment: dict[str, str]


def function_spec(logical_id: str) -> FunctionSpec:
    """A function's code location, handler and environment (Globals merged with its own), resolved."""
    template = load_template()
    properties = template["Resources"][logical_id]["Properties"]
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own_env = properties.get("Environment", {}).get("Variables", {})
    module, attribute = properties["Handler"].rsplit(".", 1)
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=ROOT / properties["CodeUri"],
        module=module,
        attribute=attribute,
        environment={key: str(resolve(value)) for key, value in {**globals_env, **own_env}.items()},
    )


def function_ids() -> list[str]:
    return sorted(resources("AWS::Serverless::Function"))


def application_environment() -> dict[str, str]:
    """The variables every function gets, merged: one process runs them all locally and in tests."""
    merged: dict[str, str] = {}
    for logical_id in function_ids():
        for key, value in function_spec(logical_id).environment.items():
            if merged.setdefault(key, value) != value:
                raise ValueError(f"functions disagree on {key}: {merged[key]!r} and {value!r}")
    return merged


def translated_template(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` creates: template.yaml expanded by aws-sam-translator.

    The same library `sam build`/`sam deploy` run, offline: code locations become S3 URIs as `sam package`
    makes them, and the region is REGION. Implicit resources (roles with SAM's managed and inline
    policies, API deployment and stage, permissions, event invoke configs) appear as SAM deploys them.
    """
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template: dict[str, Any] = yaml_parse(TEMPLATE.read_text())
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = f"s3://{STACK_NAME}-artifacts/{properties[key].strip('/')}.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    translated: dict[str, Any] = translator.translate(
        template,
        parameter_values={"AWS::AccountId": ACCOUNT, "AWS::StackName": STACK_NAME, **(parameters or {})},
        get_managed_policy_map=dict,
    )
    return translated
