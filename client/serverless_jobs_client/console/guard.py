"""What a server on 127.0.0.1 refuses before reading a request, so that no other site's page can use it or
read its answers: `make dev` and `serverless-jobs ui` apply the same rules.

A page of any site can send requests to loopback: a form post, `fetch` in no-cors mode (a body typed
text/plain, form data or a Blob of any type, whose Content-Type the browser drops), or, after rebinding a
domain of its own to 127.0.0.1, same-origin calls that read every answer. Browsers mark each of these:
rebinding by a Host that is not loopback's, the others by `Origin` and `Sec-Fetch-Site`. What no browser
lets a page send across sites is a JSON body, so only `application/json` bodies are read. curl, the CLI and
the client send no Origin and no Sec-Fetch-Site, and are served as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message

# Lambda's limit on a synchronous invocation's payload: a bigger body could never reach the API function.
MAX_BODY_BYTES = 6 * 1024 * 1024
_CROSS_SITE = {"cross-site", "same-site"}  # same-site: another port of 127.0.0.1 is another origin, same site
_JSON = "application/json"


@dataclass(frozen=True)
class Refusal:
    """An answer given instead of serving a request: its status and the message naming what was refused."""

    status: int
    message: str

    def body(self) -> bytes:
        return json.dumps({"message": self.message}).encode()


def loopback_hosts(port: int) -> tuple[str, ...]:
    """The Host values that name this server: its loopback names with its port."""
    return (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")


def refusal(headers: Message, port: int, *, page: bool = False, limit: int = MAX_BODY_BYTES) -> Refusal | None:
    """Why a request to the server on `port` is refused, or None when it may be read and served.

    Checked in this order: the Host (421), a browser's mark of another origin (403), the body's framing
    (411, 400, 413), then its type (415). A `page` (a GET of the console's pages) may be opened from another
    site by a top-level navigation (a link, the launch page of `serverless-jobs ui`): the browser shows it
    to its user, never to the page that navigated, and it changes nothing.
    """
    return (
        _foreign_host(headers, port)
        or _other_origin(headers, port, page)
        or _bad_framing(headers, limit)
        or _not_json(headers)
    )


def body_length(headers: Message) -> int:
    """The length of a request's body, once `refusal` found nothing wrong with it."""
    return int(headers.get("Content-Length") or 0)


def _foreign_host(headers: Message, port: int) -> Refusal | None:
    hosts = headers.get_all("Host") or []
    names = loopback_hosts(port)
    if len(hosts) == 1 and hosts[0].lower() in names:
        return None
    given = hosts[0] if len(hosts) == 1 else (f"{len(hosts)} values" if hosts else "missing")
    return Refusal(421, f"Host: {given!r} is not this server; use {', '.join(names[:-1])} or {names[-1]}")


def _other_origin(headers: Message, port: int, page: bool) -> Refusal | None:
    origins = headers.get_all("Origin") or []
    own = {f"http://{host}" for host in loopback_hosts(port)}
    foreign = [origin for origin in origins if origin.lower() not in own]
    if foreign:
        return Refusal(403, f"Origin: {foreign[0]!r} is another site's page; this server answers only its own")
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    opened = (headers.get("Sec-Fetch-Mode"), headers.get("Sec-Fetch-Dest")) == ("navigate", "document")
    if site in _CROSS_SITE and not (page and opened):
        return Refusal(403, f"Sec-Fetch-Site: {site}: a page of another site may not call this server")
    return None


def _bad_framing(headers: Message, limit: int) -> Refusal | None:
    if headers.get("Transfer-Encoding") is not None:
        return Refusal(411, "Transfer-Encoding: not read here; send the body with a Content-Length")
    lengths = headers.get_all("Content-Length") or []
    if not lengths:
        return None
    # ASCII digits only: int() would take " 5", "+5", "5_0" and Unicode digits; 18 digits is past any body.
    if len(lengths) > 1 or not (lengths[0].isascii() and lengths[0].isdigit()) or len(lengths[0]) > 18:
        shown = lengths[0] if len(lengths) == 1 else ", ".join(lengths)
        return Refusal(400, f"Content-Length: {shown!r} is not a length")
    if int(lengths[0]) > limit:
        return Refusal(413, f"Content-Length: {int(lengths[0])} bytes is more than the {limit} this server reads")
    return None


def _not_json(headers: Message) -> Refusal | None:
    content_type = headers.get("Content-Type")
    if content_type is None:
        if body_length(headers):
            return Refusal(415, f"Content-Type: required for a body, and must be {_JSON}")
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != _JSON:
        return Refusal(415, f"Content-Type: {media_type!r} is not {_JSON}, the only body this server reads")
    return None
