"""Rendering JavaScript pages: scrapy-playwright driving the system Chromium.

Only documents declared with ``render: browser`` go through it; the download
handlers are installed for a crawl that has such documents and a usable browser,
so a crawl of plain pages never imports Playwright. The browser is Debian's
``chromium`` package (``apt-get install chromium``): nothing is downloaded from a
browser vendor, and Playwright's own browser download is never used.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

DEBIAN_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = (
    "install Debian's browser (sudo apt-get install chromium) or point POLICYWATCH_CHROMIUM at a Chromium binary"
)
# Resource types a policy text never needs: skipping them saves the site bandwidth.
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
WAIT_MS = 15_000  # how long a page may take to build its text before it is taken as it is


def find_chromium(configured: str | None = None) -> str | None:
    candidates = (
        [configured] if configured else [DEBIAN_CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")]
    )
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def browser_unavailable(configured: str | None = None) -> str | None:
    """Why pages cannot be rendered here, with the fix; ``None`` when they can."""
    if importlib.util.find_spec("scrapy_playwright") is None:
        return "scrapy-playwright is not installed (pip install -e .)"
    if find_chromium(configured) is None:
        where = configured or DEBIAN_CHROMIUM
        return f"no Chromium at {where}: {INSTALL_HINT}"
    return None


def playwright_settings(chromium: str) -> dict:
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium,
            "headless": True,
            "args": [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        },
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.browser.skip_resource",
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
    }


def skip_resource(request) -> bool:
    return request.resource_type in SKIPPED_RESOURCES


def wait_for_text(filled: tuple[str, ...], present: tuple[str, ...] = (), wait_ms: int = WAIT_MS) -> list:
    """Page methods: wait until every ``filled`` selector matches an element with text and
    every ``present`` one (range boundaries) matches at all, or ``wait_ms`` after navigation
    started; then the page is taken as it is. A page that never builds its text (a bot
    wall, a redesign) is still captured, so the recorder can say what it got."""
    from scrapy_playwright.page import PageMethod

    if not filled and not present:
        return [PageMethod("wait_for_load_state", "networkidle")]
    # An empty container is not the text: help pages ship the element and fill it later.
    script = (
        "([filled, present, waitMs]) => (filled.every(s => { const e = document.querySelector(s); "
        "return e && e.textContent.trim().length > 0; }) "
        "&& present.every(s => document.querySelector(s))) || performance.now() > waitMs"
    )
    arg = [list(filled), list(present), wait_ms]
    return [PageMethod("wait_for_function", script, arg=arg, timeout=wait_ms + 10_000)]
