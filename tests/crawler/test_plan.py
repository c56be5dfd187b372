"""The crawl plan and the spider's decisions, without a reactor or a network."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.plan import CrawlPlan, Page, Target
from crawler.spiders.policy import PolicySpider, moved
from diffs.combine import unpack
from diffs.extract import Rules
from kb.sources import DiscoverRule, load_sources

NOW = "2026-01-01T00:00:00Z"
SOURCES = """
marketplace: m
name: M
defaults:
  select: ["#full-help-page"]
documents:
  - id: js
    title: JS
    url: https://m.example/help/js
    type: policy
    render: browser
    select: ["#full-help-page", {start_after: "#toc", end_before: "footer"}]
  - id: plain
    title: Plain
    url: https://m.example/help/plain
    type: policy
  - id: both
    title: Both
    type: agreement
    pages:
      - url: https://m.example/a
      - url: https://m.example/b
discover:
  - from: https://m.example/help
    follow: ["^https://m\\\\.example/help/[a-z]+$"]
    render: browser
"""


@pytest.fixture
def sources(tmp_path):
    (tmp_path / "m.yaml").write_text(SOURCES)
    return load_sources(tmp_path)


def spider_for(plan: CrawlPlan) -> PolicySpider:
    crawler = get_crawler(PolicySpider, {"POLICYWATCH_FIXED_TIME": NOW})
    return PolicySpider.from_crawler(crawler, plan=plan)


def started(spider: PolicySpider) -> list:
    async def collect():
        return [x async for x in spider.start()]

    return asyncio.run(collect())


def response(request: Request, body: str = "<p>x</p>", status: int = 200, url: str | None = None, **headers):
    return HtmlResponse(
        url or request.url, body=body.encode(), status=status, request=request, encoding="utf-8", headers=headers
    )


def test_plan_carries_pages_browser_waits_and_validators(sources):
    validators = {
        ("m/plain", "https://m.example/help/plain"): ('"v1"', None),
        ("m/both", "https://m.example/a"): ('"x"', None),
        ("m/found", "https://m.example/help/found"): (None, "Wed, 01 Apr 2026 08:00:00 GMT"),
    }
    plan = CrawlPlan.from_sources(sources, [("m/found", "https://m.example/help/found")], validators)
    targets = {t.doc_id: t for t in plan.targets}
    assert targets["m/js"].fetches == (
        Page("https://m.example/help/js", True, ("#full-help-page",), ("#toc", "footer")),
    )
    assert targets["m/plain"].etag == '"v1"' and not targets["m/plain"].browser
    assert targets["m/both"].combined and targets["m/both"].etag is None  # fetched whole, never conditionally
    assert targets["m/found"].discovered and targets["m/found"].browser  # its rule renders
    assert targets["m/found"].last_modified == "Wed, 01 Apr 2026 08:00:00 GMT"
    assert plan.needs_browser() and {t.doc_id for t in plan.browser_targets()} == {"m/js", "m/found"}


def test_requests_are_conditional_or_rendered(sources):
    pytest.importorskip("scrapy_playwright")
    plan = CrawlPlan.from_sources(sources, validators={("m/plain", "https://m.example/help/plain"): ('"v1"', "then")})
    requests = {r.url: r for r in started(spider_for(plan)) if isinstance(r, Request)}
    plain = requests["https://m.example/help/plain"]
    assert plain.headers[b"If-None-Match"] == b'"v1"' and plain.headers[b"If-Modified-Since"] == b"then"
    assert plain.meta["conditional"] is True and "playwright" not in plain.meta
    js = requests["https://m.example/help/js"]
    assert js.meta["playwright"] is True and b"If-None-Match" not in js.headers
    [wait] = js.meta["playwright_page_methods"]
    assert wait.method == "wait_for_function"
    assert wait.kwargs["arg"][:2] == [["#full-help-page"], ["#toc", "footer"]]
    assert [requests[u].meta["part"] for u in ("https://m.example/a", "https://m.example/b")] == [0, 1]


def test_without_a_browser_those_documents_fail_at_once_and_the_rest_is_fetched(sources):
    plan = CrawlPlan.from_sources(sources, [("m/found", "https://m.example/help/found")])
    plan.browser_unavailable = "no Chromium at /usr/bin/chromium: install it"
    out = started(spider_for(plan))
    failures = {i["doc_id"]: i["reason"] for i in out if isinstance(i, dict)}
    assert failures == {
        "m/js": "needs a browser (render: browser), but no Chromium at /usr/bin/chromium: install it",
        "m/found": "needs a browser (render: browser), but no Chromium at /usr/bin/chromium: install it",
    }
    assert {r.url for r in out if isinstance(r, Request)} == {
        "https://m.example/help/plain",
        "https://m.example/a",
        "https://m.example/b",
        "https://m.example/help",
    }


def test_a_304_to_a_conditional_request_is_an_unchanged_check():
    plan = CrawlPlan(targets=[Target("m/p", "https://m.example/p", etag='"1"')], hubs=[])
    spider = spider_for(plan)
    request = spider._document_request("m/p", "https://m.example/p", target=plan.targets[0])
    [item] = spider.parse_document(response(request, "", status=304))
    assert item == {"kind": "not-modified", "doc_id": "m/p", "url": "https://m.example/p", "checked_at": NOW}
    plain = spider._document_request("m/p", "https://m.example/p")
    [item] = spider.parse_document(response(plain, "", status=304))
    assert item["kind"] == "snapshot" and item["status"] == 304  # not asked for: the recorder judges it


@pytest.mark.parametrize(
    "requested, final, is_moved",
    [
        ("https://m.example/help/a", "https://m.example/help/a/", False),
        ("http://m.example/help/a", "https://www.m.example/help/a", False),
        ("https://m.example/x/G1791?locale=en-US", "https://m.example/x/G1791?locale=en-US&ref=nav", False),
        ("https://m.example/x/G1791?locale=en-US", "https://m.example/x/G1791?locale=de-DE", True),
        ("https://m.example/help/a", "https://m.example/help/b", True),
        ("https://m.example/help/a", "https://other.example/help/a", True),
        ("https://m.example/help/a", "https://m.example/ap/signin?openid.return_to=x", False),  # the recorder names it
        ("https://m.example/help/a", "https://m.example/errors/validateCaptcha", False),  # a wall: recorded as one
        # 1d3: interstitials that carry the page asked for, or whose path says block/verify, are walls
        ("https://m.example/help/a", "https://m.example/blocked?url=aHR0cHM6Ly9tLmV4YW1wbGUvaGVscC9h&g=b", False),
        ("https://m.example/help/a", "https://m.example/ap/cvf/request?arb=1f2e", False),
        ("https://m.example/help/a", "https://m.example/access-denied", False),
        ("https://m.example/help/a", "https://m.example/gate?return=%2Fhelp%2Fa", False),
        ("https://m.example/help/a", "https://m.example/verify-human?id=9", False),
        ("https://m.example/help/a", "https://m.example/help/blocked-items", True),  # a page about blocking
    ],
)
def test_moved_means_another_page_not_another_spelling(requested, final, is_moved):
    assert moved(requested, final) is is_moved


def test_a_redirect_elsewhere_is_reported_not_stored():
    plan = CrawlPlan(
        targets=[Target("m/p", "https://m.example/p"), Target("m/d", "https://m.example/d", discovered=True)], hubs=[]
    )
    spider = spider_for(plan)
    for doc_id, outcome in (("m/p", "failed"), ("m/d", "gone")):
        url = f"https://m.example/{doc_id[-1]}"
        request = spider._document_request(doc_id, url).replace(
            meta={**spider._document_request(doc_id, url).meta, "redirect_urls": [url]}
        )
        [item] = spider.parse_document(response(request, url="https://m.example/elsewhere"))
        assert item["kind"] == "failure" and item["outcome"] == outcome
        assert item["reason"].startswith(f"moved: {url} now redirects to https://m.example/elsewhere")


def test_the_pages_of_a_combined_document_become_one_snapshot(sources):
    plan = CrawlPlan.from_sources(sources)
    spider = spider_for(plan)
    a, b = (r for r in started(spider) if isinstance(r, Request) and "part" in r.meta)
    assert (
        list(spider.parse_document(response(b, "<p>annex</p>", **{"Content-Type": "text/html; charset=utf-8"}))) == []
    )
    [item] = spider.parse_document(response(a, "<p>main</p>"))
    assert item["kind"] == "snapshot" and item["url"] == "https://m.example/a" and item["status"] == 200
    assert [(p.url, p.body) for p in unpack(item["body"])] == [
        ("https://m.example/a", b"<p>main</p>"),
        ("https://m.example/b", b"<p>annex</p>"),
    ]


def test_one_failing_page_fails_the_combined_document_once(sources):
    spider = spider_for(CrawlPlan.from_sources(sources))
    a, b = (r for r in started(spider) if isinstance(r, Request) and "part" in r.meta)
    [failure] = spider.parse_document(response(a, url="https://m.example/moved-away"))
    assert failure["kind"] == "failure" and failure["url"] == "https://m.example/a"
    assert list(spider.parse_document(response(b))) == []


def test_a_sitemap_index_leads_to_sitemaps_and_their_pages_to_documents():
    rule = DiscoverRule(
        marketplace="m",
        start_url="https://m.example/sitemap.xml",
        follow=(r"^https://m\.example/legal/[a-z]+$",),
        depth=1,
        doc_type="agreement",
        rules=Rules(),
        file="m.yaml",
        sitemap=True,
    )
    spider = spider_for(CrawlPlan(targets=[], hubs=[rule], known={}))
    index = TextResponse(
        "https://m.example/sitemap.xml",
        request=Request("https://m.example/sitemap.xml", meta={"hub": 0, "depth": 0}),
        body=b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://m.example/sitemap-legal.xml</loc></sitemap></sitemapindex>",
    )
    [child] = spider.parse_sitemap(index)
    assert child.url == "https://m.example/sitemap-legal.xml"
    urlset = TextResponse(
        child.url,
        request=child,
        body=b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://m.example/legal/terms</loc></url>"
        b"<url><loc>https://m.example/blog/post</loc></url></urlset>",
    )
    out = list(spider.parse_sitemap(urlset))
    assert [(i["doc_id"], i["doc_type"]) for i in out if isinstance(i, dict)] == [("m/terms", "agreement")]
    assert [r.url for r in out if isinstance(r, Request)] == ["https://m.example/legal/terms"]


def test_known_discovered_pages_not_linked_any_more_are_checked_at_the_end():
    plan = CrawlPlan(
        targets=[Target("m/old", "https://m.example/help/old", discovered=True)],
        hubs=[],
        known={"https://m.example/help/old": "m/old"},
    )
    spider = spider_for(plan)
    assert started(spider) == []  # waits for its hub

    class Engine:
        crawled: list = []

        def crawl(self, request):
            self.crawled.append(request)

    spider.crawler.engine = Engine()
    with pytest.raises(DontCloseSpider):
        spider.spider_idle()
    assert [r.url for r in Engine.crawled] == ["https://m.example/help/old"]
    spider.spider_idle()  # nothing left: the crawl may end


def test_chromium_detection_and_reasons(tmp_path):
    from crawler.browser import browser_unavailable, find_chromium

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_chromium(str(fake)) == str(fake)
    assert find_chromium(str(tmp_path / "missing")) is None
    if importlib.util.find_spec("scrapy_playwright") is not None:
        assert browser_unavailable(str(fake)) is None
        assert browser_unavailable(str(tmp_path / "missing")) == (
            f"no Chromium at {tmp_path / 'missing'}: install Debian's browser (sudo apt-get install chromium) "
            "or point POLICYWATCH_CHROMIUM at a Chromium binary"
        )


def test_crawl_config_is_strict_and_environment_wins(tmp_path, monkeypatch):
    from kb.errors import DeclarationError
    from kb.sources.config import load_config

    monkeypatch.delenv("POLICYWATCH_CONTACT", raising=False)
    (tmp_path / "crawl.yaml").write_text("contact: mailto:ops@example.org\n")
    assert load_config(tmp_path).user_agent.endswith("(+mailto:ops@example.org; seller-policy change tracker)")
    monkeypatch.setenv("POLICYWATCH_CONTACT", "https://example.org/about-our-crawler")
    assert "+https://example.org/about-our-crawler;" in load_config(tmp_path).user_agent
    (tmp_path / "crawl.yaml").write_text("contakt: x\n")
    with pytest.raises(DeclarationError, match="crawl.yaml: contakt: unknown key"):
        load_config(tmp_path)
    (tmp_path / "crawl.yaml").unlink()
    monkeypatch.setenv("POLICYWATCH_CONTACT", "call me maybe")
    with pytest.raises(DeclarationError, match="contact 'call me maybe' is not a URL or mailto: address"):
        load_config(Path(tmp_path))
