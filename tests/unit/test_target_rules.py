"""A target's rules without AWS: addresses a webhook may reach, ARN patterns, URL and header rules, signing."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.clock import ManualClock
from serverless_jobs.adapters.targets.http_target import HttpTarget
from serverless_jobs.adapters.targets.router import AwsTargets
from serverless_jobs.adapters.targets.signing import signature_header
from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.targets import (
    OwnResources,
    Target,
    check_arn,
    check_headers,
    check_reachable,
    check_url,
    is_public_address,
)
from serverless_jobs.settings import Settings

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
RUN = RunRequest(jobId="j", runId="r", attempt=1, scheduledAt=None, trigger="schedule")


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # the instance metadata service
        "fe80::1",
        "fe80::1%eth0",
        "127.0.0.1",
        "::1",
        "::",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "fd00::1",
        "fec0::1",  # site-local: Python's is_global still says yes
        "fec0:1234::abcd",
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "2001:db8::1",
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "::ffff:127.0.0.1",  # IPv4-mapped: judged by its IPv4 address
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64 (RFC 8215)
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::808:808",  # IPv4-compatible, even of a public address (deprecated)
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:808:808::1",  # 6to4, even of a public address (deprecated)
        "2001::1",  # Teredo
        "100::1",  # discard-only
        "not an address",
    ],
)
def test_a_webhook_may_not_reach_any_address_that_is_not_globally_routable(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34", "64:ff9b::808:808", "8.8.8.8"],
)
def test_a_webhook_may_reach_public_addresses(address: str) -> None:
    assert is_public_address(address)


def test_every_address_of_a_host_is_checked_and_one_private_address_refuses_the_webhook() -> None:
    """One private address among public ones is enough: the connection could go to any of them."""
    addresses = ["93.184.216.34", "10.0.0.1"]
    target = HttpTarget(lambda: b"s", local=False, resolver=lambda host, port: addresses)

    outcome, result = target.send(Target("http", url="https://hooks.example.com/x"), {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable, result) == (False, False, None)
    assert "hooks.example.com resolves to an address that is not public" in str(outcome.error)
    assert "10.0.0.1" not in str(outcome.error)  # where the host points is not told


def test_a_host_that_does_not_resolve_fails_the_run_and_is_retried() -> None:
    def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    target = HttpTarget(lambda: b"s", local=False, resolver=unresolvable)

    outcome, _ = target.send(Target("http", url="https://nowhere.example.com/x"), {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable) == (False, True)
    assert "Name or service not known" in str(outcome.error)


def test_the_signature_carries_v1_over_the_body_and_v2_over_the_whole_delivery() -> None:
    v1 = hmac.new(b"secret", b"1800000000.{}", hashlib.sha256).hexdigest()
    lines = b"v2\n1800000000\nPOST\nhttps://e.com/h?a=1\nj\nr\n2\n{}"
    v2 = hmac.new(b"secret", lines, hashlib.sha256).hexdigest()

    header = signature_header(b"secret", "1800000000", "POST", "https://e.com/h?a=1", "j", "r", 2, b"{}")

    assert header == f"t=1800000000,v1={v1},v2={v2}"


def test_v2_differs_for_each_field_of_the_delivery() -> None:
    fields: list[Any] = ["1800000000", "POST", "https://e.com/h", "j", "r", 1, b"{}"]
    sign: Callable[..., str] = signature_header  # the fields by position, one replaced at a time
    base = sign(b"s", *fields)
    changed = ["1800000001", "PUT", "https://e.com/g", "k", "q", 2, b"[]"]
    for at, value in enumerate(changed):
        other = sign(b"s", *fields[:at], value, *fields[at + 1 :])
        assert other.rsplit("v2=", 1)[1] != base.rsplit("v2=", 1)[1], at


@pytest.mark.parametrize(
    ("patterns", "reachable"),
    [
        ((QUEUE,), True),
        (("arn:aws:sqs:eu-west-1:123456789012:ord*",), True),
        (("arn:aws:sqs:*:123456789012:order?",), True),
        (("arn:aws:sqs:eu-west-1:123456789012:order",), False),  # a pattern matches the whole ARN
        (("arn:aws:sqs:eu-west-1:123456789012:orders.fifo",), False),
        ((), False),
    ],
)
def test_an_aws_target_is_reachable_only_within_the_arn_patterns(patterns: tuple[str, ...], reachable: bool) -> None:
    target = Target("sqs", arn=QUEUE)
    if reachable:
        check_reachable(target, patterns, local=False, webhook_secret="")
    else:
        with pytest.raises(InvalidInput, match="TargetArnPatterns"):
            check_reachable(target, patterns, local=False, webhook_secret="")


def test_a_webhook_needs_https_and_a_secret_on_aws_and_takes_plain_http_on_the_local_stack() -> None:
    plain = Target("http", url="http://127.0.0.1:8080/hook")
    secure = Target("http", url="https://example.com/hook")

    check_reachable(plain, (), local=True, webhook_secret="/s")
    check_reachable(secure, (), local=False, webhook_secret="/s")
    with pytest.raises(InvalidInput, match=r"^target\.url: must be https://"):
        check_reachable(plain, (), local=False, webhook_secret="/s")
    with pytest.raises(InvalidInput, match="set the WebhookSecretParameter parameter"):
        check_reachable(secure, (), local=False, webhook_secret="")


@pytest.mark.parametrize(
    ("kind", "arn"),
    [
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f:live"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
        ("sqs", "arn:aws-cn:sqs:cn-north-1:123456789012:q.fifo"),
        ("eventbridge", "arn:aws:events:us-east-1:123456789012:event-bus/default"),
        ("stepfunctions", "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:m"),
    ],
)
def test_arns_of_each_kind_and_partition_are_accepted(kind: str, arn: str) -> None:
    assert check_arn(kind, arn, "target.arn") == arn  # type: ignore[arg-type]


def test_a_target_reads_back_as_the_api_gave_it() -> None:
    shapes: list[dict[str, Any]] = [
        {"type": "http", "url": "https://e.com/x", "method": "PATCH", "headers": {"A": "1"}},
        {"type": "eventbridge", "busArn": "arn:aws:events:us-east-1:123456789012:event-bus/b", "detailType": "d"},
        {"type": "sqs", "arn": QUEUE},
    ]
    assert [Target.from_api(shape).to_api() for shape in shapes] == shapes


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/café", "has a character outside ASCII ('é')"),
        ("https://example.com/?q=é", "has a character outside ASCII"),
        ("https://bücher.example/", "write an international host name in its xn-- form"),
        ("https://example.com/a\r\nb", "contains a space or a control character"),
    ],
)
def test_a_url_that_cannot_be_sent_as_is_is_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        check_url(url)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("\u2603", "has a character outside Latin-1"),
        ("a\r\nX-Evil: 1", "contains a line break"),
        ("a\x85b", "control character"),
        (" padded", "starts or ends with a space"),
    ],
)
def test_a_header_value_that_cannot_be_sent_as_is_is_refused(value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        check_headers({"X-Value": value})


def test_a_stored_target_that_cannot_be_sent_fails_for_good_instead_of_being_retried() -> None:
    """A job stored before these checks (its header beyond Latin-1) fails once, not on every attempt."""
    target = HttpTarget(lambda: b"s", local=True, resolver=lambda host, port: ["127.0.0.1"])
    stored = Target("http", url="http://127.0.0.1:9/x", headers=(("X-Snow", "\u2603"),))

    outcome, result = target.send(stored, {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable, result) == (False, False, None)
    assert "cannot be sent as is" in str(outcome.error)


class NoClients:
    """Target clients that fail the test if any is made: a refused target calls nothing."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the {name} client was made")


