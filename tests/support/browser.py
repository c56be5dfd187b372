"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright, and a
loopback server for a built site. Tests skip, with the install line, where either is missing."""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads one here
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_missing() -> str | None:
    """Why a browser test cannot run here, with the fix; None when it can."""
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return None


class _QuietHandler(SimpleHTTPRequestHandler):
    # As docs/deployment.md asks of a host: the version texts are UTF-8 (http.server names
    # no charset, and browsers then guess).
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".txt": "text/plain; charset=utf-8",
    }

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a thread; yield its base URL (ending with /)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium driven by Playwright, isolated from any network but loopback."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """Everything a page did that a clean site never does."""

    base: str
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions
    failed: list[str] = field(default_factory=list)  # requests that failed or answered >= 400
    foreign: list[str] = field(default_factory=list)  # requests outside the served site
    dialogs: list[str] = field(default_factory=list)  # alert(), confirm(), prompt()

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))
        page.on("request", lambda r: not r.url.startswith((self.base, "data:", "blob:")) and self.foreign.append(r.url))

        def dismiss(dialog) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.foreign == [], self.foreign
        assert self.dialogs == [], self.dialogs
