"""Loopback web server for Northwind Market, the fictional help hub of the demo.

It serves the bundled corpus (``corpus/``) in dated states, one at a time, and
wraps every article in what real help centres add around it: navigation, a
cookie banner, breadcrumbs, hidden per-request tokens, a rotating "Related
articles" box, a helpfulness counter and a render timestamp. The article text
only changes where ``corpus/states.yaml`` says it does; everything else may
differ on every request, so a tracker that does not isolate the article sees
a change each time. ``corpus/expected.yaml`` states what a tracker must record.

Noise is drawn from ``random.Random`` seeded by (state, path, request number):
two requests never match, yet two runs of the same test see the same bytes.

    with DemoServer() as server:
        server.set_state("noise-and-bot-wall")
        urlopen(server.base_url + "/help")

``python -m kb.demo.server --state 1 --port 8765`` serves a state until Ctrl-C.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import html
import random
import re
import sys
import threading
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from kb.errors import CorpusError
from kb.sources.yamlio import YamlProblem, load_strict
from kb.timeutil import ISO_FORMAT

CORPUS_DIR = Path(__file__).parent / "corpus"
PAGE_PATH = re.compile(r"^/help/(?P<section>[a-z0-9-]+)/(?P<slug>[a-z0-9-]+)$")
PAGE_KEYS = {"title", "summary", "last_updated", "body", "status", "bot_wall"}
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class State:
    name: str
    date: str  # ISO-8601 UTC with a Z suffix: when this state of the site was live
    description: str


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    summary: str
    last_updated: str  # YYYY-MM-DD, printed in the article's "Last updated" line
    body: str  # the article's inner HTML
    status: int = 200  # 404: gone (answers 404, left the hub)
    bot_wall: bool = False  # every request gets the "Robot Check" page

    @property
    def section(self) -> str:
        return self.path.split("/")[2]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def live(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Corpus:
    site_name: str
    tagline: str
    sections: tuple[Section, ...]
    states: tuple[State, ...]
    pages: tuple[dict[str, Page], ...]  # per state, path -> page, in hub order


# --- loading ----------------------------------------------------------------


def load_corpus(corpus_dir: Path | None = None) -> Corpus:
    """Read ``states.yaml`` and every body it names; each state inherits from the one before."""
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else CORPUS_DIR
    manifest_path = corpus_dir / "states.yaml"
    try:
        manifest = load_strict(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(
            f"{manifest_path}: missing; point DemoServer(corpus_dir=...) at a folder holding states.yaml"
        ) from None
    except YamlProblem as exc:
        raise CorpusError(f"{manifest_path}: {exc}") from None
    site = manifest.get("site") or {}
    sections = tuple(Section(s["slug"], s["title"], s["summary"]) for s in manifest["sections"])
    known_sections = {s.slug for s in sections}

    states: list[State] = []
    pages_by_state: list[dict[str, Page]] = []
    current: dict[str, Page] = {}
    for number, entry in enumerate(manifest["states"], start=1):
        name = entry["name"]
        where = f"{manifest_path}: state {number} ({name})"
        if (number == 1 and "changes" in entry) or (number > 1 and "pages" in entry):
            raise CorpusError(f"{where}: the first state lists `pages`, later ones list `changes`")
        listed = entry.get("pages") or entry.get("changes") or {}
        current = dict(current)
        for path, fields in listed.items():
            current[path] = _page(corpus_dir, where, path, fields, current.get(path), known_sections)
        description = " ".join(entry["description"].split())
        states.append(State(name, _iso_time(entry["date"], where), description))
        pages_by_state.append(_hub_order(current, sections))

    _check_unique(states, pages_by_state, manifest_path)
    return Corpus(
        site.get("name", "Northwind Market"),
        site.get("tagline", "Seller help hub"),
        sections,
        tuple(states),
        tuple(pages_by_state),
    )


def _page(
    corpus_dir: Path, where: str, path: str, fields: dict, previous: Page | None, known_sections: set[str]
) -> Page:
    match = PAGE_PATH.match(path)
    if not match:
        raise CorpusError(f"{where}: page path {path!r} must look like /help/<section>/<slug>")
    if match["section"] not in known_sections:
        raise CorpusError(f"{where}: page {path} is in unknown section {match['section']!r}; add it under `sections`")
    unknown = set(fields) - PAGE_KEYS
    if unknown:
        raise CorpusError(f"{where}: page {path} has unknown keys {sorted(unknown)}; allowed: {sorted(PAGE_KEYS)}")
    values = dict(fields)
    if "body" in values:
        body_path = corpus_dir / values["body"]
        if not body_path.is_file():
            raise CorpusError(
                f"{where}: page {path} names body {values['body']!r}, which does not exist under {corpus_dir}"
            )
        values["body"] = body_path.read_text(encoding="utf-8").strip()
    if "last_updated" in values:
        values["last_updated"] = str(values["last_updated"])  # YAML may hand back a date
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", values["last_updated"]):
            raise CorpusError(
                f"{where}: page {path} last_updated {values['last_updated']!r} must be a date like 2026-08-03"
            )
    if previous is not None:
        return replace(previous, **values)
    missing = {"title", "summary", "last_updated", "body"} - set(values)
    if missing:
        raise CorpusError(f"{where}: new page {path} lacks {sorted(missing)}")
    return Page(path=path, **values)


def _iso_time(value, where: str) -> str:
    if isinstance(value, dt.datetime):  # unquoted in YAML
        return value.astimezone(dt.UTC).strftime(ISO_FORMAT)
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(value)):
        raise CorpusError(f"{where}: date {value!r} must be an ISO UTC time like 2026-08-03T06:00:00Z")
    return str(value)


def _hub_order(pages: dict[str, Page], sections: tuple[Section, ...]) -> dict[str, Page]:
    rank = {s.slug: i for i, s in enumerate(sections)}
    # sorted() is stable: within a section, pages keep their manifest order.
    ordered = sorted(pages.values(), key=lambda p: rank[p.section])
    return {p.path: p for p in ordered}


def _check_unique(states: list[State], pages_by_state: list[dict[str, Page]], manifest_path: Path) -> None:
    names = [s.name for s in states]
    if len(set(names)) != len(names):
        raise CorpusError(f"{manifest_path}: state names repeat ({names}); give each state its own name")
    owner: dict[str, str] = {}
    for pages in pages_by_state:
        for page in pages.values():
            # The slug becomes the document id: two paths may not share it.
            if owner.setdefault(page.slug, page.path) != page.path:
                raise CorpusError(
                    f"{manifest_path}: {page.path} and {owner[page.slug]} share the slug {page.slug!r}; rename one"
                )


# --- rendering --------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class _Noise:
    """Everything that varies per request, drawn from one seeded generator."""

    def __init__(self, state: State, path: str, request_no: int):
        self.rng = random.Random(f"{state.name}|{path}|{request_no}")
        self.request_id = f"{self.rng.getrandbits(128):032x}"
        self.csrf = "".join(self.rng.choices(TOKEN_ALPHABET, k=43))
        self.session = f"{self.rng.randrange(10**9):09d}-{self.rng.randrange(10**7):07d}"
        self.tracking = f"{self.rng.getrandbits(64):016X}"
        start = dt.datetime.fromisoformat(state.date.replace("Z", "+00:00"))
        self.rendered_at = start + dt.timedelta(seconds=17 * request_no + self.rng.randint(0, 16))
        self.render_ms = self.rng.randint(18, 240)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _long_date(iso_date: str) -> str:
    day = dt.date.fromisoformat(iso_date)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


class _Renderer:
    """Builds the pages of one state; ``base_url`` only appears where absolute URLs are required."""

    def __init__(self, corpus: Corpus, index: int, base_url: str):
        self.corpus = corpus
        self.state = corpus.states[index]
        self.pages = corpus.pages[index]
        self.live = [p for p in self.pages.values() if p.live]
        self.base_url = base_url
        self.sections = {s.slug: s for s in corpus.sections}

    # Whole pages

    def article(self, page: Page, noise: _Noise) -> str:
        section = self.sections[page.section]
        crumbs = [("Help", "/help?ref_=bc_hub"), (section.title, f"/help/{section.slug}?ref_=bc_sec")]
        article = f"""<article class="help-article" data-article-id="{page.slug}" lang="en">
