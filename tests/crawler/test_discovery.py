"""Discovery on a loopback help centre: a hub page followed to depth 2, a sitemap index,
then the next state of the site: a page added, one removed, one moved, one declared page moved;
a third crawl a day later finds the same state, which confirms what is gone."""

from __future__ import annotations

import pytest

from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow

FIRST, SECOND, THIRD = "2026-05-01T00:00:00Z", "2026-05-08T00:00:00Z", "2026-05-09T00:00:00Z"


def hub(*paths: str) -> str:
    links = "".join(f"<li><a href='{p}?ref_=hub'>{p.rsplit('/', 1)[1].title()} policy</a></li>" for p in paths)
    return (
        f"<html><body><main><ul>{links}</ul><a href='/help/other/x'>Other</a>"
        f"<a href='https://elsewhere.example/help/policies/z'>Elsewhere</a></main></body></html>"
    )


def page(name: str, links: tuple[str, ...] = ()) -> str:
    extra = "".join(f"<a href='{link}'>{link}</a>" for link in links)
    return help_page(name, policy_paragraphs(name), extra=extra)


def urlset(site: LoopbackSite, *paths: str) -> str:
    urls = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("discovery")
    home, src = root / "home", root / "sources"
    src.mkdir()
    with LoopbackSite() as site:
        base = site.base_url.replace(".", "\\.")
        (src / "disc.yaml").write_text(
            declaration(
                "disc",
                [{"id": "declared", "title": "Declared", "url": site.url("/help/policies/declared"), "type": "policy"}],
                discover=[
                    {
                        "from": site.url("/help"),
                        "follow": [f"^{base}/help/policies/[a-z-]+$"],
                        "depth": 2,
                        "type": "policy",
                    },
                    {"sitemap": site.url("/sitemap.xml"), "follow": [f"^{base}/legal/[a-z-]+$"], "type": "agreement"},
                ],
            )
        )
        sources = load_sources(src)
        # State 1
        site.page("/help", hub("/help/policies/a", "/help/policies/b", "/help/policies/declared"))
        site.page("/help/policies/a", page("a", links=("/help/policies/deep",)))
        site.page("/help/policies/deep", page("deep", links=("/help/policies/deeper",)))
        site.page("/help/policies/deeper", page("deeper"))
        site.page("/help/policies/b", page("b"))
        site.page("/help/policies/declared", page("declared"))
        site.page("/help/other/x", page("x"))
        site.page(
            "/sitemap.xml",
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9"><sitemap><loc>{site.url("/sitemap-legal.xml")}</loc></sitemap>'
            "</sitemapindex>",
            content_type="application/xml",
        )
        site.page("/sitemap-legal.xml", urlset(site, "/legal/terms", "/legal/privacy"), content_type="application/xml")
        site.page("/legal/terms", page("terms"))
        site.page("/legal/privacy", page("privacy"))
        first = crawl(home, sources, fast=True, fixed_time=FIRST)
        hits_first = [h.path for h in site.hits()]
        # State 2: c added, b removed, privacy moved, a answers under a trailing slash, the declared page moved
        site.clear()
        site.page("/help", hub("/help/policies/a", "/help/policies/c", "/help/policies/declared"))
        site.page("/help/policies/c", page("c"))
        site.remove("/help/policies/b")
        site.redirect("/legal/privacy", "/legal/privacy-notice")
        site.page("/legal/privacy-notice", page("privacy"))
        site.page(
            "/sitemap-legal.xml", urlset(site, "/legal/terms", "/legal/privacy-notice"), content_type="application/xml"
        )
        site.redirect("/help/policies/a", "/help/policies/a/")
        site.page("/help/policies/a/", page("a", links=("/help/policies/deep",)))
        site.redirect("/help/policies/declared", "/help/policies/declared-v2")
        second = crawl(home, sources, fast=True, fixed_time=SECOND)
        hits_second = [h.path for h in site.hits()]
        with Store(home) as store:
            docs = {d.doc_id: d for d in store.documents()}
            versions = {doc_id: len(store.versions(doc_id)) for doc_id in docs}
            checks = {doc_id: store.checks(doc_id) for doc_id in docs}
        third = crawl(home, sources, fast=True, fixed_time=THIRD)
    with Store(home) as store:
        docs3 = {d.doc_id: d for d in store.documents()}
    return {
        "third": third,
        "docs3": docs3,
        "first": first,
        "second": second,
        "docs": docs,
        "versions": versions,
        "checks": checks,
        "hits1": hits_first,
        "hits2": hits_second,
    }


def test_hub_and_sitemap_pages_in_scope_become_documents_with_stable_ids(history):
    first_seen = {d for d, doc in history["docs"].items() if doc.first_seen == FIRST}
    assert first_seen == {"disc/declared", "disc/a", "disc/b", "disc/deep", "disc/terms", "disc/privacy"}
    assert history["docs"]["disc/a"].title == "A policy" and history["docs"]["disc/a"].url.endswith("/help/policies/a")
    assert history["docs"]["disc/terms"].doc_type == "agreement"


def test_depth_and_patterns_bound_the_crawl(history):
    assert "/help/policies/deep" in history["hits1"]  # depth 2: linked from a
    assert "/help/policies/deeper" not in history["hits1"]  # depth 3
    assert "/help/other/x" not in history["hits1"]  # outside the follow patterns
    assert history["hits1"].count("/help/policies/declared") == 1  # linked and declared: fetched once


def test_an_added_page_is_tracked_from_its_first_crawl(history):
    c = history["docs"]["disc/c"]
    assert c.first_seen == SECOND and history["versions"]["disc/c"] == 1
    assert "disc/c" in history["second"].record.first_versions
    assert history["docs"]["disc/privacy-notice"].first_seen == SECOND


def test_a_removed_page_is_reported_gone_with_its_history_kept(history):
    b = history["docs"]["disc/b"]
    assert b.status == "failing" and "404" in b.failure and "not gone until" in b.failure  # once: unconfirmed
    assert history["second"].record.gone == []
    assert history["versions"]["disc/b"] == 1
    assert "/help/policies/b" in history["hits2"]  # no longer linked, still checked
    b = history["docs3"]["disc/b"]
    assert b.status == "gone" and "404" in b.failure  # confirmed a day later
    assert history["third"].record.gone == ["disc/b"]


def test_a_page_that_redirects_elsewhere_is_reported_moved_never_recorded_as_itself(history):
    privacy = history["docs"]["disc/privacy"]
    assert privacy.status == "failing" and privacy.failure.startswith("moved: ")
    privacy = history["docs3"]["disc/privacy"]
    assert privacy.status == "gone"
    assert privacy.failure.startswith("moved: ") and privacy.failure.endswith(
        "/legal/privacy-notice; its history is kept"
    )
    assert history["versions"]["disc/privacy"] == 1
    assert history["second"].moved_away == []
    assert [doc for doc, _ in history["third"].moved_away] == ["disc/privacy"]
    declared = history["docs"]["disc/declared"]
    assert declared.status == "failing" and "update its url in the declaration" in declared.failure
    assert ("disc/declared", declared.failure) in history["second"].fetch_failed


def test_a_redirect_to_the_same_page_is_followed(history):
    last = history["checks"]["disc/a"][-1]
    assert (last.checked_at, last.outcome) == (SECOND, "unchanged")
    assert history["checks"]["disc/deep"][-1].outcome == "unchanged"
