"""A loopback web server that answers each path the way a test tells it to, and counts requests.

Every fault a real site can throw at a crawler, on demand::

    with FaultServer() as server:
        server.answer("/doc/a", "page", doc="a", version=1)      # a good policy page
        server.answer("/doc/b", "status", code=503)              # an outage
        server.answer("/doc/c", "reset")                         # TCP reset halfway through the body
        ...crawl...
        assert server.hits("/doc/b") == 2                        # first try + one retry

Behaviours (``answer(path, behaviour, **params)``):

- ``page``: a policy page (``doc``, ``version``, ``paragraphs``), or ``body``/``text`` as given,
  with ``status``, ``content_type``, extra ``headers``, after ``delay`` seconds;
- ``status``: an error status (``code``) with a short HTML body and extra ``headers``;
- ``redirect``: ``code`` (302) to ``location`` (absolute, or a path on this server);
- ``reset``: announces ``length`` bytes, sends ``sent`` of them, then resets the connection (RST);
- ``truncate``: announces ``length`` bytes, sends ``sent`` of them, then closes cleanly (FIN);
- ``stall``: reads the request and never answers (until the server stops);
- ``stream``: ``size`` bytes of HTML with no Content-Length, sent in chunks, then closes.

A server can be stopped and started again on the same port (``stop()``/``start()``): while
stopped, its URLs are refused connections. HTTP/1.0, one request per connection: no keep-alive
stalls, and every request is its own connection, as faults need.
"""

from __future__ import annotations

import html
import socket
import struct
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ARTICLE_SELECTOR = "main article.policy"


def policy_text(doc: str, version: int = 1, paragraphs: int = 30) -> list[str]:
    """The paragraphs of a fictional policy; each version changes one fee, visibly."""
    fee = 5 + version - 1
    lines = [f"Sellers’ “{doc}” rules: a fee of {fee} € applies per order — see the café terms."]
    lines += [
        f"Section {i} of the {doc} policy: sellers must follow rule {i} at all times, "
        f"and keep records of rule {i} for twelve months."
        for i in range(1, paragraphs)
    ]
    return lines


def policy_page(
    doc: str,
    version: int = 1,
    paragraphs: int = 30,
    *,
    charset: str | None = "utf-8",
    head: str = "",
    before: str = "",
    after: str = "",
) -> str:
    """A whole page: navigation and footer around ``<main><article class="policy">``."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in policy_text(doc, version, paragraphs))
    return (
        f'<!doctype html>\n<html lang="en"><head>{meta}<title>{html.escape(doc)} policy</title>{head}'
        f'</head>\n<body><nav><a href="/">Home</a> <a href="/help">Help</a></nav>{before}\n'
        f'<main><article class="policy"><h1>{html.escape(doc)} policy</h1>\n{body}\n</article></main>\n'
        f"{after}<footer>Fictional marketplace for tests</footer></body></html>\n"
    )


class FaultServer:
    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.host = host
        self.port = port
        self._routes: dict[str, tuple[str, dict]] = {}
        self._hits: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FaultServer:
        self._closing.clear()
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        httpd.owner = self  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._closing.set()  # releases stalled handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- behaviour and counts ---------------------------------------------------

    def answer(self, path: str, behaviour: str, **params) -> None:
        if behaviour not in _BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; use one of {', '.join(sorted(_BEHAVIOURS))}")
        with self._lock:
            self._routes[path] = (behaviour, params)

    def hits(self, path: str, host: str | None = None) -> int:
        """Requests received for ``path`` (any Host header, or only ``host``)."""
        with self._lock:
            return sum(n for (h, p), n in self._hits.items() if p == path and (host is None or h == host))

    def paths_hit(self) -> set[str]:
        with self._lock:
            return {p for _, p in self._hits}

    def hosts_hit(self) -> set[str]:
        with self._lock:
            return {h for h, _ in self._hits}

    def reset_counts(self) -> None:
        with self._lock:
            self._hits.clear()

    def _route(self, host: str, path: str) -> tuple[str, dict]:
        with self._lock:
            self._hits[(host, path)] += 1
            return self._routes.get(path, ("status", {"code": 404}))


# -- the handler ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "FaultServer/1.0"
    sys_version = ""

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        owner: FaultServer = self.server.owner  # type: ignore[attr-defined]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        path = urlsplit(self.path).path
        behaviour, params = owner._route(host, path)
        try:
            _BEHAVIOURS[behaviour](self, owner, **params)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: that is what some faults are for

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def partial(self, length: int, sent: int) -> None:
        body = policy_page("partial", paragraphs=400).encode()[:length].ljust(length, b" ")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body[:sent])
        self.wfile.flush()


def _page(
    h: _Handler,
    owner,
    *,
    doc: str = "doc",
    version: int = 1,
    paragraphs: int = 30,
    body: bytes | None = None,
    text: str | None = None,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: dict | None = None,
    delay: float = 0,
) -> None:
    if delay:
        owner._closing.wait(delay)  # a slow page; stopping the server cuts the wait short
    if body is None:
        body = (text if text is not None else policy_page(doc, version, paragraphs)).encode("utf-8")
    h.send(status, body, content_type, headers)


def _status(h: _Handler, owner, *, code: int, headers: dict | None = None) -> None:
    from http import HTTPStatus

    phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
    h.send(code, f"<html><body><h1>{code} {phrase}</h1></body></html>".encode(), headers=headers)


def _redirect(h: _Handler, owner, *, location: str, code: int = 302) -> None:
    h.send(code, b"", headers={"Location": location})


def _reset(h: _Handler, owner, *, length: int = 20000, sent: int = 4000) -> None:
    h.partial(length, sent)
    # SO_LINGER with a zero timeout turns close() into a reset (RST) instead of a clean FIN.
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _truncate(h: _Handler, owner, *, length: int = 20000, sent: int = 4000) -> None:
    h.partial(length, sent)
    h.connection.shutdown(socket.SHUT_WR)
    h.close_connection = True


def _stall(h: _Handler, owner, *, seconds: float = 30) -> None:
    owner._closing.wait(seconds)
    h.close_connection = True


def _stream(h: _Handler, owner, *, size: int, chunk: int = 1 << 20) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.end_headers()
    h.wfile.write(b'<!doctype html><html><body><main><article class="policy">')
    block = (b"<p>" + b"x" * (chunk - 8) + b"</p>\n")[:chunk]
    written = 0
    while written < size:
        h.wfile.write(block)
        written += len(block)
    h.close_connection = True


_BEHAVIOURS = {
    "page": _page,
    "status": _status,
    "redirect": _redirect,
    "reset": _reset,
    "truncate": _truncate,
    "stall": _stall,
    "stream": _stream,
}


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (for connection-refused faults)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