<h1>{_e(page.title)}</h1>
<p class="last-updated">Last updated: {_long_date(page.last_updated)}</p>
<div class="article-tools"><button type="button" data-action="print">Print this page</button> <button type="button" data-action="share">Share</button></div>
<div class="article-body">
{page.body}
</div>
{self._related(page, noise)}
{self._helpful(page, noise)}
</article>"""
        return self._layout(page.title, page.path, crumbs, page.title, article, noise)

    def hub(self, noise: _Noise) -> str:
        blocks = []
        for section in self.corpus.sections:
            items = self._page_list(section.slug, f"hub_{section.slug}", noise)
            if items:
                blocks.append(f"""<section class="hub-section" id="{section.slug}">
<h2><a href="/help/{section.slug}?ref_=hub_sec&amp;utm_source=helphub">{_e(section.title)}</a></h2>
<p>{_e(section.summary)}</p>
{items}
</section>""")
        content = f"""<div class="hub">
<h1>{_e(self.corpus.tagline)}</h1>
<p class="hub-intro">Rules, guides and requirements for selling on {_e(self.corpus.site_name)}. Start with the Seller Agreement, then read the policies for the way you sell.</p>
{chr(10).join(blocks)}
</div>"""
        return self._layout(self.corpus.tagline, "/help", [], "Help", content, noise)

    def section(self, section: Section, noise: _Noise) -> str:
        content = f"""<div class="section-index">
