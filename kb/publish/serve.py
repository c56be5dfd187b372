"""``policywatch serve``: the built site on 127.0.0.1, for a look on this machine.

Opened from ``file://``, the site's links land on folder listings (MkDocs writes
``page/index.html`` and links to ``page/``) and its search cannot load its index; served over
HTTP both work. The standard library's server is enough for one reader on the loopback
interface; it is not a host to deploy (docs/deployment.md says what a host must do, and this
does the same where it matters: UTF-8 text, feed types, the site's own 404 page).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from kb.errors import UsageError

HOST = "127.0.0.1"  # loopback only: a look at the site, never a public server
DEFAULT_PORT = 8000  # the port of the default site URL (http://localhost:8000/)


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".txt": "text/plain; charset=utf-8",  # version texts are UTF-8; without a charset browsers guess
        ".xml": "application/xml",
        ".json": "application/json",
    }

    def send_error(self, code, message=None, explain=None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()  # the site's own page, with its links home and to the feeds
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:  # one reader on this machine: no access log
        pass


@contextmanager
def site_server(site_dir: Path, port: int = DEFAULT_PORT) -> Iterator[ThreadingHTTPServer]:
    """A server for ``site_dir`` on 127.0.0.1:``port`` (0: any free port), not started:
    call ``serve_forever()`` (it stops on Ctrl-C) or run it in a thread."""
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():
        raise UsageError(f"no site in {site_dir}", hint="build it with `policywatch publish` (same --home)")
    handler = functools.partial(SiteHandler, directory=str(site_dir))
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise UsageError(
            f"cannot serve on {HOST}:{port}: {exc.strerror or exc}", hint="pick another --port (0 picks a free one)"
        ) from None
    server.daemon_threads = True
    try:
        yield server
    finally:
        server.server_close()


def address(server: ThreadingHTTPServer) -> str:
    """The URL to open: ``http://127.0.0.1:PORT/``."""
    return f"http://{HOST}:{server.server_address[1]}/"
