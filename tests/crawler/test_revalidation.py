"""6b: a 304 is confirmed. A CDN that answers 304 to any If-None-Match (the page changed, its
ETag did not) hides a change for a bounded number of crawls, never for ever: after
``TRUSTED_NOT_MODIFIED`` 304s in a row the next request is unconditional."""

from __future__ import annotations

import pytest

from crawler.plan import TRUSTED_NOT_MODIFIED
from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow


def test_a_lying_304_hides_a_change_only_until_an_unconditional_fetch(tmp_path):
    home, src = tmp_path / "home", tmp_path / "sources"
    src.mkdir()
    with LoopbackSite() as site:
        site.page("/p/fees", help_page("fees", policy_paragraphs("fees", 1)), etag='"same"')
        (src / "cdn.yaml").write_text(
            declaration("cdn", [{"id": "fees", "title": "Fees", "url": site.url("/p/fees"), "type": "fees"}])
        )
        sources = load_sources(src)
        crawl(home, sources, fast=True, fixed_time="2026-04-01T00:00:00Z")
        # The text changes; the CDN keeps the old ETag and answers 304 to it.
        site.page("/p/fees", help_page("fees", policy_paragraphs("fees", 2)), etag='"same"')
        asked = []
        for day in range(2, 3 + TRUSTED_NOT_MODIFIED):
            crawl(home, sources, fast=True, fixed_time=f"2026-04-{day:02d}T00:00:00Z")
            asked.append(site.hits("/p/fees")[-1].headers.get("if-none-match"))
    with Store(home) as store:
        outcomes = [c.outcome for c in store.checks("cdn/fees")]
    assert asked == ['"same"'] * TRUSTED_NOT_MODIFIED + [None]  # then one request without validators
    assert outcomes == ["first-version"] + ["unchanged"] * TRUSTED_NOT_MODIFIED + ["new-version"]
