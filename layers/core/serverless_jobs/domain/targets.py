"""Where a run goes when a job has a `target` instead of a registered `handler` (decision "Targets").

A target is plain data: its kind and where it points. The rules here need no clock and no AWS: the ARN
shapes each kind accepts, an http target's URL and headers, and whether the stack lets the executor reach
it (the ARN patterns of the template's `TargetArnPatterns`, IAM's `*` and `?` wildcards; plain http and
private addresses only on the local stack). The API refuses what breaks them with a 400 naming the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal
from urllib.parse import urlsplit

from serverless_jobs.domain.errors import InvalidInput

TargetType = Literal["lambda", "http", "sqs", "eventbridge", "stepfunctions"]
TARGET_TYPES: tuple[TargetType, ...] = ("lambda", "http", "sqs", "eventbridge", "stepfunctions")
HTTP_METHODS = ("POST", "PUT", "PATCH")  # the run's data is the request's body
MAX_URL_LENGTH = 2048
MAX_HEADERS = 20
MAX_HEADER_VALUE_LENGTH = 1024
MAX_DETAIL_TYPE_LENGTH = 128  # EventBridge's own limit
# The headers every webhook carries (the signature and the run's ids); a job may not set or fake them.
HEADER_PREFIX = "X-Serverless-Jobs-"
SIGNATURE_HEADER = f"{HEADER_PREFIX}Signature"
# Set by the HTTP client from the request itself; a job setting them would break the request or its signature.
_MANAGED_HEADERS = frozenset({"host", "content-length", "content-type", "transfer-encoding", "connection"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")  # RFC 9110 field-name

_REGION_ACCOUNT = r":[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
# The ARN each kind names, as AWS shapes it (names by each service's own limits).
ARN_SHAPES: Mapping[TargetType, tuple[str, str]] = {
    "lambda": ("lambda", r"function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?"),
    "sqs": ("sqs", r"[A-Za-z0-9_-]{1,80}(\.fifo)?"),
    "eventbridge": ("events", r"event-bus/[A-Za-z0-9._/-]{1,256}"),
    "stepfunctions": ("states", r"stateMachine:[A-Za-z0-9_-]{1,80}"),
}
_ARN_EXAMPLES: Mapping[TargetType, str] = {
    "lambda": "arn:aws:lambda:us-east-1:123456789012:function:my-function",
    "sqs": "arn:aws:sqs:us-east-1:123456789012:my-queue",
    "eventbridge": "arn:aws:events:us-east-1:123456789012:event-bus/my-bus",
    "stepfunctions": "arn:aws:states:us-east-1:123456789012:stateMachine:my-machine",
}


@dataclass(frozen=True)
class Target:
    """One target. `arn` is the function, queue, event bus or state machine; `url` an http target's."""

    type: TargetType
    arn: str = ""
    url: str = ""
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = field(default=())
    detail_type: str = ""

    def to_api(self) -> dict[str, Any]:
        """The API's (and the table's) shape: `{"type": "sqs", "arn": ...}`, `busArn` for a bus."""
        if self.type == "http":
            return {"type": "http", "url": self.url, "method": self.method, "headers": dict(self.headers)}
        if self.type == "eventbridge":
            return {"type": "eventbridge", "busArn": self.arn, "detailType": self.detail_type}
        return {"type": self.type, "arn": self.arn}

    @classmethod
    def from_api(cls, value: Mapping[str, Any]) -> Target:
        """The inverse of `to_api`, for a value the API validated (or the table stored)."""
        kind: TargetType = value["type"]
        if kind == "http":
            headers = tuple(sorted((str(k), str(v)) for k, v in (value.get("headers") or {}).items()))
            return cls("http", url=value["url"], method=value.get("method", "POST"), headers=headers)
        if kind == "eventbridge":
            return cls("eventbridge", arn=value["busArn"], detail_type=value["detailType"])
        return cls(kind, arn=value["arn"])

    @property
    def label(self) -> str:
        """How logs and per-handler metrics name a target job: `target:sqs`."""
        return f"target:{self.type}"


def check_arn(kind: TargetType, arn: str, field_name: str) -> str:
    """`arn` if it is shaped as `kind`'s ARN (a function, a queue, a bus, a state machine)."""
    service, rest = ARN_SHAPES[kind]
    if not re.fullmatch(rf"arn:aws[a-z-]*:{service}{_REGION_ACCOUNT}{rest}", arn):
        raise InvalidInput(field_name, f"is not a {kind} target's ARN, e.g. {_ARN_EXAMPLES[kind]}")
    return arn


