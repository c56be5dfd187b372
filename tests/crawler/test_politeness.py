"""Politeness, measured by a loopback site that records every request it receives.

Two real crawls share one site served under two host names (two download slots):

- 127.0.0.1: robots.txt forbids /private/; four pages, the first one answered slowly;
- localhost: a page failing twice with 503, one rate-limited once (429, Retry-After: 1),
  one rate-limited for an hour (429, Retry-After: 3600).

Crawl 1 runs with the shipped politeness (one request at a time per site, a delay,
AutoThrottle, robots.txt, retries that wait), only with shorter delays. Crawl 2
revalidates: pages whose ETag or Last-Modified still match answer 304.
"""

from __future__ import annotations

import pytest

from crawler import settings as shipped
from kb.pipeline import crawl
from kb.sources import load_sources
from kb.sources.config import load_config
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow

CONTACT = "https://example.org/policywatch-operator"
DELAY = 0.4
BACKOFF = 0.5
SLOW = 1.5
LAST_MODIFIED = "Wed, 01 Apr 2026 08:00:00 GMT"
POLITE = {  # the shipped settings, with delays a test can wait for
    "DOWNLOAD_DELAY": DELAY,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_START_DELAY": DELAY,
    "AUTOTHROTTLE_MAX_DELAY": 10,
    "POLICYWATCH_RETRY_BACKOFF": BACKOFF,
}
FIRST, SECOND = "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z"


def page(name: str, version: int = 1) -> str:
    return help_page(name, policy_paragraphs(name, version))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("polite")
    home, src = root / "home", root / "sources"
    home.mkdir()
    src.mkdir()
    (home / "crawl.yaml").write_text(f"contact: {CONTACT}\n")
    with LoopbackSite(slow_first=("/p/", SLOW)) as site:
        site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        site.page("/p/a", page("a"), etag='"a-1"')
        site.page("/p/b", page("b"), last_modified=LAST_MODIFIED)
        site.page("/p/c", page("c"), etag='"c-1"')
        site.page("/p/d", page("d"))
        site.page("/private/secret", page("secret"))
        site.sequence("/r/flaky", [(503, {}, "down"), (503, {}, "down"), (200, {}, page("flaky"))])
        site.sequence("/r/limited", [(429, {"Retry-After": "1"}, "slow down"), (200, {}, page("limited"))])
        site.page("/r/too-long", "come back tomorrow", status=429, headers={"Retry-After": "3600"})
        docs = [{"id": n, "title": n, "url": site.url(f"/p/{n}"), "type": "policy"} for n in "abcd"]
        docs.append({"id": "secret", "title": "secret", "url": site.url("/private/secret"), "type": "policy"})
        docs += [
            {"id": n, "title": n, "url": site.url(f"/r/{n}", host="localhost"), "type": "policy"}
            for n in ("flaky", "limited", "too-long")
        ]
        (src / "polite.yaml").write_text(declaration("polite", docs))
        sources = load_sources(src)

        first = crawl(home, sources, fixed_time=FIRST, extra_settings=POLITE)
        hits_first = site.hits()
        concurrency = {host: site.max_in_flight(host) for host in ("127.0.0.1", "localhost")}

        site.clear()
        site.page("/p/c", page("c", version=2), etag='"c-2"')  # changed: a new ETag
        second = crawl(home, sources, fast=True, fixed_time=SECOND)
        hits_second = site.hits()
    return {
        "home": home,
        "first": first,
        "second": second,
        "hits1": hits_first,
        "hits2": hits_second,
        "concurrency": concurrency,
    }


def starts(hits, host):
    return [h.started for h in hits if h.host == host]


def test_shipped_settings_are_polite():
    assert shipped.ROBOTSTXT_OBEY is True
    assert shipped.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert shipped.DOWNLOAD_DELAY >= 1 and shipped.AUTOTHROTTLE_ENABLED is True
    assert shipped.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "crawler.middlewares.PoliteRetry" in shipped.DOWNLOADER_MIDDLEWARES
    assert 429 in shipped.RETRY_HTTP_CODES and 503 in shipped.RETRY_HTTP_CODES


def test_robots_txt_is_obeyed(crawled):
    paths = [h.path for h in crawled["hits1"]]
    assert paths.count("/robots.txt") == 2  # once per host
    assert "/private/secret" not in paths
    with Store(crawled["home"]) as store:
        check = store.checks("polite/secret")[0]
    assert check.outcome == "failed" and check.reason == "forbidden by robots.txt"


def test_one_request_at_a_time_per_site_with_a_delay(crawled):
    assert crawled["concurrency"] == {"127.0.0.1": 1, "localhost": 1}
    for host in ("127.0.0.1", "localhost"):
        times = starts(crawled["hits1"], host)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        # Times are taken where the server handles a request, so a loaded machine can bring two
        # starts closer by a few tens of ms than Scrapy's slot let them go; no delay would be ~0.
        assert len(times) >= 4 and min(gaps) >= DELAY - 0.1, (host, gaps)


