"""Pages that come and go (pure): when a first version is a new page, and what such a change says."""

from __future__ import annotations

import pytest

from diffs import events
from kb.models import EVENTS
from tests.support import REPO

FIRST = "2026-03-01T06:00:00Z"


@pytest.mark.parametrize(
    ("origin", "first_seen", "new"),
    [
        ("discovered", "2026-03-01T06:04:00Z", False),  # in the first crawl
        ("discovered", "2026-03-01T17:59:59Z", False),
        ("discovered", "2026-03-01T18:00:00Z", True),  # FIRST_CRAWL_HOURS on
        ("discovered", "2026-03-08T06:00:00Z", True),
        ("declared", "2026-03-08T06:00:00Z", False),  # chosen, not published
    ],
)
def test_a_new_page_is_discovered_after_its_marketplaces_first_crawl(origin, first_seen, new):
    assert events.is_new_page(origin, first_seen, FIRST) is new


def test_a_capture_from_before_the_first_crawl_is_not_a_new_page():
    """A web archive's copy, backfilled: the page was there before it was watched."""
    assert events.is_new_page("discovered", "2026-03-08T06:00:00Z", FIRST, at="2026-02-01T00:00:00Z") is False
    assert events.is_new_page("discovered", "2026-03-08T06:00:00Z", FIRST, at="2026-03-08T06:00:00Z") is True


def test_a_page_of_a_marketplace_never_seen_is_not_new():
    assert events.is_new_page("discovered", FIRST, None) is False


def test_the_words_of_each_event():
    name = events.page_name("amazon-us", "Returns policy")
    assert events.added(name, "https://a.example/r").summary == "New page: amazon-us · Returns policy"
    removed = events.removed(
        name, "HTTP 410 Gone: the page was removed; its history is kept", first_missing=FIRST, at="2026-03-02T06:00:00Z"
    )
    assert removed.summary == "Page removed: amazon-us · Returns policy"
    assert removed.reasons[0].text.startswith("HTTP 410 Gone since 2026-03-01T06:00:00Z, confirmed 2026-03-02")
    reason = "moved: https://a.example/r now redirects to https://a.example/returns; its history is kept"
    assert events.redirect_target(reason) == "https://a.example/returns"
    assert events.redirect_target("HTTP 404 Not Found") is None
    moved = events.moved(name, reason, target=events.redirect_target(reason))
    assert moved.summary == "Page moved to https://a.example/returns: amazon-us · Returns policy"
    assert events.moved(name, "moved", target=None).summary == "Page moved: amazon-us · Returns policy"
    back = events.restored(name, gone_at=FIRST, text_changed=False)
    assert back.summary == "Page back: amazon-us · Returns policy" and "with the text it had" in back.reasons[0].text
    for page in (events.added(name, "u"), removed, moved, back):
        assert page.label == "substantive" and page.event in EVENTS
        assert page.reasons[0].kind in events.EVENT_KINDS


def test_every_event_and_its_reason_kind_is_explained_in_the_docs():
    doc = (REPO / "docs" / "changes.md").read_text(encoding="utf-8")
    for name in (*EVENTS, *events.EVENT_KINDS):
        assert f"`{name}`" in doc, f"docs/changes.md does not explain {name}"
