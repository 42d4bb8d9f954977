"""The client signs what it sends exactly as botocore's SigV4 would, and signs nothing for the local stack."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import Session

from serverless_jobs_client import ClientError, JobsClient
from serverless_jobs_client.auth import SigV4, no_auth, region_of, signer_for
from serverless_jobs_client.transport import Reply, Transport

URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"
KEY_ID, SECRET, TOKEN = "ASIAEXAMPLE", "secret/key+example", "session-token-example"
TEMPORARY = ReadOnlyCredentials(KEY_ID, SECRET, TOKEN)


FROZEN = datetime(2026, 11, 28, 9, 45, 39, tzinfo=UTC)
SIGNATURE_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class Recorder:
    """A `send` that answers 200 and keeps each request as it would go on the wire."""

    def __init__(self, body: object) -> None:
        self.body = body
        self.sent: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
        self.sent.append((method, url, dict(headers), body))
        return Reply(200, {}, self.body)


def ours(at: datetime) -> SigV4:
    return SigV4(lambda: TEMPORARY, "eu-west-1", lambda: at)


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.create(name="nightly", handler="echo", data={"ü": [1, 2.5]}, labels={"team": "a"}),
        lambda client: client.list_page(status="failed", label="team=a b", limit=5, next_token="t/+="),
        lambda client: client.update("job-1", schedule=None, name="renamed"),
        lambda client: client.delete("job-1"),
    ],
    ids=["create-with-body-and-key", "query-string", "update", "delete"],
)
def test_a_sent_request_carries_botocores_own_sigv4_signature(call: Callable[[JobsClient], object]) -> None:
    recorder = Recorder({"id": "job-1", "name": "n", "status": "pending", "jobs": [], "nextToken": None})
    call(JobsClient(URL, transport=Transport(URL, ours(FROZEN), recorder)))
    ((method, url, headers, body),) = recorder.sent
    unsigned = {key: value for key, value in headers.items() if key not in SIGNATURE_HEADERS}

    # botocore's SigV4Auth over the request as sent, at the second it reads from the wall clock
    reference = AWSRequest(method=method, url=url, headers=unsigned, data=body or b"")
    SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "execute-api", "eu-west-1").add_auth(reference)
    botocore_time = datetime.strptime(reference.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    # what was sent is this signer's work at the frozen time, and this signer agrees with botocore at any time
    assert {key: headers[key] for key in SIGNATURE_HEADERS} == {
        key: value for key, value in ours(FROZEN)(method, url, unsigned, body).items() if key in SIGNATURE_HEADERS
    }
    assert headers["X-Amz-Date"] == "20261128T094539Z"
    assert ours(botocore_time)(method, url, unsigned, body)["Authorization"] == reference.headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == TOKEN


def test_the_signature_matches_aws_documented_example() -> None:
    """AWS's own worked example (IAM ListUsers, 2015-08-30): an answer neither botocore nor this code chose."""
    credentials = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
    signer = SigV4(lambda: credentials, "us-east-1", lambda: datetime(2015, 8, 30, 12, 36, tzinfo=UTC), "iam")

    headers = signer(
        "GET",
        "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        None,
    )

    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    )


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "http://localhost:8080/", "http://[::1]:3000"])
def test_the_local_stack_gets_no_credentials(url: str) -> None:
    assert signer_for(url) is no_auth


def test_credentials_come_from_botocores_chain_in_the_urls_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)

    headers = signer_for(URL, Session())("GET", URL + "/jobs", {}, None)

    assert "Credential=AKIAFROMENVIRONMENT/" in headers["Authorization"]
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert "X-Amz-Security-Token" not in headers


def test_a_custom_domain_needs_a_region_from_somewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert region_of("https://jobs.example.com/v1") is None

    with pytest.raises(ClientError, match="region"):
        signer_for("https://jobs.example.com/v1", Session())
    assert signer_for("https://jobs.example.com/v1", Session(), region="ap-south-1") is not no_auth


def test_a_command_against_the_local_stack_never_imports_botocore() -> None:
    """botocore takes about half a second to import; `serverless-jobs` against `make dev` must not pay it."""
    probe = (
        "import sys; from serverless_jobs_client.cli import cli; from serverless_jobs_client import JobsClient; "
        "JobsClient('http://127.0.0.1:3000'); print('botocore' in sys.modules)"
    )

    result = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)

    assert result.stdout.strip() == "False"
