"""The console in a real browser (headless Chromium) against `make dev`'s process, as a user works with it.

Each page's screenshot goes to build/screenshots/. Skipped, saying how to install it, without Chromium.
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from devtools.browser import PHONE, VIEWER_ZONE, chromium, missing, screenshot
from devtools.console_ui import ConsoleUi
from devtools.local_http import LocalStack
from harness.listing import name_filter_is_served

T = TypeVar("T")
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def needs_chromium() -> None:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(needs_chromium: None) -> Iterator[Chrome]:
    with chromium() as driver:
        yield driver


def test_make_dev_serves_the_console_at_ui(local: LocalStack) -> None:
    with urllib.request.urlopen(f"{local.base}/ui") as page:  # redirected to /ui/
        assert (page.url, page.headers["Content-Type"]) == (f"{local.base}/ui/", "text/html; charset=utf-8")
        assert b'<script type="module" src="app.js">' in page.read()
    with urllib.request.urlopen(f"{local.base}/ui/timeline.js") as script:
        assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert f"Console: {local.base}/ui/" in local.output()


def wait(driver: Chrome, condition: Callable[[Chrome], T], seconds: float = WAIT_SECONDS) -> T:
    # a page redraws what it polls (a job's runs every 2 s): an element found may be replaced before it is read
    result: T = WebDriverWait(
        driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    ).until(condition)
    return result


def css(driver: Chrome, selector: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver: Chrome, selector: str) -> Callable[[Chrome], str]:
    """A condition: the text of the first element matching `selector`, once it has some."""

    def present(d: Chrome) -> str:
        found = css(d, selector)
        return found[0].text if found and found[0].text else ""

    return present


def create(local: LocalStack, **fields: Any) -> dict[str, Any]:
    status, job = local.call("POST", "/jobs", {"handler": "echo", **fields})
    assert status == 201, job
    created: dict[str, Any] = job
    return created


def texts(driver: Chrome, selector: str) -> list[str]:
    """The text of every element matching `selector`, read at one instant (the pages redraw as they poll)."""
    found: list[str] = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent)", selector
    )
    return found


def open_page(driver: Chrome, local: LocalStack, page: str) -> None:
    driver.get("about:blank")  # a fresh load, even when only the part after # differs
    driver.get(f"{local.base}/ui/#{page}")
    wait(driver, lambda d: d.execute_script("return document.activeElement.tagName") == "H1")


def confirm(driver: Chrome) -> None:
    wait(driver, lambda d: css(d, "dialog[open]"))
    css(driver, "#confirm-yes")[0].click()


def test_the_console_served_by_serverless_jobs_ui_lists_the_stacks_jobs(browser: Chrome, local: LocalStack) -> None:
    name = f"via-ui-{uuid.uuid4().hex[:6]}"
    create(local, name=name, schedule="1h")
    console = ConsoleUi.start(local.base)
    try:
        browser.get("about:blank")
        browser.get(console.url)
        wait(browser, lambda d: d.execute_script("return document.activeElement.tagName") == "H1")
        Select(browser.find_element(By.ID, "filter-status")).select_by_value("pending")  # newest first
        wait(browser, lambda d: name in texts(d, "table.jobs tbody tr th a"))
        assert browser.current_url.startswith(console.url)  # the pages and their API calls: all through `ui`
        screenshot(browser, "jobs-via-ui")
    finally:
        console.stop()


def test_create_a_job_through_the_form_watch_its_runs_then_pause_it(browser: Chrome, local: LocalStack) -> None:
    name = f"heartbeat-{uuid.uuid4().hex[:6]}"
    open_page(browser, local, "/new")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "schedule").send_keys("1s")
    # the live preview: the schedule in words and its next occurrences in the job's zone and the viewer's
    assert wait(browser, text_of(browser, ".preview .words")) == "Every second (UTC)"
    rows = css(browser, ".preview tbody tr")
    assert len(rows) == 5
    utc, viewer = (cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td"))
    assert utc.endswith("UTC")
    assert viewer.endswith("GMT+9")  # the browser runs in VIEWER_ZONE
    assert VIEWER_ZONE in css(browser, ".preview thead")[0].text
    screenshot(browser, "create")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait(browser, lambda d: "#/jobs/" in d.current_url)
    job_id = browser.current_url.rsplit("/", 1)[1]
    wait(browser, lambda d: css(d, "h1")[0].text == name)
    # its runs appear on the timeline, one bar each, as the local stack runs them
    wait(browser, lambda d: len(css(d, "rect.bar-completed")) >= 3)
    assert wait(browser, text_of(browser, "[data-stat=success-rate]")) == "100 %"
    assert css(browser, "[data-stat=p50]")[0].text.endswith("ms")
    screenshot(browser, "job")

    css(browser, "button[data-action=pause]")[0].click()
    confirm(browser)
    wait(browser, lambda d: css(d, ".title .badge")[0].text == "paused")
    assert local.call("GET", f"/jobs/{job_id}")[1]["status"] == "paused"
    assert css(browser, "button[data-action=resume]")[0].get_attribute("aria-disabled") == "false"
    assert css(browser, "button[data-action=pause]")[0].get_attribute("aria-disabled") == "true"
    css(browser, "button[data-action=pause]")[0].click()  # says why, asks nothing
    assert wait(browser, text_of(browser, "#status")) == "Pause: not while the job is paused."
    assert not css(browser, "dialog[open]")


def test_an_action_needs_confirming(browser: Chrome, local: LocalStack) -> None:
    job = create(local, name="keep-me", schedule="1h")
    open_page(browser, local, f"/jobs/{job['id']}")
    wait(browser, lambda d: css(d, "button[data-action=delete]"))
    css(browser, "button[data-action=delete]")[0].click()
    wait(browser, lambda d: css(d, "dialog[open]"))
    assert "cannot be undone" in css(browser, "#confirm-text")[0].text
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait(browser, lambda d: not css(d, "dialog[open]"))
    assert local.call("GET", f"/jobs/{job['id']}")[0] == 200

    css(browser, "button[data-action=delete]")[0].click()
    confirm(browser)
    wait(browser, lambda d: d.current_url.endswith("/ui/#/"))
    assert local.call("GET", f"/jobs/{job['id']}")[0] == 404


def test_retries_are_linked_to_their_occurrence_and_a_run_tells_its_error_on_focus(
    browser: Chrome, local: LocalStack
) -> None:
    # every occurrence fails its first attempt and recovers on its retry
    job = create(
        local, name="flaky", handler="flaky", schedule="2s", data={"succeedOnAttempt": 2}, retryBackoffSeconds=0
    )
    open_page(browser, local, f"/jobs/{job['id']}")
    wait(browser, lambda d: len(css(d, "line.retry-link")) >= 3)
    screenshot(browser, "job-retries")
    local.call("POST", f"/jobs/{job['id']}/pause")  # nothing changes under the checks below
    for link in css(browser, "line.retry-link"):
        occurrence = link.get_attribute("data-occurrence")
        linked = css(browser, f"rect.bar[data-occurrence='{occurrence}']")
        assert sorted(str(bar.get_attribute("class")) for bar in linked) == ["bar bar-completed", "bar bar-failed"]
    failed = css(browser, "rect.bar-failed")[0]
    browser.execute_script("arguments[0].focus()", failed)
    tip = css(browser, ".tip")[0]
    assert tip.is_displayed()
    assert tip.text.startswith("Attempt 1 (schedule), failed; started ")
    assert "error: HandlerFailure: attempt 1 fails; succeeds on attempt 2" in tip.text
    # the occurrence's retry is highlighted with it
    assert [bar.get_attribute("data-occurrence") for bar in css(browser, "rect.bar.linked")] == [
        failed.get_attribute("data-occurrence")
    ] * 2
    rate = float(css(browser, "[data-stat=success-rate]")[0].text.removesuffix(" %"))
    assert 0 < rate < 100


def test_the_api_error_shows_beside_the_field_it_names_and_nothing_is_created(
    browser: Chrome, local: LocalStack
) -> None:
    open_page(browser, local, "/new")
    name = f"never-{uuid.uuid4().hex[:6]}"
    browser.find_element(By.ID, "name").send_keys(name)
    schedule = browser.find_element(By.ID, "schedule")
    schedule.send_keys("61 * * * *")
    # the preview already says what is wrong, beside the schedule (all of it, though it has a "; " of its own)
    message = wait(browser, text_of(browser, "#schedule-error"))
    assert message.startswith("cron minute field '61' is not valid; allowed:")
    assert schedule.get_attribute("aria-invalid") == "true"
    schedule.clear()
    schedule.send_keys("5m")
    browser.find_element(By.ID, "timezone").clear()
    browser.find_element(By.ID, "timezone").send_keys("Mars/Base")
    browser.find_element(By.ID, "maxAttempts").send_keys("99")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    assert "'Mars/Base'" in wait(browser, text_of(browser, "#timezone-error"))
    assert wait(browser, text_of(browser, "#maxAttempts-error"))  # every field the API names, beside it
    assert css(browser, "#schedule-error")[0].text == ""
    assert css(browser, ".preview")[0].text == "Preview\nNo preview: see the message beside the field."
    assert browser.switch_to.active_element.get_attribute("id") in {"timezone", "maxAttempts"}
    screenshot(browser, "create-error")
    listed = local.call("GET", "/jobs?limit=100")[1]["jobs"]
    assert name not in {job["name"] for job in listed}


def test_jobs_list_filters_by_status_searches_by_name_and_pages(browser: Chrome, local: LocalStack) -> None:
    tag = uuid.uuid4().hex[:6]
    for index in range(51):  # one more than a page
        create(local, name=f"list-{tag}-{index}", runAt="2099-01-01T00:00:00Z")
    paused = create(local, name=f"paused-{tag}", schedule="1h")
    local.call("POST", f"/jobs/{paused['id']}/pause")
    open_page(browser, local, "/")
    wait(browser, lambda d: "loaded so far" in d.find_element(By.ID, "count").text)
    assert browser.find_element(By.ID, "count").text == "50 jobs loaded so far, newest first."
    assert len(texts(browser, "table.jobs tbody tr")) == 50
    assert css(browser, "th[aria-sort=descending]")[0].text == "Created ↓"
    browser.find_element(By.XPATH, "//button[text()='Load more jobs']").click()
    wait(browser, lambda d: len(texts(d, "table.jobs tbody tr")) > 50)
    screenshot(browser, "jobs")

    browser.find_element(By.CSS_SELECTOR, "#filter-status option[value=paused]").click()
    # the rows of the status's listing only, once it came
    wait(browser, lambda d: set(texts(d, "table.jobs tbody td[data-label=Status]")) == {"paused"})
    assert f"paused-{tag}" in texts(browser, "table.jobs tbody th")


def test_search_by_name_asks_the_api_and_finds_a_job_beyond_the_loaded_ones(browser: Chrome, local: LocalStack) -> None:
    if not name_filter_is_served(local):
        pytest.skip("the API does not filter by name yet (GET /jobs?name=)")
    tag = uuid.uuid4().hex[:8]
    needle = create(local, name=f"Needle-{tag}", schedule="1h")
    for index in range(50):  # a page of newer jobs: the needle is not among the first 50, newest first
        create(local, name=f"hay-{tag}-{index}", schedule="1h")
    open_page(browser, local, "/")
    wait(browser, lambda d: len(texts(d, "table.jobs tbody tr")) == 50)
    assert needle["name"] not in texts(browser, "table.jobs tbody th")
    assert texts(browser, "table.jobs tbody th")[0] == f"hay-{tag}-49"  # newest first

    browser.find_element(By.ID, "search").send_keys(f"NEEDLE-{tag}")  # part of the name, in another case

    wait(browser, lambda d: texts(d, "table.jobs tbody th") == [needle["name"]])
    assert browser.find_element(By.ID, "count").text == f"1 job whose name contains “NEEDLE-{tag}”, newest first."
    screenshot(browser, "jobs-search")


SIZES = {"desktop": "browser", "phone": "phone"}


@pytest.mark.parametrize("size", list(SIZES))
def test_timeline_axis_labels_never_overlap(request: pytest.FixtureRequest, local: LocalStack, size: str) -> None:
    driver: Chrome = request.getfixturevalue(SIZES[size])
    job = create(local, name=f"axis-{uuid.uuid4().hex[:6]}", schedule="1s")
    open_page(driver, local, f"/jobs/{job['id']}")
    wait(driver, lambda d: len(css(d, "rect.bar")) >= 3)
    local.call("POST", f"/jobs/{job['id']}/pause")

    boxes: list[dict[str, float]] = driver.execute_script(
        """const svg = document.querySelector(".timeline svg").getBoundingClientRect();
        return [...document.querySelectorAll(".timeline text.tick")].map((t) => {
          const b = t.getBoundingClientRect();
          const inside = b.left >= svg.left && b.right <= svg.right;
          return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, inside};
        });"""
    )

    assert len(boxes) >= 2
    assert all(box["inside"] for box in boxes)
    for one, other in itertools.combinations(boxes, 2):
        apart = one["right"] <= other["left"] or other["right"] <= one["left"]
        assert apart or one["bottom"] <= other["top"] or other["bottom"] <= one["top"], (one, other)
    screenshot(driver, f"{size}-timeline")


def scrolls_sideways(driver: Chrome, selector: str) -> list[str]:
    """The elements matching `selector` (and the page itself) whose content is wider than their box."""
    wider: list[str] = driver.execute_script(
        """return [document.documentElement, ...document.querySelectorAll(arguments[0])]
          .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth)
          .map((e) => e.className || e.tagName);""",
        selector,
    )
    return wider


def test_the_create_forms_two_zone_preview_fits_beside_the_form(browser: Chrome, local: LocalStack) -> None:
    open_page(browser, local, "/new")
    browser.find_element(By.ID, "schedule").send_keys("0 9 * * MON-FRI")
    browser.find_element(By.ID, "timezone").clear()
    browser.find_element(By.ID, "timezone").send_keys("America/Argentina/Buenos_Aires")
    wait(browser, lambda d: len(css(d, ".preview tbody tr")) == 5)
    css(browser, ".advanced summary")[0].click()

    assert scrolls_sideways(browser, ".preview, .preview *, .create *") == []
    preview = css(browser, ".preview")[0].rect
    table = css(browser, ".preview table")[0].rect
    assert table["x"] + table["width"] <= preview["x"] + preview["width"]
    screenshot(browser, "create-advanced")


SQS = "arn:aws:sqs:us-east-1:123456789012:jobs-target-queue"  # a target the local stack allows


def fill(driver: Chrome, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        element = driver.find_element(By.ID, element_id)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def test_the_forms_target_labels_and_flow_fields_reach_the_api(browser: Chrome, local: LocalStack) -> None:
    name = f"to-a-queue-{uuid.uuid4().hex[:6]}"
    notify = {"onFailure": {"type": "sqs", "arn": SQS}}
    open_page(browser, local, "/new")
    fill(
        browser, {"name": name, "runsWith": "sqs", "target-arn": SQS, "schedule": "1h", "labels": "team=ops, env=test"}
    )
    assert not browser.find_element(By.ID, "handler").is_displayed()  # a target instead of a handler
    css(browser, ".advanced summary")[0].click()
    fill(browser, {
        "jitterSeconds": "5", "maxRuns": "3", "catchupWindowSeconds": "600", "overlap": "skip",
        "concurrencyKey": "reports", "concurrencyLimit": "2", "rateLimit-key": "partner", "rateLimit-limit": "4",
        "rateLimit-periodSeconds": "60", "notify": json.dumps(notify),
    })  # fmt: skip
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait(browser, lambda d: "#/jobs/" in d.current_url)
    status, job = local.call("GET", f"/jobs/{browser.current_url.rsplit('/', 1)[1]}")
    assert status == 200
    assert (job["name"], job["handler"], job["target"]) == (name, None, {"type": "sqs", "arn": SQS})
    assert job["labels"] == {"team": "ops", "env": "test"}
    assert job["rateLimit"] == {"key": "partner", "limit": 4, "periodSeconds": 60}
    assert (job["jitterSeconds"], job["maxRuns"], job["catchupWindowSeconds"], job["overlap"]) == (5, 3, 600, "skip")
    assert (job["concurrencyKey"], job["concurrencyLimit"]) == ("reports", 2)
    assert job["notify"]["onFailure"] == notify["onFailure"]
    local.call("POST", f"/jobs/{job['id']}/cancel")


def test_a_refused_target_or_rate_limit_is_told_beside_it(browser: Chrome, local: LocalStack) -> None:
    name = f"refused-{uuid.uuid4().hex[:6]}"
    open_page(browser, local, "/new")
    fill(browser, {"name": name, "runsWith": "eventbridge", "target-busArn": "not-an-arn", "target-detailType": "d"})
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert wait(browser, text_of(browser, "#target-error")).startswith("busArn")
    assert browser.switch_to.active_element.get_attribute("id") == "target-busArn"

    fill(browser, {"runsWith": "handler"})
    css(browser, ".advanced summary")[0].click()
    fill(browser, {"rateLimit-key": "k", "rateLimit-limit": "0", "rateLimit-periodSeconds": "60"})
    css(browser, ".advanced summary")[0].click()  # closed again: the error opens it
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    assert wait(browser, text_of(browser, "#rateLimit-error")).startswith("limit")
    assert css(browser, "details.advanced")[0].get_attribute("open") is not None
    assert browser.switch_to.active_element.get_attribute("id") == "rateLimit-limit"  # the part it names
    screenshot(browser, "create-rate-limit-error")
    assert name not in {job["name"] for job in local.call("GET", "/jobs?limit=100")[1]["jobs"]}


def test_the_runner_switch_stops_and_starts_the_runner(browser: Chrome, local: LocalStack) -> None:
    open_page(browser, local, "/")
    switch = wait(browser, lambda d: css(d, "button[role=switch][aria-checked=true]"))[0]
    switch.click()
    wait(browser, lambda d: switch.get_attribute("aria-checked") == "false")
    assert local.call("GET", "/jobs/runner")[1] == {"running": False}
    switch.click()
    wait(browser, lambda d: switch.get_attribute("aria-checked") == "true")
    assert local.call("GET", "/jobs/runner")[1] == {"running": True}


def press(driver: Chrome, *keys: str) -> WebElement:
    """Keys pressed one after another; the element that has focus afterwards."""
    ActionChains(driver).send_keys(*keys).perform()
    return driver.switch_to.active_element


def shift_tab(driver: Chrome) -> WebElement:
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    return driver.switch_to.active_element


# What has focus, read in one script: a job's page redraws its runs every 2 s, so an element reference held
# across two reads may name a node the redraw replaced.
FOCUS = """const e = document.activeElement;
return {tag: e.tagName.toLowerCase(), text: e.innerText || "", label: e.getAttribute("aria-label"),
        action: e.getAttribute("data-action"), tabindex: e.getAttribute("tabindex"),
        outline: getComputedStyle(e).outlineStyle,
        tip: (document.querySelector(".tip") || {}).textContent || ""};"""


def focus_after(driver: Chrome, *keys: str, shift: bool = False) -> dict[str, Any]:
    """Keys pressed (with Shift held when `shift`); what has focus afterwards, as one snapshot."""
    chain = ActionChains(driver)
    if shift:
        chain.key_down(Keys.SHIFT)
    chain.send_keys(*keys)
    if shift:
        chain.key_up(Keys.SHIFT)
    chain.perform()
    focus: dict[str, Any] = driver.execute_script(FOCUS)
    return focus


def test_keyboard_only_create_look_and_pause(browser: Chrome, local: LocalStack) -> None:
    open_page(browser, local, "/")
    # a page puts focus on its heading: Tab goes on to its first control, Shift+Tab back to the navigation
    assert press(browser, Keys.TAB).text.startswith("Runner")
    assert shift_tab(browser).text == "New job"
    press(browser, Keys.ENTER)
    wait(browser, lambda d: d.switch_to.active_element.text == "New job" and d.find_elements(By.ID, "name"))
    name = press(browser, Keys.TAB)
    assert name.get_attribute("id") == "name"
    # focus is visible: the house outline on whatever has it
    assert name.value_of_css_property("outline-style") == "solid"
    name.send_keys(f"keyboard-{uuid.uuid4().hex[:6]}")
    press(browser, Keys.TAB, Keys.TAB, Keys.TAB).send_keys("2s")  # past "Runs" (a handler) and echo to the schedule
    wait(browser, text_of(browser, ".preview .words"))
    press(browser, Keys.ENTER)  # submits the form from any field
    wait(browser, lambda d: "#/jobs/" in d.current_url)
    wait(browser, lambda d: len(css(d, "rect.bar")) >= 1)

    # the tab order through the job's page: its actions (those its status refuses say so), then its timeline
    seen: list[str] = []
    while len(seen) < 12 and (focus := focus_after(browser, Keys.TAB))["tag"] != "body":
        seen.append(focus["text"] if focus["tag"] == "button" else focus["tag"])
    assert seen == ["Trigger", "Pause", "Resume", "Cancel", "Delete", "rect"]
    # in the timeline, arrow keys go from run to run, each telling what it was
    assert re.match(
        r"Attempt 1 \(schedule\), (completed|running)", str(focus_after(browser, Keys.TAB, shift=True)["label"])
    )
    oldest = focus_after(browser, Keys.HOME)
    assert oldest["tabindex"] == "0"  # the timeline stays one tab stop, wherever it is
    assert oldest["tip"] == oldest["label"]

    # to Pause with Shift+Tab, then Enter, and confirm with the keyboard
    focus = oldest
    for _ in range(20):
        if focus["action"] == "pause":
            break
        focus = focus_after(browser, Keys.TAB, shift=True)
    assert focus["outline"] == "solid"
    press(browser, Keys.ENTER)
    wait(browser, lambda d: d.switch_to.active_element.get_attribute("id") == "confirm-no")
    assert press(browser, Keys.TAB).get_attribute("id") == "confirm-yes"
    press(browser, Keys.ENTER)
    wait(browser, lambda d: css(d, ".title .badge")[0].text == "paused")


@pytest.fixture(scope="module")
def phone(needs_chromium: None) -> Iterator[Chrome]:
    with chromium(PHONE) as driver:
        yield driver


@pytest.mark.parametrize("page", ["/", "/new", "job"])
def test_phone_width_has_no_sideways_scrolling(phone: Chrome, local: LocalStack, page: str) -> None:
    job = create(local, name="a job with a rather long name to wrap on a phone", schedule="0 9 * * MON-FRI")
    open_page(phone, local, f"/jobs/{job['id']}" if page == "job" else page)
    wait(phone, text_of(phone, {"/": "#count", "/new": ".preview", "job": ".occurrences tbody"}[page]))
    if page == "/new":
        css(phone, ".advanced summary")[0].click()  # its fields too
    width = phone.execute_script("return document.documentElement.clientWidth")
    assert width <= PHONE[0]
    assert phone.execute_script("return document.documentElement.scrollWidth") <= width
    screenshot(phone, f"phone-{'jobs' if page == '/' else page.strip('/')}")


# The console's own readings, run in the browser by its own modules.
READINGS = """
const [done, schedules, runs, message] = [arguments[3], arguments[0], arguments[1], arguments[2]];
Promise.all([import("/ui/format.js"), import("/ui/timeline.js"), import("/ui/api.js")]).then(([f, t, a]) => done({
  words: schedules.map(f.describeSchedule),
  stats: t.runStats(runs),
  split: a.messagesByField(message, ["schedule", "timezone"]),
}));
"""
SCHEDULE_WORDS = {
    "30s": "every 30 seconds",
    "1m": "every minute",
    "rate(5 minutes)": "every 5 minutes",
    "rate(1 hour)": "every hour",
    "0 2 * * *": "at 02:00 every day",
    "*/15 * * * *": "every 15 minutes",
    "0 * * * *": "every hour, on the hour",
    "0 9 * * 1-5": "at 09:00 on Monday to Friday",
    "cron(0 9 ? * 2-6 *)": "at 09:00 on Monday to Friday",  # EventBridge counts days from 1 = Sunday
    "30 9 * * MON,FRI": "at 09:30 on MON, FRI",
    "0 0 1 1 *": "at 00:00 on day 1 of the month, in January",
    "@weekly": "every Sunday at 00:00",
    "at(2027-01-01T09:00:00)": "once, at 2027-01-01 09:00:00",
    "cron(0/5 8-17 ? * MON-FRI *)": "at minute 0/5 of hour 8-17 on MON to FRI",
}


def test_schedule_words_run_stats_and_error_split(browser: Chrome, local: LocalStack) -> None:
    open_page(browser, local, "/")
    runs = [{"status": "completed", "duration": ms} for ms in range(100, 0, -10)]
    runs += [
        {"status": "failed", "duration": 1000},
        {"status": "running", "duration": None},
        {"status": "skipped", "duration": 0},
    ]
    message = (
        "schedule: cron minute field '61' is not valid; allowed: 0-59; timezone: 'X' is not an IANA time zone; "
        "body: must be an object"
    )
    readings = browser.execute_async_script(READINGS, list(SCHEDULE_WORDS), runs, message)
    assert dict(zip(SCHEDULE_WORDS, readings["words"], strict=True)) == SCHEDULE_WORDS
    # 11 finished runs (running and skipped are not): 10 succeeded; nearest-rank p50 = 6th, p95 = 11th
    assert readings["stats"] == {"runs": 13, "finished": 11, "successRate": 10 / 11, "p50": 60, "p95": 1000}
    assert readings["split"] == {
        "found": {
            "schedule": "cron minute field '61' is not valid; allowed: 0-59",
            "timezone": "'X' is not an IANA time zone",
        },
        "rest": ["body: must be an object"],
    }