def check_url(url: str) -> str:
    """An absolute http(s) URL in ASCII with a host, no credentials and no fragment (whether plain http is
    allowed depends on the stack: `check_reachable`)."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput("target.url", f"is {len(url)} characters; the limit is {MAX_URL_LENGTH}")
    if any(ord(character) <= 32 or ord(character) == 127 for character in url):
        raise InvalidInput("target.url", "contains a space or a control character")
    # A request line is ASCII: refused rather than encoded, so the URL stored, shown, signed and sent is one.
    if not url.isascii():
        raise InvalidInput(
            "target.url",
            f"has a character outside ASCII ({next(c for c in url if not c.isascii())!r}): percent-encode the "
            "path and query (UTF-8, e.g. /caf%C3%A9) and write an international host name in its xn-- form",
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as error:
        raise InvalidInput("target.url", f"is not a URL ({error})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("target.url", "must be an absolute https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("target.url", "must not carry credentials; send them in target.headers")
    if parts.fragment:
        raise InvalidInput("target.url", "must not have a #fragment (it is never sent)")
    return url


def check_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Header names that are tokens, values that are sent as given (no line break or control character,
    nothing beyond Latin-1, no space at either end), none the HTTP client or the signature sets."""
    if len(headers) > MAX_HEADERS:
        raise InvalidInput("target.headers", f"has {len(headers)} headers; the limit is {MAX_HEADERS}")
    seen: set[str] = set()
    for name, value in headers.items():
        where = f"target.headers.{name[:64]}"
        if not _TOKEN.fullmatch(name):
            raise InvalidInput(where, "is not a header name (letters, digits and !#$%&'*+.^_`|~- only)")
        lower = name.lower()
        if lower in _MANAGED_HEADERS or lower.startswith(HEADER_PREFIX.lower()):
            raise InvalidInput(where, "is set by serverless-jobs for every request and cannot be given")
        if lower in seen:
            raise InvalidInput(where, "is given twice (header names ignore case)")
        seen.add(lower)
        if len(value) > MAX_HEADER_VALUE_LENGTH:
            raise InvalidInput(where, f"is {len(value)} characters; the limit is {MAX_HEADER_VALUE_LENGTH}")
        if any((ord(character) < 32 and character != "\t") or 127 <= ord(character) < 160 for character in value):
            raise InvalidInput(where, "contains a line break or a control character")
        # HTTP sends a header value as bytes 0-255 (Latin-1 here); anything above cannot be sent as is.
        if any(ord(character) > 255 for character in value):
            wide = next(c for c in value if ord(c) > 255)
            raise InvalidInput(where, f"has a character outside Latin-1 ({wide!r}), which HTTP cannot send as is")
        if value != value.strip(" \t"):
            raise InvalidInput(where, "starts or ends with a space or a tab, which the receiver would not get")
    return headers


@dataclass(frozen=True)
class OwnResources:
    """The stack's own functions and queues (by name), which no job may target whatever TargetArnPatterns
    allows: a job invoking the executor, the tick or the dispatch function with data of its choosing, or
    filling the dead-letter queue, would act as the stack itself. Tables are no target type at all."""

    functions: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()

    def holds(self, target: Target) -> bool:
        """Whether `target` (its ARN checked for shape) is one of them; a function with any qualifier."""
        if target.type == "lambda":
            return target.arn.split(":")[6] in self.functions
        if target.type == "sqs":
            return target.arn.split(":")[5] in self.queues
        return False


def check_reachable(
    target: Target,
    arn_patterns: Iterable[str],
    *,
    local: bool,
    webhook_secret: str,
    where: str = "target",
    own: OwnResources = OwnResources(),
) -> None:
    """Whether this stack lets the executor reach `target`; InvalidInput saying which parameter to change.

    On AWS an ARN must match one of `arn_patterns` (the executor's role grants exactly those), a webhook
    must be https and the stack must have a signing secret (`WebhookSecretParameter`); none of the stack's
    `own` functions and queues is reachable, whatever the patterns say. The local stack
    (`make dev`) also takes plain http: a receiver on localhost has no certificate. `where` is the
    target's field (`target`, `notify.onFailure`), for the message.
    """
    if target.type == "http":
        if urlsplit(target.url).scheme != "https" and not local:
            raise InvalidInput(f"{where}.url", "must be https:// (plain http only on the local stack)")
        if not webhook_secret:
            raise InvalidInput(
                where, "webhooks are signed, and this stack has no secret: set the WebhookSecretParameter parameter"
            )
        return
    field_name = f"{where}.busArn" if target.type == "eventbridge" else f"{where}.arn"
    if own.holds(target):
        raise InvalidInput(
            field_name,
            "is one of this stack's own functions or queues, never a target whatever TargetArnPatterns allows",
        )
    patterns = tuple(arn_patterns)
    if not any(_pattern(pattern).fullmatch(target.arn) for pattern in patterns):
        allowed = ", ".join(patterns) if patterns else "none"
        raise InvalidInput(
            field_name,
            f"is outside the ARNs this stack may reach (TargetArnPatterns: {allowed}); "
            "add it to the TargetArnPatterns parameter and deploy",
        )


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """An IAM resource pattern (`*` any run of characters, `?` one) as a regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


# Global unicast IPv6 is this block only (RFC 4291, IANA): anything outside it is refused unless it is a form
# that carries an IPv4 address the connection really goes to (IPv4-mapped, the well-known NAT64 prefix).
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# 6to4 (deprecated, RFC 7526) hides an IPv4 address a relay may reach; Python does not agree across
# versions on whether the block is global, so it is refused whatever it embeds.
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def is_public_address(address: str) -> bool:
    """Whether a webhook may go to `address` on AWS: an allow-list, not a list of what to refuse.

    Only a globally routable unicast address is public (`is_global`, so loopback, private, link-local such
    as the metadata service's 169.254.169.254, carrier-grade NAT and reserved blocks are not, and neither is
    a block Python learns of later); IPv6 must also be global unicast (`2000::/3`, which leaves out the
    site-local `fec0::/10` that Python still calls global). An IPv4-mapped or NAT64 address is judged by
    the IPv4 address it embeds; IPv4-compatible and 6to4 forms are refused."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _public_ipv4(ip.ipv4_mapped)
        if ip in _NAT64:
            return _public_ipv4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return ip.is_global and ip in _GLOBAL_UNICAST_V6 and ip not in _SIX_TO_FOUR and ip.scope_id is None
    return _public_ipv4(ip)


def _public_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast
