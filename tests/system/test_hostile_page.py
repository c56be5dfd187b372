"""A hostile marketplace page, crawled for real and published: nothing from it runs.

A loopback server plays a help centre whose page carries script elements, event handlers,
``javascript:`` and ``data:`` links, markup that imitates Markdown, unclosed tags, and text
that *reads* as HTML; its hub gives a discovered page a title that tries to close ``<title>``.
The page changes between two crawls, so the hostile text also reaches a diff and the feeds.
Every script would set ``window.__pwned`` (or the title, or open a dialog, or fetch
``/beacon`` from the crawled server). The built site is checked statically, then opened in
headless Chromium: no script from the content ran and nothing was fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import feedparser
import lxml.etree
import lxml.html
import pytest
import yaml

from kb.pipeline import crawl, publish
from kb.publish.urls import version_file
from kb.sources import load_sources
from kb.store import Store
from tests.support.browser import Watch, browser_missing, chromium, serve
from tests.support.pagefind import pagefind_records

pytestmark = pytest.mark.slow

MARKET = "hostile"
PWN = "window.__pwned"

PAGE = """<!doctype html>
<html><head><title>Selling fees</title><script>{pwn}='head'</script>
<base href="javascript:{pwn}='base'//"></head>
<body onload="{pwn}='onload'">
<main>
<h1>Selling fees <script>{pwn}='h1'</script></h1>
<p>The referral fee is {fee} of the sale price <img src="/beacon?img" onerror="{pwn}='img'">.</p>
<p onclick="{pwn}='click'" onmouseover="{pwn}='hover'">Fees are charged when an order ships.</p>
<p>Read <a href="javascript:{pwn}='link'">the fee schedule</a>,
 <a href=" JaVaScRiPt:{pwn}='mixed'">the details</a> or
 <a href="data:text/html,&lt;script&gt;{pwn}='data'&lt;/script&gt;">the annex</a>.</p>
<p>Shown as text: &lt;script&gt;{pwn}='text'&lt;/script&gt; and
 &lt;img src=/beacon?text onerror={pwn}='textimg'&gt; and &lt;/title&gt;&lt;script&gt;{pwn}=1&lt;/script&gt;</p>
<p>Looks like Markdown: [click](javascript:{pwn}='md') ![pixel](/beacon?md) &lt;https://evil.invalid/x&gt;</p>
<p>{extra}</p>
<iframe src="/beacon?iframe"></iframe><object data="/beacon?object"></object>
<svg><script>{pwn}='svg'</script><a href="javascript:{pwn}='svglink'"><text>svg</text></a></svg>
<style>main {{ background: url(/beacon?css) }}</style>
<form action="/beacon?form"><input name="q" autofocus onfocus="{pwn}='focus'"></form>
<div><p>Broken markup: <b>bold <i>never closed
<table><tr><td>cell <td>cell two</table>
<p>`<b>code</b>` and <code>&lt;script&gt;{pwn}='code'&lt;/script&gt;</code></p>
<pre>&lt;script&gt;{pwn}='pre'&lt;/script&gt;</pre>
</main>
<script>{pwn}='body'; document.title='PWNED'; alert('pwned')</script>
</body></html>"""
STATES = [
    {"fee": "15%", "extra": "Payouts are weekly."},
    {
        "fee": "20%",
        "extra": "New: &lt;script&gt;alert('diff')&lt;/script&gt; <script>alert('diff')</script> payouts are monthly.",
    },
]
HUB = """<!doctype html><html><head><title>Help</title></head><body><main>
<a href="/help/returns">Returns &lt;/title&gt;&lt;script&gt;{pwn}='title'&lt;/script&gt; policy</a>
</main></body></html>"""
RETURNS = """<!doctype html><html><head><title>Returns</title></head><body><main>
<h1>Returns</h1><p>Buyers may return items within 30 days.</p></main></body></html>"""
# What a reader sees of the hostile text, kept as text in the site.
SHOWN = ["<script>window.__pwned='text'</script>", "[click](javascript:window.__pwned='md')"]


class HostileSite:
    """Serves the hostile help centre in one state at a time; counts hits on /beacon."""

    def __init__(self) -> None:
        self.state = 0
        self.beacons: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                site.answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        if path == "/beacon":
            self.beacons.append(request.path)
        pages = {
            "/help": HUB.format(pwn=PWN),
            "/help/returns": RETURNS,
            "/help/fees": PAGE.format(pwn=PWN, **STATES[self.state]),
        }
        body = pages.get(path)
        request.send_response(200 if body else 404)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.end_headers()
        request.wfile.write((body or "not found").encode())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def declaration(base: str) -> dict:
    return {
        "marketplace": MARKET,
        "name": "Hostile (loopback test)",
        "allow_private_addresses": True,
        "defaults": {"select": ["main"]},
        "documents": [{"id": "selling-fees", "title": "Selling fees", "url": f"{base}/help/fees", "type": "fees"}],
        "discover": [{"from": f"{base}/help", "follow": [re.escape(base) + r"/help/returns$"], "type": "returns"}],
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile-home")
    folder = tmp_path_factory.mktemp("hostile-sources")
    hostile = HostileSite()
    try:
        (folder / f"{MARKET}.yaml").write_text(yaml.safe_dump(declaration(hostile.base)))
        sources = load_sources(folder)
        for state, when in enumerate(("2026-08-03T06:00:00Z", "2026-08-10T06:00:00Z")):
            hostile.state = state
            crawl(home, sources, fast=True, fixed_time=when)
        with Store(home) as store:
            changes = store.changes()
            titles = {d.doc_id: d.title for d in store.documents()}
            versions = store.versions(f"{MARKET}/selling-fees")
        crawl_beacons = list(hostile.beacons)
        result = publish(home)
        yield home, result, changes, titles, hostile, crawl_beacons, versions
    finally:
        hostile.close()


def test_the_hostile_page_was_crawled_and_changed(published):
    _, result, changes, titles, _, crawl_beacons, versions = published
    assert crawl_beacons == []  # the crawler fetches documents, never what a page embeds
    assert [c.doc_id for c in changes] == [f"{MARKET}/selling-fees"]
    assert "</title><script>" in titles[f"{MARKET}/returns"]  # the title came from the hub
    doc = result.site_dir / "documents" / MARKET / "selling-fees" / "index.html"
    text = lxml.html.fromstring(doc.read_bytes()).text_content()
    for shown in SHOWN:
        assert shown in text, shown  # hostile text is there, as text
    assert len(versions) == 2
    for version in versions:  # each version's text is published, verifiably
        published_text = (result.site_dir / version_file(version)).read_bytes()
        assert hashlib.sha256(published_text).hexdigest() == version.text_sha256


def _inert(tree, where: str) -> None:
    """No element that loads or runs anything in the content, no handler, no script URL."""
    for content in tree.xpath("//article") or [tree]:
        found = content.xpath(
            ".//iframe | .//object | .//embed | .//base | .//frame | .//form"
            " | .//svg | .//img | .//meta | .//style | .//script | .//input"
        )
        assert not found, f"{where}: {[e.tag for e in found]}"
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: <{element.tag} {name}=…>"
            cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
            assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), f"{where}: {name}={value}"


def test_built_html_has_no_markup_from_the_page(published):
    result = published[1]
    site = result.site_dir
    theme_scripts = len(lxml.html.fromstring((site / "404.html").read_bytes()).xpath("//script"))
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    for path in pages:
        raw = path.read_text(encoding="utf-8")
        tree = lxml.html.fromstring(raw)
        _inert(tree, str(path))
        scripts = tree.xpath("//script")
        assert len(scripts) == theme_scripts, path  # the theme's own, nothing more
        for script in scripts:
            assert "__pwned" not in (script.text or "") and "alert" not in (script.text or "")
        assert "PWNED" not in tree.findtext(".//title")
        assert "<script" not in tree.findtext(".//title")
    for record in pagefind_records(site):  # text, not HTML: a browser search is below
        assert "<" not in record["meta"]["title"], record["meta"]


def test_feeds_carry_the_change_without_any_markup_from_the_page(published):
    result = published[1]
    site = result.site_dir
    feeds = [site / "feed.xml", site / "feed.atom.xml", site / "feeds" / "documents" / MARKET / "selling-fees.xml"]
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0 and len(parsed.entries) == 1, path
        body = lxml.html.fragment_fromstring(parsed.entries[0].description, create_parent="div")
        _inert(body, str(path))
        assert not body.xpath("//script")
        assert "<script>alert('diff')</script>" in body.text_content()
    items = json.loads((site / "feed.json").read_text())["items"]
    body = lxml.html.fragment_fromstring(items[0]["content_html"], create_parent="div")
    _inert(body, "feed.json")
    root = lxml.etree.fromstring((site / "feed.xml").read_bytes())
    assert all("<" not in title for title in root.xpath("//item/title/text()"))


@pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")
def test_nothing_from_the_page_runs_in_a_browser(published):
    _, result, changes, _, hostile, _, versions = published
    site = result.site_dir
    beacons_before = len(hostile.beacons)
    doc = f"documents/{MARKET}/selling-fees/"
    stamp = re.sub(r"[-:]", "", changes[0].detected_at)
    text_url = version_file(versions[-1])
    urls = [
        "",
        doc,
        f"{doc}#change-{stamp}",
        f"documents/{MARKET}/returns/",
        "changes/",
        f"marketplaces/{MARKET}/",
        text_url,
    ]
    with serve(site) as base, chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        watch = Watch(base)
        watch.attach(page)
        for url in urls:
            page.goto(base + url)
            page.wait_for_load_state("load")
            page.mouse.move(200, 300)  # hover handlers would fire now
            # Unchanged text folded away in a diff is one click from the reader: open every fold.
            page.evaluate("document.querySelectorAll('article details').forEach(d => { d.open = true; })")
            for paragraph in page.locator("article p").all()[:40]:
                if paragraph.is_visible():  # a user cannot point at what the page does not show
                    paragraph.hover()
            pwned = page.evaluate("window.__pwned")
            assert pwned is None, f"{url}: {pwned}"
            assert "PWNED" not in page.title(), url
        # The search shows the hostile text as text, in its excerpt and on the page it opens.
        page.goto(base + "search/?q=" + quote("shown as text"))
        page.wait_for_selector("a.pagefind-ui__result-link", timeout=15_000)
        results = page.locator(".pagefind-ui__results")
        assert "script" in results.inner_text()
        assert results.locator("script, img, iframe, svg").count() == 0
        page.locator("a.pagefind-ui__result-link").first.click()
        page.wait_for_url("**highlight=**")
        page.locator("mark.pagefind-highlight").first.wait_for(timeout=15_000)
        assert page.evaluate("window.__pwned") is None
        page.goto(base + doc)
        for link in page.locator("article a").all():  # a javascript: link would run on click
            href = link.get_attribute("href") or ""
            assert not re.sub(r"\s", "", href).lower().startswith(("javascript:", "data:")), href
        text_page = context.new_page()
        response = text_page.goto(base + text_url)
        assert response.headers["content-type"].startswith("text/plain")
        assert "<script>" in text_page.locator("body").inner_text()  # shown, never parsed
        assert text_page.evaluate("window.__pwned") is None
        context.close()
    watch.assert_clean()
    assert hostile.beacons[beacons_before:] == []
