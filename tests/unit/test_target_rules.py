"""A target's rules without AWS: addresses a webhook may reach, ARN patterns, URL and header rules, signing."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from serverless_jobs.adapters.targets.http_target import HttpTarget, signature
from serverless_jobs.domain.errors import InvalidInput
from serverless_jobs.domain.job import RunRequest
from serverless_jobs.domain.targets import Target, check_arn, check_reachable, forbidden_address

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
RUN = RunRequest(jobId="j", runId="r", attempt=1, scheduledAt=None, trigger="schedule")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),  # the instance metadata service
        ("fe80::1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # an IPv4-mapped address is its IPv4 address
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("224.0.0.1", "multicast"),
    ],
)
def test_a_webhook_may_not_reach_metadata_loopback_private_or_reserved_addresses(address: str, kind: str) -> None:
    assert kind in str(forbidden_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_a_webhook_may_reach_public_addresses(address: str) -> None:
    assert forbidden_address(address) is None


def test_every_address_of_a_host_is_checked_and_one_private_address_refuses_the_webhook() -> None:
    """One private address among public ones is enough: the connection could go to any of them."""
    addresses = ["93.184.216.34", "10.0.0.1"]
    target = HttpTarget(lambda: b"s", local=False, resolver=lambda host, port: addresses)

    outcome, result = target.send(Target("http", url="https://hooks.example.com/x"), {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable, result) == (False, False, None)
    assert "hooks.example.com resolves to 10.0.0.1 is a private address" in str(outcome.error)


def test_a_host_that_does_not_resolve_fails_the_run_and_is_retried() -> None:
    def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    target = HttpTarget(lambda: b"s", local=False, resolver=unresolvable)

    outcome, _ = target.send(Target("http", url="https://nowhere.example.com/x"), {}, RUN, 5.0)

    assert (outcome.succeeded, outcome.retryable) == (False, True)
    assert "Name or service not known" in str(outcome.error)


def test_the_signature_is_hmac_sha256_over_the_timestamp_a_dot_and_the_body() -> None:
    expected = hmac.new(b"secret", b"1800000000.{}", hashlib.sha256).hexdigest()
    assert signature(b"secret", "1800000000", b"{}") == f"t=1800000000,v1={expected}"


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
