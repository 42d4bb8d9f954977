"""template.yaml read as the single source of truth: resources, handlers and environment, refs resolved.

Used by the local stack and the tests, so both run exactly what the template wires.

Physical names follow one rule, so the tests, the resolved environment and the resolved ARNs agree: a
resource is named by its name property when the template sets one, else by its logical id (a table, a
function), and the stack is STACK_NAME in REGION and ACCOUNT.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
STACK_NAME = "serverless-jobs-test"
REGION = "us-east-1"
ACCOUNT = "123456789012"

# What jobs' targets reach on the test and local stacks (devtools.resources.create_targets makes them in
# moto), and the webhook secret they sign with: a local value, never a real one.
TARGET_ARNS = {
    "lambda": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:jobs-target-function",
    "sqs": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs-target-queue",
    "eventbridge": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/jobs-target-bus",
    "stepfunctions": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:jobs-target-machine",
}
WEBHOOK_SECRET_PARAMETER = "/serverless-jobs/webhook-secret"
LOCAL_WEBHOOK_SECRET = "local-webhook-secret"
# The parameters the test and local stacks are deployed with, where they differ from the template's defaults.
STACK_PARAMETERS = {
    "TargetArnPatterns": ",".join(TARGET_ARNS.values()),
    "WebhookSecretParameter": WEBHOOK_SECRET_PARAMETER,
}


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


# What `Ref` returns where it is not the physical name (`{name}`); for any other type, it is the name.
_REF_FORMATS = {
    "AWS::SQS::Queue": "https://sqs.{region}.amazonaws.com/{account}/{name}",
    "AWS::SNS::Topic": "arn:{partition}:sns:{region}:{account}:{name}",
    "AWS::Lambda::LayerVersion": "arn:{partition}:lambda:{region}:{account}:layer:{name}:1",
    "AWS::Serverless::LayerVersion": "arn:{partition}:lambda:{region}:{account}:layer:{name}:1",
    "AWS::IAM::ManagedPolicy": "arn:{partition}:iam::{account}:policy/{name}",
}
# What `Fn::GetAtt <resource>.Arn` returns.
_ARN_FORMATS = {
    "AWS::DynamoDB::Table": "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::Serverless::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::Events::Rule": "arn:{partition}:events:{region}:{account}:rule/{name}",
    "AWS::SQS::Queue": "arn:{partition}:sqs:{region}:{account}:{name}",
    "AWS::SNS::Topic": "arn:{partition}:sns:{region}:{account}:{name}",
    "AWS::CloudWatch::Alarm": "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{name}",
}
# The property a resource type takes its physical name from, when the template sets it.
_NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Events::Rule": "Name",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
}


class _NoValue:
    """`AWS::NoValue`: the list item or property it stands for is left out."""


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class Deployment:
    """A stack of `template` as CloudFormation creates it, with names and ARNs as the tests give them.

    A resource is named by its own name property (a rule's `Name`, a table's `TableName` ...) when the
    template sets one, else by its logical id (where CloudFormation would add the stack name and a random
    suffix); the stack is `stack_name` in REGION and ACCOUNT, and its id ends in a UUID derived from the name.
    """

    template: dict[str, Any]
    stack_name: str = STACK_NAME
    parameters: dict[str, str] = field(default_factory=lambda: dict(STACK_PARAMETERS))

    @property
    def stack_id(self) -> str:
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"cloudformation:{self.stack_name}")
        return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.stack_name}/{stack_uuid}"

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated; AWS::NoValue items and properties dropped."""
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._function(key, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _function(self, key: str, argument: Any) -> Any:
        if key == "Ref":
            return self._ref(argument)
        if key == "Fn::GetAtt":
            resource, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.attribute(resource, attribute)
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            return self._substitute(text, self.resolve(variables))
        if key == "Fn::If":
            condition, if_true, if_false = argument
            return self.resolve(if_true if self.condition(condition) else if_false)
        return _list_function(key, self.resolve(argument))

    def condition(self, name: str) -> bool:
        """A condition of the template's `Conditions`, evaluated."""
        return self._truth(self.template.get("Conditions", {})[name])

    def _truth(self, expression: Any) -> bool:
        ((key, argument),) = expression.items()
        if key == "Condition":
            return self.condition(argument)
        if key == "Fn::Equals":
            left, right = self.resolve(argument)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._truth(argument[0])
        if key == "Fn::And":
            return all(self._truth(item) for item in argument)
        if key == "Fn::Or":
            return any(self._truth(item) for item in argument)
        raise ValueError(f"not a condition: {expression!r}")

    def _substitute(self, text: str, variables: dict[str, Any]) -> str:
        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is written as ${Literal}
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                return str(self.attribute(*name.split(".", 1)))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", variable, text)

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        parameter = self.template.get("Parameters", {}).get(name)
        if parameter is not None:
            if name not in self.parameters and "Default" not in parameter:
                raise KeyError(f"parameter {name} has no default and no value was given")
            value = str(self.parameters.get(name, parameter.get("Default")))
            listed = parameter["Type"] == "CommaDelimitedList" or parameter["Type"].startswith("List<")
            return value.split(",") if listed else value
        resource = self._resource(name)
        return self._format(_REF_FORMATS.get(resource["Type"], "{name}"), name)

    def attribute(self, logical_id: str, attribute: str) -> str:
        """`Fn::GetAtt logical_id.attribute`: an ARN, or a queue's name or URL."""
        kind = self._resource(logical_id)["Type"]
        if attribute == "Arn" and kind in _ARN_FORMATS:
            return self._format(_ARN_FORMATS[kind], logical_id)
        if (kind, attribute) == ("AWS::SQS::Queue", "QueueName"):
            return self.physical_name(logical_id)
        if (kind, attribute) == ("AWS::SQS::Queue", "QueueUrl"):
            return self._format(_REF_FORMATS[kind], logical_id)
        raise ValueError(f"the resolver does not know {kind} attribute {attribute} ({logical_id})")

    def physical_name(self, logical_id: str) -> str:
        resource = self._resource(logical_id)
        name_property = _NAME_PROPERTIES.get(resource["Type"], "")
        name = resource.get("Properties", {}).get(name_property)
        return logical_id if name is None else str(self.resolve(name))

    def _format(self, pattern: str, logical_id: str) -> str:
        return pattern.format(partition="aws", region=REGION, account=ACCOUNT, name=self.physical_name(logical_id))

    def _resource(self, logical_id: str) -> dict[str, Any]:
        try:
            resource: dict[str, Any] = self.template["Resources"][logical_id]
        except KeyError:
            raise KeyError(f"template refers to unknown name {logical_id!r}") from None
        return resource


def _list_function(key: str, arguments: list[Any]) -> Any:
    if key == "Fn::Join":
        delimiter, items = arguments
        return str(delimiter).join(str(item) for item in items)
    if key == "Fn::Select":
        index, items = arguments
        return items[int(index)]
    if key == "Fn::Split":
        delimiter, text = arguments
        return str(text).split(delimiter)
    raise ValueError(f"the resolver does not evaluate {key}")


def resolve(value: Any) -> Any:
    """Evaluate the intrinsic functions of a value from template.yaml, for the test stack (STACK_PARAMETERS)."""
    return Deployment(load_template()).resolve(value)


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
    return translate(TEMPLATE.read_text(), parameters)


def translate(text: str, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """A SAM template's text (this one's, a past release's) expanded by aws-sam-translator, offline."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template: dict[str, Any] = yaml_parse(text)
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = f"s3://{STACK_NAME}-artifacts/{properties[key].strip('/')}.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    translated: dict[str, Any] = translator.translate(
        template,
        parameter_values={
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": STACK_NAME,
            **STACK_PARAMETERS,
            **(parameters or {}),
        },
        get_managed_policy_map=dict,
    )
    return translated


def accepts(parameter: dict[str, Any], value: str) -> bool:
    """CloudFormation's own checks of a parameter value: allowed values, bounds, pattern."""
    if "AllowedValues" in parameter and value not in [str(allowed) for allowed in parameter["AllowedValues"]]:
        return False
    if parameter["Type"] == "Number":
        number = float(value)
        return bool(parameter.get("MinValue", number) <= number <= parameter.get("MaxValue", number))
    return re.fullmatch(parameter.get("AllowedPattern", ".*"), value) is not None
