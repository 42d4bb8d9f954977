"""HTTP on loopback -> API Gateway REST proxy events -> the API function, exactly as API Gateway calls it."""

from __future__ import annotations

import base64
import json
import logging
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_stack.context import InvocationContext
from serverless_jobs_client.console.assets import asset, is_console_path
from serverless_jobs_client.console.guard import body_length, refusal

log = logging.getLogger("local_stack")

ApiHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
SOCKET_TIMEOUT_SECONDS = 60


def proxy_event(method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The event API Gateway's REST proxy integration sends for this request."""
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    return {
        "resource": "/{proxy+}",
        "path": url.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": url.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": url.path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body.decode("utf-8", errors="replace") if body else None,
        "isBase64Encoded": False,
    }


def failed_request() -> dict[str, Any]:
    """What API Gateway answers when the function itself fails: 502 with a JSON message."""
    body = json.dumps({"message": "Internal server error: the API function failed; the local stack's log has why"})
    return {"statusCode": 502, "headers": {"Content-Type": "application/json"}, "body": body}


class FunctionPool:
    """Lambda's execution environments of one function: each instance serves one invocation at a time (the
    API's resolver keeps per-request state on its app object), a request takes a free one or, up to `size`,
    a new one, and otherwise waits for one to be free. What Powertools keeps per process instead is made
    per thread (resolver_threads.py), and their AWS calls meet moto one at a time (devtools.moto_backend),
    as the rest of the stack's do."""

    def __init__(self, build: Callable[[], ApiHandler], size: int = 8) -> None:
        self._build = build
        self._free: queue.LifoQueue[ApiHandler] = queue.LifoQueue()  # the warmest instance first
        self._room = threading.Semaphore(size)
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Start one instance now, as Lambda's init phase, so the first request does not pay for it."""
        with self.instance():
            pass

    @contextmanager
    def instance(self) -> Iterator[ApiHandler]:
        """An instance no other request is using, until the block ends."""
        self._room.acquire()
        try:
            try:
                handler = self._free.get_nowait()
            except queue.Empty:
                with self._lock:  # one init at a time, as loading the function's modules is not thread-safe
                    handler = self._build()
            try:
                yield handler
            finally:
                self._free.put(handler)
        finally:
            self._room.release()


class LocalServer(ThreadingHTTPServer):
    # Room for many clients connecting at once (the default backlog of 5 drops some under load).
    request_queue_size = 128
    daemon_threads = True

    @property
    def port(self) -> int:
        port: int = self.socket.getsockname()[1]
        return port

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (gave up on a long request, say) is an ordinary event, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.info("http client %s:%s went away (%s)", *client_address[:2], type(error).__name__)
            return
        super().handle_error(request, client_address)


def make_server(port: int, api: FunctionPool) -> LocalServer:
    """The local stack's HTTP server on 127.0.0.1:`port` (0: any free one): the console's pages, and every
    other request to an instance of `api` as API Gateway's proxy event, once `guard.refusal` passes it."""

    class Handler(BaseHTTPRequestHandler):
        server: LocalServer
        server_version = "serverless-jobs-local"
        # A client that stops sending mid-request frees its thread after this, as API Gateway would.
        timeout = SOCKET_TIMEOUT_SECONDS

        def _serve(self) -> None:
            started = time.perf_counter()
            path = urlsplit(self.path).path
            page = is_console_path(path) and self.command in {"GET", "HEAD"}
            refused = refusal(self.headers, self.server.port, page=page)
            if refused is not None:
                self.close_connection = True  # its body, if any, is left unread: nothing more is read from it
                headers = {"Content-Type": ["application/json"], "Connection": ["close"]}
                self._send(refused.status, headers, refused.body())
                log.info("http %s %s %s refused: %s", self.command, self.path, refused.status, refused.message)
                return
            if page:  # the console's pages, as on AWS by `ui`
                found = asset(path)
                self._send(found.status, {key: [value] for key, value in found.headers.items()}, found.body)
                return
            try:
                event = proxy_event(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(body_length(self.headers))
                )
                with api.instance() as handler:
                    response = handler(event, InvocationContext.starting("ApiFunction"))
            except (ConnectionError, TimeoutError):
                raise  # the client's side failed: LocalServer.handle_error says so in one line
            except Exception:  # as API Gateway would: an answer, never a dropped connection
                log.exception("http %s %s failed", self.command, self.path)
                response = failed_request()
            body = response.get("body") or ""
            payload = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
            headers = {key: [value] for key, value in (response.get("headers") or {}).items()}
            headers.update(response.get("multiValueHeaders") or {})
            self._send(response["statusCode"], headers, payload)
            elapsed = (time.perf_counter() - started) * 1000
            log.info("http %s %s %s %.0fms", self.command, self.path, response["statusCode"], elapsed)

        def _send(self, status: int, headers: dict[str, list[str]], payload: bytes) -> None:
            self.send_response(status)
            for key, values in headers.items():
                for value in values:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def __getattr__(self, name: str) -> Any:
            # Every method (GET ... TRACE, QUERY) goes to the function, which answers what it lacks with 404.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            """Replaced by the one line per request that `_serve` logs."""

    return LocalServer(("127.0.0.1", port), Handler)


def example_commands(base: str) -> str:
    job = json.dumps({"name": "heartbeat", "handler": "echo", "schedule": "30s", "data": {"hello": "world"}})
    return (
        f"  curl -s -X POST {base}/jobs -H 'Content-Type: application/json' -d '{job}'\n"
        f"  curl -s '{base}/jobs?status=pending'"
    )
