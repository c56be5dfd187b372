"""Pages that come and go are changes (issue 14, point 4): a page found after its marketplace's
first crawl is added, a page confirmed gone is removed (or moved, when it redirects), a page
that answers again is back; the first crawl, one 404 and re-extraction make none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffs.brief import change_json
from kb.models import Event, FaultKind, Outcome
from kb.record import process_pending, reextract
from kb.sources import load_sources
from kb.store import Store
from kb.store.verify import verify

HUB = "https://shop.example/help"
FEES, FEES_URL = "shop/fees", "https://shop.example/help/fees"
RETURNS, RETURNS_URL = "shop/returns", "https://shop.example/help/returns"
DAY1 = "2026-03-01T06:00:00Z"


def page(title: str, rule: str) -> str:
    return f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{rule}</p></main></body></html>"


FEES_PAGE = page("Selling fees", "A fee of $0.99 applies to every item sold by an individual seller.")
RETURNS_PAGE = page("Returns policy", "Sellers must accept returns within 30 days of delivery for any reason.")


class Market:
    """One marketplace: a declared page and a discovery rule; ``answer`` stores a response as
    the crawler does and records it; ``moved_away`` stores what the crawler writes for a
    discovered page that now redirects."""

    def __init__(self, root: Path) -> None:
        (root / "sources").mkdir()
        (root / "sources" / "shop.yaml").write_text(
            "marketplace: shop\nname: Shop\ndefaults:\n  select: ['main']\ndocuments:\n"
            f"  - {{id: fees, title: Selling fees, url: '{FEES_URL}', type: fees}}\n"
            f"discover:\n  - from: '{HUB}'\n    follow: ['^{HUB}/[a-z]+$']\n    type: help\n"
        )
        self.sources = load_sources(root / "sources")
        self.home = root / "home"

    def store(self) -> Store:
        return Store(self.home)

    def see(self, doc_id: str, url: str, at: str, *, origin: str) -> None:
        """What the planner (declared) or the hub (discovered) registers."""
        title = "Selling fees" if doc_id == FEES else "Returns policy"
        with self.store() as store, store.transaction():
            store.ensure_document(
                doc_id, title=title, url=url, marketplace="shop", doc_type="help", origin=origin, seen_at=at
            )

    def answer(self, doc_id: str, url: str, at: str, body: str, status: int = 200) -> str:
        with self.store() as store:
            with store.transaction():
                check_id = store.add_response(
                    doc_id=doc_id,
                    requested_url=url,
                    url=url,
                    fetched_at=at,
                    http_status=status,
                    headers={"content-type": "text/html; charset=utf-8"},
                    body=body.encode(),
                )
            process_pending(store, self.sources)
            return next(c.outcome for c in store.checks(doc_id) if c.id == check_id)

    def moved_away(self, doc_id: str, url: str, at: str, target: str, outcome: str = Outcome.GONE) -> None:
        with self.store() as store:
            with store.transaction():
                store.add_check(
                    doc_id=doc_id,
                    url=url,
                    checked_at=at,
                    http_status=None,
                    snapshot_id=None,
                    outcome=outcome,
                    reason=f"moved: {url} now redirects to {target}; its history is kept",
                    fault=FaultKind.MOVED,
                )
            process_pending(store, self.sources)

    def changes(self, doc_id: str | None = None):
        with self.store() as store:
            return store.changes(doc_id)

    def first_crawl(self) -> None:
        """Day 1: the declared page and a page found through the hub, both new at once."""
        self.see(FEES, FEES_URL, DAY1, origin="declared")
        assert self.answer(FEES, FEES_URL, DAY1, FEES_PAGE) == Outcome.FIRST_VERSION
        self.see(RETURNS, RETURNS_URL, "2026-03-01T06:00:05Z", origin="discovered")
        assert self.answer(RETURNS, RETURNS_URL, "2026-03-01T06:00:05Z", RETURNS_PAGE) == Outcome.FIRST_VERSION


@pytest.fixture
def market(tmp_path) -> Market:
    return Market(tmp_path)


def events(changes) -> list[tuple[str, str]]:
    return [(c.doc_id, c.event) for c in changes]


def assert_verified(market: Market) -> None:
    report = verify(market.home)
    assert report.ok, report.problems


# -- added ------------------------------------------------------------------------------------


def test_the_first_crawl_of_a_marketplace_adds_no_page(market):
    market.first_crawl()
    assert market.changes() == []
    assert_verified(market)


def test_a_page_found_after_the_first_crawl_is_a_new_page(market):
    market.see(FEES, FEES_URL, DAY1, origin="declared")
    market.answer(FEES, FEES_URL, DAY1, FEES_PAGE)
    market.see(RETURNS, RETURNS_URL, "2026-03-08T06:00:03Z", origin="discovered")
    assert market.answer(RETURNS, RETURNS_URL, "2026-03-08T06:00:03Z", RETURNS_PAGE) == Outcome.FIRST_VERSION
    [added] = market.changes()
    with market.store() as store:
        [version] = store.versions(RETURNS)
        document = store.document(RETURNS)
    assert (added.event, added.label, added.from_version_id, added.to_version_id) == (
        Event.ADDED,
        "substantive",
        None,
        version.id,
    )
    assert added.summary == "New page: shop · Returns policy"
    assert [r.kind for r in added.reasons] == ["page-added"]
    assert RETURNS_URL in added.reasons[0].text
    data = change_json(added, document)
    assert data["event"] == "added" and data["class"] == "substantive" and data["url"] == RETURNS_URL
    assert_verified(market)


def test_a_page_declared_after_the_first_crawl_is_not_news(market):
    """Someone chose to watch it; the marketplace may have had it for years."""
    market.see(FEES, FEES_URL, DAY1, origin="declared")
    market.answer(FEES, FEES_URL, DAY1, FEES_PAGE)
    market.see(RETURNS, RETURNS_URL, "2026-03-08T06:00:00Z", origin="declared")
    market.answer(RETURNS, RETURNS_URL, "2026-03-08T06:00:03Z", RETURNS_PAGE)
    assert market.changes() == []


# -- removed ----------------------------------------------------------------------------------


def test_one_404_removes_nothing_and_the_confirmation_removes_the_page_once(market):
    market.first_crawl()
    assert market.answer(FEES, FEES_URL, "2026-03-08T06:00:00Z", "not here", status=404) == Outcome.FAILED
    assert market.changes() == []
    assert market.answer(FEES, FEES_URL, "2026-03-09T06:00:00Z", "not here", status=404) == Outcome.GONE
    assert market.answer(FEES, FEES_URL, "2026-03-10T06:00:00Z", "not here", status=404) == Outcome.GONE
    [removed] = market.changes()
    with market.store() as store:
        [version] = store.versions(FEES)
    assert (removed.event, removed.label, removed.from_version_id, removed.to_version_id) == (
        Event.REMOVED,
        "substantive",
        version.id,
        None,
    )
    assert removed.detected_at == "2026-03-09T06:00:00Z"
    assert removed.summary == "Page removed: shop · Selling fees"
    assert removed.reasons[0].kind == "page-removed"
    assert "HTTP 404 Not Found since 2026-03-08T06:00:00Z, confirmed 2026-03-09T06:00:00Z" in removed.reasons[0].text
    assert removed.ops == ()
    assert_verified(market)


def test_a_page_that_moved_away_is_a_moved_change(market):
    market.first_crawl()
    target = "https://shop.example/help/returns-and-refunds"
    market.moved_away(RETURNS, RETURNS_URL, "2026-03-08T06:00:00Z", target, outcome=Outcome.FAILED)
    assert market.changes() == []
    market.moved_away(RETURNS, RETURNS_URL, "2026-03-09T06:00:00Z", target)
    market.moved_away(RETURNS, RETURNS_URL, "2026-03-10T06:00:00Z", target)  # still moved: nothing new
    [moved] = market.changes()
    assert (moved.event, moved.label, moved.to_version_id) == (Event.MOVED, "substantive", None)
    assert moved.summary == f"Page moved to {target}: shop · Returns policy"
    assert moved.reasons[0].kind == "page-moved"
    with market.store() as store:
        process_pending(store, market.sources)  # a later record finds nothing left to do
    assert len(market.changes()) == 1
    assert_verified(market)


# -- back again -------------------------------------------------------------------------------


def remove_fees(market: Market) -> None:
    market.first_crawl()
    market.answer(FEES, FEES_URL, "2026-03-08T06:00:00Z", "not here", status=404)
    market.answer(FEES, FEES_URL, "2026-03-09T06:00:00Z", "not here", status=404)


def test_a_page_back_with_its_text_is_back_and_nothing_else(market):
    remove_fees(market)
    market.answer(FEES, FEES_URL, "2026-03-12T06:00:00Z", "oops", status=503)  # says nothing either way
    assert market.answer(FEES, FEES_URL, "2026-03-15T06:00:00Z", FEES_PAGE) == Outcome.UNCHANGED
    removed, back = market.changes()
    assert (back.event, back.label, back.from_version_id, back.to_version_id) == (
        Event.RESTORED,
        "substantive",
        None,
        removed.from_version_id,
    )
    assert back.summary == "Page back: shop · Selling fees"
    assert "gone since 2026-03-09T06:00:00Z" in back.reasons[0].text
    assert market.answer(FEES, FEES_URL, "2026-03-16T06:00:00Z", FEES_PAGE) == Outcome.UNCHANGED
    assert len(market.changes()) == 2  # back once
    assert_verified(market)


def test_a_page_back_that_the_crawler_knew_unchanged_is_back_too(market):
    """The crawler's fast path (the body of the latest good check) and a 304 store no response."""
    remove_fees(market)
    with market.store() as store:
        with store.transaction():
            store.add_check(
                doc_id=FEES,
                url=FEES_URL,
                checked_at="2026-03-15T06:00:00Z",
                http_status=200,
                snapshot_id=None,
                outcome=Outcome.UNCHANGED,
            )
        process_pending(store, market.sources)
        process_pending(store, market.sources)  # once
        [version] = store.versions(FEES)
    assert events(market.changes()) == [(FEES, "removed"), (FEES, "restored")]
    back = market.changes()[-1]
    assert (back.detected_at, back.to_version_id) == ("2026-03-15T06:00:00Z", version.id)
    keys = [c.key for c in market.changes()]
    with market.store() as store:
        reextract(store, market.sources, now="2026-03-16T00:00:00Z", history=True)
    assert [c.key for c in market.changes()] == keys
    assert_verified(market)


