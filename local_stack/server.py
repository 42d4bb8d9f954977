"""HTTP on loopback -> API Gateway REST proxy events -> the API function, exactly as API Gateway calls it."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools.functions import FakeLambdaContext
from serverless_jobs_client.console.assets import asset, is_console_path

log = logging.getLogger("local_stack")

ApiHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


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


class LocalServer(ThreadingHTTPServer):
    # Room for many clients connecting at once (the default backlog of 5 drops some under load).
    request_queue_size = 128
    daemon_threads = True


def make_server(port: int, api: ApiHandler) -> ThreadingHTTPServer:
    # Powertools' resolver keeps the current event on the app object: one request at a time through it.
    resolve_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "serverless-jobs-local"

        def _serve(self) -> None:
            started = time.perf_counter()
            path = urlsplit(self.path).path
            if is_console_path(path) and self.command in {"GET", "HEAD"}:  # the console's pages, as on AWS by `ui`
                page = asset(path)
                self._send(page.status, {key: [value] for key, value in page.headers.items()}, page.body)
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                event = proxy_event(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                with resolve_lock:
                    response = api(event, FakeLambdaContext(function_name="ApiFunction"))
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
