"""Who the caller is: SigV4 for an API on AWS (IAM auth), nothing for the local stack on loopback.

Credentials come from botocore's own chain (environment, profile, SSO, assumed role, instance or container
role), read again for every request so temporary credentials are refreshed as botocore refreshes them.
botocore is imported only to sign: it takes about half a second to import, which a command against the
local stack never needs to pay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from serverless_jobs_client.errors import ClientError

if TYPE_CHECKING:
    from botocore.credentials import Credentials, ReadOnlyCredentials
    from botocore.session import Session

# https://{api id}.execute-api.{region}.amazonaws.com[.cn]/{stage}
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Signer(Protocol):
    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        """The headers to send: `headers` plus whatever authenticates the request."""
        ...


def no_auth(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
    """The local stack (`make dev`) takes requests on loopback without credentials."""
    return dict(headers)


class SigV4:
    """Signs each request for `execute-api` with botocore's SigV4 at the time `clock` gives.

    botocore computes the canonical request, the string to sign and the signature; the time is ours to pass
    (`SigV4Auth.add_auth` reads the wall clock itself), so a test can sign at a frozen instant.
    """

    def __init__(
        self,
        credentials: Callable[[], ReadOnlyCredentials | Credentials | None],
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        service: str = "execute-api",
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._clock = clock
        self._service = service

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = self._credentials()
        if credentials is None:
            raise ClientError("no AWS credentials found: set a profile (--profile, AWS_PROFILE) or AWS_* variables")
        signer = SigV4Auth(credentials, self._service, self._region)
        request = AWSRequest(method=method, url=url, headers=dict(headers), data=body or b"")
        request.context["timestamp"] = self._clock().astimezone(UTC).strftime(SIGV4_TIMESTAMP)
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        if credentials.token:
            request.headers["X-Amz-Security-Token"] = credentials.token
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={signed}, Signature={signature}"
        )
        return dict(request.headers.items())


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in _LOOPBACK


def region_of(url: str) -> str | None:
    """The region an execute-api URL names; None for a custom domain."""
    match = _EXECUTE_API_HOST.match(urlsplit(url).hostname or "")
    return match.group(1) if match else None


def signer_for(
    url: str, session: Session | None = None, region: str | None = None, profile: str | None = None
) -> Signer:
    """No auth on loopback; otherwise SigV4 with the session's credential chain (of `profile`, unless a
    session is given), in the URL's region."""
    if is_loopback(url):
        return no_auth
    if session is None:
        from botocore.session import Session

        session = Session(profile=profile)
    region = region or region_of(url) or session.get_config_variable("region")
    if not region:
        raise ClientError(f"cannot tell the AWS region of {url}: pass region= (--region) or set AWS_REGION")
    credentials = session.get_credentials()

    def frozen() -> ReadOnlyCredentials | None:
        return credentials.get_frozen_credentials() if credentials is not None else None

    return SigV4(frozen, region)
