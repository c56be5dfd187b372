"""kb.publish.pages: what the pages hold, checked on small records (the whole site is built in
test_publish.py)."""

from __future__ import annotations

import json

import pytest

from kb.errors import PublishError
from kb.publish.pages import AS_OF_MARKER, LAST_CHECKED_MARKER, Site, checks_json
from tests.support.site_data import CHECKED, change, doc, site_data


def test_a_change_of_an_unknown_document_is_refused_with_a_hint():
    with pytest.raises(PublishError, match=r"belongs to unknown document 'shop/gone'") as err:
        Site(site_data(doc("shop/fees"), changes=(change("shop/gone", "2026-11-01T06:00:00Z"),)))
    assert err.value.hint == "the store is inconsistent: run `policywatch status`"


def test_check_times_are_markers_in_the_pages_and_values_in_checks_json():
    site = Site(site_data(doc("shop/fees"), doc("shop/returns", last_checked=None)))
    page = site.document_page(site.by_id["shop/fees"])
    assert LAST_CHECKED_MARKER in page and "06:00 UTC" not in page  # a check alone rewrites no page
    assert AS_OF_MARKER in site.index_page()
    assert json.loads(checks_json(site)) == {
        "generated_at": CHECKED,
        "as_of": "2026-11-10 06:00 UTC",
        "last_checked": {"shop/fees": "2026-11-10 06:00 UTC", "shop/returns": "—"},
    }


def test_changes_are_listed_newest_first_and_technical_ones_not_at_all():
    changes = (
        change("shop/fees", "2026-10-01T06:00:00Z"),
        change("shop/fees", "2026-11-01T06:00:00Z", "substantive"),
        change("shop/fees", "2026-11-05T06:00:00Z", technical=True),
    )
    site = Site(site_data(doc("shop/fees"), changes=changes))
    assert [c.detected_at for c in site.changes] == ["2026-11-01T06:00:00Z", "2026-10-01T06:00:00Z"]
    pages = site.listing_pages(None)
    assert sorted(pages) == ["changes/2026-10.md", "changes/2026-11.md", "changes/index.md"]
    assert "2026-11-05" not in "".join(pages.values())


def test_each_change_entry_says_when_it_takes_effect_or_that_it_does_not_say():
    changes = (
        change("shop/fees", "2026-10-01T06:00:00Z"),
        change("shop/fees", "2026-11-01T06:00:00Z", effective_date="2026-12-01", notice_days=30),
    )
    page = Site(site_data(doc("shop/fees"), changes=changes)).document_page(doc("shop/fees"))
    assert page.count("No effective date stated.") == 1
    assert "Takes effect 2026-12-01, 30 days after it was detected." in page


def test_section_labels_prefer_the_detailed_ones():
    changes = (
        change("shop/fees", "2026-10-01T06:00:00Z", sections=("Fees",)),
        change("shop/fees", "2026-11-01T06:00:00Z", sections=("Fees",), section_changes=("Fees: 1 sentence changed",)),
    )
    page = Site(site_data(doc("shop/fees"), changes=changes)).document_page(doc("shop/fees"))
    assert "<li>Sections: Fees</li>" in page
    assert "<li>Sections: Fees: 1 sentence changed</li>" in page


def test_a_page_that_keeps_flapping_says_which_passage_is_ignored_and_since_when():
    from dataclasses import replace

    from kb.models import FlapPassage

    lang = FlapPassage("k1", "Prix en euros", "Prices in euros", 1, 1)
    flaps = tuple(("shop/fees", f"2026-11-0{day}T06:00:00Z", (lang,)) for day in range(1, 6))
    data = replace(
        site_data(doc("shop/fees", last_good_check=CHECKED), doc("shop/returns")),
        flaps=flaps,
    )
    site = Site(data)
    page = site.document_page(site.by_id["shop/fees"])
    assert '<div class="pw-flapping" data-search-exclude>' in page
    assert "“Prix en euros” / “Prices in euros”: this passage alternates between two texts (5 flaps)" in page
    assert "ignored since 2026-11-01 06:00 UTC" in page
    assert "pw-flapping" not in site.document_page(site.by_id["shop/returns"])


def test_a_document_page_puts_the_latest_changes_brief_before_the_evidence():
    from dataclasses import replace

    from kb.models import Reason

    latest = change(
        "shop/fees",
        "2026-11-01T06:00:00Z",
        "substantive",
        effective_date="2026-12-01",
        notice_days=30,
        reasons=(Reason("number", "Fee: 4% → 5%"), Reason("stated-date", "Last updated: 1 November 2026")),
    )
    data = replace(
        site_data(doc("shop/fees"), changes=(change("shop/fees", "2026-10-01T06:00:00Z"), latest)),
        marketplace_names={"shop": "Shop Central (US)"},
    )
    page = Site(data).document_page(doc("shop/fees"))
    box, evidence, changelog = page.index('class="pw-latest'), page.index('class="pw-meta"'), page.index("## Changelog")
    assert box < evidence < changelog  # the news first
    brief = page[box:evidence]
    assert "substantive change" in brief and "What to do:</strong> Be ready by 1 December 2026" in brief
    assert "Fee: 4% → 5%" in brief and "Last updated" not in brief  # the stated date is no reason
    assert "(number)" not in page  # internal labels stay internal
    assert "Shop Central (US)" in page[evidence:changelog]  # the marketplace by its declared name
