"""Another site's page against `make dev`, in a real browser (headless Chromium): whatever it sends, nothing
changes in the stack and nothing of its answers reaches the page.

The page is served from another loopback origin (a server of its own on another port), as any site's page
can talk to 127.0.0.1; the rebinding page is at a name of its own that the browser resolves to 127.0.0.1.
Skipped, saying how to install it, without Chromium.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from selenium.webdriver import Chrome

from devtools.browser import chromium, missing
from devtools.local_http import LocalStack

REBINDING_NAME = "rebind.test"
WAIT_SECONDS = 15
JOB = '{"name": "from-another-site", "handler": "echo", "schedule": "1h"}'


class _Page(BaseHTTPRequestHandler):
    """Another site: one blank page at every path."""

    def do_GET(self) -> None:
        page = b"<!doctype html><title>another site</title><body></body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def other_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Chrome]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    # DNS rebinding, without a DNS server: the page's own name answers with 127.0.0.1
    with chromium(flags=[f"--host-resolver-rules=MAP {REBINDING_NAME} 127.0.0.1"]) as driver:
        driver.set_script_timeout(WAIT_SECONDS)
        yield driver


def all_jobs(local: LocalStack) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    token = ""
    while True:
        page = local.call("GET", f"/jobs?limit=100{token}")[1]
        jobs += page["jobs"]
        if not page.get("nextToken"):
            return jobs
        token = f"&nextToken={page['nextToken']}"


def state(local: LocalStack) -> tuple[list[dict[str, Any]], Any]:
    """Everything a page could change: the jobs, and whether the runner runs."""
    return all_jobs(local), local.call("GET", "/jobs/runner")[1]


def refused_lines(local: LocalStack) -> list[str]:
    return [line for line in local.output().splitlines() if " refused: " in line]


def wait_for_refusals(local: LocalStack, before: int, count: int) -> list[str]:
    """The stack's log lines of the refusals since `before`, once there are `count` of them."""
    deadline = time.monotonic() + WAIT_SECONDS
    while len(refused_lines(local)) < before + count and time.monotonic() < deadline:
        time.sleep(0.1)
    return refused_lines(local)[before:]


FETCHES = """
const [base, job, done] = arguments;
const attempts = [
  // no-cors: the page cannot read the answer, but the request is sent, body and all
  fetch(base + "/jobs", {method: "POST", mode: "no-cors", body: job}),
  fetch(base + "/jobs", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: job}),
  fetch(base + "/jobs", {method: "POST", mode: "no-cors", body: new Blob([job], {type: "application/json"})}),
  fetch(base + "/jobs/runner/stop", {method: "POST", mode: "no-cors"}),
  fetch(base + "/jobs/runner/stop", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}}),
  // reads: a plain GET, and a JSON post, which needs a CORS preflight
  fetch(base + "/jobs").then((response) => response.text()),
  fetch(base + "/jobs", {method: "POST", headers: {"Content-Type": "application/json"}, body: job})
    .then((response) => response.text()),
];
Promise.allSettled(attempts).then((results) => done(results.map((result) =>
  result.status === "rejected" ? "failed" :
  result.value instanceof Response ? `${result.value.type} ${result.value.status}` : `read ${result.value}`)));
"""


def test_fetch_from_another_origin_changes_nothing_and_reads_nothing(
    browser: Chrome, local: LocalStack, other_site: str
) -> None:
    before, logged = state(local), len(refused_lines(local))
    browser.get(f"{other_site}/")

    results = browser.execute_async_script(FETCHES, local.base, JOB)

    # the five no-cors posts went out (opaque answers); the two reads failed: nothing of an answer was read
    assert results == ["opaque 0"] * 5 + ["failed"] * 2
    refusals = wait_for_refusals(local, logged, 6)  # the posts and the GET; the preflight too
    assert all(f"403 refused: Origin: '{other_site}'" in line for line in refusals), refusals
    assert state(local) == before


FORMS = """
const [base, done] = arguments;
let loaded = 0;
for (const [path, type, fields] of [
  // text/plain form data can be made to read as JSON: {"name": ..., "x": "="}
  ["/jobs", "text/plain", [[JSON.stringify({name: "from-a-form", handler: "echo", schedule: "1h"}).slice(0, -1)
    + ', "x": "', '"}']]],
  ["/jobs/runner/stop", "application/x-www-form-urlencoded", []],
]) {
  const frame = document.createElement("iframe");
  frame.name = `sink-${loaded}-${path}`;
  document.body.append(frame);
  const form = document.createElement("form");
  Object.assign(form, {method: "POST", action: base + path, enctype: type, target: frame.name});
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    Object.assign(input, {name, value});
    form.append(input);
  }
  document.body.append(form);
  frame.addEventListener("load", () => { if (++loaded === 2) done(loaded); });
  form.submit();
}
"""


def test_a_form_post_from_another_origin_changes_nothing(browser: Chrome, local: LocalStack, other_site: str) -> None:
    before, logged = state(local), len(refused_lines(local))
    browser.get(f"{other_site}/")

    assert browser.execute_async_script(FORMS, local.base) == 2

    refusals = wait_for_refusals(local, logged, 2)
    # the two forms post at once, and the stack serves each on its own thread: in either order
    assert sorted(line.split(" refused: ")[0].split(" http ")[1] for line in refusals) == [
        "POST /jobs 403",
        "POST /jobs/runner/stop 403",
    ]
    assert state(local) == before


REBOUND = """
const [job, done] = arguments;
const read = (response) => response.text().then((text) => `${response.status} ${text}`);
Promise.all([
  fetch("/jobs").then(read),
  fetch("/jobs/runner").then(read),
  fetch("/jobs", {method: "POST", headers: {"Content-Type": "application/json"}, body: job}).then(read),
  fetch("/jobs/runner/stop", {method: "POST"}).then(read),
]).then(done, (error) => done(String(error)));
"""


def test_a_rebinding_page_reads_nothing_and_changes_nothing(browser: Chrome, local: LocalStack) -> None:
    port = local.base.rsplit(":", 1)[1]
    host = f"{REBINDING_NAME}:{port}"
    local.create(name="private", schedule="1h", data={"secret": "not for other sites"})
    before = state(local)

    # the page is now the stack's own origin as the browser sees it: every answer would be readable
    browser.get(f"http://{host}/ui/")
    assert "is not this server" in browser.page_source
    answers = browser.execute_async_script(REBOUND, JOB)

    names = f"127.0.0.1:{port}, localhost:{port} or [::1]:{port}"
    assert answers == [f'421 {{"message": "Host: \'{host}\' is not this server; use {names}"}}'] * 4
    assert state(local) == before
