"""`serverless-jobs ui`: the console on 127.0.0.1, with every API call handed to a forwarder.

The browser talks only to this server. The forwarder (the client's SigV4 transport for a deployed stack)
signs each call with the user's credentials, so no credential ever reaches the browser. Since anything
that can reach 127.0.0.1 (a page of another site, another user's process) could otherwise use those
credentials, a call is forwarded only when
- `guard.refusal` passes it: it names this server as its Host (no DNS rebinding), no browser marks it as
  from another site, and its body is JSON of a bounded size;
- it carries this launch's secret, a random value in the URL the command prints, which the first page load
  turns into a SameSite=Strict, HttpOnly cookie (so no other site's request carries it, and no script reads
  it), then redirects to the URL without it (kept out of the address bar and history);
- and CONSOLE_HEADER, which a page from another site cannot send without a CORS preflight this server never
  grants.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Mapping
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from serverless_jobs_client.console.assets import PREFIX, asset, is_console_path
from serverless_jobs_client.console.guard import Refusal, body_length, refusal

log = logging.getLogger("serverless_jobs_client.console")

# forward(method, path_and_query, body, headers) -> (status, headers, body)
Forward = Callable[[str, str, bytes, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]

CONSOLE_HEADER = "X-Serverless-Jobs-Console"
SECRET_PARAMETER = "secret"
# A client that stops sending (or reading) mid-request frees its thread after this.
SOCKET_TIMEOUT_SECONDS = 30
# What the API needs to see of the browser's request; cookies, Host and the browser's other headers stay here.
_FORWARDED_REQUEST = ("content-type", "accept", "idempotency-key")
# What the browser may see of the API's answer: framing headers are this server's to set.
_DROPPED_REPLY = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}


def cookie_name(port: int) -> str:
    """The secret's cookie: cookies ignore ports, so each port's has its own name, and two consoles coexist."""
    return f"serverless-jobs-console-{port}"


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C does not wait for a call still being forwarded

    def __init__(self, port: int, forward: Forward, secret: str | None = None) -> None:
        self.forward = forward
        self.secret = secret or secrets.token_urlsafe(32)  # 256 bits, new on every launch
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    @property
    def url(self) -> str:
        """Where the user opens the console: the pages, with this launch's secret."""
        return f"http://127.0.0.1:{self.port}{PREFIX}/?{SECRET_PARAMETER}={self.secret}"

    @property
    def cookie(self) -> str:
        return cookie_name(self.port)

    def is_secret(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.secret.encode())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that went away mid-answer (a page closed, a poll given up) is no error worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: ConsoleServer
    server_version = "serverless-jobs-console"
    timeout = SOCKET_TIMEOUT_SECONDS

    def _serve(self) -> None:
        url = urlsplit(self.path)
        page = is_console_path(url.path) and self.command in {"GET", "HEAD"}
        refused = refusal(self.headers, self.server.port, page=page)
        if refused is None and page:
            self._pages(url.path, parse_qs(url.query).get(SECRET_PARAMETER))
            return
        if refused is None and is_console_path(url.path):
            self._reply(405, {"Allow": "GET, HEAD"}, b"")
            return
        if refused is None and not self.server.is_secret(self._cookie()):
            refused = Refusal(403, f"{SECRET_PARAMETER}: missing or not this console's; open the URL it printed")
        if refused is None and self.headers.get(CONSOLE_HEADER) != "1":
            refused = Refusal(403, f"{CONSOLE_HEADER}: required; open the console at {PREFIX}/")
        if refused is not None:
            self.close_connection = True  # its body, if any, is left unread: nothing more is read from it
            self._reply(refused.status, {"Content-Type": "application/json", "Connection": "close"}, refused.body())
        else:
            self._forward()

    def _pages(self, path: str, given: list[str] | None) -> None:
        """A page or file; the secret in the printed URL becomes the cookie, then the page without it."""
        if given is None:
            found = asset(path)
            self._reply(found.status, found.headers, found.body)
        elif self.server.is_secret(given[-1]):
            cookie = f"{self.server.cookie}={self.server.secret}; Path=/; HttpOnly; SameSite=Strict"
            headers = {"Location": f"{PREFIX}/", "Set-Cookie": cookie, "Cache-Control": "no-store"}
            self._reply(303, {**headers, "Referrer-Policy": "no-referrer"}, b"")
        else:
            message = f"{SECRET_PARAMETER}: not this console's; open the URL `serverless-jobs ui` printed"
            self._reply(403, {"Content-Type": "application/json"}, _json_message(message))

    def _cookie(self) -> str | None:
        cookies: SimpleCookie = SimpleCookie()
        for header in self.headers.get_all("Cookie") or []:
            try:
                cookies.load(header)
            except CookieError:  # another cookie of 127.0.0.1 that this parser cannot read: not ours
                continue
        found = cookies.get(self.server.cookie)
        return None if found is None else found.value

    def _forward(self) -> None:
        length = body_length(self.headers)
        body = self.rfile.read(length) if length else b""
        headers = {name: value for name, value in self.headers.items() if name.lower() in _FORWARDED_REQUEST}
        try:
            status, reply_headers, reply = self.server.forward(self.command, self.path, body, headers)
        except Exception as error:  # the browser gets an answer it can show, never a dropped connection
            log.exception("forwarding %s %s failed", self.command, self.path)
            message = f"the console could not reach the API: {type(error).__name__}: {error}"
            self._reply(502, {"Content-Type": "application/json"}, _json_message(message))
            return
        kept = {name: value for name, value in reply_headers.items() if name.lower() not in _DROPPED_REPLY}
        self._reply(status, kept, reply)

    def _reply(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method: the API answers what it does not route
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


def launch_page(url: str) -> Path:
    """A page that sends the browser on to `url`, in a file only this user can read, to open the browser on
    instead of `url`: a browser started with `url` on its command line would show the secret to every user
    of the machine (`ps`) for as long as it runs. The caller deletes it when the console stops."""
    descriptor, name = tempfile.mkstemp(prefix="serverless-jobs-console-", suffix=".html")  # mode 0600
    target = html.escape(url, quote=True)
    page = (
        f'<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="0;url={target}"><title>serverless-jobs console</title>'
        f'<p><a href="{target}">Open the serverless-jobs console</a></p>'
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(page)
    return Path(name)


def _json_message(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


def serve(forward: Forward, port: int = 0, ready: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C (or SIGTERM turned into KeyboardInterrupt by the caller); `ready` gets the URL."""
    server = ConsoleServer(port, forward)
    try:
        ready(server.url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
