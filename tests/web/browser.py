"""Headless Chromium from Debian's `chromium` and `chromium-driver`, driven by Selenium.

Selenium is given the driver and the browser explicitly, so its manager never downloads anything.
Locally the browser tests skip with a clear message when Chromium is absent; with CI=true they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=fr-FR")


def require_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not (os.path.exists(path) or shutil.which(path))]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        reason = (f"browser tests need {', '.join(missing)}: apt-get install -y chromium chromium-driver "
                  "(.ci/run installs them when CI=true)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never fetch a driver or a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def full_page_screenshot(driver: Any, path: Path, width: int = 1280) -> None:
    """Resize the window to the page's height, then capture it whole."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 40, 6000))
    driver.save_screenshot(str(path))
