"""A loopback web site that serves what a test declares and records every request it gets.

    with LoopbackSite() as site:
        site.page("/help/fees", "<main>…</main>", etag='"v1"')       # answers 304 to If-None-Match "v1"
        site.sequence("/flaky", [(503, {}, b"down"), (200, {}, page)])  # one answer per request
        site.page("/robots.txt", "User-agent: *\\nDisallow: /private/", content_type="text/plain")
        ...crawl site.url("/help/fees")...
        site.hits("/flaky")            # [Hit(path, started, finished, headers, status), ...]
        site.max_in_flight("127.0.0.1") # most requests served at once for that Host

HTTP/1.0, one request per connection (no keep-alive stalls). Conditional requests are
decided by the ETag/Last-Modified the test gives, never by file times. Paths are
matched without their query string.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Hit:
    path: str
    query: str
    host: str
    started: float  # time.monotonic() when the request arrived
    headers: dict[str, str]
    status: int = 0
    finished: float = 0.0


@dataclass
class Route:
    answers: list[tuple[int, dict[str, str], bytes]]  # one per request; the last one repeats
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering
    served: int = 0


@dataclass
class LoopbackSite:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    slow_first: tuple[str, float] | None = None  # (path prefix, seconds): the first such request waits

    def __post_init__(self):
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)
        self._max_in_flight: dict[str, int] = defaultdict(int)
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                site._serve(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- declaring ----------------------------------------------------------------------
    def page(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        delay: float = 0.0,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if etag:
            all_headers["ETag"] = etag
        if last_modified:
            all_headers["Last-Modified"] = last_modified
        self.routes[path] = Route([(status, all_headers, data)], etag, last_modified, delay)

    def sequence(self, path: str, answers: list[tuple[int, dict[str, str], str | bytes]]) -> None:
        self.routes[path] = Route(
            [
                (s, {"Content-Type": "text/html; charset=utf-8", **h}, b.encode() if isinstance(b, str) else b)
                for s, h, b in answers
            ]
        )

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        self.routes[path] = Route([(status, {"Location": location}, b"")])

    def remove(self, path: str) -> None:
        self.routes.pop(path, None)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # -- reading --------------------------------------------------------------------------
    def hits(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self.log if path is None or h.path == path]

    def max_in_flight(self, host: str) -> int:
        return self._max_in_flight[host]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self._max_in_flight.clear()

    # -- serving --------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        host = (handler.headers.get("Host") or "").split(":")[0]
        hit = Hit(parts.path, parts.query, host, time.monotonic(), {k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            self.log.append(hit)
            self._in_flight[host] += 1
            self._max_in_flight[host] = max(self._max_in_flight[host], self._in_flight[host])
            prefix, slow = self.slow_first or ("", 0.0)
            first_slow = (
                bool(slow)
                and parts.path.startswith(prefix)
                and not any(h.path.startswith(prefix) for h in self.log[:-1])
            )
        try:
            status, headers, body = self._answer(parts.path, hit.headers)
            if first_slow:
                time.sleep(slow)
            hit.status = status
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            hit.finished = time.monotonic()
            with self._lock:
                self._in_flight[host] -= 1

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        route = self.routes.get(path)
        if route is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body><h1>Not found</h1></body></html>"
        if route.delay:
            time.sleep(route.delay)
        validators = {k: v for k, v in (("ETag", route.etag), ("Last-Modified", route.last_modified)) if v}
        if route.etag and headers.get("if-none-match") == route.etag:
            return 304, validators, b""
        if route.last_modified and not route.etag and headers.get("if-modified-since") == route.last_modified:
            return 304, validators, b""
        with self._lock:
            answer = route.answers[min(route.served, len(route.answers) - 1)]
            route.served += 1
        return answer

    def __enter__(self) -> LoopbackSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def help_page(title: str, paragraphs: list[str], *, extra: str = "") -> str:
    """A help-centre page: navigation and footer around ``main article.policy``."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav><a href='/'>Home</a></nav><main><article class='policy'><h1>{title}</h1>\n{body}\n"
        f"</article></main>{extra}<footer>Fictional marketplace for tests</footer></body></html>"
    )


def policy_paragraphs(name: str, version: int = 1, count: int = 12) -> list[str]:
    return [f"{name}: sellers pay a fee of {4 + version} USD per order."] + [
        f"Rule {i} of the {name} policy: sellers keep records of rule {i} for twelve months." for i in range(1, count)
    ]


def declaration(
    marketplace: str, documents: list[dict], *, discover: list[dict] | None = None, defaults: dict | None = None
) -> str:
    import yaml

    data = {
        "marketplace": marketplace,
        "name": f"{marketplace} (loopback test)",
        "allow_private_addresses": True,
        "defaults": defaults or {"select": ["main article.policy"]},
        "documents": documents,
    }
    if discover:
        data["discover"] = discover
    return yaml.safe_dump(data, sort_keys=False)
