"""Each function's permissions as `sam deploy` creates them, and recorded AWS calls checked against them.

The roles come from template.yaml expanded by aws-sam-translator (devtools.template.translated_template):
each function's role with its inline policies (the template's own and SAM's implicit ones, such as the
OnFailure destination's) and its managed policies, read from the AWS managed policy documents moto ships.
Intrinsics resolve to the names the tests use, so a recorded ARN and a granted one compare as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from devtools.aws_calls import AwsCall
from devtools.template import Deployment, translated_template
from harness.iam import Decision, Policy, action_matches, evaluate, listed, resource_matches, statements

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class Grant:
    """One (action, resource) an Allow statement of a function's role names, wildcards as written."""

    function: str
    action: str
    resource: str
    policy: Policy

    def covers(self, call: AwsCall) -> bool:
        return (
            call.function == self.function
            and call.resource is not None
            and action_matches(self.action, call.action)
            and resource_matches(self.resource, call.resource)
        )


@cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    loaded: dict[str, Any] = json.loads(aws_managed_policies_data)
    return loaded


def aws_managed_policy(arn: str) -> Policy:
    """An AWS managed policy's document, from moto's copy of them (no network)."""
    if not arn.startswith(AWS_MANAGED_PREFIX):
        raise ValueError(f"{arn} is not an AWS managed policy")
    path, name = f"/{arn.removeprefix(AWS_MANAGED_PREFIX)}".rsplit("/", 1)
    policy = _aws_managed_policies()[name]
    if policy["Path"] != f"{path}/":
        raise ValueError(f"{arn}: AWS's {name} lives under {policy['Path']}")
    return Policy(name, policy["Document"], aws_managed=True)


class Permissions:
    """The deployed roles of a translated template's functions; `decide` answers for a recorded call."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.policies = {
            logical_id: self._role_policies(resource["Properties"]["Role"])
            for logical_id, resource in deployment.template["Resources"].items()
            if resource["Type"] == "AWS::Lambda::Function"
        }
        self._decisions: dict[AwsCall, Decision] = {}

    def _role_policies(self, role: Any) -> list[Policy]:
        """The role's inline and managed policies, resolved; a role with more to it is refused, not misread."""
        arn = self.deployment.resolve(role)
        [properties] = [
            self.deployment.resolve(resource["Properties"])
            for logical_id, resource in self.deployment.template["Resources"].items()
            if resource["Type"] == "AWS::IAM::Role" and self.deployment.attribute(logical_id, "Arn") == arn
        ]
        if "PermissionsBoundary" in properties:
            raise ValueError(f"{arn}: permissions boundaries are not evaluated")
        inline = [Policy(policy["PolicyName"], policy["PolicyDocument"]) for policy in properties.get("Policies", [])]
        return inline + [aws_managed_policy(arn) for arn in properties.get("ManagedPolicyArns", [])]

    def decide(self, call: AwsCall) -> Decision:
        if call.resource is None:
            return Decision(False, "local_stack/aws_calls.py knows no resource ARN for this call; teach it")
        if call not in self._decisions:
            self._decisions[call] = evaluate(self.policies[call.function], call.action, call.resource)
        return self._decisions[call]

    def denials(self, calls: Iterable[AwsCall], test: str) -> list[str]:
        """One line per call the function's role does not allow, naming function, action, resource and test."""
        lines = []
        for call in dict.fromkeys(calls):
            decision = self.decide(call)
            if not decision.allowed:
                lines.append(
                    f"{call.function} may not {call.action} on {call.resource} (made in {test}): {decision.reason}"
                )
        return lines

    def grants(self) -> list[Grant]:
        """Every (action, resource) each role allows, one per pair its Allow statements list."""
        found: list[Grant] = []
        for function, policies in self.policies.items():
            for policy in policies:
                for statement in statements(policy.document):
                    if statement["Effect"] != "Allow":
                        continue
                    if "Action" not in statement or "Resource" not in statement:
                        raise ValueError(f"{policy.name}: a NotAction/NotResource grant cannot be listed")
                    found.extend(
                        Grant(function, action, resource, policy)
                        for action in listed(statement["Action"])
                        for resource in listed(statement["Resource"])
                        if not other_service(action, resource)
                    )
        return found


def other_service(action: str, resource: str) -> bool:
    """Whether `resource` is an ARN of another service than `action`'s: a pair that allows nothing, since an
    action applies only to its own service's resources (one statement lists the executor's target ARNs of
    four services for four actions)."""
    parts = resource.split(":")
    service = parts[2] if len(parts) > 2 and parts[0] == "arn" else "*"
    return not any(character in service for character in "*?") and service != action.split(":", 1)[0]


def unaccounted_grants(grants: list[Grant], calls: list[AwsCall], reasons: Mapping[tuple[str, str], str]) -> list[str]:
    """Least privilege, both ways: each grant is used by a call or has a reason for (action, resource), not both.

    A reason no grant needs any more is reported too, so the list of reasons stays true.
    """
    problems = []
    for grant in grants:
        used = any(grant.covers(call) for call in calls)
        reasoned = (grant.action, grant.resource) in reasons
        where = f"{grant.function} {grant.action} on {grant.resource} ({grant.policy.name})"
        if not used and not reasoned:
            problems.append(f"{where}: granted, yet no test made such a call, and no reason is given")
        if used and reasoned:
            problems.append(f"{where}: made by a test, yet given a reason as if unused")
    problems.extend(
        f"{action} on {resource}: given a reason, yet no role grants it"
        for action, resource in reasons
        if not any((grant.action, grant.resource) == (action, resource) for grant in grants)
    )
    return problems


@cache
def deployed_permissions() -> Permissions:
    """The roles of template.yaml as deployed with its default parameters, built once per session."""
    return Permissions(Deployment(translated_template()))
