"""CrawlPlan.only: the part of a plan that ``crawl --source M --doc ID`` fetches."""

from __future__ import annotations

import pytest

from crawler.plan import CrawlPlan
from kb.errors import UnknownDocument, UsageError
from kb.sources import load_sources


def market(slug: str, ids: list[str], *, hub: bool = False) -> str:
    docs = "".join(f"  - {{id: {i}, title: {i}, url: 'https://{slug}.example/help/{i}', type: policy}}\n" for i in ids)
    discover = (
        f"discover:\n  - from: https://{slug}.example/help\n    follow: ['^https://{slug}\\\\.example/help/[a-z]+$']\n"
        if hub
        else ""
    )
    return f"marketplace: {slug}\nname: {slug}\ndefaults:\n  select: [main]\ndocuments:\n{docs}{discover}"


@pytest.fixture
def plan(tmp_path) -> CrawlPlan:
    (tmp_path / "a.yaml").write_text(market("a", ["fees", "returns"], hub=True))
    (tmp_path / "b.yaml").write_text(market("b", ["fees"], hub=True))
    # b/found was discovered by an earlier crawl: it is part of the plan, and of b.
    return CrawlPlan.from_sources(load_sources(tmp_path), discovered=[("b/found", "https://b.example/help/found")])


def ids(plan: CrawlPlan) -> list[str]:
    return [t.doc_id for t in plan.targets]


def test_nothing_named_is_the_whole_plan(plan):
    assert plan.only() is plan


def test_a_marketplace_keeps_its_documents_discovered_ones_and_its_hubs(plan):
    part = plan.only(marketplaces=["b"])
    assert ids(part) == ["b/fees", "b/found"]
    assert [h.marketplace for h in part.hubs] == ["b"]  # it may find new pages of b
    assert ids(plan) == ["a/fees", "a/returns", "b/fees", "b/found"]  # the plan itself is untouched
    assert part.known == plan.known  # a hub of b linking to a/fees must not take it for a new page


def test_documents_alone_run_no_hub(plan):
    part = plan.only(doc_ids=["a/returns", "b/found"])
    assert ids(part) == ["a/returns", "b/found"] and part.hubs == []


def test_marketplaces_and_documents_add_up(plan):
    assert ids(plan.only(marketplaces=["a"], doc_ids=["b/fees"])) == ["a/fees", "a/returns", "b/fees"]


def test_unknown_names_are_refused_with_what_is_known(plan):
    with pytest.raises(UsageError, match=r"^no marketplace 'c' in these sources$") as refused:
        plan.only(marketplaces=["c"])
    assert refused.value.hint == "marketplaces: a, b"
    with pytest.raises(UnknownDocument, match=r"^unknown document 'a/nope'$"):
        plan.only(doc_ids=["a/fees", "a/nope"])