def test_a_page_back_with_another_text_is_back_and_edited(market):
    remove_fees(market)
    new_page = FEES_PAGE.replace("$0.99", "$1.29")
    assert market.answer(FEES, FEES_URL, "2026-03-15T06:00:00Z", new_page) == Outcome.NEW_VERSION
    assert events(market.changes()) == [(FEES, "removed"), (FEES, "restored"), (FEES, "edited")]
    _, back, edit = market.changes()
    assert back.to_version_id == edit.to_version_id and edit.from_version_id is not None
    assert "with another text" in back.reasons[0].text
    assert_verified(market)


# -- re-extraction ----------------------------------------------------------------------------


def test_reextraction_makes_no_page_event_and_a_rebuilt_history_the_same_ones(market, tmp_path):
    market.first_crawl()
    other = "https://shop.example/help/reviews"
    market.see("shop/reviews", other, "2026-03-08T06:00:00Z", origin="discovered")
    market.answer("shop/reviews", other, "2026-03-08T06:00:00Z", page("Reviews", "You must not pay for reviews."))
    market.answer(FEES, FEES_URL, "2026-03-08T06:00:00Z", "not here", status=404)
    market.answer(FEES, FEES_URL, "2026-03-09T06:00:00Z", "not here", status=404)
    market.moved_away(RETURNS, RETURNS_URL, "2026-03-08T06:00:00Z", other, outcome=Outcome.FAILED)
    market.moved_away(RETURNS, RETURNS_URL, "2026-03-09T06:00:01Z", other)
    before = [(c.key, c.event, c.summary) for c in market.changes()]
    assert sorted(e for _, e, _ in before) == ["added", "moved", "removed"]
    # New rules that read every page differently: technical upgrades, never a page event.
    (tmp_path / "new-rules").mkdir()
    (tmp_path / "new-rules" / "shop.yaml").write_text(
        (tmp_path / "sources" / "shop.yaml").read_text().replace("select: ['main']", "select: ['main p']")
    )
    with market.store() as store:
        report = reextract(store, load_sources(tmp_path / "new-rules"), now="2026-03-10T00:00:00Z")
        assert sorted(doc for doc, _ in report.upgraded) == [FEES, RETURNS, "shop/reviews"]
        technical = [c for c in store.changes(technical=True) if c.technical]
    assert [c.event for c in technical] == ["edited"] * 3
    assert [(c.key, c.event, c.summary) for c in market.changes()] == before
    assert_verified(market)
    with market.store() as store:  # the whole history derived again: the same events, the same keys
        reextract(store, market.sources, now="2026-03-10T00:00:00Z", history=True)
    assert [(c.key, c.event, c.summary) for c in market.changes()] == before
    assert_verified(market)
