"""Pages that come and go on the site and in the feeds: listed with the other changes, shown
without a diff, with a link to the page and to the text it had."""

from __future__ import annotations

import json
from dataclasses import replace

import feedparser

from kb.models import Event, Reason, Version
from kb.publish.feeds import Feed, feed_files
from kb.publish.pages import Site
from tests.support.site_data import change, doc, site_data

SITE = "https://policies.example.org/"
SHOP = doc("shop/returns", "Returns policy")
VERSION = Version(
    7, "shop/returns", 3, "ab" * 32, "2026-10-01T06:00:00Z", "Returns policy", "Returns within 30 days.\n", ""
)
ADDED = replace(
    change("shop/returns", "2026-10-01T06:00:00Z", "substantive"),
    from_version_id=None,
    to_version_id=7,
    summary="New page: shop · Returns policy",
    reasons=(Reason("page-added", "a new page at https://shop.example/shop/returns"),),
    event=Event.ADDED,
)
REMOVED = replace(
    change("shop/returns", "2026-11-02T06:00:00Z", "substantive"),
    from_version_id=7,
    to_version_id=None,
    summary="Page removed: shop · Returns policy",
    reasons=(Reason("page-removed", "HTTP 404 Not Found since 2026-11-01T06:00:00Z"),),
    event=Event.REMOVED,
)


def site() -> Site:
    data = replace(site_data(SHOP, changes=(ADDED, REMOVED)), versions={7: VERSION}, current={"shop/returns": VERSION})
    return Site(data)


def test_the_changelog_lists_pages_added_and_removed():
    pages = site().listing_pages(None)
    listing = pages["changes/index.md"]
    assert "New page: shop · Returns policy" in listing and "Page removed: shop · Returns policy" in listing


def test_a_page_event_shows_no_diff_but_the_page_and_its_text():
    page = site().document_page(SHOP)
    assert page.count('class="pw-diffs"') == 0 and "Compared the" not in page
    assert "No effective date stated." not in page
    assert page.count('href="https://shop.example/shop/returns"') >= 2  # each event links the page
    assert "first version</a>" in page and "last version</a>" in page
    # the reasons in words, without their internal kinds (issue 14)
    assert "a new page at https://shop.example/shop/returns" in page and "HTTP 404 Not Found since" in page
    assert "(page-added)" not in page and "(page-removed)" not in page


def test_the_feeds_carry_page_events_with_a_link_to_the_page_and_their_event():
    feed = Feed("feed", "policywatch: changes", "Changes.", "", (ADDED, REMOVED), "2026-01-01T00:00:00Z")
    files = feed_files(feed, {SHOP.doc_id: SHOP}, SITE)
    entries = feedparser.parse(files["feed.atom.xml"]).entries
    # "Marketplace · Document: what became of the page"
    assert [e.title for e in entries] == ["shop · Returns policy: Page removed", "shop · Returns policy: New page"]
    assert all(SHOP.url in e.summary and "Full diff" not in e.summary for e in entries)
    items = json.loads(files["feed.json"])["items"]
    assert [i["_policywatch"]["event"] for i in items] == ["removed", "added"]
    assert feedparser.parse(files["feed.xml"]).bozo == 0
