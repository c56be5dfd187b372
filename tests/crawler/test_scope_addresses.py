"""Only global addresses are in scope unless a declaration allows private ones (probe 2h), and a
URL that cannot be requested fails its own document's check, not the crawl (probe 2e)."""

import asyncio

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from crawler.middlewares import ScopeGuard
from crawler.plan import CrawlPlan, Target
from crawler.spiders.policy import PolicySpider
from kb.sources import is_private_host

NOT_PUBLIC = [
    "100.64.0.1",  # RFC 6598 shared address space (CGNAT)
    "100.100.100.200",  # a cloud metadata endpoint, in it
    "fec0::7",  # IPv6 site-local
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "233.252.0.1",  # globally scoped multicast is still not a web server
    "ff02::1",
    "0.0.0.0",
    "255.255.255.255",
    "240.0.0.1",  # reserved
    "::ffff:10.0.0.7",  # IPv4-mapped
    "2002:a00:7::1",  # 6to4 of 10.0.0.7
    "192.0.0.1",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "0x0a000007",  # numeric forms getaddrinfo reads as 10.0.0.7 or 127.0.0.1
    "167772167",
    "012.0.0.7",
    "10.7",
    "127.1",
    "2130706433",
    "localhost.",
    "LOCALHOST",
]


@pytest.mark.parametrize("host", NOT_PUBLIC)
def test_only_global_addresses_are_public(host):
    assert is_private_host(host)


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:2800:220:1::1", "shop.example", "1password.com"])
def test_global_addresses_and_names_are_public(host):
    assert not is_private_host(host)


@pytest.mark.parametrize("host", ["100.64.0.1", "[fec0::7]", "224.0.0.1", "0x0a000007"])
def test_scope_guard_refuses_non_global_addresses(host):
    plan = CrawlPlan(targets=[], hubs=[], known={}, allowed_hosts=frozenset({host.strip("[]")}))
    crawler = get_crawler(PolicySpider, {"POLICYWATCH_FIXED_TIME": "2026-01-01T00:00:00Z"})
    spider = PolicySpider.from_crawler(crawler, plan=plan)
    with pytest.raises(IgnoreRequest, match="private address"):
        ScopeGuard().process_request(Request(f"http://{host}/x"), spider)


def test_a_url_that_cannot_be_requested_fails_its_document_and_the_others_are_fetched():  # 2e
    plan = CrawlPlan(
        targets=[Target("bad/a", "http://shop.example:99999/a"), Target("good/a", "http://shop.example/a")],
        hubs=[],
        known={},
        allowed_hosts=frozenset({"shop.example"}),
    )
    crawler = get_crawler(PolicySpider, {"POLICYWATCH_FIXED_TIME": "2026-01-01T00:00:00Z"})
    spider = PolicySpider.from_crawler(crawler, plan=plan)

    async def started():
        return [item async for item in spider.start()]

    out = asyncio.run(started())
    failure, request = out
    assert failure["kind"] == "failure" and failure["doc_id"] == "bad/a"
    assert "cannot be requested" in failure["reason"] and "port" in failure["reason"].lower()
    assert isinstance(request, Request) and request.url == "http://shop.example/a"
