"""`serverless-jobs ui`'s server half: the console's pages from the package, every API call to the forwarder.

Spoken to over real HTTP on loopback, with a fake forwarder in place of the client's SigV4 transport.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

import pytest

from devtools.template import ROOT
from serverless_jobs_client.console import server as server_module
from serverless_jobs_client.console.guard import MAX_BODY_BYTES
from serverless_jobs_client.console.server import CONSOLE_HEADER, ConsoleServer, cookie_name, launch_page

SECRET = "s3cret-of-this-launch"
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
    server = ConsoleServer(0, forwarder, secret=SECRET)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def from_the_pages(server: ConsoleServer) -> dict[str, str]:
    """What the console's pages send with each call, once the browser has opened the printed URL."""
    return {**CONSOLE, "Cookie": f"{cookie_name(server.port)}={SECRET}"}


def request(
    server: ConsoleServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A request as the pages send it, unless `headers` says what else to send."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, path, body, from_the_pages(server) if headers is None else dict(headers))
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
        **from_the_pages(console),
        "Content-Type": "application/json",
        "Idempotency-Key": "k-1",
        "Cookie": f"session=other; {cookie_name(console.port)}={SECRET}",
        "Authorization": "Bearer from-the-page",
    }

    status, reply_headers, body = request(console, "POST", "/jobs?x=1", b'{"name": "n"}', headers)

    assert (status, body, reply_headers["Content-Type"]) == (201, b'{"id": "j1"}', "application/json")
    assert "Transfer-Encoding" not in reply_headers  # this server frames its own answer
    # only what the API needs: the browser's cookies (the secret's too) and its own credentials stay out of the
    # signed call
    assert forwarder.calls == [
        ("POST", "/jobs?x=1", b'{"name": "n"}', {"Content-Type": "application/json", "Idempotency-Key": "k-1"})
    ]


def test_the_printed_url_sets_the_secret_as_a_strict_cookie_and_redirects_to_the_clean_url(
    console: ConsoleServer, forwarder: FakeForwarder
) -> None:
    assert console.url == f"http://127.0.0.1:{console.port}/ui/?secret={SECRET}"
    status, headers, _ = request(console, "GET", f"/ui/?secret={SECRET}", headers={})
    assert (status, headers["Location"]) == (303, "/ui/")  # the secret leaves the address bar and history
    assert headers["Set-Cookie"] == f"{cookie_name(console.port)}={SECRET}; Path=/; HttpOnly; SameSite=Strict"
    status, _, body = request(console, "GET", "/ui/?secret=guessed", headers={})
    assert status == 403
    assert json.loads(body)["message"].startswith("secret: not this console's")
    assert forwarder.calls == []


def test_the_browser_is_opened_on_a_page_only_this_user_can_read_not_on_the_secret_url() -> None:
    url = f"http://127.0.0.1:8800/ui/?secret={SECRET}&x=<y>"
    page = launch_page(url)
    try:
        assert page.stat().st_mode & 0o777 == 0o600  # a browser's command line is every user's to read
        assert 'content="0;url=http://127.0.0.1:8800/ui/?secret=s3cret-of-this-launch&amp;x=&lt;y&gt;"' in (
            page.read_text()
        )
    finally:
        page.unlink()


def test_a_link_from_another_site_opens_the_pages_but_reaches_no_api_call(
    console: ConsoleServer, forwarder: FakeForwarder
) -> None:
    opened = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert request(console, "GET", f"/ui/?secret={SECRET}", headers=opened)[0] == 303  # from the launch page
    assert request(console, "GET", "/ui/", headers=opened)[0] == 200
    framed = {**opened, "Sec-Fetch-Dest": "iframe"}
    assert request(console, "GET", "/ui/", headers=framed)[0] == 403
    assert request(console, "GET", "/jobs", headers={**from_the_pages(console), **opened})[0] == 403
    assert forwarder.calls == []


def test_each_launch_has_its_own_secret(forwarder: FakeForwarder) -> None:
    first, second = ConsoleServer(0, forwarder), ConsoleServer(0, forwarder)
    try:
        assert first.secret != second.secret
        assert len(first.secret) >= 43  # 32 random bytes
        assert first.cookie != second.cookie  # two consoles in one browser keep their own
    finally:
        first.server_close()
        second.server_close()


