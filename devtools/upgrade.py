"""Whether updating a stack of one template to another keeps what the stack holds, read as CloudFormation.

Both templates are compared as `sam deploy` sends them (expanded by aws-sam-translator), resource by logical
id. What a stack holds: its data (DynamoDB tables, queues, buckets) and its runtime state, the configuration
its own functions change while it runs (a rule they enable and disable, an alarm whose actions they mute),
which a deploy overwrites with the template's value. The rules, each a `Finding.rule`:

- `table-replaced`: a table property that forces a replacement changed (a new, empty table).
- `index-churn`: more than one global secondary index created or deleted on one table (DynamoDB refuses it).
- `index-changed`: an index's keys or projection changed (CloudFormation cannot update one in place).
- `state-removed`: data or runtime state removed, or renamed (its logical id gone, or its type changed).
- `state-replaced`: runtime state replaced (a replacing property changed): the new one starts as the template says.
- `state-reset`: runtime state updated in place: the update re-applies the template's values over it.
- `parameter-removed`: a parameter removed that the previous release did not deprecate (its Description
  starting with "Deprecated"): a deploy passing the saved value fails.
- `parameter-required`: a new parameter without a Default: an update with the saved settings fails.

`update_and_rollback` applies them both ways: the update, and CloudFormation rolling it back. An intended break
passes when the Upgrading notes of the new version name one of the finding's `names` (a logical id or
parameter): see `unexplained`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase as fnmatch
from functools import cache
from typing import Any

from devtools.template import _NAME_PROPERTIES

DATA_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::SQS::Queue", "AWS::S3::Bucket"})
TABLE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"})
# Calls that change a resource's configuration at runtime: a resource its own stack's roles may make them on
# holds runtime state.
RECONFIGURING_ACTIONS = frozenset(
    {
        "events:enablerule",
        "events:disablerule",
        "events:putrule",
        "cloudwatch:enablealarmactions",
        "cloudwatch:disablealarmactions",
        "cloudwatch:putmetricalarm",
        "lambda:putfunctionconcurrency",
        "lambda:updatefunctionconfiguration",
        "ssm:putparameter",
    }
)
# Replacing table properties CloudFormation's resource schema leaves updatable but DynamoDB cannot change.
TABLE_KEY_PROPERTIES = ("KeySchema", "LocalSecondaryIndexes")
# A resource's own Metadata may say where its runtime state is kept instead (a table it is restored from).
STATE_KEPT_IN = "RuntimeStateKeptIn"


@dataclass(frozen=True)
class Finding:
    rule: str
    names: tuple[str, ...]  # what an Upgrading note names to accept it
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    """What updating a stack from `old` to `new` (both translated templates) would lose or break."""
    findings = [*_parameters(old.get("Parameters", {}), new.get("Parameters", {}))]
    old_resources, new_resources = old.get("Resources", {}), new.get("Resources", {})
    runtime = runtime_state(old)
    for logical_id, before in old_resources.items():
        kind = before["Type"]
        after = new_resources.get(logical_id)
        held = "data" if kind in DATA_TYPES else "runtime state" if logical_id in runtime else None
        if after is None or after["Type"] != kind:
            if held:
                findings.append(
                    Finding(
                        "state-removed",
                        (logical_id,),
                        f"{logical_id} ({kind}, {held}) is removed or renamed: what it holds stays behind",
                    )
                )
            continue
        replacing = replacing_changes(kind, before.get("Properties", {}), after.get("Properties", {}))
        if kind in TABLE_TYPES:
            findings += _table(logical_id, before.get("Properties", {}), after.get("Properties", {}), replacing)
        elif logical_id in runtime and replacing:
            findings.append(
                Finding(
                    "state-replaced",
                    (logical_id,),
                    f"{logical_id} ({kind}) is replaced ({', '.join(replacing)} changed): "
                    f"the state its functions set ({runtime[logical_id]}) starts over as the template says",
                )
            )
        elif logical_id in runtime and before.get("Properties") != after.get("Properties"):
            findings.append(
                Finding(
                    "state-reset",
                    (logical_id,),
                    f"{logical_id} ({kind}) is updated: the update re-applies the template's values over the "
                    f"state its functions set ({runtime[logical_id]})",
                )
            )
    return findings


def update_and_rollback(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    """What the update from `old` to `new` breaks, and what rolling it back to `old` breaks.

    A rollback applies `old` over a stack of `new`: the data `new` created goes (a table it added is deleted
    or orphaned), and what either update replaces or resets is replaced or reset again. Parameters come
    back with their previous values, and runtime state only `new` had goes with its feature: neither is a
    finding of the rollback.
    """
    update = compare(old, new)
    data = {logical_id for logical_id, resource in new.get("Resources", {}).items() if resource["Type"] in DATA_TYPES}
    seen = {(finding.rule, finding.names) for finding in update}
    rollback = [
        Finding(finding.rule, finding.names, f"on rollback: {finding.message}")
        for finding in compare(new, old)
        if not finding.rule.startswith("parameter-")
        and not (finding.rule == "state-removed" and finding.names[0] not in data)
        and (finding.rule, finding.names) not in seen
    ]
    return update + rollback


def unexplained(findings: list[Finding], notes: str) -> list[Finding]:
    """The findings no Upgrading note names (by one of the finding's names, as a whole word)."""
    return [
        finding
        for finding in findings
        if not any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", notes) for name in finding.names)
    ]


def runtime_state(template: dict[str, Any]) -> dict[str, str]:
    """Resources the stack's own roles may reconfigure at runtime, with the calls that do it."""
    resources = template.get("Resources", {})
    held: dict[str, set[str]] = {}
    for role in resources.values():
        if role["Type"] not in {"AWS::IAM::Role", "AWS::IAM::Policy"}:
            continue
        for statement in _statements(role.get("Properties", {})):
            actions = _strings(statement.get("Action", []))
            reconfiguring = {  # IAM's wildcards ("events:*") included
                action for action in actions if any(fnmatch(known, action.lower()) for known in RECONFIGURING_ACTIONS)
            }
            if statement.get("Effect") != "Allow" or not reconfiguring:
                continue
            for logical_id, resource in resources.items():
                if _names(statement.get("Resource"), logical_id, resource):
                    held.setdefault(logical_id, set()).update(reconfiguring)
    return {
        logical_id: ", ".join(sorted(actions))
        for logical_id, actions in held.items()
        if STATE_KEPT_IN not in resources[logical_id].get("Metadata", {})
    }


def replacing_changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The properties that changed and make CloudFormation replace the resource."""
    replacing = [*_create_only(kind), *(TABLE_KEY_PROPERTIES if kind in TABLE_TYPES else ())]
    changed = [name for name in replacing if before.get(name) != after.get(name)]
    if kind in TABLE_TYPES and _key_types(before, before.get("KeySchema")) != _key_types(after, after.get("KeySchema")):
        changed.append("AttributeDefinitions (a key's type)")
    return sorted(set(changed))


@cache
def _create_only(kind: str) -> tuple[str, ...]:
    """The properties CloudFormation's resource schema (as cfn-lint ships it) says force a replacement."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    except Exception:  # a type cfn-lint does not know: nothing known to replace it
        return ()
    paths = schema.get("createOnlyProperties", [])
    return tuple(path.split("/")[2] for path in paths if path.startswith("/properties/"))


def _table(logical_id: str, before: dict[str, Any], after: dict[str, Any], replacing: list[str]) -> list[Finding]:
    findings = []
    if replacing:
        findings.append(
            Finding(
                "table-replaced",
                (logical_id,),
                f"{logical_id} is replaced ({', '.join(replacing)} changed): a new, empty table",
            )
        )
    old_indexes, new_indexes = _indexes(before), _indexes(after)
    churn = sorted(set(old_indexes) ^ set(new_indexes))
    if len(churn) > 1:
        findings.append(
            Finding(
                "index-churn",
                (logical_id,),
                f"{logical_id}: indexes {', '.join(churn)} created or deleted in one update (DynamoDB allows one)",
            )
        )
    for name in sorted(set(old_indexes) & set(new_indexes)):
        old_index, new_index = old_indexes[name], new_indexes[name]
        was = (_key_types(before, old_index.get("KeySchema")), old_index.get("Projection"))
        now = (_key_types(after, new_index.get("KeySchema")), new_index.get("Projection"))
        if was != now:
            findings.append(
                Finding(
                    "index-changed",
                    (logical_id,),
                    f"{logical_id}: index {name}'s keys or projection changed (CloudFormation cannot update it)",
                )
            )
    return findings


def _indexes(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}


def _key_types(properties: dict[str, Any], key_schema: Any) -> str:
    """A key schema with each attribute's type, as one comparable text."""
    types = {a.get("AttributeName"): a.get("AttributeType") for a in properties.get("AttributeDefinitions", [])}
    keys = [(k.get("AttributeName"), k.get("KeyType"), types.get(k.get("AttributeName"))) for k in key_schema or []]
    return json.dumps(keys, sort_keys=True, default=str)


def _parameters(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    for name, parameter in old.items():
        if name not in new and not str(parameter.get("Description", "")).startswith("Deprecated"):
            yield Finding(
                "parameter-removed",
                (name,),
                f"parameter {name} is removed without a release that deprecated it: a deploy passing it fails",
            )
    for name, parameter in new.items():
        if name not in old and "Default" not in parameter:
            yield Finding(
                "parameter-required",
                (name,),
                f"new parameter {name} has no Default: an update with the saved settings fails",
            )


def _statements(properties: dict[str, Any]) -> Iterator[dict[str, Any]]:
    documents = [policy.get("PolicyDocument", {}) for policy in properties.get("Policies", [])]
    documents.append(properties.get("PolicyDocument", {}))
    for document in documents:
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        yield from [statements] if isinstance(statements, dict) else statements


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [item for item in value if isinstance(item, str)]


def _names(node: Any, logical_id: str, resource: dict[str, Any]) -> bool:
    """Whether a statement's Resource names this resource: by reference, or by its name's text in an ARN."""
    text = json.dumps(node)
    references = (
        f'{{"Ref": "{logical_id}"}}',
        f'"Fn::GetAtt": ["{logical_id}"',
        f'"Fn::GetAtt": "{logical_id}.',
        f"${{{logical_id}}}",
        f"${{{logical_id}.",
    )
    if any(reference in text for reference in references):
        return True
    name = _name_text(resource)
    return name is not None and re.search(rf"[/:]{re.escape(name)}\"", text) is not None


def _name_text(resource: dict[str, Any]) -> str | None:
    """The text of a resource's own name property (a plain string or a Fn::Sub string), if it sets one."""
    value = resource.get("Properties", {}).get(_NAME_PROPERTIES.get(resource["Type"], ""))
    if value is not None:
        if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
            value = value["Fn::Sub"]
        if isinstance(value, str):
            return json.dumps(value)[1:-1]
    return None
