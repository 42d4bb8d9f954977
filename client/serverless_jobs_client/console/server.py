"""`serverless-jobs ui`: the console on 127.0.0.1, with every API call handed to a forwarder.

The browser talks only to this server. The forwarder (the client's SigV4 transport for a deployed stack)
signs each call with the user's credentials, so no credential ever reaches the browser. Since anything
that can reach 127.0.0.1 could otherwise use those credentials, a call is forwarded only when it names this
server as its Host (no DNS rebinding) and carries CONSOLE_HEADER, which a page from another site cannot
send without a CORS preflight that this server never grants.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from serverless_jobs_client.console.assets import PREFIX, asset, is_console_path

log = logging.getLogger("serverless_jobs_client.console")

# forward(method, path_and_query, body, headers) -> (status, headers, body)
Forward = Callable[[str, str, bytes, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]

CONSOLE_HEADER = "X-Serverless-Jobs-Console"
# What the API needs to see of the browser's request; cookies, Host and the browser's other headers stay here.
_FORWARDED_REQUEST = ("content-type", "accept", "idempotency-key")
# What the browser may see of the API's answer: framing headers are this server's to set.
_DROPPED_REPLY = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C does not wait for a call still being forwarded

    def __init__(self, port: int, forward: Forward) -> None:
        self.forward = forward
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{PREFIX}/"

    def allows_host(self, host: str | None) -> bool:
        port = self.server_address[1]
        return host in {f"127.0.0.1:{port}", f"localhost:{port}"}


class _Handler(BaseHTTPRequestHandler):
    server: ConsoleServer
    server_version = "serverless-jobs-console"

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        if not self.server.allows_host(self.headers.get("Host")):
            self._reply(421, {"Content-Type": "application/json"}, _json_message("Host: not this console"))
        elif is_console_path(path):
            if self.command in {"GET", "HEAD"}:
                found = asset(path)
                self._reply(found.status, found.headers, found.body)
            else:
                self._reply(405, {"Allow": "GET, HEAD"}, b"")
        elif self.headers.get(CONSOLE_HEADER) != "1":
            message = _json_message(f"{CONSOLE_HEADER}: required; open the console at {PREFIX}/")
            self._reply(403, {"Content-Type": "application/json"}, message)
        else:
            self._forward()

    def _forward(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            self._reply(400, {"Content-Type": "application/json"}, _json_message("Content-Length: not a length"))
            return
        body = self.rfile.read(int(length)) if int(length) else b""
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
