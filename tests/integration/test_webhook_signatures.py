"""The docs' webhook verification recipes, Python and Node.js, run against deliveries the executor really made.

A genuine delivery verifies; the same delivery with another run id, attempt or body, replayed to another
receiver's URL, or signed too long ago, does not. Each recipe is the block of docs/targets.md as written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devtools.clock import ManualClock
from devtools.stack import Stack
from devtools.template import LOCAL_WEBHOOK_SECRET
from devtools.webhook_receiver import Received, WebhookReceiver
from harness.docs import WEBHOOK_NODE
from harness.webhooks import verified_by_readme

pytestmark = pytest.mark.usefixtures("targets")
SECRET = LOCAL_WEBHOOK_SECRET.encode()


@dataclass(frozen=True)
class Delivery:
    """A request as a receiver got it, and the URL the receiver checks it against (its own)."""

    url: str
    request: Received

    def with_header(self, name: str, value: str) -> Delivery:
        return replace(self, request=replace(self.request, headers={**self.request.headers, name: value}))


@dataclass(frozen=True)
class Deliveries:
    fresh: Delivery
    stale: Delivery  # signed 10 minutes before it is checked
    replayed: Delivery  # `fresh`, sent as captured to another receiver


def replay(request: Received, url: str) -> None:
    """Send a captured request again, byte for byte, to `url` (an attacker who saw one delivery)."""
    sent = urllib.request.Request(url, request.body, dict(request.headers), method=request.method)
    with urllib.request.urlopen(sent, timeout=5) as reply:
        assert reply.status == 200


@pytest.fixture
def deliveries(aws: list[str]) -> Deliveries:
    """Two runs the local stack's executor sent to a receiver, one signed 10 minutes ago, one now; the
    one of now replayed to a second receiver. The clock is the real time's: the recipes read it."""
    now = datetime.now(UTC)
    stack = Stack(ManualClock(now - timedelta(minutes=10)), local_stack=True)
    try:
        with WebhookReceiver(200).running() as receiver, WebhookReceiver(200).running() as other:
            target = {"type": "http", "url": receiver.url + "?site=a", "method": "PATCH"}
            stack.create(handler=None, target=target, data={"n": 1})
            stack.wake()  # at a real time the create wakes the tick, which claims the run
            stack.deliver()
            stack.clock.set(now)
            stack.create(handler=None, target=target, data={"n": 1})
            stack.wake()  # at a real time the create wakes the tick, which claims the run
            stack.deliver()
            stale, fresh = receiver.received()
            replay(fresh, other.url + "?site=a")
            [replayed] = other.received()
    finally:
        stack.close()
    return Deliveries(
        Delivery(target["url"], fresh), Delivery(target["url"], stale), Delivery(other.url + "?site=a", replayed)
    )


def verify_in_python(cases: list[Delivery]) -> list[bool]:
    return [verified_by_readme(case.request, case.url, SECRET) for case in cases]


def verify_in_node(cases: list[Delivery], tmp_path: Path) -> list[bool]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the docs' Node.js recipe is not run")
    harness = """
const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map((c) =>
  verified(c.method, c.url, c.headers, Buffer.from(c.body, "base64"), c.secret))));
"""
    script = tmp_path / "verify.js"
    script.write_text(WEBHOOK_NODE.text() + harness)
    given = [
        {
            "method": case.request.method,
            "url": case.url,
            "headers": case.request.headers,  # lower-cased, as Node gives them
            "body": base64.b64encode(case.request.body).decode(),
            "secret": LOCAL_WEBHOOK_SECRET,
        }
        for case in cases
    ]
    ran = subprocess.run(
        [node, str(script)], input=json.dumps(given), capture_output=True, text=True, timeout=30, check=False
    )
    assert ran.returncode == 0, ran.stderr
    verdicts: list[bool] = json.loads(ran.stdout)
    return verdicts


VERIFIERS = ["python", "node"]


def verify(language: str, cases: list[Delivery], tmp_path: Path) -> list[bool]:
    return verify_in_python(cases) if language == "python" else verify_in_node(cases, tmp_path)


@pytest.mark.parametrize("language", VERIFIERS)
def test_a_genuine_delivery_verifies_with_the_readme_recipe(
    deliveries: Deliveries, language: str, tmp_path: Path
) -> None:
    assert verify(language, [deliveries.fresh], tmp_path) == [True]


@pytest.mark.parametrize("language", VERIFIERS)
def test_a_tampered_delivery_is_refused_by_the_readme_recipe(
    deliveries: Deliveries, language: str, tmp_path: Path
) -> None:
    fresh, stale = deliveries.fresh, deliveries.stale
    tampered = {
        "another run id": fresh.with_header(
            "x-serverless-jobs-run-id", stale.request.headers["x-serverless-jobs-run-id"]
        ),
        "another attempt": fresh.with_header("x-serverless-jobs-attempt", "2"),
        "another job id": fresh.with_header(
            "x-serverless-jobs-job-id", stale.request.headers["x-serverless-jobs-job-id"]
        ),
        "another body": replace(fresh, request=replace(fresh.request, body=fresh.request.body.replace(b"1", b"2"))),
        "another method": replace(fresh, request=replace(fresh.request, method="POST")),
        "replayed to another URL": deliveries.replayed,
        "a stale timestamp": stale,
        "no signature": replace(fresh, request=replace(fresh.request, headers={})),
        "garbled signature": fresh.with_header("x-serverless-jobs-signature", "t=x,v2=zz"),
    }

    verdicts = dict(zip(tampered, verify(language, list(tampered.values()), tmp_path), strict=True))

    assert verdicts == dict.fromkeys(tampered, False)


def test_a_run_id_swapped_on_a_captured_delivery_still_passes_v1_which_is_why_v2_exists(
    deliveries: Deliveries,
) -> None:
    """v1 is still sent for receivers mid-migration, and binds only the timestamp and the body."""
    request = deliveries.fresh.request
    fields = dict(part.split("=", 1) for part in request.headers["x-serverless-jobs-signature"].split(","))
    v1 = hmac.new(SECRET, fields["t"].encode() + b"." + request.body, hashlib.sha256).hexdigest()

    assert set(fields) == {"t", "v1", "v2"}
    assert hmac.compare_digest(fields["v1"], v1)


def test_the_delivery_signed_is_the_delivery_made(deliveries: Deliveries) -> None:
    """The method, the URL's path and query and the ids the signature covers are those the request carries."""
    request = deliveries.fresh.request

    assert (request.method, request.path) == ("PATCH", "/hook?site=a")
    assert json.loads(request.body) == {"n": 1}
    assert request.headers["x-serverless-jobs-attempt"] == "1"
