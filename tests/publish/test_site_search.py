"""kb.publish.site_search: what each document gives the site search, and Pagefind run only when
that changed. (What a built site's search finds, in a browser: tests/system/test_site_browser.py.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import lxml.html

import kb.publish.site_search as site_search
from kb.publish import write_sources
from kb.publish.site_search import BUNDLE, DIGEST_FILE, Record, record_html
from tests.support.pagefind import pagefind_records
from tests.support.site_data import change, doc, site_data

SITE_URL = "https://policies.example.org/watch/"


def test_a_record_is_escaped_text_with_the_pages_own_anchors():
    record = Record(
        url="documents/shop/fees/",
        title="Fees </title><script>",
        marketplace="shop",
        summaries=(("change-20261101T060000Z", "2026-11-01 06:00 UTC (minor)", "Fee <b>raised</b>"),),
        rules="# Fees\n\nSellers **must** pay the [referral fee](https://x.example/) within `30` days.\n"
        "<script>alert(1)</script>\n",
    )
    html = record_html(record)
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//script | //b")  # crawled text stays text
    assert [h.get("id") for h in tree.xpath("//h2 | //h3")] == ["changelog", "change-20261101T060000Z", "current-rules"]
    text = tree.text_content()
    assert "Sellers must pay the referral fee within 30 days." in text  # Markdown marks and links gone
    assert "<script>alert(1)</script>" in text and "Fee <b>raised</b>" in text
    assert tree.xpath("//h4")[0].text_content() == "Fees"  # the rules' heading, without an id


def test_pagefind_runs_only_when_the_records_changed(tmp_path, monkeypatch):
    data = site_data(doc("shop/fees", "Fees"), changes=(change("shop/fees", "2026-11-01T06:00:00Z"),))
    src = tmp_path / "site-src"
    write_sources(data, src, site_url=SITE_URL)
    first = {p.relative_to(src): p.read_bytes() for p in (src / "docs" / BUNDLE).rglob("*") if p.is_file()}
    assert (src / "docs" / BUNDLE / DIGEST_FILE).is_file() and len(first) > 5
    runs = []
    real = site_search._run_pagefind
    monkeypatch.setattr(site_search, "_run_pagefind", lambda *args: runs.append(args) or real(*args))
    checked_later = replace(data, generated_at="2026-11-11T06:00:00Z")  # a check time moves nothing indexed
    write_sources(checked_later, src, site_url=SITE_URL)
    again = {p.relative_to(src): p.read_bytes() for p in (src / "docs" / BUNDLE).rglob("*") if p.is_file()}
    assert runs == [] and again == first
    renamed = replace(data, documents=(replace(data.documents[0], title="Fees and charges"),))
    write_sources(renamed, src, site_url=SITE_URL)
    assert len(runs) == 1
    assert (src / "docs" / BUNDLE / DIGEST_FILE).read_bytes() != first[Path("docs", BUNDLE, DIGEST_FILE)]


def test_a_site_search_in_parts_indexes_each_record_once_and_a_changed_part_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(site_search, "PART_BYTES", 1)  # a part per hash value: several parts
    documents = [doc(f"shop/page-{n}", f"Page {n}") for n in range(8)]
    data = site_data(*documents)
    src = tmp_path / "site-src"
    write_sources(data, src, site_url=SITE_URL)
    bundles = sorted(p.parent for p in (src / "docs" / BUNDLE).rglob("pagefind-entry.json"))
    assert bundles[0] == src / "docs" / BUNDLE and len(bundles) > 2
    assert all(b.parent == bundles[0] and b.name.startswith("part-") for b in bundles[1:])
    script = (src / "docs" / site_search.SCRIPT).read_text()
    assert all(f'"{BUNDLE}/{b.name}/"' in script for b in bundles[1:])  # merged by the search page
    assert not list(bundles[1].glob("*.js"))  # part 0's scripts read the other parts
    urls = [r["url"] for r in pagefind_records(src / "docs")]
    assert sorted(urls) == sorted(f"/documents/shop/page-{n}/" for n in range(8))  # each once
    before = _bundle_bytes(bundles)
    runs = []
    real = site_search._run_pagefind
    monkeypatch.setattr(site_search, "_run_pagefind", lambda *args: runs.append(args) or real(*args))
    renamed = replace(data, documents=(replace(documents[0], title="Page zero"), *documents[1:]))
    write_sources(renamed, src, site_url=SITE_URL)
    assert len(runs) == 1  # the part of the renamed page
    after = _bundle_bytes(bundles)
    assert sum(after[b] != before[b] for b in bundles) == 1  # the other parts' bytes as they were


def _bundle_bytes(bundles: list[Path]) -> dict[Path, dict[str, bytes]]:
    """Each part's files (part 0's without the other parts in its folder)."""
    return {
        b: {
            p.relative_to(b).as_posix(): p.read_bytes()
            for p in b.rglob("*")
            if p.is_file() and not (b == bundles[0] and p.relative_to(b).parts[0].startswith("part-"))
        }
        for b in bundles
    }
