"""Headless Chromium (the system's, driven by Playwright) for tests that need a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import require_or_skip

# Screenshots for people to look at (kept by the test run): $HUBMAIL_ARTIFACTS, else build/screenshots.
ARTIFACTS = Path(
    os.environ.get("HUBMAIL_ARTIFACTS") or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@contextmanager
def browser() -> Iterator:
    path = chromium_path()
    if path is None:
        require_or_skip("Chromium is not installed (Debian package: chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("playwright is not installed (pip install '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def shoot(page, name: str) -> None:
    """A full-page screenshot of what the page shows now, into ARTIFACTS as NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fits_a_phone(page, width: int = 390) -> bool:
    """Nothing on the page is wider than a phone held upright (no sideways scrolling)."""
    page.set_viewport_size({"width": width, "height": 844})
    return page.evaluate("document.documentElement.scrollWidth") <= width
