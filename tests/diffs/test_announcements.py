"""Announcements: parsing pages of upcoming changes (golden/announcements.yaml, EN and DE),
their history over versions, the terms and links to changes, and the two flags."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diffs import announcements as ann
from diffs.diff import diff_texts
from kb.models import Change, Document, Version

CASES = yaml.safe_load((Path(__file__).resolve().parents[1] / "golden" / "announcements.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_pages_give_their_dated_entries(case):
    got = [
        {"title": a.title, "effective_date": a.effective_date, "section": a.section}
        for a in ann.parse(case["markdown"])
    ]
    assert got == case["expected"]


def test_an_entry_keeps_its_text_without_link_targets_or_markup():
    first = ann.parse(CASES[0]["markdown"])[0]
    assert first.text.startswith("Effective as of 7 August 2026, we're updating the Partnered Carrier")
    assert "PDF version" in first.text and "https://" not in first.text


def version(vid: int, doc_id: str, at: str, text: str) -> Version:
    return Version(vid, doc_id, vid, "s", at, "t", text, f"h{vid}")


PAGE = "shop/upcoming"
RATE_ENTRY = (
    "## Late shipment rate target\n\nEffective 1 October 2026, the late shipment rate target for "
    "seller-fulfilled orders goes from under 4% to under 3%.\n"
)
FEES_ENTRY = "## Referral fees for books\n\nFrom 15 August 2026, the referral fee for books falls from 15% to 12%.\n"


def page(*entries: str) -> str:
    return "# Upcoming changes\n\nListed below are upcoming changes to our policies.\n\n" + "".join(entries)


def test_history_lists_each_announcement_once_with_the_first_version_that_listed_it():
    versions = [
        version(2, PAGE, "2026-08-10T06:00:00Z", page(RATE_ENTRY, FEES_ENTRY)),
        version(1, PAGE, "2026-08-03T06:00:00Z", page(RATE_ENTRY)),
    ]
    found = {a.title: a for a in ann.history(versions)}
    assert found["Late shipment rate target"].first_seen == "2026-08-03T06:00:00Z"
    assert found["Referral fees for books"].first_seen == "2026-08-10T06:00:00Z"
    assert {a.doc_id for a in found.values()} == {PAGE}
    assert found["Late shipment rate target"].effective_date == "2026-10-01"


def test_terms_are_numbers_capitalized_and_long_words_without_stop_words_and_dates():
    found = ann.terms("Effective 1 October 2026, the LSR target goes from under 4 % to 2,5 % for all sellers.")
    assert found == {"lsr", "target", "4", "2.5", "sellers"}
    assert ann.terms("Ab dem 1. Oktober 2026 gilt für die Rate verspäteter Lieferungen unter 3 %.") == {
        "rate",
        "verspäteter",
        "lieferungen",
        "3",
    }


def change(key: str, doc_id: str, old: str, new: str, **fields) -> Change:
    fields = {"detected_at": "2026-08-24T06:00:00Z", "label": "substantive", **fields}
    return Change(0, key, doc_id, 1, 2, summary="s", ops=tuple(diff_texts(old, new)), **fields)


METRICS_OLD = "# Metrics\n\n## Late shipment rate\n\nKeep your late shipment rate under 4%.\n\n## Other\n\nBe kind.\n"
METRICS_NEW = (
    "# Metrics\n\n## Late shipment rate\n\nEffective 1 October 2026: keep your late shipment rate under 3%.\n\n"
    "## Other\n\nBe kind.\n"
)
DOCS = [
    Document(PAGE, "Upcoming", "u", "shop", "changes", role="announcements"),
    Document("shop/metrics", "Metrics", "u", "shop", "metrics"),
    Document("other/metrics", "Metrics", "u", "other", "metrics"),
]
VERSIONS = [version(1, PAGE, "2026-08-03T06:00:00Z", page(RATE_ENTRY, FEES_ENTRY))]


def test_a_change_is_linked_to_the_announcement_of_its_effective_date_with_the_terms_that_matched():
    rate = change(
        "shop/metrics/1",
        "shop/metrics",
        METRICS_OLD,
        METRICS_NEW,
        effective_date="2026-10-01",
        sections=("Metrics › Late shipment rate",),
    )
    found = ann.linkage(DOCS, VERSIONS, [rate], now="2026-08-25T06:00:00Z")
    linked = found.link_of(rate)
    assert linked is not None and linked.announcement.title == "Late shipment rate target"
    assert {"late", "shipment", "rate", "4", "3"} <= set(linked.terms)
    assert linked.by == "effective date"
    assert found.announced(rate) is True
    assert found.status(linked.announcement) == ann.CARRIED_OUT
    keys = ann.change_keys(rate, found)
    assert keys["announced"] is True and keys["announcement"]["title"] == "Late shipment rate target"
    assert keys["announcement"]["effective_date"] == "2026-10-01" and keys["announcement"]["doc_id"] == PAGE


def test_the_same_words_on_another_date_or_in_another_marketplace_link_nothing():
    elsewhere = change("other/metrics/1", "other/metrics", METRICS_OLD, METRICS_NEW, effective_date="2026-10-01")
    other_day = change("shop/metrics/1", "shop/metrics", METRICS_OLD, METRICS_NEW, effective_date="2026-11-01")
    found = ann.linkage(DOCS, VERSIONS, [elsewhere, other_day], now="2026-08-25T06:00:00Z")
    assert found.links == ()
    assert found.announced(other_day) is False  # unannounced: shop has a page of announcements
    assert found.announced(elsewhere) is None  # unknown: "other" publishes none


def test_the_same_date_with_too_few_shared_terms_links_nothing():
    unrelated = change(
        "shop/metrics/1",
        "shop/metrics",
        "# Metrics\n\nAnswer messages quickly.\n",
        "# Metrics\n\nFrom 1 October 2026, answer messages within 12 hours.\n",
        effective_date="2026-10-01",
    )
    assert ann.linkage(DOCS, VERSIONS, [unrelated], now="2026-08-25T06:00:00Z").links == ()


def test_a_change_stating_no_date_links_when_detected_near_the_effective_date():
    old, new = METRICS_OLD, METRICS_OLD.replace("under 4%", "under 3%")
    near = change("shop/metrics/1", "shop/metrics", old, new, detected_at="2026-10-02T06:00:00Z")
    far = change("shop/metrics/2", "shop/metrics", old, new, detected_at="2026-08-24T06:00:00Z")
    found = ann.linkage(DOCS, VERSIONS, [near, far], now="2026-10-03T00:00:00Z")
    assert found.link_of(near).by == "detected near the effective date"
    assert found.link_of(far) is None


def test_an_announcement_past_its_date_with_no_change_is_announced_not_seen():
    before = ann.linkage(DOCS, VERSIONS, [], now="2026-08-14T00:00:00Z")
    after = ann.linkage(DOCS, VERSIONS, [], now="2026-08-16T00:00:00Z")
    fees = next(a for a in before.announcements if a.title == "Referral fees for books")
    assert before.status(fees) == ann.UPCOMING
    assert after.status(fees) == ann.NOT_SEEN
    assert before.not_seen() == () and after.not_seen() == (fees,)
    assert ann.not_seen_note(fees, after.now) == (
        '"Referral fees for books" (effective 2026-08-15, listed since 2026-08-03): '
        "no change carried it out by the newest check (2026-08-16)."
    )


def test_the_missed_announcements_are_those_past_their_date_and_carried_out_by_nothing():
    rate = change("shop/metrics/1", "shop/metrics", METRICS_OLD, METRICS_NEW, effective_date="2026-10-01")
    late = ann.linkage(DOCS, VERSIONS, [rate], now="2026-10-05T00:00:00Z")
    assert [a.title for a in late.not_seen()] == ["Referral fees for books"]  # the rate change was carried out
    nothing = ann.linkage(DOCS, VERSIONS, [], now="2026-10-05T00:00:00Z")
    assert [a.effective_date for a in nothing.not_seen()] == ["2026-10-01", "2026-08-15"]  # newest date first


def test_technical_flaps_and_noise_carry_nothing_out():
    kinds = [
        {"technical": True},
        {"flap": True},
        {"label": "noise"},
    ]
    changes = [
        change(f"shop/metrics/{i}", "shop/metrics", METRICS_OLD, METRICS_NEW, effective_date="2026-10-01", **kind)
        for i, kind in enumerate(kinds)
    ]
    assert ann.linkage(DOCS, VERSIONS, changes, now="2026-08-25T06:00:00Z").links == ()


def test_a_change_of_the_page_lists_the_announcements_it_added_with_their_status():
    versions = {
        1: version(1, PAGE, "2026-08-03T06:00:00Z", page(RATE_ENTRY)),
        2: version(2, PAGE, "2026-08-10T06:00:00Z", page(RATE_ENTRY, FEES_ENTRY)),
    }
    added = change("shop/upcoming/1", PAGE, versions[1].text, versions[2].text)
    found = ann.linkage(DOCS, versions.values(), [added], now="2026-08-20T00:00:00Z")
    keys = ann.change_keys(added, found)
    assert keys["announced"] is None and keys["announcement"] is None
    assert [(a["title"], a["status"]) for a in keys["announces"]] == [("Referral fees for books", ann.NOT_SEEN)]


def test_without_linkage_the_keys_say_unknown():
    rate = change("shop/metrics/1", "shop/metrics", METRICS_OLD, METRICS_NEW)
    assert ann.change_keys(rate, None) == {"announcement": None, "announced": None, "announces": []}
