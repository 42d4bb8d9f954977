"""`serverless-jobs ui`'s server half: the console's pages from the package, every API call to the forwarder.

Spoken to over real HTTP on loopback, with a fake forwarder in place of the client's SigV4 transport.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

import pytest

from devtools.template import ROOT
from serverless_jobs_client.console.server import CONSOLE_HEADER, ConsoleServer

CONSOLE = {CONSOLE_HEADER: "1"}


@dataclass
class FakeForwarder:
    """Answers every call with `reply` (or raises `failure`), keeping what it was given."""

    reply: tuple[int, Mapping[str, str], bytes] = (200, {"Content-Type": "application/json"}, b'{"jobs": []}')
    failure: Exception | None = None
    calls: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(
        self, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        self.calls.append((method, path, body, dict(headers)))
        if self.failure is not None:
            raise self.failure
        return self.reply


@pytest.fixture
def forwarder() -> FakeForwarder:
    return FakeForwarder()


@pytest.fixture
def console(forwarder: FakeForwarder) -> Iterator[ConsoleServer]:
    server = ConsoleServer(0, forwarder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(
    server: ConsoleServer, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] = CONSOLE
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    try:
        connection.request(method, path, body, dict(headers))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_pages_come_from_the_package_under_ui(console: ConsoleServer, forwarder: FakeForwarder) -> None:
    status, headers, body = request(console, "GET", "/ui/", headers={})
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert body == resources.files("serverless_jobs_client.console").joinpath("static/index.html").read_bytes()
    assert "default-src 'self'" in headers["Content-Security-Policy"]  # no CDN, nothing inline
    status, headers, _ = request(console, "GET", "/ui/app.js", headers={})
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    status, headers, _ = request(console, "GET", "/ui", headers={})
    assert (status, headers["Location"]) == (308, "/ui/")  # the pages' relative URLs need the slash
    assert forwarder.calls == []


@pytest.mark.parametrize("path", ["/ui/nothing.js", "/ui/../pyproject.toml", "/ui/%2e%2e/README.md", "/ui/static"])
def test_nothing_but_the_shipped_files_is_served(console: ConsoleServer, path: str) -> None:
    assert request(console, "GET", path, headers={})[0] == 404


def test_an_api_call_goes_to_the_forwarder_and_its_answer_back(
    console: ConsoleServer, forwarder: FakeForwarder
) -> None:
    forwarder.reply = (201, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b'{"id": "j1"}')
    headers = {
        **CONSOLE,
        "Content-Type": "application/json",
        "Idempotency-Key": "k-1",
        "Cookie": "session=secret",
        "Authorization": "Bearer from-the-page",
    }

    status, reply_headers, body = request(console, "POST", "/jobs?x=1", b'{"name": "n"}', headers)

    assert (status, body, reply_headers["Content-Type"]) == (201, b'{"id": "j1"}', "application/json")
    assert "Transfer-Encoding" not in reply_headers  # this server frames its own answer
    # only what the API needs: the browser's cookies and its own credentials stay out of the signed call
    assert forwarder.calls == [
        ("POST", "/jobs?x=1", b'{"name": "n"}', {"Content-Type": "application/json", "Idempotency-Key": "k-1"})
    ]


def test_a_call_without_the_console_header_is_refused_unforwarded(
    console: ConsoleServer, forwarder: FakeForwarder
) -> None:
    # what a page from another site can send to 127.0.0.1 without a CORS preflight: a form post
    status, _, body = request(console, "POST", "/jobs/j1/delete", b"x", {"Content-Type": "text/plain"})
    assert status == 403
    assert CONSOLE_HEADER in json.loads(body)["message"]
    assert forwarder.calls == []


def test_a_call_for_another_host_is_refused_unforwarded(console: ConsoleServer, forwarder: FakeForwarder) -> None:
    # DNS rebinding: a name the attacker controls, resolved to 127.0.0.1
    status, _, body = request(console, "DELETE", "/jobs/j1", headers={**CONSOLE, "Host": "evil.example:80"})
    assert (status, json.loads(body)["message"]) == (421, "Host: not this console")
    assert forwarder.calls == []


def test_a_call_with_a_broken_length_is_refused_unforwarded(console: ConsoleServer, forwarder: FakeForwarder) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", console.server_address[1], timeout=5)
    connection.putrequest("POST", "/jobs")
    connection.putheader(CONSOLE_HEADER, "1")
    connection.putheader("Content-Length", "-5")
    connection.endheaders()
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (400, {"message": "Content-Length: not a length"})
    connection.close()
    assert forwarder.calls == []


def test_a_forwarder_that_fails_gives_the_page_a_message(console: ConsoleServer, forwarder: FakeForwarder) -> None:
    forwarder.failure = ConnectionError("no route to the API")
    status, _, body = request(console, "GET", "/jobs")
    assert status == 502
    assert json.loads(body) == {"message": "the console could not reach the API: ConnectionError: no route to the API"}


SERVE = """
from serverless_jobs_client.console.server import serve
serve(lambda method, path, body, headers: (200, {}, b"{}"), ready=lambda url: print(url, flush=True))
print("stopped", flush=True)
"""


def test_ctrl_c_stops_it_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/ui/", url)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert (process.returncode, out, err) == (0, "stopped\n", "")
