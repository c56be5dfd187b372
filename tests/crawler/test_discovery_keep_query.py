"""Discovery that keeps an identifying query parameter (eBay's ``?id=``) on a loopback help centre:
two articles under one slug stay two documents, each fetched with its ``id`` and without the
tracking parameters; a declared article linked again is not found twice; a page an earlier crawl
tracked by path alone keeps its id and history and is from then on fetched with its ``id``."""

from __future__ import annotations

import pytest

from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow

FIRST, SECOND = "2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z"


def hub(*links: str) -> str:
    items = "".join(
        f"<li><a href='{link}'>{link.split('?')[0].rsplit('/', 1)[1].title()} policy</a></li>" for link in links
    )
    return f"<html><body><main><ul>{items}</ul></main></body></html>"


def sources_for(site: LoopbackSite, folder, *, keep_query: list[str] | None):
    base = site.base_url.replace(".", "\\.")
    rule = {
        "from": site.url("/help/policies/hub?id=1"),
        "follow": [f"^{base}/help/policies/[a-z-]+$"],
        "type": "policy",
    }
    if keep_query is not None:
        rule["keep_query"] = keep_query
    declared = {
        "id": "declared",
        "title": "Declared",
        "url": site.url("/help/policies/declared?id=5"),
        "type": "policy",
    }
    folder.mkdir(exist_ok=True)
    (folder / "kq.yaml").write_text(declaration("kq", [declared], discover=[rule]))
    return load_sources(folder)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("keep-query")
    home = root / "home"
    with LoopbackSite() as site:
        for name in ("alpha", "fees", "declared"):
            site.page(f"/help/policies/{name}", help_page(name, policy_paragraphs(name)))
        # Crawl 1, before the rule kept the query: alpha is tracked by its path alone.
        site.page("/help/policies/hub", hub("/help/policies/alpha?id=11&ref_=hub"))
        first = crawl(home, sources_for(site, root / "old", keep_query=None), fast=True, fixed_time=FIRST)
        site.clear()
        # Crawl 2, with keep_query: [id].
        site.page(
            "/help/policies/hub",
            hub(
                "/help/policies/alpha?id=11&ref_=hub",
                "/help/policies/fees?ref_=hub&id=21",
                "/help/policies/fees?id=22",
                "/help/policies/declared?id=5&ref_=hub",
            ),
        )
        sources = sources_for(site, root / "new", keep_query=["id"])
        second = crawl(home, sources, fast=True, fixed_time=SECOND)
        hits = [(h.path, h.query) for h in site.hits() if h.path != "/robots.txt"]
    with Store(home) as store:
        docs = {d.doc_id: d for d in store.documents()}
        checks = {doc_id: store.checks(doc_id) for doc_id in docs}
    return {"first": first, "second": second, "docs": docs, "checks": checks, "hits": hits}


def test_articles_under_one_slug_are_two_documents_each_with_its_id(history):
    fees = {
        doc.url.split("/help/policies/", 1)[1]: doc_id for doc_id, doc in history["docs"].items() if "fees" in doc.url
    }
    assert fees == {"fees?id=21": "kq/fees", "fees?id=22": "kq/policies-fees"}


def test_discovered_pages_are_fetched_with_their_id_and_without_tracking_parameters(history):
    fetched = sorted(q for p, q in history["hits"] if p in ("/help/policies/fees", "/help/policies/alpha"))
    assert fetched == ["id=11", "id=21", "id=22"]


def test_a_declared_article_linked_from_the_hub_is_not_discovered_again(history):
    assert [q for p, q in history["hits"] if p == "/help/policies/declared"] == ["id=5"]
    assert not [d for d in history["docs"] if d not in ("kq/declared", "kq/alpha", "kq/fees", "kq/policies-fees")]


def test_a_page_tracked_by_path_before_keeps_its_id_and_history(history):
    alpha = history["docs"]["kq/alpha"]
    assert alpha.url.endswith("/help/policies/alpha?id=11") and alpha.first_seen == FIRST
    assert [c.outcome for c in history["checks"]["kq/alpha"]] == ["first-version", "unchanged"]