@pytest.mark.parametrize(
    "cookie",
    [None, "serverless-jobs-console-1=s3cret-of-this-launch", "{name}=guessed", "{name}=", "{name}"],
    ids=["none", "another-ports", "wrong", "empty", "no-value"],
)
def test_a_call_without_the_secret_is_refused_unforwarded(
    console: ConsoleServer, forwarder: FakeForwarder, cookie: str | None
) -> None:
    # another local process (another user's, on a shared host) knows the constant header and the Host
    headers = {**CONSOLE, "Content-Type": "application/json"}
    if cookie is not None:
        headers["Cookie"] = cookie.format(name=cookie_name(console.port))
    status, _, body = request(console, "DELETE", "/jobs/j1", headers=headers)
    assert status == 403
    assert json.loads(body)["message"].startswith("secret: missing or not this console's")
    assert forwarder.calls == []


def test_a_call_without_the_console_header_is_refused_unforwarded(
    console: ConsoleServer, forwarder: FakeForwarder
) -> None:
    headers = from_the_pages(console)
    del headers[CONSOLE_HEADER]
    status, _, body = request(console, "POST", "/jobs/j1/delete", headers=headers)
    assert status == 403
    assert CONSOLE_HEADER in json.loads(body)["message"]
    assert forwarder.calls == []


@pytest.mark.parametrize(
    ("sent", "status", "named"),
    [
        ({"Host": "evil.example:80"}, 421, "Host: 'evil.example:80' is not this server"),  # DNS rebinding
        ({"Origin": "http://127.0.0.1:1"}, 403, "Origin: 'http://127.0.0.1:1' is another site's page"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site: cross-site"),
        # what a page of another site can send without a preflight: a form post, a no-cors fetch
        ({"Content-Type": "text/plain"}, 415, "Content-Type: 'text/plain' is not application/json"),
    ],
    ids=["host", "origin", "sec-fetch-site", "content-type"],
)
def test_what_another_sites_page_sends_is_refused_unforwarded_even_with_the_secret(
    console: ConsoleServer, forwarder: FakeForwarder, sent: dict[str, str], status: int, named: str
) -> None:
    answer, _, body = request(console, "POST", "/jobs", b"{}", {**from_the_pages(console), **sent})
    assert (answer, json.loads(body)["message"][: len(named)]) == (status, named)
    assert forwarder.calls == []


@pytest.mark.parametrize(
    ("length", "status", "message"),
    [
        ("-5", 400, "Content-Length: '-5' is not a length"),
        ("x", 400, "Content-Length: 'x' is not a length"),
        (str(MAX_BODY_BYTES + 1), 413, f"Content-Length: {MAX_BODY_BYTES + 1} bytes is more than the {MAX_BODY_BYTES}"),
    ],
)
def test_a_call_with_a_broken_or_too_long_length_is_refused_at_once_unforwarded(
    console: ConsoleServer, forwarder: FakeForwarder, length: str, status: int, message: str
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", console.port, timeout=5)
    connection.putrequest("POST", "/jobs")
    for name, value in from_the_pages(console).items():
        connection.putheader(name, value)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", length)
    connection.endheaders()  # and no body: the answer comes without waiting for one
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["message"][: len(message)]) == (status, message)
    connection.close()
    assert forwarder.calls == []


def test_a_client_that_stops_sending_is_dropped_after_the_socket_timeout(
    console: ConsoleServer, forwarder: FakeForwarder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module._Handler, "timeout", 0.3)
    with socket.create_connection(("127.0.0.1", console.port), timeout=5) as client:
        cookie = from_the_pages(console)["Cookie"]
        head = (
            f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1:{console.port}\r\n{CONSOLE_HEADER}: 1\r\nCookie: {cookie}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        client.sendall(head.encode())
        assert client.recv(1024) == b""  # closed by the server, well before this socket's own 5 s
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
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/ui/\?secret=[\w-]{43}", url)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert (process.returncode, out, err) == (0, "stopped\n", "")
