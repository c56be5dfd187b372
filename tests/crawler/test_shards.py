"""A crawl fetched by several child processes (``crawler.run.crawl_parts``): politeness stays
per host. Without a delay and with several requests per host allowed (loopback runs), a host
is dealt out between the children, each with its share of the per-host concurrency; otherwise
each host (with the hubs that may find pages on it) is fetched by one child alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler import settings as shipped
from crawler.plan import CrawlPlan, Page, Target
from crawler.run import FAST_SETTINGS, crawl_parts
from kb.pipeline import crawl
from kb.sources import DiscoverRule, load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

POLITE = {"DOWNLOAD_DELAY": 0.2, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_START_DELAY": 0.2}


def target(doc_id: str, url: str, **kwargs) -> Target:
    return Target(doc_id, url, **kwargs)


def hub(marketplace: str, url: str, follow: str) -> DiscoverRule:
    from diffs.extract import Rules

    return DiscoverRule(marketplace, url, (follow,), 1, "policy", Rules(), "x.yaml")


def plan_of(targets, hubs=()) -> CrawlPlan:
    hosts = {t.url.split("/")[2] for t in targets} | {h.start_url.split("/")[2] for h in hubs}
    return CrawlPlan(targets=list(targets), hubs=list(hubs), allowed_hosts=frozenset(hosts))


def polite(**more) -> dict:
    return {"POLICYWATCH_CRAWL_SHARDS": 2, **more}


def test_a_polite_crawl_keeps_each_host_in_one_child_with_its_hubs_and_discovered_pages():
    targets = [target(f"a/{i}", f"https://a.example/{i}") for i in range(4)]
    targets += [target(f"b/{i}", f"https://b.example/{i}") for i in range(3)]
    targets.append(target("b/found", "https://b.example/found", discovered=True))
    targets.append(target("c/x", "https://c.example/x"))
    # b's hub may find pages on cdn.example (named in its pattern): one group with b.example
    targets.append(target("b/cdn", "https://cdn.example/doc"))
    plan = plan_of(targets, [hub("b", "https://b.example/help", r"^https://cdn\.example/")])
    parts = crawl_parts(plan, polite())
    assert len(parts) == 2
    owners = {}
    for part, settings in parts:
        assert settings["POLICYWATCH_CRAWL_SHARDS"] == 2 and "CONCURRENT_REQUESTS_PER_DOMAIN" not in settings
        for t in part.targets:
            host = t.url.split("/")[2]
            assert host in part.hosts
            owners.setdefault(host, set()).add(id(part))
    assert all(len(o) == 1 for o in owners.values())  # each host in one child
    b_part = next(p for p, _ in parts if "b.example" in p.hosts)
    assert "cdn.example" in b_part.hosts and [h.start_url for h in b_part.hubs] == ["https://b.example/help"]
    assert "b/found" in {t.doc_id for t in b_part.targets}
    assert sorted(t.doc_id for p, _ in parts for t in p.targets) == sorted(t.doc_id for t in targets)


def test_one_polite_host_is_never_split():
    plan = plan_of([target(f"a/{i}", f"https://a.example/{i}") for i in range(500)])
    assert [len(p.targets) for p, _ in crawl_parts(plan, polite())] == [500]
    assert [
        len(p.targets)
        for p, _ in crawl_parts(plan, {"POLICYWATCH_CRAWL_SHARDS": 2, **FAST_SETTINGS, "DOWNLOAD_DELAY": 1})
    ] == [500]
    one_at_a_time = {**FAST_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "POLICYWATCH_CRAWL_SHARDS": 2}
    assert [len(p.targets) for p, _ in crawl_parts(plan, one_at_a_time)] == [500]
    throttled = {**FAST_SETTINGS, "AUTOTHROTTLE_ENABLED": True, "POLICYWATCH_CRAWL_SHARDS": 2}
    assert [len(p.targets) for p, _ in crawl_parts(plan, throttled)] == [500]


def test_a_host_without_delay_is_dealt_out_and_its_concurrency_divided():
    targets = [target(f"a/{i}", f"https://a.example/{i}") for i in range(10)]
    targets.append(target("a/found", "https://a.example/found", discovered=True))
    targets.append(target("a/js", "https://a.example/js", pages=(Page("https://a.example/js", browser=True),)))
    plan = plan_of(targets, [hub("a", "https://a.example/help", r"^https://a\.example/")])
    parts = crawl_parts(plan, {**FAST_SETTINGS, "POLICYWATCH_CRAWL_SHARDS": 2})
    assert len(parts) == 2
    per_host = [s["CONCURRENT_REQUESTS_PER_DOMAIN"] for _, s in parts]
    assert sum(per_host) <= FAST_SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"] and min(per_host) >= 1
    first, second = (p for p, _ in parts)
    assert first.hubs == plan.hubs and second.hubs == []  # one child finds new pages: no id is given twice
    assert {"a/found", "a/js"} <= {t.doc_id for t in first.targets}
    assert abs(len(first.targets) - len(second.targets)) <= 1
    assert sorted(t.doc_id for t in first.targets + second.targets) == sorted(t.doc_id for t in targets)


def test_a_small_plan_is_one_child_and_the_shipped_settings_are_polite():
    plan = plan_of([target(f"a/{i}", f"https://a.example/{i}") for i in range(20)])
    assert len(crawl_parts(plan, dict(FAST_SETTINGS))) == 1
    assert shipped.CONCURRENT_REQUESTS_PER_DOMAIN == 1 and shipped.DOWNLOAD_DELAY > 0


def page(name: str) -> str:
    return help_page(name, policy_paragraphs(name, 1))


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    home, src = root / "home", root / "sources"
    src.mkdir()
    with LoopbackSite() as site:
        site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        docs = []
        for host in ("127.0.0.1", "localhost"):
            for n in range(6):
                name = f"{host.split('.')[0]}-{n}"
                site.page(f"/p/{name}", page(name))
                docs.append({"id": name, "title": name, "url": site.url(f"/p/{name}", host=host), "type": "policy"})
        site.page("/private/secret", page("secret"))
        docs.append({"id": "secret", "title": "secret", "url": site.url("/private/secret"), "type": "policy"})
        (src / "shards.yaml").write_text(declaration("shards", docs))
        sources = load_sources(src)
        polite_report = crawl(home, sources, extra_settings={**POLITE, "POLICYWATCH_CRAWL_SHARDS": 2})
        polite_hits = site.hits()
        polite_flight = {host: site.max_in_flight(host) for host in ("127.0.0.1", "localhost")}
        site.clear()
        fast = {"POLICYWATCH_CRAWL_SHARDS": 2, "CONCURRENT_REQUESTS_PER_DOMAIN": 4}
        fast_report = crawl(home, sources, fast=True, extra_settings=fast)
        fast_hits = site.hits()
        fast_flight = max(site.max_in_flight(host) for host in ("127.0.0.1", "localhost"))
    with Store(home) as store:
        versions = {d.doc_id: len(store.versions(d.doc_id)) for d in store.documents()}
    return polite_report, polite_hits, polite_flight, fast_report, fast_hits, fast_flight, versions


def test_a_sharded_polite_crawl_fetches_each_page_once_one_request_at_a_time_per_host(sharded):
    report, hits, flight, *_ = sharded
    pages = [h.path for h in hits if h.path.startswith("/p/")]
    assert sorted(pages) == sorted(set(pages)) and len(pages) == 12
    assert flight == {"127.0.0.1": 1, "localhost": 1}
    assert "/private/secret" not in [h.path for h in hits]  # robots.txt obeyed in its host's child
    assert [doc for doc, _ in report.fetch_failed] == ["shards/secret"]
    assert len(report.record.first_versions) == 12


def test_a_sharded_fast_crawl_records_the_same_and_never_exceeds_the_host_concurrency(sharded):
    *_, report, hits, flight, versions = sharded
    assert flight <= 4  # 2 children of 2 requests each at most, as one child of 4
    pages = [h.path for h in hits if h.path.startswith("/p/")]
    assert sorted(pages) == sorted(set(pages)) and len(pages) == 12
    assert report.record.unchanged + report.known_unchanged == 12
    assert versions == {**{d: 1 for d in versions if d != "shards/secret"}, "shards/secret": 0}


def test_a_page_found_on_another_childs_host_is_registered_and_left_to_the_next_crawl():
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.spiders.policy import PolicySpider

    rule = hub("a", "https://a.example/help", r"^https://(a|b)\.example/p/")
    plan = plan_of([target("a/x", "https://a.example/x")], [rule])
    plan.allowed_hosts = frozenset({"a.example", "b.example"})
    part = replace(plan, hosts=frozenset({"a.example"}))
    spider = PolicySpider.from_crawler(get_crawler(PolicySpider, {}), plan=part)
    body = b'<a href="https://a.example/p/one">one</a> <a href="https://b.example/p/two">two</a>'
    response = HtmlResponse(
        "https://a.example/help", body=body, request=Request("https://a.example/help", meta={"hub": 0, "depth": 0})
    )
    out = list(spider.parse_hub(response))
    found = [o["url"] for o in out if isinstance(o, dict) and o["kind"] == "discovered"]
    requested = [o.url for o in out if isinstance(o, Request)]
    assert found == ["https://a.example/p/one", "https://b.example/p/two"]
    assert requested == ["https://a.example/p/one"]  # b.example is another child's host
