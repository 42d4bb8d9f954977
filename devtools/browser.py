"""Headless Chromium for the console's browser tests: Debian's chromium and chromium-driver, driven by selenium."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from devtools.template import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "the console's browser tests need Chromium: sudo apt-get install -y chromium chromium-driver "
    f"(they look for {CHROMIUM} and {CHROMEDRIVER})"
)
SCREENSHOTS = ROOT / "build" / "screenshots"
# The viewer's zone in the tests: not UTC, so times shown "in your zone" differ from a UTC job's.
VIEWER_ZONE = "Asia/Tokyo"
DESKTOP = (1280, 900)
PHONE = (390, 844)


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    found = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()
    return None if found else INSTALL_HINT


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP, flags: Sequence[str] = ()) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (its own profile, nothing from the network but what a page asks for), with
    `flags` added to its command line."""
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={max(size[0], 800)},{size[1]}",
        *flags,
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, env={"TZ": VIEWER_ZONE, "PATH": "/usr/bin:/bin"})
    driver = webdriver.Chrome(options=options, service=service)
    # The viewport exactly `size`, a phone's too (a headless window is at least ~500 px wide).
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 800}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """The whole page as the user sees it, to build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
