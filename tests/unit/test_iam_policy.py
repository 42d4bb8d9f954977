"""The IAM evaluation the permission tests rely on: deny wins, wildcards, Not*, and conditions fail closed."""

from __future__ import annotations

from typing import Any

import pytest

from harness.iam import Policy, evaluate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Jobs"
INDEX = f"{TABLE}/index/due"


def decide(action: str, resource: str, *statements: dict[str, Any]) -> bool:
    return evaluate([Policy("test", {"Statement": list(statements)})], action, resource).allowed


def allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def test_a_matching_allow_allows_and_nothing_else_does() -> None:
    assert decide("dynamodb:PutItem", TABLE, allow("dynamodb:PutItem", TABLE))
    assert not decide("dynamodb:PutItem", TABLE, allow("dynamodb:GetItem", TABLE))
    assert not decide("dynamodb:PutItem", TABLE, allow("dynamodb:PutItem", f"{TABLE}2"))
    assert not decide("dynamodb:PutItem", TABLE)


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
    decision = evaluate(
        [Policy("wide", {"Statement": allow("*", "*")}), Policy("guard", {"Statement": [deny]})],
        "dynamodb:PutItem",
        TABLE,
    )
    assert not decision.allowed
    assert decision.reason == "explicitly denied by guard statement 0"


@pytest.mark.parametrize(
    ("pattern", "action", "allowed"),
    [
        ("dynamodb:*", "dynamodb:Query", True),
        ("DynamoDB:query", "dynamodb:Query", True),  # actions are case-insensitive
        ("dynamodb:*Item", "dynamodb:PutItem", True),
        ("dynamodb:*Item", "dynamodb:Query", False),
        ("dynamodb:?etItem", "dynamodb:GetItem", True),
        ("dynamodb:?etItem", "dynamodb:BatchGetItem", False),
        ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, allowed: bool) -> None:
    assert decide(action, TABLE, allow(pattern, TABLE)) is allowed


@pytest.mark.parametrize(
    ("pattern", "resource", "allowed"),
    [
        ("*", INDEX, True),
        (f"{TABLE}/index/*", INDEX, True),
        (f"{TABLE}/index/*", TABLE, False),
        (TABLE, INDEX, False),  # a table grant does not reach its indexes
        (f"{TABLE}/index/du?", INDEX, True),
        (TABLE.replace("Jobs", "jobs"), TABLE, False),  # resources are case-sensitive
        ("arn:aws:dynamodb:*:123456789012:table/Jobs", TABLE, True),
        ("arn:aws:dynamodb:us-*1:table/Jobs", TABLE, False),  # * inside a segment stays in it
        ("arn:aws:dynamodb:us-*:table/Jobs", TABLE, True),  # ending its segment, * reaches past colons
        (
            "arn:aws:lambda:us-east-1:123456789012:function:Run*",
            "arn:aws:lambda:us-east-1:123456789012:function:Run:2",
            True,
        ),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, allowed: bool) -> None:
    assert decide("dynamodb:Query", resource, allow("dynamodb:Query", pattern)) is allowed


def test_not_action_and_not_resource_cover_everything_they_do_not_name() -> None:
    everything_but_delete = {"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": TABLE}
    assert decide("dynamodb:PutItem", TABLE, everything_but_delete)
    assert not decide("dynamodb:DeleteItem", TABLE, everything_but_delete)
    all_but_jobs = {"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE}
    assert decide("dynamodb:Query", INDEX, all_but_jobs)
    assert not decide("dynamodb:Query", TABLE, all_but_jobs)


def test_a_condition_it_cannot_evaluate_never_allows_and_always_denies() -> None:
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    conditional = evaluate(
        [Policy("p", {"Statement": allow("dynamodb:*", "*", Condition=condition)})], "dynamodb:Query", TABLE
    )
    assert not conditional.allowed
    assert "Condition" in conditional.reason
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*", "Condition": condition}
    assert not decide("dynamodb:Query", TABLE, allow("dynamodb:*", "*"), deny)
