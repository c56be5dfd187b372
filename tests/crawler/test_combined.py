"""A document combined from two pages, crawled for real: one snapshot, one text, one history."""

from __future__ import annotations

import pytest

from diffs.combine import unpack
from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow


def test_combined_pages_are_one_snapshot_and_change_together(tmp_path):
    with LoopbackSite() as site:
        site.page("/conditions", help_page("Conditions", policy_paragraphs("conditions")))
        site.page("/annex", "<html><body><div class='annex'><p>Annex: fees are 5 USD.</p></div></body></html>")
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "m.yaml").write_text(
            declaration(
                "m",
                [
                    {
                        "id": "conditions",
                        "title": "Conditions",
                        "type": "agreement",
                        "pages": [{"url": site.url("/conditions")}, {"url": site.url("/annex"), "select": [".annex"]}],
                    }
                ],
            )
        )
        sources = load_sources(tmp_path / "src")
        crawl(tmp_path / "home", sources, fast=True, fixed_time="2026-06-01T00:00:00Z")
        site.page("/annex", "<html><body><div class='annex'><p>Annex: fees are 6 USD.</p></div></body></html>")
        crawl(tmp_path / "home", sources, fast=True, fixed_time="2026-06-02T00:00:00Z")
    with Store(tmp_path / "home") as store:
        first, second = store.versions("m/conditions")
        [change] = store.changes("m/conditions")
        pages = unpack(store.snapshot_body(second.snapshot_id))
    assert first.text.startswith("# Conditions\n\nconditions: sellers pay a fee of 5 USD per order.")
    assert first.text.endswith("twelve months.\n\nAnnex: fees are 5 USD.\n")
    assert second.text.endswith("Annex: fees are 6 USD.\n")
    assert change.detected_at == "2026-06-02T00:00:00Z"
    assert [p.url for p in pages] == [site.url("/conditions"), site.url("/annex")]
    assert b"6 USD" in pages[1].body
