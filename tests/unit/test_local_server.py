"""`make dev`'s HTTP server (local_stack/server.py) over real HTTP on loopback, with fake API function
instances: what it refuses before the API sees anything, how it shares the API's instances between
concurrent requests, and the Lambda context each invocation gets."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from devtools.template import function_spec
from local_stack import server as server_module
from local_stack.context import InvocationContext
from local_stack.resolver_threads import per_thread_requests
from local_stack.server import FunctionPool, make_server
from local_stack.workers import LoopContext
from serverless_jobs_client.console.guard import MAX_BODY_BYTES

JSON = {"Content-Type": "application/json"}


@dataclass
class FakeApi:
    """Builds API function instances that answer 200 with what they were given, each noting the context's
    remaining time, and whether it was ever entered by two requests at once. `hold` keeps every request
    whose path contains "slow" until it is set."""

    hold: threading.Event = field(default_factory=threading.Event)
    events: list[dict[str, Any]] = field(default_factory=list)
    remaining: list[int] = field(default_factory=list)
    built: int = 0
    overlapped: bool = False
    inside: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def build(self) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        self.built += 1
        busy = threading.Lock()

        def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if not busy.acquire(blocking=False):
                self.overlapped = True
                return {"statusCode": 500, "body": "two requests in one instance"}
            try:
                self.events.append(event)
                self.remaining.append(context.get_remaining_time_in_millis())
                if "slow" in event["path"]:
                    self.inside.release()
                    self.hold.wait(10)
                return {"statusCode": 200, "headers": JSON, "body": json.dumps({"path": event["path"]})}
            finally:
                busy.release()

        return handle


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def port(api: FakeApi) -> Iterator[int]:
    server = make_server(0, FunctionPool(api.build, size=2))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.port
    api.hold.set()
    server.shutdown()
    server.server_close()


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body, dict(headers or {}))
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw.startswith(b"{") else raw
    finally:
        connection.close()


# What a page of another site can make a browser send to 127.0.0.1, and what API function code would do
# with it if it got there: create a job from a body with no type, stop the runner with a text/plain post,
# answer a page that rebound its own name to 127.0.0.1.
REFUSED = {
    "rebinding": ("GET", "/jobs", None, {"Host": "rebind.test:{port}"}, 421, "Host: 'rebind.test:{port}'"),
    "other-port": ("GET", "/jobs", None, {"Host": "127.0.0.1:1"}, 421, "Host: '127.0.0.1:1' is not this server"),
    "origin": (
        "POST",
        "/jobs/runner/stop",
        None,
        {"Origin": "http://127.0.0.1:1"},
        403,
        "Origin: 'http://127.0.0.1:1'",
    ),
    "opaque-origin": ("POST", "/jobs/runner/stop", None, {"Origin": "null"}, 403, "Origin: 'null' is another site's"),
    "cross-site": ("GET", "/jobs", None, {"Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site: cross-site"),
    "same-site": ("GET", "/jobs", None, {"Sec-Fetch-Site": "same-site"}, 403, "Sec-Fetch-Site: same-site"),
    "untyped-body": ("POST", "/jobs", b'{"name": "n", "handler": "echo"}', {}, 415, "Content-Type: required"),
    "text-plain": (
        "POST",
        "/jobs/runner/stop",
        None,
        {"Content-Type": "text/plain"},
        415,
        "Content-Type: 'text/plain'",
    ),
    "form": (
        "POST",
        "/jobs",
        b"a=1",
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        "Content-Type: 'application/x-www-form-urlencoded' is not application/json",
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"), REFUSED.values(), ids=list(REFUSED)
)
def test_what_another_sites_page_can_send_is_refused_before_the_api_sees_it(
    port: int,
    api: FakeApi,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    sent = {name: value.format(port=port) for name, value in headers.items()}
    answer, reply = request(port, method, path, body, sent)
    assert (answer, reply["message"][: len(message.format(port=port))]) == (status, message.format(port=port))
    assert api.events == []


@pytest.mark.parametrize(
    ("length", "status", "message"),
    [
        ("-1", 400, "Content-Length: '-1' is not a length"),
        ("ten", 400, "Content-Length: 'ten' is not a length"),
        ("9" * 30, 400, f"Content-Length: '{'9' * 30}' is not a length"),
        (str(MAX_BODY_BYTES + 1), 413, f"Content-Length: {MAX_BODY_BYTES + 1} bytes is more than"),
    ],
)
def test_a_broken_or_too_long_length_is_answered_at_once(
    port: int, api: FakeApi, length: str, status: int, message: str
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # a hung answer fails here
    connection.putrequest("POST", "/jobs")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", length)
    connection.endheaders()
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["message"][: len(message)]) == (status, message)
    assert response.getheader("Connection") == "close"  # the unread body is never taken for a request
    connection.close()
    assert api.events == []


SERVED = {
    # the docs' curl lines: no Origin, and `curl -X POST` with no body and no Content-Type
    "curl-post": ("POST", "/jobs/runner/stop", None, {}),
    "curl-json": ("POST", "/jobs", b"{}", JSON),
    "charset": ("POST", "/jobs", b"{}", {"Content-Type": "Application/JSON; charset=utf-8"}),
    # the console's pages at /ui: same-origin calls, which carry their own origin when they post
    "console-post": (
        "POST",
        "/jobs",
        b"{}",
        {**JSON, "Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"},
    ),
    "console-localhost": ("GET", "/jobs", None, {"Host": "localhost:{port}", "Sec-Fetch-Site": "same-origin"}),
    "ipv6-name": ("GET", "/jobs", None, {"Host": "[::1]:{port}", "Origin": "http://[::1]:{port}"}),
    "typed-url": ("GET", "/jobs", None, {"Sec-Fetch-Site": "none"}),  # typed into the address bar
}


@pytest.mark.parametrize(("method", "path", "body", "headers"), SERVED.values(), ids=list(SERVED))
def test_curl_the_client_and_the_consoles_own_pages_are_served(
    port: int, api: FakeApi, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> None:
    sent = {name: value.format(port=port) for name, value in headers.items()}
    assert request(port, method, path, body, sent) == (200, {"path": path})
    assert [event["body"] for event in api.events] == [body.decode() if body else None]


def test_the_consoles_pages_open_from_a_link_but_not_in_another_sites_frame_or_fetch(port: int) -> None:
    opened = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert request(port, "GET", "/ui/", headers=opened)[0] == 200  # shown to the user, not to the linking page
    assert request(port, "GET", "/ui/", headers={**opened, "Sec-Fetch-Dest": "iframe"})[0] == 403
    assert request(port, "GET", "/ui/", headers={**opened, "Sec-Fetch-Mode": "no-cors"})[0] == 403
    assert request(port, "GET", "/jobs", headers=opened)[0] == 403  # the API's answers are no page
    assert request(port, "GET", "/ui/", headers={"Host": "rebind.test:1"})[0] == 421


def test_another_request_is_answered_while_one_is_long_and_no_instance_serves_two_at_once(
    port: int, api: FakeApi
) -> None:
    slow = threading.Thread(target=request, args=(port, "POST", "/jobs/bulk/slow"), daemon=True)
    slow.start()
    assert api.inside.acquire(timeout=5)  # the long request holds its instance

    answers = [request(port, "GET", f"/jobs/{n}") for n in range(5)]

    assert answers == [(200, {"path": f"/jobs/{n}"}) for n in range(5)]
    api.hold.set()
    slow.join(5)
    assert not slow.is_alive()
    assert (api.overlapped, api.built) == (False, 2)  # one instance for the long request, one for the rest


def test_each_invocation_gets_the_api_functions_remaining_time_from_the_template(port: int, api: FakeApi) -> None:
    request(port, "GET", "/jobs")
    timeout_millis = function_spec("ApiFunction").timeout_seconds * 1000
    assert timeout_millis == 15_000  # template.yaml's ApiFunction Timeout, under API Gateway's 29 s
    assert 0 < api.remaining[0] <= timeout_millis


def test_concurrent_requests_each_see_their_own_event_and_context_in_powertools() -> None:
    # Powertools keeps the request being resolved on its base class, shared by every app in the process
    per_thread_requests()
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    both_started = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def app_for(name: str) -> APIGatewayRestResolver:
        app = APIGatewayRestResolver()

        @app.get("/<path>")
        def read(path: str) -> dict[str, str]:
            both_started.wait(5)  # the other request has been given to its app by now
            seen[name] = (app.current_event.path, app.lambda_context)
            return {}

        return app

    def resolve(name: str) -> None:
        event = {"path": f"/{name}", "httpMethod": "GET", "headers": {}, "requestContext": {}}
        context: Any = f"context of {name}"  # a stand-in, compared as it was given
        app_for(name).resolve(event, context)

    threads = [threading.Thread(target=resolve, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert seen == {"first": ("/first", "context of first"), "second": ("/second", "context of second")}


def test_a_context_counts_down_from_the_functions_timeout_to_zero() -> None:
    now = [1000.0]
    context = InvocationContext.starting("ApiFunction", clock=lambda: now[0])
    assert (context.function_name, context.get_remaining_time_in_millis()) == ("ApiFunction", 15_000)
    now[0] += 12.5
    assert context.get_remaining_time_in_millis() == 2_500
    now[0] += 60
    assert context.get_remaining_time_in_millis() == 0
    executor = InvocationContext.starting("ExecutorFunction", clock=lambda: now[0])
    assert executor.get_remaining_time_in_millis() == function_spec("ExecutorFunction").timeout_seconds * 1000


def test_a_tick_has_its_timeout_until_the_stack_stops() -> None:
    stopping = threading.Event()
    context = LoopContext.stopped_by(stopping)
    assert 0 < context.get_remaining_time_in_millis() <= function_spec("TickFunction").timeout_seconds * 1000
    stopping.set()
    assert context.get_remaining_time_in_millis() == 0


def test_a_client_that_gives_up_on_a_long_request_leaves_one_line_not_a_traceback(
    port: int, api: FakeApi, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local_stack")
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(f"POST /jobs/bulk/slow HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n".encode())
    assert api.inside.acquire(timeout=5)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # gone at once: a reset
    client.close()
    api.hold.set()
    assert request(port, "GET", "/health")[0] == 200  # the server goes on

    went_away = threading.Event()
    for _ in range(50):
        if any("went away" in record.getMessage() for record in caplog.records):
            went_away.set()
            break
        went_away.wait(0.1)
    assert went_away.is_set()
    assert "Traceback" not in capsys.readouterr().err


def test_a_client_that_stops_sending_frees_its_thread(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "SOCKET_TIMEOUT_SECONDS", 0.3)
    server = make_server(0, FunctionPool(api.build))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            head = f"POST /jobs HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            client.sendall(f"{head}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{".encode())
            assert client.recv(1024) == b""  # closed by the server, well before this socket's own 5 s
    finally:
        server.shutdown()
        server.server_close()
    assert api.events == []