@pytest.mark.parametrize(
    "target",
    [
        Target("lambda", arn="arn:aws:lambda:us-east-1:123456789012:function:jobs-tick-abc"),
        Target("lambda", arn="arn:aws:lambda:us-east-1:123456789012:function:jobs-Executor-x:live"),
        Target("sqs", arn="arn:aws:sqs:us-east-1:123456789012:jobs-DeadLetterQueue-y"),
    ],
)
def test_the_executor_refuses_a_stored_target_that_is_the_stack_itself_calling_nothing(target: Target) -> None:
    """A job stored before the API refused such targets fails for good, never invoking the stack's own."""
    settings = Settings(
        "jobs",
        "history",
        1,
        1,
        tick_function="jobs-tick-abc",
        function_name="jobs-Executor-x",
        dead_letter_queue="https://sqs.us-east-1.amazonaws.com/123456789012/jobs-DeadLetterQueue-y",
        target_arn_patterns=("arn:aws:*",),
    )
    targets = AwsTargets(NoClients(), settings, ManualClock(datetime(2026, 11, 28, tzinfo=UTC)))

    outcome, result = targets.send(target, {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable, result) == (False, False, None)
    assert "this stack's own" in str(outcome.error)


def test_own_resources_are_matched_by_name_and_other_targets_are_not() -> None:
    own = OwnResources(frozenset({"jobs-tick-abc"}), frozenset({"dlq"}))

    assert own.holds(Target("lambda", arn="arn:aws:lambda:eu-west-1:123456789012:function:jobs-tick-abc:1"))
    assert not own.holds(Target("lambda", arn="arn:aws:lambda:eu-west-1:123456789012:function:jobs-tick-abcd"))
    assert own.holds(Target("sqs", arn="arn:aws:sqs:eu-west-1:123456789012:dlq"))
    assert not own.holds(Target("sqs", arn="arn:aws:sqs:eu-west-1:123456789012:dlq.fifo"))
    assert not own.holds(Target("http", url="https://dlq.example.com/"))