def test_autothrottle_waits_longer_after_a_slow_answer(crawled):
    # The slow answer (1.5 s) raises the delay to 1.5 s; the next fast one halves it to
    # 0.75 s: the request after that comes 0.75 s later, not DOWNLOAD_DELAY's 0.4 s.
    hits = [h for h in crawled["hits1"] if h.path.startswith("/p/")]
    assert hits[0].finished - hits[0].started >= SLOW - 0.05
    gap = hits[2].started - hits[1].started
    assert gap >= SLOW / 2 - 0.05, gap


def test_user_agent_names_the_tool_and_the_configured_contact(crawled):
    expected = load_config(crawled["home"]).user_agent
    assert expected.startswith("policywatch/") and CONTACT in expected
    agents = {h.headers.get("user-agent") for h in crawled["hits1"] + crawled["hits2"]}
    assert agents == {expected}


def test_5xx_is_retried_with_exponential_backoff(crawled):
    hits = [h for h in crawled["hits1"] if h.path == "/r/flaky"]
    assert [h.status for h in hits] == [503, 503, 200]
    assert hits[1].started - hits[0].finished >= BACKOFF - 0.02
    assert hits[2].started - hits[1].finished >= 2 * BACKOFF - 0.02
    with Store(crawled["home"]) as store:
        assert [c.outcome for c in store.checks("polite/flaky")][0] == "first-version"


def test_429_waits_for_retry_after_then_succeeds(crawled):
    hits = [h for h in crawled["hits1"] if h.path == "/r/limited"]
    assert [h.status for h in hits] == [429, 200]
    assert hits[1].started - hits[0].finished >= 1.0 - 0.02
    # The whole site waited, not only that page: nothing reached localhost for that second.
    meanwhile = [
        h.path
        for h in crawled["hits1"]
        if h.host == "localhost" and hits[0].finished < h.started < hits[0].finished + 1.0 - 0.02
    ]
    assert meanwhile == []


def test_a_retry_after_beyond_the_limit_is_recorded_not_waited(crawled):
    hits = [h for h in crawled["hits1"] if h.path == "/r/too-long"]
    assert [h.status for h in hits] == [429]
    with Store(crawled["home"]) as store:
        [check, _] = store.checks("polite/too-long")
    assert check.outcome == "failed" and "3600 s" in check.reason


def test_conditional_requests_and_304_is_an_unchanged_check(crawled):
    by_path = {h.path: h for h in crawled["hits2"]}
    assert by_path["/p/a"].headers.get("if-none-match") == '"a-1"' and by_path["/p/a"].status == 304
    assert by_path["/p/b"].headers.get("if-modified-since") == LAST_MODIFIED and by_path["/p/b"].status == 304
    assert by_path["/p/c"].headers.get("if-none-match") == '"c-1"' and by_path["/p/c"].status == 200
    assert "if-none-match" not in by_path["/p/d"].headers and "if-modified-since" not in by_path["/p/d"].headers
    assert crawled["second"].not_modified == 2
    with Store(crawled["home"]) as store:
        a_checks = store.checks("polite/a")
        docs = {d.doc_id: d for d in store.documents()}
        assert len(store.versions("polite/a")) == 1
        assert [c.detected_at for c in store.changes("polite/c")] == [SECOND]
    assert [(c.outcome, c.http_status, c.snapshot_id) for c in a_checks][1] == ("unchanged", 304, None)
    assert docs["polite/a"].last_good_check == SECOND and docs["polite/a"].status == "active"


def test_validators_come_only_from_responses_read_as_the_document(tmp_path):
    with Store(tmp_path) as store, store.transaction():
        store.ensure_document(
            "m/d",
            title="d",
            url="https://m.example/d",
            marketplace="m",
            doc_type="policy",
            origin="declared",
            seen_at=FIRST,
        )
        good, _ = store.add_snapshot(
            doc_id="m/d",
            url="https://m.example/d",
            fetched_at=FIRST,
            http_status=200,
            headers={"etag": '"good"'},
            body=b"<p>policy</p>",
        )
        store.add_check(
            doc_id="m/d",
            url="https://m.example/d",
            checked_at=FIRST,
            http_status=200,
            snapshot_id=good,
            outcome="first-version",
        )
        wall, _ = store.add_snapshot(
            doc_id="m/d",
            url="https://m.example/d",
            fetched_at=SECOND,
            http_status=200,
            headers={"etag": '"wall"'},
            body=b"<p>robot check</p>",
        )
        store.add_check(
            doc_id="m/d",
            url="https://m.example/d",
            checked_at=SECOND,
            http_status=200,
            snapshot_id=wall,
            outcome="failed",
            reason="bot wall",
        )
        assert store.validators() == {("m/d", "https://m.example/d"): ('"good"', None)}
