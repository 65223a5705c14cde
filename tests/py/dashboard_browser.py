"""Headless Chromium for the dashboard tests and the README screenshot.

Uses Debian's `chromium` and `chromium-driver` packages at fixed paths, so
Selenium never looks for (or downloads) a browser or driver of its own.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = Path(os.environ.get("DXEMU_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("DXEMU_CHROMEDRIVER", "/usr/bin/chromedriver"))

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install chromium chromium-driver; .ci/run does it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing (pip install -r tests/py/requirements.txt)"
    return None


def chromium(width: int = 1400, height: int = 1000):
    """A headless Chromium WebDriver with a fresh profile; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Never let Selenium Manager go to the network.
    os.environ["SE_OFFLINE"] = "true"
    profile = tempfile.mkdtemp(prefix="dxemu-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.dxemu_profile = profile
    return driver


def close(driver) -> None:
    """Quits the browser and removes its profile."""
    driver.quit()
    shutil.rmtree(getattr(driver, "dxemu_profile", ""), ignore_errors=True)
