"""Announcements on the demo marketplace: its page of upcoming changes (declared with
``role: announcements``) lists the late shipment rate change from the first state, three weeks
before the metrics page changes, and from the third state a change of the messaging rules that
never comes. Real crawls of the loopback server, state by state, then `changes` (text and
--json), the site's page and the feeds."""

from __future__ import annotations

import json

import pytest

from diffs.announcements import CARRIED_OUT, NOT_SEEN, UPCOMING
from kb.demo.run import write_sources
from kb.demo.server import DemoServer
from kb.pipeline import crawl
from kb.publish import render_sources
from kb.record.announcements import announcements
from kb.sources import open_sources
from kb.store import Store
from tests.support import run_cli

pytestmark = pytest.mark.slow

PAGE = "northwind/upcoming-changes"
METRICS = "northwind/customer-service-performance"
RATE = "Late shipment target lowered to 3%"
MESSAGES = "Buyer messages answered within 12 hours"


def statuses(store: Store) -> dict[str, str]:
    found = announcements(store)
    return {a.title: found.status(a) for a in found.announcements}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's states crawled in order; the linkage read after each state."""
    home = tmp_path_factory.mktemp("announce")
    seen = {}
    with DemoServer() as server:
        sources = open_sources(write_sources(home, server.base_url))
        for state in server.states:
            server.set_state(state.name)
            crawl(home, sources, fast=True, fixed_time=state.date)
            with Store(home) as store:
                seen[state.name] = statuses(store)
    return home, seen


def test_the_page_announces_the_rate_change_before_the_metrics_page_makes_it(demo):
    _, seen = demo
    # First state (2026-08-03): the rate change announced, its date not reached.
    assert seen["baseline"] == {RATE: UPCOMING}
    # Third state (2026-08-17): the messaging change listed too; nothing carried out, 20 August not reached.
    assert seen["silent-cosmetic-added"] == {RATE: UPCOMING, MESSAGES: UPCOMING}
    # Fourth state (2026-08-24): the metrics page lowers the target; 20 August passed unseen.
    assert seen["substantive-minor-removed"] == {RATE: CARRIED_OUT, MESSAGES: NOT_SEEN}


def test_changes_json_links_the_rate_change_and_flags_the_unannounced_one(demo):
    home, _ = demo
    changes = {c["doc_id"]: c for c in json.loads(run_cli("changes", "--json", home=home).stdout)}
    rate = changes[METRICS]
    assert rate["announced"] is True
    assert rate["effective_date"] == rate["announcement"]["effective_date"] == "2026-10-01"
    assert rate["announcement"]["doc_id"] == PAGE and rate["announcement"]["title"] == RATE
    assert rate["announcement"]["first_seen"] == "2026-08-03T06:00:00Z"  # three weeks before the change
    assert rate["announcement"]["matched_by"] == "effective date"
    assert {"late", "shipment", "target", "lowered", "3", "4"} <= set(rate["announcement"]["terms"])
    conduct = changes["northwind/code-of-conduct"]
    assert conduct["class"] == "substantive" and conduct["announced"] is False  # unannounced
    assert conduct["announcement"] is None
    text = run_cli("changes", home=home).stdout
    assert f'Announced on {PAGE} ("{RATE}", effective 2026-10-01' in text
    assert "Unannounced: no announcement on northwind's page of upcoming changes matches it." in text


def test_changes_says_the_messaging_change_was_announced_and_not_seen(demo):
    home, _ = demo
    changes = json.loads(run_cli("changes", "--json", home=home).stdout)
    (listed,) = [c for c in changes if c["doc_id"] == PAGE]  # the third state's change of the page
    assert listed["detected_at"] == "2026-08-17T06:00:00Z" and listed["announced"] is None
    (messages,) = listed["announces"]
    assert (messages["title"], messages["effective_date"]) == (MESSAGES, "2026-08-20")
    assert messages["status"] == NOT_SEEN and messages["changes"] == []
    assert messages["first_seen"] == "2026-08-17T06:00:00Z"
    messaging = [c for c in changes if c["doc_id"] == "northwind/buyer-seller-messaging"]
    assert messaging == []  # the guidelines never changed: nothing carried it out
    text = run_cli("changes", home=home).stdout
    assert f'Announces: "{MESSAGES}" (effective 2026-08-20): announced, not seen.' in text
    # And a line of its own at its date, between the fourth state's changes and the third's.
    lines = text.splitlines()
    starts = [line for line in lines if line[:4].isdigit()]  # each entry's first line
    (missed,) = [line for line in starts if "announced, not seen" in line]
    assert missed.startswith("2026-08-20") and PAGE in " ".join(lines[lines.index(missed) :][:2])
    dates = [line[:10] for line in starts]
    assert dates == sorted(dates, reverse=True) and "2026-08-24" in dates and "2026-08-17" in dates
    assert f'"{MESSAGES}" (effective 2026-08-20, listed since 2026-08-17): no change carried it out' in text
    # A filter of the changes does not turn a carried-out announcement into a missed one.
    minor = run_cli("changes", "--class", "minor", home=home).stdout
    assert "announced, not seen" not in minor
    page = run_cli("changes", "--doc", PAGE, home=home).stdout
    assert page.count("announced, not seen") == 2 and RATE not in page


def test_the_site_lists_the_announcements_with_their_status_and_the_feeds_say_it(demo):
    home, _ = demo
    with Store(home) as store:
        files = render_sources(store.publish_input(), "https://policies.example.org/")
    page = files["docs/announcements.md"].decode()
    rate, messages = page.index(RATE), page.index(MESSAGES)
    assert rate < messages  # newest effective date first
    assert "carried out" in page[rate:messages] and "#change-20260824T060000Z" in page[rate:messages]
    assert "announced, not seen" in page[messages:]
    assert "Announcements: announcements.md" in files["mkdocs.yml"].decode()
    feed = files["docs/feed.json"].decode()
    assert f"Announced on {PAGE}" in feed and "Unannounced: no announcement on northwind" in feed
    (item,) = [i for i in json.loads(feed)["items"] if i["id"].endswith(f"{PAGE}/20260817T060000Z")]
    missed = f'Announces: "{MESSAGES}" (effective 2026-08-20): announced, not seen.'
    assert missed in item["content_html"]
    assert all(missed in files[f"docs/{name}"].decode() for name in ("feed.xml", "feed.atom.xml"))
