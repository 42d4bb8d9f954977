"""IAM's decision on one request (action, resource) under a role's identity policies.

The part of AWS's evaluation logic a Lambda role meets (no permissions boundary, session policy or SCP): an
explicit Deny wins, else an Allow allows, else the request is implicitly denied. Actions match
case-insensitively, resources case-sensitively, both with `*` and `?`; in a resource, `*` stays within its
colon-separated segment unless it ends the segment. Conditions are not evaluated, so a statement with one
fails closed: it never allows, and a Deny with one counts as applying.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Policy:
    name: str
    document: dict[str, Any]
    aws_managed: bool = False  # one of AWS's own policies, which the template attaches but cannot change


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return listed(document["Statement"])


@cache
def _pattern(text: str, *, resource: bool) -> re.Pattern[str]:
    parts = []
    for index, character in enumerate(text):
        if character == "*":
            ends_segment = not resource or index + 1 == len(text) or text[index + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif character == "?":
            parts.append("." if not resource else "[^:]")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), 0 if resource else re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern, resource=False).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    return _pattern(pattern, resource=True).fullmatch(resource) is not None


def applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    """Whether the statement's Action/NotAction and Resource/NotResource cover the request."""
    if "Action" in statement:
        action_covered = any(action_matches(pattern, action) for pattern in listed(statement["Action"]))
    else:
        action_covered = not any(action_matches(pattern, action) for pattern in listed(statement["NotAction"]))
    if "Resource" in statement:
        return action_covered and any(resource_matches(p, resource) for p in listed(statement["Resource"]))
    return action_covered and not any(resource_matches(p, resource) for p in listed(statement["NotResource"]))


def evaluate(policies: Sequence[Policy], action: str, resource: str) -> Decision:
    """Allowed only if some statement allows it, unconditionally, and no statement denies it."""
    allowed_by = None
    conditional = None
    for policy in policies:
        for number, statement in enumerate(statements(policy.document)):
            if not applies(statement, action, resource):
                continue
            where = f"{policy.name} statement {number}"
            if statement["Effect"] == "Deny":
                unsure = " (its Condition is not evaluated)" if "Condition" in statement else ""
                return Decision(False, f"explicitly denied by {where}{unsure}")
            if statement["Effect"] != "Allow":
                raise ValueError(f"{where}: Effect must be Allow or Deny, not {statement['Effect']!r}")
            if "Condition" in statement:
                conditional = conditional or where
            else:
                allowed_by = allowed_by or where
    if allowed_by is not None:
        return Decision(True, f"allowed by {allowed_by}")
    if conditional is not None:
        return Decision(False, f"allowed only under a Condition, which is not evaluated ({conditional})")
    return Decision(False, "no statement allows it")
