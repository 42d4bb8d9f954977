"""Every invalid combination of the fields of targets, notifications, labels and flow control, on create and on
update, at the API function's boundary: a 400 whose message starts with the field it names, and no table
changed. One table per request kind, so a new field's rules are one row each."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from devtools.stack import Stack
from devtools.template import TARGET_ARNS

pytestmark = pytest.mark.usefixtures("targets")


class Case(NamedTuple):
    name: str
    fields: dict[str, Any]
    field: str


class UpdateCase(NamedTuple):
    name: str
    job: dict[str, Any]
    change: dict[str, Any]
    field: str


SQS = {"type": "sqs", "arn": TARGET_ARNS["sqs"]}
HOOK = {"type": "http", "url": "https://hooks.example.com/jobs"}
RECURRING = {"schedule": "5m"}
AT = {"schedule": "at(2026-12-01T10:00:00)"}  # an EventBridge one-time schedule: a one-time job too

BAD_CREATES = [
    # handler or target: exactly one
    Case("handler-and-target", {"target": SQS, **RECURRING}, "target"),
    Case("neither-handler-nor-target", {"handler": None, **RECURRING}, "handler"),
    Case("target-null-no-handler", {"handler": None, "target": None}, "handler"),
    # each target type's own fields
    Case("sqs-without-arn", {"handler": None, "target": {"type": "sqs"}}, "target.arn"),
    Case("lambda-without-arn", {"handler": None, "target": {"type": "lambda"}}, "target.arn"),
    Case("sfn-without-arn", {"handler": None, "target": {"type": "stepfunctions"}}, "target.arn"),
    Case("bus-without-arn", {"handler": None, "target": {"type": "eventbridge", "detailType": "d"}}, "target.busArn"),
    Case(
        "bus-without-detail-type",
        {"handler": None, "target": {"type": "eventbridge", "busArn": TARGET_ARNS["eventbridge"]}},
        "target.detailType",
    ),
    Case(
        "bus-empty-detail-type",
        {"handler": None, "target": {"type": "eventbridge", "busArn": TARGET_ARNS["eventbridge"], "detailType": ""}},
        "target.detailType",
    ),
    Case(
        "sqs-with-a-url",
        {"handler": None, "target": {"type": "sqs", "arn": TARGET_ARNS["sqs"], "url": "https://x.example"}},
        "target.url",
    ),
    Case(
        "lambda-with-a-queue-arn",
        {"handler": None, "target": {"type": "lambda", "arn": TARGET_ARNS["sqs"]}},
        "target.arn",
    ),
    Case(
        "sfn-outside-the-patterns",
        {"handler": None, "target": {"type": "stepfunctions", "arn": TARGET_ARNS["stepfunctions"] + "-other"}},
        "target.arn",
    ),
    Case("http-with-arn", {"handler": None, "target": {**HOOK, "arn": TARGET_ARNS["sqs"]}}, "target.arn"),
    Case("ftp-url", {"handler": None, "target": {"type": "http", "url": "ftp://x.example"}}, "target.url"),
    Case("no-url", {"handler": None, "target": {"type": "http", "url": "not a url"}}, "target.url"),
    Case("http-delete", {"handler": None, "target": {**HOOK, "method": "DELETE"}}, "target.method"),
    Case(
        "http-21-headers",
        {"handler": None, "target": {**HOOK, "headers": {f"X-{n}": "v" for n in range(21)}}},
        "target.headers",
    ),
    Case(
        "http-forged-header",
        {"handler": None, "target": {**HOOK, "headers": {"X-Serverless-Jobs-Run-Id": "forged"}}},
        "target.headers.X-Serverless-Jobs-Run-Id",
    ),
    Case("http-header-number", {"handler": None, "target": {**HOOK, "headers": {"X-A": 1}}}, "target.headers.X-A"),
    Case("target-type-null", {"handler": None, "target": {"type": None}}, "target"),
    Case("target-a-string", {"handler": None, "target": "sqs"}, "target"),
    # notify
    Case("notify-empty", {"notify": {}}, "notify"),
    Case("notify-both-null", {"notify": {"onFailure": None, "onSuccess": None}}, "notify"),
    Case("notify-unknown-key", {"notify": {"onRetry": SQS}}, "notify.onRetry"),
    Case("notify-every-failure-alone", {"notify": {"onEveryFailure": True}}, "notify"),
    Case("notify-target-no-arn", {"notify": {"onFailure": {"type": "sqs"}}}, "notify.onFailure.arn"),
    Case(
        "notify-plain-http",
        {"notify": {"onSuccess": {"type": "http", "url": "http://x.example"}}},
        "notify.onSuccess.url",
    ),
    Case("notify-a-list", {"notify": []}, "notify"),
    # labels
    Case("labels-11-pairs", {"labels": {f"k{n}": "v" for n in range(11)}}, "labels"),
    Case("labels-empty-key", {"labels": {"": "v"}}, "labels"),
    Case("labels-value-space", {"labels": {"team": "a b"}}, "labels.team"),
    Case("labels-value-129", {"labels": {"team": "v" * 129}}, "labels.team"),
    Case("labels-value-list", {"labels": {"team": ["a"]}}, "labels.team"),
    Case("labels-null", {"labels": None}, "labels"),
    # jitter and catch-up: only for a recurring schedule
    Case("jitter-one-time", {"jitterSeconds": 10}, "jitterSeconds"),
    Case("jitter-at-schedule", {"jitterSeconds": 10, **AT}, "jitterSeconds"),
    Case("jitter-negative", {"jitterSeconds": -1, **RECURRING}, "jitterSeconds"),
    Case("jitter-fraction", {"jitterSeconds": 1.5, **RECURRING}, "jitterSeconds"),
    Case("catchup-one-time", {"catchupWindowSeconds": 60}, "catchupWindowSeconds"),
    Case("catchup-at-schedule", {"catchupWindowSeconds": 60, **AT}, "catchupWindowSeconds"),
    Case("catchup-0", {"catchupWindowSeconds": 0, **RECURRING}, "catchupWindowSeconds"),
    Case("catchup-over-a-year", {"catchupWindowSeconds": 31_536_001, **RECURRING}, "catchupWindowSeconds"),
    # maxRuns
    Case("max-runs-0", {"maxRuns": 0, **RECURRING}, "maxRuns"),
    Case("max-runs-negative", {"maxRuns": -2, **RECURRING}, "maxRuns"),
    Case("max-runs-bool", {"maxRuns": True, **RECURRING}, "maxRuns"),
    # concurrencyKey and concurrencyLimit: both or neither
    Case("key-without-limit", {"concurrencyKey": "tenant-1"}, "concurrencyLimit"),
    Case("limit-without-key", {"concurrencyLimit": 2}, "concurrencyKey"),
    Case("key-with-space", {"concurrencyKey": "tenant 1", "concurrencyLimit": 2}, "concurrencyKey"),
    Case("key-empty", {"concurrencyKey": "", "concurrencyLimit": 2}, "concurrencyKey"),
    Case("key-129", {"concurrencyKey": "k" * 129, "concurrencyLimit": 2}, "concurrencyKey"),
    Case("limit-0", {"concurrencyKey": "tenant-1", "concurrencyLimit": 0}, "concurrencyLimit"),
    Case("limit-10001", {"concurrencyKey": "tenant-1", "concurrencyLimit": 10001}, "concurrencyLimit"),
    Case("limit-null", {"concurrencyKey": "tenant-1", "concurrencyLimit": None}, "concurrencyLimit"),
]


def test_an_invalid_create_is_a_400_naming_the_field_and_changes_nothing(
    stack: Stack, snapshot: Any, subtests: pytest.Subtests
) -> None:
    for case in BAD_CREATES:  # one moto account for all: each case's request changes nothing in it
        with subtests.test(case.name):
            before = snapshot()

            reply = stack.api.post("/jobs", {"name": "job", "handler": "echo", **case.fields})

            assert reply.status == 400, reply.body
            assert reply.body["message"].startswith(f"{case.field}: "), reply.body["message"]
            assert snapshot() == before


# Jobs to update, each as created (`handler` echo unless it has a target).
WITH_HANDLER = {"schedule": "5m"}
WITH_TARGET = {"handler": None, "target": SQS, "schedule": "5m"}
ONE_TIME_LATER = {"runAt": "2026-12-01T00:00:00Z"}
JITTERED = {"schedule": "5m", "jitterSeconds": 30}
CATCHING_UP = {"schedule": "5m", "catchupWindowSeconds": 60}
KEYED = {"schedule": "5m", "concurrencyKey": "tenant-1", "concurrencyLimit": 2}
NOTIFIED = {"schedule": "5m", "notify": {"onFailure": SQS}}

BAD_UPDATES = [
    # required ones cleared
    UpdateCase("name-null", WITH_HANDLER, {"name": None}, "name"),
    UpdateCase("handler-null", WITH_HANDLER, {"handler": None}, "handler"),
    UpdateCase("target-null", WITH_TARGET, {"target": None}, "target"),
    UpdateCase("both-null", WITH_HANDLER, {"handler": None, "target": None}, "handler"),
    UpdateCase("both-given", WITH_HANDLER, {"handler": "echo", "target": SQS}, "target"),
    UpdateCase("labels-null", WITH_HANDLER, {"labels": None}, "labels"),
    UpdateCase("limit-cleared-key-kept", KEYED, {"concurrencyLimit": None}, "concurrencyLimit"),
    UpdateCase("key-cleared-limit-kept", KEYED, {"concurrencyKey": None}, "concurrencyKey"),
    UpdateCase("key-added-alone", WITH_HANDLER, {"concurrencyKey": "tenant-1"}, "concurrencyLimit"),
    UpdateCase("limit-added-alone", WITH_HANDLER, {"concurrencyLimit": 3}, "concurrencyKey"),
    # a schedule taken away from what needs one, or what needs one given to a one-time job
    UpdateCase("jittered-loses-schedule", JITTERED, {"schedule": None}, "jitterSeconds"),
    UpdateCase("catching-up-loses-schedule", CATCHING_UP, {"schedule": None}, "catchupWindowSeconds"),
    UpdateCase("jittered-to-at", JITTERED, {"schedule": "at(2026-12-01T10:00:00)"}, "jitterSeconds"),
    UpdateCase("catching-up-to-at", CATCHING_UP, {"schedule": "at(2026-12-01T10:00:00)"}, "catchupWindowSeconds"),
    UpdateCase("jitter-on-one-time", ONE_TIME_LATER, {"jitterSeconds": 5}, "jitterSeconds"),
    UpdateCase("catchup-on-one-time", ONE_TIME_LATER, {"catchupWindowSeconds": 5}, "catchupWindowSeconds"),
    # the new fields' own rules, as on create
    UpdateCase("jitter-negative", JITTERED, {"jitterSeconds": -1}, "jitterSeconds"),
    UpdateCase("catchup-0", CATCHING_UP, {"catchupWindowSeconds": 0}, "catchupWindowSeconds"),
    UpdateCase("limit-0", KEYED, {"concurrencyLimit": 0}, "concurrencyLimit"),
    UpdateCase("key-with-space", KEYED, {"concurrencyKey": "tenant 1"}, "concurrencyKey"),
    UpdateCase("max-runs-0", WITH_HANDLER, {"maxRuns": 0}, "maxRuns"),
    UpdateCase("notify-empty", NOTIFIED, {"notify": {}}, "notify"),
    UpdateCase("notify-no-arn", NOTIFIED, {"notify": {"onFailure": {"type": "sqs"}}}, "notify.onFailure.arn"),
    UpdateCase("target-no-arn", WITH_TARGET, {"target": {"type": "sqs"}}, "target.arn"),
    UpdateCase("plain-http", WITH_TARGET, {"target": {"type": "http", "url": "http://x.example"}}, "target.url"),
    UpdateCase("label-value-space", WITH_HANDLER, {"labels": {"team": "a b"}}, "labels.team"),
]


def test_an_invalid_update_is_a_400_naming_the_field_and_changes_nothing(
    stack: Stack, snapshot: Any, subtests: pytest.Subtests
) -> None:
    for case in BAD_UPDATES:
        with subtests.test(case.name):
            created = stack.create(**case.job)
            before = snapshot()

            reply = stack.api.put(f"/jobs/{created['id']}", case.change)

            assert reply.status == 400, reply.body
            assert reply.body["message"].startswith(f"{case.field}: "), reply.body["message"]
            assert snapshot() == before