<h1>{_e(section.title)}</h1>
<p>{_e(section.summary)}</p>
{self._page_list(section.slug, f"sec_{section.slug}", noise)}
</div>"""
        crumbs = [("Help", "/help?ref_=bc_hub")]
        return self._layout(section.title, f"/help/{section.slug}", crumbs, section.title, content, noise)

    def not_found(self, path: str, noise: _Noise) -> str:
        content = """<div class="not-found">
<h1>We can't find that page</h1>
<p>The page you asked for is not available. It may have been moved or retired.</p>
<p><a href="/help?ref_=err_404">Browse the seller help hub</a></p>
</div>"""
        crumbs = [("Help", "/help?ref_=bc_hub")]
        return self._layout("Page not found", path, crumbs, "Page not found", content, noise)

    def sign_in(self, path: str, noise: _Noise) -> str:
        content = f"""<div class="sign-in">
<h1>Sign in to your seller account</h1>
<form method="post" action="/account/sign-in">
<input type="hidden" name="csrf" value="{noise.csrf}">
<input type="hidden" name="return-to" value="{_e(path)}">
<label>Email <input type="email" name="email" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
</div>"""
        return self._layout("Sign in", path, [], "Sign in", content, noise)

    def bot_wall(self, path: str, noise: _Noise) -> str:
        # Chrome-less, like the interstitials CDNs and bot managers serve with a 200.
        image = f"{noise.rng.getrandbits(48):012x}"
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, nofollow">
<title>Robot Check</title>
</head>
<body>
<div class="captcha-box">
<p class="captcha-brand">{_e(self.corpus.site_name)}</p>
<h4>Enter the characters you see below</h4>
<p>We noticed unusual traffic from your network. To keep the help hub available for everyone, please confirm that you are a person by typing the characters shown in the image.</p>
<form method="get" action="/errors/validateCaptcha" name="captcha-form">
<input type="hidden" name="nwm-token" value="{noise.csrf}">
<input type="hidden" name="return-to" value="{_e(path)}">
<img src="/captcha/{image}.jpg" alt="Characters to type" width="200" height="70">
<label for="captcha-answer">Type the characters</label>
<input type="text" id="captcha-answer" name="captcha-answer" autocomplete="off" spellcheck="false">
<button type="submit">Continue</button>
</form>
<p class="captcha-help">Can't read them? <a href="{_e(path)}">Show different characters</a></p>
</div>
</body>
</html>
"""

    def robots(self) -> str:
        return f"""# {self.corpus.site_name} (fictional demo): crawlers are welcome outside seller accounts.
User-agent: *
Disallow: /account/
Allow: /

Sitemap: {self.base_url}/sitemap.xml
"""

    def sitemap(self) -> str:
        newest = max((p.last_updated for p in self.live), default=self.state.date[:10])
        entries = [("/help", newest)]
        for section in self.corpus.sections:
            dates = [p.last_updated for p in self.live if p.section == section.slug]
            if dates:
                entries.append((f"/help/{section.slug}", max(dates)))
        entries += [(p.path, p.last_updated) for p in self.live]
        urls = "\n".join(
            f"  <url><loc>{self.base_url}{path}</loc><lastmod>{day}</lastmod></url>" for path, day in entries
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""

    # Parts

    def _page_list(self, section: str, ref: str, noise: _Noise) -> str:
        pages = [p for p in self.live if p.section == section]
        if not pages:
            return ""
        items = "\n".join(
            f'<li><a href="{p.path}?ref_={ref}_{n}&amp;utm_source=helphub&amp;pd_rd_r={noise.tracking}">'
            f'{_e(p.title)}</a><p class="summary">{_e(p.summary)}</p></li>'
            for n, p in enumerate(pages, start=1)
        )
        return f'<ul class="article-list">\n{items}\n</ul>'

    def _related(self, page: Page, noise: _Noise) -> str:
        others = [p for p in self.live if p.path != page.path]
        chosen = noise.rng.sample(others, k=min(3, len(others)))
        items = "\n".join(
            f'<li><a href="{p.path}?ref_=rel_art_{n}&amp;pd_rd_r={noise.tracking}">{_e(p.title)}</a></li>'
            for n, p in enumerate(chosen, start=1)
        )
        return f"""<aside class="related-articles" aria-label="Related articles">
<h2>Related articles</h2>
<ul>
{items}
</ul>
</aside>"""

    def _helpful(self, page: Page, noise: _Noise) -> str:
        voters = noise.rng.randint(40, 4800)
        return f"""<section class="helpful-widget" data-request-id="{noise.request_id}">
<form method="post" action="/help/feedback">
<input type="hidden" name="csrf" value="{noise.csrf}">
<input type="hidden" name="article" value="{page.slug}">
<p class="helpful-question">Was this helpful?</p>
<button type="submit" name="vote" value="yes">Yes</button>
<button type="submit" name="vote" value="no">No</button>
<p class="helpful-count">{voters:,} sellers found this helpful</p>
</form>
</section>"""

    def _layout(
        self, title: str, path: str, crumbs: list[tuple[str, str]], current: str, content: str, noise: _Noise
    ) -> str:
        nav = "\n".join(
            f'<li><a href="/help/{s.slug}?ref_=hdr_nav&amp;utm_source=helphub">{_e(s.title)}</a></li>'
            for s in self.corpus.sections
        )
        trail = "".join(f'<li><a href="{href}">{_e(label)}</a></li>' for label, href in crumbs)
        breadcrumbs = (
            (
                f'<nav class="breadcrumbs" aria-label="Breadcrumb"><ol>{trail}'
                f'<li aria-current="page">{_e(current)}</li></ol></nav>'
            )
            if crumbs
            else ""
        )
        rendered = noise.rendered_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{noise.csrf}">
<title>{_e(title)} | {_e(self.corpus.site_name)} Seller Help</title>
<link rel="canonical" href="{self.base_url}{path}">
<script>window.nwm = {{"requestId": "{noise.request_id}", "renderedAt": "{noise.rendered_at.isoformat()}"}};</script>
</head>
<body data-request-id="{noise.request_id}">
<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookie preferences" data-consent-id="{noise.tracking}">
<p>{_e(self.corpus.site_name)} uses cookies to keep you signed in, remember your settings and understand how the help hub is used. You can accept all cookies or keep only the essential ones.</p>
<form method="post" action="/account/cookie-consent">
<input type="hidden" name="csrf" value="{noise.csrf}">
<button type="submit" name="consent" value="all">Accept all</button>
<button type="submit" name="consent" value="essential">Essential only</button>
</form>
<a href="/account/cookie-preferences?ref_=ck_banner">Customise</a>
</div>
<header class="site-header">
<a class="logo" href="/help?ref_=hdr_logo">{_e(self.corpus.site_name)} <span>{_e(self.corpus.tagline)}</span></a>
<nav class="site-nav" aria-label="Help sections"><ul>
{nav}
</ul></nav>
<a class="account-link" href="/account/settings?ref_=hdr_acct">Your seller account</a>
</header>
<main id="help-content" data-request-id="{noise.request_id}">
{breadcrumbs}
{content}
</main>
<footer class="site-footer">
<nav class="footer-links"><a href="/help?ref_=ftr_help">Help hub</a> · <a href="/help/policies/seller-agreement?ref_=ftr_sa">Seller Agreement</a> · <a href="/account/cookie-preferences?ref_=ftr_ck">Cookie preferences</a> · <a href="/sitemap.xml">Site map</a></nav>
<p class="legal">© 2026 {_e(self.corpus.site_name)} Services Ltd. {_e(self.corpus.site_name)} is a fictional marketplace; its pages exist only to demonstrate policywatch.</p>
<p class="render-info">Page rendered at {rendered} in {noise.render_ms} ms · request {noise.request_id[:12]}</p>
</footer>
</body>
</html>
"""


# --- serving ----------------------------------------------------------------


class DemoServer:
    """Serves one dated state of the corpus on loopback; :meth:`set_state` switches states."""

    def __init__(self, corpus_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.corpus = load_corpus(corpus_dir)
        self.states: list[State] = list(self.corpus.states)
        self.host, self.port = host, port
        self.requests: collections.Counter[str] = collections.Counter()  # path (no query) -> count
        self._index = 0
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("DemoServer has no address yet: call start() or use it in a `with` block")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    @property
    def state(self) -> State:
        return self.states[self._index]

    def set_state(self, index_or_name: int | str) -> None:
        """Serve ``states[index]`` (0-based) or the named state from the next request on."""
        if isinstance(index_or_name, int):
            if not 0 <= index_or_name < len(self.states):
                raise IndexError(f"demo state index {index_or_name} is out of range: use 0..{len(self.states) - 1}")
            index = index_or_name
        else:
            names = [s.name for s in self.states]
            if index_or_name not in names:
                raise KeyError(f"unknown demo state {index_or_name!r}: use one of {names}")
            index = names.index(index_or_name)
        with self._lock:
            self._index = index

    def start(self) -> DemoServer:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # quick stop()
            name="demo-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def respond(self, target: str) -> Response:
        """The response to ``GET target`` in the current state; counts the request."""
        parts = urlsplit(target)
        path = parts.path or "/"
        with self._lock:
            index = self._index
            self.requests[path] += 1
            request_no = self.requests[path]
        renderer = _Renderer(self.corpus, index, self.base_url)
        noise = _Noise(renderer.state, path, request_no)

        if path != "/" and path.endswith("/"):
            query = f"?{parts.query}" if parts.query else ""
            return self._redirect(path.rstrip("/") + query)
        if path == "/":
            return self._redirect("/help")
        if path == "/robots.txt":
            return Response(200, renderer.robots().encode(), "text/plain; charset=utf-8")
        if path == "/sitemap.xml":
            return Response(200, renderer.sitemap().encode(), "application/xml; charset=utf-8")
        if path == "/help":
            return self._page(200, renderer.hub(noise), noise)
        if path == "/account" or path.startswith("/account/"):
            return self._page(200, renderer.sign_in(path, noise), noise)
        section = renderer.sections.get(path.removeprefix("/help/"))
        if section is not None:
            return self._page(200, renderer.section(section, noise), noise)
        page = renderer.pages.get(path)
        if page is not None and page.live:
            if page.bot_wall:
                return self._page(200, renderer.bot_wall(path, noise), noise)
            return self._page(200, renderer.article(page, noise), noise)
        if path == "/errors/validateCaptcha":  # no answer is ever right: the wall lifts with the state
            return self._page(200, renderer.bot_wall("/help", noise), noise)
        return self._page(404, renderer.not_found(path, noise), noise)

    def _page(self, status: int, text: str, noise: _Noise) -> Response:
        body = text.encode("utf-8")
        return Response(
            status,
            body,
            headers=(
                # A dynamic page: the ETag hashes the rendered bytes, so it changes with the noise.
                ("ETag", f'"{hashlib.sha256(body).hexdigest()[:32]}"'),
                ("Cache-Control", "private, no-cache"),
                ("Set-Cookie", f"nwm-session={noise.session}; Path=/; HttpOnly; SameSite=Lax"),
                ("X-Request-Id", noise.request_id),
            ),
        )

    def _redirect(self, location: str) -> Response:
        return Response(301, b"", headers=(("Location", self.base_url + location),))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, demo: DemoServer):
        self.demo = demo
        super().__init__(address, handler)

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # the client hung up: not our problem
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive without a ~40 ms stall per request
    server_version = "NorthwindHelp/1.0"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._send(self.server.demo.respond(self.path), with_body=True)

    def do_HEAD(self) -> None:
        self._send(self.server.demo.respond(self.path), with_body=False)

    def do_POST(self) -> None:
        # Forms on the pages post here; the demo takes no input. Drain the body so that
        # the kept-alive connection stays usable.
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(Response(405, b"", headers=(("Allow", "GET, HEAD"),)), with_body=True)

    def _send(self, response: Response, with_body: bool) -> None:
        # Conditional headers are ignored on purpose: dynamic pages never answer 304.
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        pass  # one line per request would drown test and demo output


# --- command line -----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kb.demo.server", description="Serve the fictional Northwind Market help hub on loopback."
    )
    parser.add_argument(
        "--state", default="1", help="state to serve: its number in corpus/README.md (1 = baseline) or its name"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--list", action="store_true", help="print the states and exit")
    args = parser.parse_args(argv)

    server = DemoServer(host=args.host, port=args.port)
    if args.list:
        for number, state in enumerate(server.states, start=1):
            print(f"{number}  {state.name:<28} {state.date}  {state.description}")
        return 0
    try:
        server.set_state(int(args.state) - 1 if args.state.isdigit() else args.state)
    except (IndexError, KeyError) as error:
        parser.error(f"--state {args.state}: {error.args[0]}; --list shows the states")
    with server:
        state = server.state
        print(
            f"Northwind Market demo at {server.base_url}/help "
            f"(state {server.states.index(state) + 1}: {state.name}, {state.date})"
        )
        print("Type a state number or name and Enter to switch; Ctrl-C stops.", flush=True)
        try:
            for line in sys.stdin:
                choice = line.strip()
                if not choice:
                    continue
                try:
                    server.set_state(int(choice) - 1 if choice.isdigit() else choice)
                    print(f"now serving {server.state.name} ({server.state.date})", flush=True)
                except (IndexError, KeyError) as error:
                    print(error.args[0], flush=True)
            threading.Event().wait()  # stdin closed (e.g. run in the background): keep serving
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
