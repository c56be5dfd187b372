"""The spider's parsing, without a reactor or a network (Scrapy's own testing style)."""

import gzip
import logging

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import ScopeGuard
from crawler.plan import CrawlPlan, Target
from crawler.spiders.policy import PolicySpider
from diffs.extract import Rules
from kb.sources import DiscoverRule

HUB = DiscoverRule(
    marketplace="shop",
    start_url="https://shop.example/help",
    follow=(r"^https://shop\.example/help/[a-z-]+$",),
    depth=1,
    doc_type="help",
    rules=Rules(),
    file="shop.yaml",
)


def spider_with(plan: CrawlPlan) -> PolicySpider:
    crawler = get_crawler(PolicySpider, {"POLICYWATCH_FIXED_TIME": "2026-01-01T00:00:00Z"})
    return PolicySpider.from_crawler(crawler, plan=plan)


def make_plan():
    return CrawlPlan(
        targets=[Target("shop/fees", "https://shop.example/help/fees")],
        hubs=[HUB],
        known={"https://shop.example/help/fees": "shop/fees"},
        allowed_hosts=frozenset({"shop.example"}),
    )


def response(url, body, status=200, meta=None):
    request = Request(url, meta=meta or {})
    return HtmlResponse(url, body=body.encode(), status=status, request=request, encoding="utf-8")


def test_hub_links_in_scope_become_documents_with_stable_ids():
    spider = spider_with(make_plan())
    page = response(
        "https://shop.example/help",
        """
        <a href="/help/fees?ref_=nav">Fees</a>
        <a href="/help/late-shipment?utm_source=x">Late shipment</a>
        <a href="/help/late-shipment#top">Again</a>
        <a href="https://elsewhere.example/help/x">Off site</a>
        <a href="mailto:help@shop.example">Mail</a>
        <a href="/account/settings">Account</a>""",
        meta={"hub": 0, "depth": 0},
    )
    out = list(spider.parse_hub(page))
    found = [item for item in out if isinstance(item, dict)]
    requests = [r for r in out if isinstance(r, Request)]
    assert [f["doc_id"] for f in found] == ["shop/late-shipment"]
    assert found[0]["title"] == "Late shipment" and found[0]["url"] == "https://shop.example/help/late-shipment"
    assert [r.url for r in requests] == ["https://shop.example/help/late-shipment"]
    assert requests[0].meta["doc_id"] == "shop/late-shipment"


def test_document_response_becomes_a_snapshot_item_whatever_the_status():
    spider = spider_with(make_plan())
    page = response(
        "https://shop.example/help/fees", "gone", status=404, meta={"doc_id": "shop/fees", "hub": None, "depth": 0}
    )
    [item] = list(spider.parse_document(page))
    assert item["kind"] == "snapshot" and item["status"] == 404
    assert item["fetched_at"] == "2026-01-01T00:00:00Z" and item["body"] == b"gone"


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://shop.example/help/fees", True),
        ("https://elsewhere.example/x", False),
        ("http://127.0.0.1:9/x", False),
    ],
)
def test_scope_guard_keeps_requests_on_declared_hosts(url, allowed):
    spider = spider_with(make_plan())
    guard = ScopeGuard()
    if allowed:
        assert guard.process_request(Request(url), spider) is None
    else:
        with pytest.raises(IgnoreRequest, match="out of scope"):
            guard.process_request(Request(url), spider)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(gzip.compress(b"\0" * (3 << 20)), id="gzip-bomb"),  # 3 MB of zeros in 3 KB
        pytest.param(b"\x1f\x8b\x08\x00garbage", id="broken-gzip"),
    ],
)
def test_a_sitemap_that_cannot_be_read_is_one_warning_line(body, caplog):
    # 3j: decompression is bounded; a refused sitemap is reported in one line, the crawl goes on.
    crawler = get_crawler(PolicySpider, {"POLICYWATCH_FIXED_TIME": "2026-01-01T00:00:00Z", "DOWNLOAD_MAXSIZE": 1 << 20})
    spider = PolicySpider.from_crawler(crawler, plan=make_plan())
    request = Request("https://shop.example/sitemap.xml.gz", meta={"hub": 0, "depth": 0})
    page = Response("https://shop.example/sitemap.xml.gz", body=body, request=request)
    with caplog.at_level(logging.WARNING):
        assert list(spider.parse_sitemap(page)) == []
    [line] = [r.getMessage() for r in caplog.records if "sitemap" in r.getMessage()]
    assert line.startswith("sitemap https://shop.example/sitemap.xml.gz refused: ") and "\n" not in line


def test_a_sitemap_index_listing_addresses_no_request_can_take_skips_them(caplog):
    # Issue 16, point 2: a sitemap is a page's own words; an address with port 99999 or an
    # unclosed IPv6 bracket is skipped with a warning, the good one is still followed.
    index = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://shop.example:99999/a.xml</loc></sitemap>"
        b"<sitemap><loc>http://[::1/b.xml</loc></sitemap>"
        b"<sitemap><loc>https://shop.example/c.xml</loc></sitemap></sitemapindex>"
    )
    spider = spider_with(make_plan())
    request = Request("https://shop.example/sitemap.xml", meta={"hub": 0, "depth": 0})
    page = Response("https://shop.example/sitemap.xml", body=index, request=request)
    with caplog.at_level(logging.WARNING):
        followed = [r.url for r in spider.parse_sitemap(page)]
    assert followed == ["https://shop.example/c.xml"]
    assert sum("not an address to fetch; skipped" in r.getMessage() for r in caplog.records) == 2


def test_a_sitemap_page_with_a_bad_port_is_not_discovered():
    urlset = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://shop.example:99999/help/returns</loc></url>"
        b"<url><loc>https://shop.example/help/returns</loc></url></urlset>"
    )
    spider = spider_with(make_plan())
    request = Request("https://shop.example/sitemap.xml", meta={"hub": 0, "depth": 0})
    page = Response("https://shop.example/sitemap.xml", body=urlset, request=request)
    found = [r["url"] for r in spider.parse_sitemap(page) if isinstance(r, dict)]
    assert found == ["https://shop.example/help/returns"]


def test_a_hub_link_that_cannot_be_joined_does_not_stop_the_others():
    hub = HtmlResponse(
        "https://shop.example/help",
        body=b'<a href="http://[::1">bad</a><a href="/help/returns">Returns</a>',
        request=Request("https://shop.example/help", meta={"hub": 0, "depth": 0}),
    )
    spider = spider_with(make_plan())
    found = [r["url"] for r in spider._follow(hub, 0, 0) if isinstance(r, dict)]
    assert found == ["https://shop.example/help/returns"]
