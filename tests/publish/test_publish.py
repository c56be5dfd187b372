"""The published site: pages, permalinks, diffs, feeds, offline use, reproducible and
incremental publishing, safe rendering of hostile crawled text. One real MkDocs build is
shared by the module."""

from __future__ import annotations

import os
import posixpath
import random
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import lxml.etree
import lxml.html
import markdown
import pytest
import yaml

import kb.publish.mkdocs_config
import kb.publish.pages
from kb.models import Change, Document, PublishInput, Reason, Version
from kb.publish import (
    NO_SITE_URL_NOTICE,
    PENDING_FILE,
    SITE_URL_ENV,
    PublishError,
    SiteResult,
    build_site,
    iter_sources,
    publish,
    render_sources,
    write_sources,
)
from kb.publish.briefs import brief_of
from kb.publish.sanitize import clean_html, escape_markdown_html, safe_title
from kb.publish.urls import change_permalink, version_file
from kb.store.derived import Derived
from tests.support.feeds import json_feed_as_entries
from tests.support.pagefind import pagefind_records, pagefind_text
from tests.support.site_data import lazy

SITE_URL = "https://policies.example.org/watch/"
SOURCE_DATE_EPOCH_BEFORE = os.environ.get("SOURCE_DATE_EPOCH")

# ----------------------------------------------------------------------------- the records

HOSTILE_TITLE = 'Fees </title><script>alert("title")</script> & "charges"'
HOSTILE_TEXT = """# Fees and charges

## Refunds <img src=x onerror=alert(5)> `<b>`

Selling fees apply to every order <script>alert(1)</script> placed on Northwind.

<img src=x onerror=alert(1)>

Read the [fee schedule](https://northwind.example/fees) or [click](javascript:alert(1)).
See <a href="javascript:alert(1)">the details</a> and <div><p>unclosed

Use `<b>code</b>` in templates; ![banner](https://northwind.example/banner.png)

[ref]: javascript:alert(1)

```
<script>alert("fenced")</script>
```

> Fees & charges are due <i>monthly</i>.
"""

AGREEMENT_V1 = """# Northwind Seller Agreement

Last updated: 1 October 2026

## 1. Fees

The monthly subscription fee is 39.99 USD.

## 2. Payments

Payouts are made every 14 days.
"""


def edit(text: str, old: str, new: str) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Replace ``old`` by ``new`` once; return the new text and the diff ops."""
    before, found, after = text.partition(old)
    assert found, old
    ops = [(0, before)] if before else []
    ops += [(-1, old)] if old else []
    ops += [(1, new)] if new else []
    ops += [(0, after)] if after else []
    return before + new + after, tuple(ops)


def _sha(n: int) -> str:
    return f"{n:02d}" * 32


def build_input() -> PublishInput:
    versions: dict[int, Version] = {}
    changes: list[Change] = []

    def version(vid: int, doc_id: str, at: str, text: str) -> Version:
        versions[vid] = Version(
            id=vid,
            doc_id=doc_id,
            snapshot_id=vid,
            snapshot_sha256=_sha(vid),
            captured_at=at,
            title="",
            text=text,
            text_sha256=_sha(vid + 50),
        )
        return versions[vid]

    def change(
        cid: int, doc_id: str, a: Version, b: Version, label: str, summary: str, ops, reasons=(), silent=None, **extra
    ) -> None:
        stamp = re.sub(r"[-:]", "", b.captured_at)
        changes.append(
            Change(
                id=cid,
                key=f"{doc_id}/{stamp}",
                doc_id=doc_id,
                from_version_id=a.id,
                to_version_id=b.id,
                detected_at=b.captured_at,
                label=label,
                summary=summary,
                reasons=tuple(reasons),
                silent=silent,
                ops=ops,
                **extra,
            )
        )

    agreement = "northwind/seller-agreement"
    v1 = version(1, agreement, "2026-10-01T06:00:00Z", AGREEMENT_V1)
    t2, ops = edit(AGREEMENT_V1, "39.99", "49.99")
    v2 = version(2, agreement, "2026-10-15T06:00:00Z", t2)
    change(
        1,
        agreement,
        v1,
        v2,
        "substantive",
        "Monthly subscription fee raised from 39.99 USD to 49.99 USD",
        ops,
        [Reason("number", "monthly subscription fee: 39.99 USD → 49.99 USD")],
        silent=True,
        tags=("fees-payments",),
        effective_date="2026-11-14",
        notice_days=30,
        sections=("Northwind Seller Agreement › 1. Fees",),
    )
    t3, ops = edit(t2, "Payouts are made", "Payouts are sent")
    v3 = version(3, agreement, "2026-11-01T06:00:00Z", t3)
    change(
        2,
        agreement,
        v2,
        v3,
        "minor",
        "Wording changed in 2. Payments",
        ops,
        [Reason("wording", "3 words changed")],
        silent=False,
    )
    t4, ops = edit(t3, "every 14 days.\n", "every 14 days.\n\n")
    v4 = version(4, agreement, "2026-11-02T06:00:00Z", t4)
    change(3, agreement, v3, v4, "noise", "Whitespace only", ops, [Reason("whitespace", "blank line")])

    fees = "northwind/fees"
    v5 = version(5, fees, "2026-10-01T06:00:00Z", HOSTILE_TEXT)
    t6, ops = edit(HOSTILE_TEXT, "every order", "every order <script>alert(3)</script>")
    v6 = version(6, fees, "2026-10-20T06:00:00Z", t6)
    change(
        4,
        fees,
        v5,
        v6,
        "minor",
        "Summary <img src=x onerror=alert(2)>",
        ops,
        [Reason("wording<script>", "<script>alert(4)</script>")],
    )

    conduct = "southsea/code-of-conduct"
    c_text = "# Code of conduct\n\nSellers must answer buyers within 48 hours.\n"
    v7 = version(7, conduct, "2026-10-01T07:00:00Z", c_text)
    t8, ops = edit(c_text, "48 hours", "24 hours")
    v8 = version(8, conduct, "2026-11-02T06:00:00Z", t8)
    change(
        5,
        conduct,
        v7,
        v8,
        "substantive",
        "Response deadline shortened from 48 to 24 hours",
        ops,
        [Reason("deadline", "48 hours → 24 hours")],
        silent=True,
    )

    returns = "southsea/returns-policy"
    r_text = "# Returns\n\nBuyers may return items within 30 days. Views: 1,024\n"
    v9 = version(9, returns, "2026-10-01T07:00:00Z", r_text)
    t10, ops = edit(r_text, "1,024", "1,025")
    v10 = version(10, returns, "2026-10-05T07:00:00Z", t10)
    change(6, returns, v9, v10, "noise", "View counter only", ops, [Reason("counter", "view count")])

    checked = "2026-11-03T06:00:00Z"
    documents = (
        Document(
            agreement,
            "Northwind Seller Agreement",
            "https://northwind.example/agreement",
            "northwind",
            "agreement",
            first_seen=v1.captured_at,
            last_checked=checked,
            last_good_check=checked,
            last_changed=v4.captured_at,
        ),
        Document(
            fees,
            HOSTILE_TITLE,
            "https://northwind.example/fees",
            "northwind",
            "fees",
            first_seen=v5.captured_at,
            last_checked=checked,
            last_good_check=checked,
            last_changed=v6.captured_at,
        ),
        Document(
            conduct,
            "Code of Conduct",
            "https://southsea.example/conduct",
            "southsea",
            "code-of-conduct",
            status="failing",
            first_seen=v7.captured_at,
            last_checked=checked,
            last_good_check=v8.captured_at,
            last_changed=v8.captured_at,
            failure="timeout after 30 s",
        ),
        Document(
            returns,
            "Returns Policy",
            "https://southsea.example/returns",
            "southsea",
            "returns",
            status="gone",
            first_seen=v9.captured_at,
            last_checked=checked,
            last_good_check=v10.captured_at,
            last_changed=v10.captured_at,
            failure="HTTP 410 Gone",
        ),
    )
    current = {agreement: v4, fees: v6, conduct: v8, returns: v10}
    return PublishInput(
        generated_at="2026-11-03T06:00:00Z",
        documents=documents,
        current=current,
        changes=tuple(reversed(changes)),
        versions=versions,
    )


DATA = build_input()
NOT_NOISE = [c for c in DATA.changes if c.label != "noise"]


# ----------------------------------------------------------------------------- one build


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes; publish's list of sources still to build aside (bookkeeping)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != PENDING_FILE
    }


@dataclass
class Built:
    home: Path
    site: Path
    first: SiteResult
    second: SiteResult
    sources_first: dict[str, bytes]
    site_first: dict[str, bytes]
    stats_first: dict[str, tuple[int, int]]
    other_home: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    home = tmp_path_factory.mktemp("home")
    first = publish(DATA, home, site_url=SITE_URL)
    src = home / "site-src"
    sources_first, site_first = snapshot(src), snapshot(first.site_dir)
    stats = {rel: ((src / rel).stat().st_ino, (src / rel).stat().st_mtime_ns) for rel in sources_first}
    second = publish(DATA, home, site_url=SITE_URL)
    other = tmp_path_factory.mktemp("other-home")
    publish(DATA, other, site_url=SITE_URL)
    return Built(home, first.site_dir, first, second, sources_first, site_first, stats, other)


def page_of(site: Path, url: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / url / "index.html").read_bytes())


def page(built: Built, url: str) -> lxml.html.HtmlElement:
    return page_of(built.site, url)


def html_pages(built: Built) -> list[Path]:
    return sorted(built.site.rglob("*.html"))


# ----------------------------------------------------------------------------- structure


def test_site_has_home_changelogs_marketplace_and_document_pages(built):
    assert built.first.site_dir == built.home / "site"
    assert (built.site / "index.html").is_file()
    for listing in (
        "changes",
        "changes/substantive",
        "changes/minor",
        "changes/noise",
        "changes/2026-10",
        "changes/2026-11",
        "changes/substantive/2026-10",
    ):
        assert (built.site / listing / "index.html").is_file(), listing
    for market in ("northwind", "southsea"):
        assert (built.site / "marketplaces" / market / "index.html").is_file()
    for doc in DATA.documents:
        assert (built.site / "documents" / doc.doc_id / "index.html").is_file(), doc.doc_id
    config = built.sources_first["mkdocs.yml"].decode()
    assert "use_directory_urls: true" in config and "font: false" in config
    for feature in ("navigation.instant", "navigation.tabs", "navigation.prune"):
        assert feature in config, feature
    assert "search.suggest" not in config  # Material's search is gone: Pagefind's replaces it
    assert "scheme: slate" in config  # dark mode, with a toggle
    assert not list((built.home / "site-src").rglob("__pycache__"))  # the hook left none


def test_navigation_has_a_tab_per_marketplace(built):
    tree = page(built, "documents/northwind/seller-agreement")
    tabs = [" ".join(a.text_content().split()) for a in tree.xpath("//nav[@class='md-tabs']//a")]
    assert tabs == ["Home", "Changes", "Upcoming", "northwind", "southsea", "Rules", "Search"]


def test_a_big_marketplace_lists_its_documents_on_its_page_not_in_the_navigation(monkeypatch):
    monkeypatch.setattr(kb.publish.mkdocs_config, "NAV_DOCUMENTS", 1)
    config = yaml.safe_load(render_sources(DATA, SITE_URL)["mkdocs.yml"])
    sections = {name: entries for item in config["nav"] for name, entries in item.items()}
    assert sections["northwind"] == [{"Overview": "marketplaces/northwind.md"}]
    assert sections["southsea"] == [{"Overview": "marketplaces/southsea.md"}]
    monkeypatch.setattr(kb.publish.mkdocs_config, "NAV_DOCUMENTS", 2)
    config = yaml.safe_load(render_sources(DATA, SITE_URL)["mkdocs.yml"])
    sections = {name: entries for item in config["nav"] for name, entries in item.items()}
    assert len(sections["southsea"]) == 3


def test_each_change_has_a_permalink_anchor_on_its_document_page(built):
    for change in DATA.changes:
        path, anchor = change_permalink(change).split("#")
        assert anchor == "change-" + change.key.rsplit("/", 1)[1]
        tree = page(built, path)
        heading = tree.get_element_by_id(anchor)
        assert heading.tag == "h3"
        assert heading.xpath("./a[@class='pw-permalink']/@href") == [f"#{anchor}"]
        entry = heading.getparent()
        assert change.label in entry.text_content()
        assert brief_of(change, None).headline in entry.text_content()  # its brief's headline


def test_changelog_entry_has_class_reasons_silent_flag_effective_date_and_tags(built):
    tree = page(built, "documents/northwind/seller-agreement")
    anchors = [h.get("id") for h in tree.xpath("//h3[starts-with(@id, 'change-')]")]
    assert anchors == ["change-20261102T060000Z", "change-20261101T060000Z", "change-20261015T060000Z"]
    entry = tree.get_element_by_id("change-20261015T060000Z").getparent()
    assert entry.xpath(".//span[@class='pw-badge pw-substantive']")
    assert entry.xpath(".//span[@class='pw-badge pw-silent-badge']")
    assert entry.xpath(".//span[@class='pw-tag' and text()='Fees and payments']")
    text = " ".join(entry.text_content().split())
    assert "Monthly subscription fee raised from 39.99 USD to 49.99 USD, from 14 November 2026" in text
    assert "Silent change" in text
    assert "It takes effect on 14 November 2026, 30 days after it was first seen." in text
    assert "Sections: Northwind Seller Agreement › 1. Fees" in text
    later = " ".join(tree.get_element_by_id("change-20261101T060000Z").getparent().text_content().split())
    assert "No effective date stated." in later and "Silent change" not in later


def test_change_links_to_the_text_of_both_versions(built):
    tree = page(built, "documents/northwind/seller-agreement")
    entry = tree.get_element_by_id("change-20261015T060000Z").getparent()
    links = entry.xpath(".//div[@class='pw-facts']//a/@href")
    before, after = DATA.versions[1], DATA.versions[2]
    assert links == [
        f"versions/20261001T060000Z-{before.text_sha256[:12]}.txt",
        f"versions/20261015T060000Z-{after.text_sha256[:12]}.txt",
    ]
    folder = built.site / "documents" / "northwind" / "seller-agreement"
    for href, version in zip(links, (before, after), strict=True):
        assert (folder / href).read_bytes() == version.text.encode("utf-8")
    assert (built.site / version_file(DATA.versions[10])).is_file()


def test_two_versions_captured_at_the_same_time_keep_their_own_text():
    first = DATA.versions[4]  # re-extracted from the same snapshot with new rules
    again = replace(first, id=40, text=first.text + "\nA line the old rules dropped.\n", text_sha256=_sha(40))
    files = render_sources(
        replace(DATA, versions={**DATA.versions, 40: again}, current={**DATA.current, first.doc_id: again}), SITE_URL
    )
    assert files[f"docs/{version_file(first)}"] == first.text.encode()
    assert files[f"docs/{version_file(again)}"] == again.text.encode()


def test_diff_shows_insertions_and_deletions_section_by_section(built):
    tree = page(built, "documents/northwind/seller-agreement")
    entry = tree.get_element_by_id("change-20261015T060000Z").getparent()
    # The amount changes whole, each side after a label for screen readers (hidden by the CSS).
    assert [d.text for d in entry.iter("del")] == ["39.99 USD"]
    assert [i.text for i in entry.iter("ins")] == ["49.99 USD"]
    labels = [s.text for s in entry.xpath(".//div[@class='pw-diff']//span[@class='diff-label']")]
    assert labels == ["deleted: ", "inserted: "]
    assert [p.text_content() for p in entry.xpath(".//p[@class='pw-diff-section']")] == [
        "§ Northwind Seller Agreement › 1. Fees"
    ]
    assert entry.xpath(".//div[@class='pw-diffs' and @data-search-exclude]")
    noise = tree.get_element_by_id("change-20261102T060000Z").getparent()
    assert noise.xpath(".//details[@class='pw-noise-diff']//div[@class='pw-diff']")
    css = (built.site / "stylesheets" / "policywatch.css").read_text()
    assert re.search(r"ins\s*\{[^}]*background", css)
    assert re.search(r"ins\s*\{[^}]*text-decoration: underline", css)  # not by colour alone
    assert re.search(r"del\s*\{[^}]*line-through", css)
    assert re.search(r"\.diff-label\s*\{[^}]*clip:", css)  # visually hidden, not display: none
    assert tree.xpath("//link[@rel='stylesheet' and @href='../../../stylesheets/policywatch.css']")


def test_document_page_shows_header_box_and_current_rules(built):
    tree = page(built, "documents/northwind/seller-agreement")
    meta = {
        row.xpath("./th")[0].text_content(): " ".join(row.xpath("./td")[0].text_content().split())
        for row in tree.xpath("//div[@class='pw-meta']//tr")
    }
    assert meta["Source"] == "https://northwind.example/agreement"
    assert meta["Last checked"] == "2026-11-03 06:00 UTC"  # filled in by the build hook
    assert meta["Last changed"] == "2026-11-02 06:00 UTC noise"
    assert meta["Version captured"] == "2026-11-02 06:00 UTC · text of this version"
    assert meta["Snapshot SHA-256"] == _sha(4)
    assert meta["Feeds"] == "RSS · Atom · JSON Feed"
    rules = tree.get_element_by_id("current-rules")
    assert rules.getnext().tag == "h3"  # the document's own "#" heading, nested under ours
    assert "Payouts are sent every 14 days." in tree.text_content()
    never = page(built, "documents/southsea/code-of-conduct")
    assert "timeout after 30 s" in never.xpath("//p[@class='pw-warning']")[0].text_content()


def test_search_indexes_rules_and_summaries_not_hashes_diffs_or_listings(built):
    records = pagefind_records(built.site)
    text = pagefind_text(built.site)
    assert "Payouts are sent every 14 days." in text  # current rules
    assert "Monthly subscription fee raised from 39.99 USD to 49.99 USD" in text  # a summary
    assert _sha(4) not in text and "Compared the" not in text  # header box, facts
    assert "<del>" not in text and "<ins>" not in text  # diffs
    assert sorted(r["url"] for r in records) == sorted(f"/documents/{d.doc_id}/" for d in DATA.documents)
    fees = next(r for r in records if r["url"] == "/documents/northwind/fees/")
    anchors = {a["id"] for a in fees["anchors"]}  # sub-results land on the page's own anchors
    assert "current-rules" in anchors and any(a.startswith("change-") for a in anchors)
    for anchor in anchors:
        assert page(built, "documents/northwind/fees").get_element_by_id(anchor) is not None, anchor


def test_home_page_lists_counts_latest_changes_marketplaces_and_failing_documents(built):
    tree = page(built, "")
    counts = {
        c.xpath("./span[@class='pw-count-name']")[0].text: c.xpath("./span[@class='pw-count-value']")[0].text
        for c in tree.xpath("//div[@class='pw-count']")
    }
    assert counts == {
        "documents": "4",
        "failing now": "2",
        "versions": "10",
        "substantive changes": "2",
        "minor changes": "2",
        "noise changes": "2",
    }
    substantive = tree.get_element_by_id("latest-substantive-changes").getnext()
    links = [a.get("href") for a in substantive.xpath(".//td[1]/a")]
    assert links == [
        "documents/southsea/code-of-conduct/#change-20261102T060000Z",
        "documents/northwind/seller-agreement/#change-20261015T060000Z",
    ]
    headings = [h.get("id") for h in tree.xpath("//h2")]
    assert headings.index("latest-substantive-changes") < headings.index("latest-minor-changes")
    failing = tree.xpath("//div[contains(@class, 'pw-failing')]//table")[0].text_content()
    assert "timeout after 30 s" in failing and "HTTP 410 Gone" in failing
    assert "Northwind Seller Agreement" not in failing
    markets = [
        [" ".join(td.text_content().split()) for td in row.xpath("./td")]
        for row in tree.xpath("//div[contains(@class, 'pw-marketplaces')]//tbody/tr")
    ]
    assert markets == [
        ["northwind", "2", "0", "1", "2", "1", "2026-11-02 06:00 UTC"],
        ["southsea", "2", "2", "1", "0", "1", "2026-11-02 06:00 UTC"],
    ]
    assert tree.xpath("//a[@href='feed.xml']") and tree.xpath("//a[@href='feed.json']")


def _listing(built: Built, url: str) -> list[str]:
    tree = page(built, url)
    return [a.get("href") for a in tree.xpath("//div[contains(@class, 'pw-changes')]//tr/td[1]/a")]


def test_changelogs_list_changes_newest_first_one_class_per_page(built):
    newest = sorted(DATA.changes, key=lambda c: (c.detected_at, c.doc_id), reverse=True)
    assert _listing(built, "changes") == ["../" + change_permalink(c) for c in newest]
    for label in ("substantive", "minor", "noise"):
        expected = ["../../" + change_permalink(c) for c in newest if c.label == label]
        assert _listing(built, f"changes/{label}") == expected, label
        tree = page(built, f"changes/{label}")
        assert tree.xpath("//p[@class='pw-filters']/strong")[0].text.lower().startswith(label)
    october = ["../../" + change_permalink(c) for c in newest if c.detected_at[:7] == "2026-10"]
    assert _listing(built, "changes/2026-10") == october
    assert _listing(built, "changes/minor/2026-11") == [
        "../../../" + change_permalink(c) for c in newest if c.label == "minor" and c.detected_at[:7] == "2026-11"
    ]


def test_a_long_changelog_shows_whole_recent_months_and_links_every_month(monkeypatch):
    monkeypatch.setattr(kb.publish.pages, "LISTING_LIMIT", 3)
    files = render_sources(DATA, SITE_URL)
    listing = files["docs/changes/index.md"].decode()
    assert "## 2026-11" in listing and "## 2026-10" not in listing  # 3 in November: enough
    assert "The newest 3 of 6 are shown above" in listing
    assert '<a href="2026-10/">2026-10</a>: 3 changes' in listing
    assert "docs/changes/2026-10.md" in files


def test_marketplace_page_lists_its_documents_with_last_change_and_class(built):
    tree = page(built, "marketplaces/southsea")
    rows = [
        [" ".join(td.text_content().split()) for td in row.xpath("./td")]
        for row in tree.xpath("//div[contains(@class, 'pw-documents')]//tbody/tr")
    ]
    assert rows == [
        ["Code of Conduct", "code-of-conduct", "failing", "2026-11-02 06:00 UTC", "substantive", "1 (1 substantive)"],
        ["Returns Policy", "returns", "gone", "2026-10-05 07:00 UTC", "noise", "1 (0 substantive)"],
    ]


def test_technical_changes_stay_out_of_pages_and_feeds():
    conduct = DATA.versions[8]
    technical = Change(
        id=99,
        key=f"{conduct.doc_id}/20261103T060000Z-technical",
        doc_id=conduct.doc_id,
        from_version_id=7,
        to_version_id=8,
        detected_at="2026-11-03T06:00:00Z",
        label="substantive",
        summary="Extraction rules changed",
        ops=((1, "x"),),
        technical=True,
    )
    files = render_sources(replace(DATA, changes=(*DATA.changes, technical)), SITE_URL)
    assert files == render_sources(DATA, SITE_URL)


def test_every_internal_link_and_anchor_resolves(built):
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = set(lxml.html.fromstring(path.read_bytes()).xpath("//@id"))
        return ids[path]

    root = urlsplit(SITE_URL).path  # 404.html links from the site root: it is served anywhere
    checked = 0
    for path in html_pages(built):
        here = path.parent.relative_to(built.site).as_posix()
        for element, _, link, _ in lxml.html.fromstring(path.read_bytes()).iterlinks():
            if urlsplit(link).scheme or element.get("rel") == "canonical":
                continue
            target, _, anchor = link.partition("#")
            if target.startswith("/"):
                assert target.startswith(root), f"{path}: {link} outside the site"
                target = posixpath.normpath(target[len(root) :] or ".")
            elif target:
                target = posixpath.normpath(posixpath.join(here, unquote(target)))
            file = built.site / target if target else path
            if file.is_dir():
                file = file / "index.html"
            assert file.is_file(), f"{path}: broken link {link}"
            if anchor.startswith("change-"):
                assert anchor in ids_of(file), f"{path}: missing anchor {link}"
            checked += 1
    assert checked > 300


# ----------------------------------------------------------------------------- feeds


FEED_STEMS = [
    "feed",
    "feeds/substantive",
    "feeds/marketplaces/northwind",
    "feeds/marketplaces/southsea",
    *(f"feeds/documents/{d.doc_id}" for d in DATA.documents),
]
SUFFIXES = {".xml": "application/rss+xml", ".atom.xml": "application/atom+xml", ".json": "application/feed+json"}


def parse_feed(path: Path):
    if path.suffix == ".json":
        return json_feed_as_entries(path.read_bytes())
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def test_every_feed_validates_and_holds_its_scope(built):
    not_noise = {"urn:policywatch:change:" + c.key: c for c in NOT_NOISE}
    for stem in FEED_STEMS:
        for suffix in SUFFIXES:
            parsed = parse_feed(built.site / (stem + suffix))
            changes = [not_noise[e.id] for e in parsed.entries]
            assert changes == sorted(changes, key=lambda c: c.detected_at, reverse=True)
            if stem == "feed":
                assert len(changes) == len(NOT_NOISE)
            elif stem == "feeds/substantive":
                assert {c.label for c in changes} == {"substantive"} and len(changes) == 2
            elif stem.startswith("feeds/marketplaces/"):
                market = stem.rsplit("/", 1)[1]
                assert changes and all(c.doc_id.startswith(market + "/") for c in changes)
            else:
                doc_id = stem.removeprefix("feeds/documents/")
                assert {c.key for c in changes} == {c.key for c in NOT_NOISE if c.doc_id == doc_id}
            for entry in parsed.entries:
                assert entry.link == SITE_URL + change_permalink(not_noise[entry.id])
    assert parse_feed(built.first.feed_path).entries


def test_publish_without_a_site_url_says_so_and_writes_no_localhost_link_into_a_feed(tmp_path, monkeypatch):
    monkeypatch.delenv(SITE_URL_ENV, raising=False)
    result = publish(DATA, tmp_path / "home")
    assert result.notices == (NO_SITE_URL_NOTICE,)
    assert "--site-url" in NO_SITE_URL_NOTICE and SITE_URL_ENV in NO_SITE_URL_NOTICE  # how to fix it
    feeds = [p for p in result.site_dir.rglob("*") if p.suffix in (".xml", ".json") and "feed" in p.as_posix()]
    assert len(feeds) > 6
    for path in feeds:
        assert b"localhost" not in path.read_bytes(), path
    entries = feedparser.parse(result.feed_path.read_bytes()).entries
    assert entries and all(e.link.startswith("documents/") for e in entries)  # beside feed.xml
    monkeypatch.setenv(SITE_URL_ENV, SITE_URL)
    assert publish(DATA, tmp_path / "home").notices == ()


def test_feed_ids_are_stable_across_publishes(built):
    first = feedparser.parse(built.site_first["feed.xml"])
    second = feedparser.parse((built.site / "feed.xml").read_bytes())
    assert [e.id for e in first.entries] == [e.id for e in second.entries]
    assert len(first.entries) == len(NOT_NOISE)


def _announced(path: Path) -> list[tuple[str, str]]:
    tree = lxml.html.fromstring(path.read_bytes())
    return [(link.get("type"), link.get("href")) for link in tree.xpath("//head/link[@rel='alternate']")]


def test_every_page_announces_and_links_the_feeds(built):
    for path in html_pages(built):
        announced = _announced(path)
        assert {t for t, _ in announced} == set(SUFFIXES.values()), path
        visible = lxml.html.fromstring(path.read_bytes()).xpath("//aside[@class='pw-feeds']//a/@href")
        assert len(visible) >= 6, path
        if path.name == "404.html":  # served at any depth: MkDocs gives it absolute links
            continue
        for kind, href in announced:
            feed = (path.parent / href).resolve()
            assert feed.is_file(), (path, href)
            assert SUFFIXES[next(s for s in (".atom.xml", ".xml", ".json") if feed.name.endswith(s))] == kind
            # Material fetches sitemap.xml beside every alternate link: it must not 404.
            assert (feed.parent / "sitemap.xml").is_file(), (path, href)
        assert (path.parent / announced[0][1]).resolve() == (built.site / "feed.xml").resolve()
    doc = built.site / "documents" / "northwind" / "seller-agreement" / "index.html"
    hrefs = [href for _, href in _announced(doc)]
    assert "../../../feeds/documents/northwind/seller-agreement.atom.xml" in hrefs
    market = built.site / "marketplaces" / "southsea" / "index.html"
    assert "../../feeds/marketplaces/southsea.json" in [href for _, href in _announced(market)]


# ----------------------------------------------------------------------------- offline


def test_site_loads_nothing_from_the_network(built):
    forbidden = re.compile(r"https?://fonts\.|googleapis|gstatic|cdn\.|unpkg|jsdelivr|cdnjs", re.IGNORECASE)
    for path in built.site.rglob("*"):
        if path.suffix in (".html", ".css"):
            text = path.read_text(encoding="utf-8")
            assert not forbidden.search(text), f"{path}: {forbidden.search(text).group()}"
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), path
            assert not re.search(r"@import\s+['\"]?(https?:)?//", text), path
    loads = (
        "//script/@src | //img/@src | //iframe/@src | //source/@src | //embed/@src | "
        "//object/@data | //link[not(@rel='canonical') and not(@rel='alternate')]/@href"
    )
    for path in html_pages(built):
        for url in lxml.html.fromstring(path.read_bytes()).xpath(loads):
            assert not re.match(r"\s*(https?:)?//", url), f"{path} loads {url}"


# ----------------------------------------------------------------------------- reproducibility


def test_publishing_twice_gives_identical_bytes(built):
    assert snapshot(built.home / "site-src") == built.sources_first
    assert snapshot(built.site) == built.site_first
    assert snapshot(built.other_home / "site-src") == built.sources_first
    assert snapshot(built.other_home / "site") == built.site_first


def test_a_publish_that_reads_texts_when_it_needs_them_writes_the_same_bytes(tmp_path):
    for data in (DATA, after_a_crawl(DATA)):  # kept rules, read back by the second
        assert render_sources(lazy(data, Derived(tmp_path)), SITE_URL) == render_sources(data, SITE_URL)


def test_second_publish_rewrites_no_source_file(built):
    assert built.first.pages_written == len(built.sources_first)
    assert built.first.pages_unchanged == 0
    assert built.second.pages_written == 0
    assert built.second.pages_unchanged == len(built.sources_first)
    src = built.home / "site-src"
    for rel, (inode, mtime) in built.stats_first.items():
        stat = (src / rel).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == (inode, mtime), rel


def test_sitemap_dates_come_from_the_data_not_the_clock(built):
    sitemap = (built.site / "sitemap.xml").read_text()
    assert set(re.findall(r"<lastmod>(.*?)</lastmod>", sitemap)) == {"2026-11-03"}
    assert os.environ.get("SOURCE_DATE_EPOCH") == SOURCE_DATE_EPOCH_BEFORE  # restored


def after_a_crawl(data: PublishInput) -> PublishInput:
    """What the store holds after a crawl that checked every document and found one change:
    the Northwind fee page got a new version; every other check found nothing new."""
    checked = "2026-11-10T06:00:00Z"
    fees = "northwind/fees"
    before = data.current[fees]
    text, ops = edit(before.text, "placed on Northwind.", "placed on Northwind or its apps.")
    after = Version(
        id=11,
        doc_id=fees,
        snapshot_id=11,
        snapshot_sha256=_sha(11),
        captured_at=checked,
        title="",
        text=text,
        text_sha256=_sha(61),
    )
    change = Change(
        id=7,
        key=f"{fees}/20261110T060000Z",
        doc_id=fees,
        from_version_id=before.id,
        to_version_id=after.id,
        detected_at=checked,
        label="substantive",
        summary="Fees now apply to orders placed in the apps",
        ops=ops,
    )
    documents = tuple(
        replace(
            d,
            last_checked=checked,
            last_good_check=checked if d.status == "active" else d.last_good_check,
            last_changed=checked if d.doc_id == fees else d.last_changed,
        )
        for d in data.documents
    )
    return PublishInput(
        generated_at=checked,
        documents=documents,
        current={**data.current, fees: after},
        changes=(*data.changes, change),
        versions={**data.versions, after.id: after},
    )


def test_after_a_crawl_only_the_changed_document_indexes_and_feeds_are_rewritten(tmp_path):
    src = tmp_path / "site-src"
    write_sources(DATA, src, site_url=SITE_URL)
    before = snapshot(src)
    write_sources(after_a_crawl(DATA), src, site_url=SITE_URL)
    after = snapshot(src)
    rewritten = {rel for rel in after if before.get(rel) != after[rel]}
    feeds = {
        f"docs/{stem}{suffix}"
        for stem in ("feed", "feeds/substantive", "feeds/marketplaces/northwind", "feeds/documents/northwind/fees")
        for suffix in SUFFIXES
    }
    # The site search: the changed document's fragment, and the word index that points to it.
    search = {rel for rel in rewritten if rel.startswith("docs/pagefind/")}
    assert len([rel for rel in search if rel.startswith("docs/pagefind/fragment/")]) == 1
    assert all(
        rel.startswith(("docs/pagefind/fragment/", "docs/pagefind/index/"))
        or rel.endswith((".pf_meta", "pagefind-entry.json", "policywatch-records.sha256"))
        for rel in search
    ), search
    assert (
        rewritten - search
        == {
            "docs/documents/northwind/fees.md",  # the changed document
            f"docs/documents/northwind/fees/versions/20261110T060000Z-{_sha(61)[:12]}.txt",
            "docs/index.md",
            "docs/marketplaces/northwind.md",  # indexes
            "docs/changes/index.md",
            "docs/changes/2026-11.md",
            "docs/changes/substantive/index.md",
            "docs/changes/substantive/2026-11.md",
            "docs/notice.md",  # lists every substantive change by its notice
            "checks.json",  # the data's date, every document's last check
            *feeds,
        }
    )
    # Every document was checked, but only the changed one's page moved; the hook prints
    # the new check times when the site is built.
    site = tmp_path / "site"
    build_site(src, site)
    conduct = page_of(site, "documents/southsea/code-of-conduct")
    assert "2026-11-10 06:00 UTC" in conduct.xpath("//div[@class='pw-meta']")[0].text_content()


def test_a_crawl_that_finds_nothing_new_rewrites_only_the_check_times(tmp_path):
    checked = "2026-11-10T06:00:00Z"
    quiet = replace(
        DATA, generated_at=checked, documents=tuple(replace(d, last_checked=checked) for d in DATA.documents)
    )
    src = tmp_path / "site-src"
    write_sources(DATA, src, site_url=SITE_URL)
    before = snapshot(src)
    written, _ = write_sources(quiet, src, site_url=SITE_URL)
    after = snapshot(src)
    assert written == 1 and {rel for rel in after if before[rel] != after[rel]} == {"checks.json"}
    site = tmp_path / "site"
    build_site(src, site)
    assert "Data as of 2026-11-10 06:00 UTC" in page_of(site, "").text_content()
    assert "<lastmod>2026-11-10</lastmod>" in (site / "sitemap.xml").read_text()


def without(data: PublishInput, doc_id: str) -> PublishInput:
    return PublishInput(
        generated_at=data.generated_at,
        documents=tuple(d for d in data.documents if d.doc_id != doc_id),
        current={k: v for k, v in data.current.items() if k != doc_id},
        changes=tuple(c for c in data.changes if c.doc_id != doc_id),
        versions={k: v for k, v in data.versions.items() if v.doc_id != doc_id},
    )


def quiet_crawl(data: PublishInput, checked: str) -> PublishInput:
    return replace(
        data, generated_at=checked, documents=tuple(replace(d, last_checked=checked) for d in data.documents)
    )


@pytest.mark.parametrize(
    "nav_documents", [0, kb.publish.mkdocs_config.NAV_DOCUMENTS], ids=["documents-off-the-nav", "documents-in-the-nav"]
)
def test_each_publish_equals_a_whole_build_of_the_same_data(tmp_path, monkeypatch, nav_documents):
    """After the first build, publish rebuilds only the pages whose sources changed (a copy of
    the previous site, MkDocs' dirty mode, the hook's merges). The site must be byte for byte
    the one a whole build of the same data makes: after a crawl with one change, after a crawl
    with none (only check times move), and after a document is dropped (a whole build when the
    navigation lists it, an incremental one that removes its files when it does not)."""
    monkeypatch.setattr(kb.publish.mkdocs_config, "NAV_DOCUMENTS", nav_documents)
    home = tmp_path / "home"
    crawled = after_a_crawl(DATA)
    states = [
        DATA,
        crawled,
        quiet_crawl(crawled, "2026-11-11T06:00:00Z"),
        without(quiet_crawl(crawled, "2026-11-12T06:00:00Z"), "southsea/returns-policy"),
    ]
    for step, data in enumerate(states):
        result = publish(data, home, site_url=SITE_URL)
        whole = tmp_path / f"whole-{step}"
        write_sources(data, whole / "site-src", site_url=SITE_URL)
        build_site(whole / "site-src", whole / "site")
        assert snapshot(home / "site") == snapshot(whole / "site"), f"step {step}"
        incremental = step in (1, 2) or (step == 3 and nav_documents == 0)
        assert result.incremental == incremental, f"step {step}"
        if incremental:  # the changed document, its marketplace, home (counts), changelogs
            assert result.pages_built < result.pages_total / 2, f"step {step}"
        else:
            assert result.pages_built == result.pages_total, f"step {step}"
    assert not (home / "site-src" / PENDING_FILE).exists()  # every rewritten source is built
    # The check times printed on a page that was not rebuilt are the new ones.
    assert (
        "2026-11-12 06:00 UTC"
        in page_of(home / "site", "documents/southsea/code-of-conduct")
        .xpath("//div[@class='pw-meta']")[0]
        .text_content()
    )
    assert not (home / "site" / "documents" / "southsea" / "returns-policy").exists()


@pytest.mark.parametrize("dirty", [False, True], ids=["mkdocs-build", "mkdocs-build-dirty"])
def test_site_src_builds_with_plain_mkdocs_as_deployment_md_says(tmp_path, dirty):
    """Hosts that build the site themselves run `mkdocs build` on site-src, without publish:
    the hook works there too, a --dirty build on an existing output included."""
    import subprocess

    write_sources(after_a_crawl(DATA), tmp_path / "site-src", site_url=SITE_URL)
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        str(tmp_path / "site-src" / "mkdocs.yml"),
        "-d",
        str(tmp_path / "public"),
    ]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    runs = [command + ["--dirty"]] if dirty else []
    for run in [command, *runs]:
        done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "Data as of 2026-11-10 06:00 UTC" in page_of(tmp_path / "public", "").text_content()
    assert "/documents/northwind/fees/" in [r["url"] for r in pagefind_records(tmp_path / "public")]


def test_a_damaged_previous_site_makes_the_build_whole_not_broken(tmp_path):
    home = tmp_path / "home"
    publish(DATA, home, site_url=SITE_URL)
    (home / "site" / "search" / "search_index.json").write_text("{half a file")
    result = publish(after_a_crawl(DATA), home, site_url=SITE_URL)
    assert not result.incremental and result.pages_built == result.pages_total
    whole = tmp_path / "whole"
    publish(after_a_crawl(DATA), whole, site_url=SITE_URL)
    assert snapshot(home / "site") == snapshot(whole / "site")


def test_a_build_killed_before_its_swap_is_redone_whole_and_right(tmp_path):
    """A source rewritten by a publish whose build never finished is rebuilt by the next
    publish, whatever the file times say: the list of pending sources outlives the kill."""
    home = tmp_path / "home"
    publish(DATA, home, site_url=SITE_URL)
    crawled = after_a_crawl(DATA)
    write_sources(crawled, home / "site-src", site_url=SITE_URL)  # the build never ran
    # Sources as old as the site: MkDocs' own test (file times) would skip them.
    for path in (home / "site-src").rglob("*"):
        os.utime(path, ns=(0, 0))
    publish(crawled, home, site_url=SITE_URL)
    whole = tmp_path / "whole"
    publish(crawled, whole, site_url=SITE_URL)
    assert snapshot(home / "site") == snapshot(whole / "site")


def test_stale_pages_and_feeds_are_dropped(tmp_path):
    src = tmp_path / "site-src"
    written, unchanged = write_sources(DATA, src, site_url=SITE_URL)
    assert (written, unchanged) == (len(snapshot(src)), 0)
    gone = "southsea/returns-policy"
    write_sources(without(DATA, gone), src, site_url=SITE_URL)
    assert not (src / "docs" / "documents" / "southsea" / "returns-policy.md").exists()
    assert not (src / "docs" / "documents" / "southsea" / "returns-policy").exists()
    assert not list((src / "docs" / "feeds").rglob("returns-policy*"))
    assert (src / "docs" / "documents" / "southsea" / "code-of-conduct.md").exists()
    assert (src / "docs" / "feeds" / "documents" / "southsea" / "code-of-conduct.xml").exists()


def test_generated_sources_build_without_any_mkdocs_warning(built, tmp_path):
    build_site(built.home / "site-src", tmp_path / "strict", strict=True)
    assert (tmp_path / "strict" / "index.html").is_file()


def test_an_empty_store_publishes_a_site(tmp_path):
    waiting = Document(
        "northwind/new-policy",
        "New policy",
        "https://northwind.example/new",
        "northwind",
        "policy",
        status="failing",
        failure="HTTP 503",
    )
    leftovers = [
        tmp_path / ".policywatch-tmp-site.x1y2" / "index.html",  # a killed build
        tmp_path / "site-src" / ".policywatch-tmp-3k4l",
    ]  # a killed source write
    for leftover in leftovers:
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_text("half")
    result = publish(PublishInput(generated_at="", documents=(waiting,)), tmp_path)
    assert not any(leftover.exists() for leftover in leftovers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "site-src"]
    assert "<lastmod>1970-01-01</lastmod>" in (result.site_dir / "sitemap.xml").read_text()
    text = page_of(result.site_dir, "documents/northwind/new-policy").text_content()
    assert "No version captured yet." in text and "HTTP 503" in text
    assert "No substantive change recorded yet." in page_of(result.site_dir, "").text_content()
    assert "No change recorded yet." in page_of(result.site_dir, "changes").text_content()
    assert feedparser.parse(result.feed_path.read_bytes()).entries == []


# ----------------------------------------------------------------------------- errors


def test_build_failure_is_one_line_with_a_hint(tmp_path):
    src = tmp_path / "src"
    write_sources(DATA, src)
    config = src / "mkdocs.yml"
    config.write_text(config.read_text().replace("name: material", "name: no-such-theme"))
    with pytest.raises(PublishError) as err:
        build_site(src, tmp_path / "site")
    assert str(err.value).startswith("mkdocs build failed:") and "\n" not in str(err.value)
    assert err.value.hint
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("hook", "expected"),
    [
        # A plugin's own exception, not MkDocs': its type and message, on one line.
        ("raise RuntimeError('the hook\\nbroke')", "mkdocs build failed: RuntimeError: the hook broke"),
        # The build's process dies without a word (killed, out of memory).
        ("import os; os._exit(3)", "mkdocs build failed: its process ended with exit code 3"),
    ],
)
def test_a_build_that_dies_is_one_line_and_keeps_the_previous_site(tmp_path, hook, expected):
    src = tmp_path / "src"
    write_sources(DATA, src)
    build_site(src, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (src / "hooks" / "policywatch.py").write_text(f"def on_config(config):\n    {hook}\n")
    with pytest.raises(PublishError) as err:
        build_site(src, tmp_path / "site")
    assert str(err.value) == expected
    assert snapshot(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "src"]  # no staging left


def test_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(PublishError, match="is not a policywatch site"):
        publish(DATA, tmp_path / "home", site_dir=precious)
    assert (precious / "notes.txt").read_text() == "keep me"


def test_unsafe_document_id_is_refused(tmp_path):
    doc = Document("../../etc/passwd", "x", "https://x.example/", "evil", "agreement")
    with pytest.raises(PublishError, match="cannot be a page path"):
        write_sources(PublishInput(generated_at="", documents=(doc,)), tmp_path)
    assert not any(tmp_path.rglob("*.md"))


def test_a_bad_id_fails_the_publish_before_any_file_is_written(tmp_path):
    src = tmp_path / "site-src"
    write_sources(DATA, src, site_url=SITE_URL)
    before = snapshot(src)
    # Both sort after every good document: their pages would be rendered last.
    for bad in (
        Document("zz/../escape", "x", "https://x.example/", "zz", "policy"),
        Document("zz/fine", "x", "https://x.example/", "../zz", "policy"),
    ):
        with pytest.raises(PublishError, match="cannot be a page path"):
            write_sources(replace(DATA, documents=(*DATA.documents, bad)), src, site_url=SITE_URL)
        assert snapshot(src) == before


def test_every_generated_file_is_made_once():
    paths = [path for path, _ in iter_sources(DATA, SITE_URL)]
    assert len(paths) == len(set(paths)) > 50


# ----------------------------------------------------------------------------- safe rendering


def _assert_inert(tree, where: str) -> None:
    """No event handler, no javascript: URL, no foreign element anywhere in ``tree``."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("iframe", "object", "embed", "base", "frame"), where
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: <{element.tag} {name}=…>"
            cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
            assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), where


def test_hostile_crawled_text_is_shown_as_text_and_never_runs(built):
    no_content = lxml.html.fromstring((built.site / "404.html").read_bytes())
    theme_scripts = len(no_content.xpath("//script"))
    for path in html_pages(built):
        tree = lxml.html.fromstring(path.read_bytes())
        _assert_inert(tree, str(path))
        scripts = tree.xpath("//script")
        assert len(scripts) == theme_scripts, path  # the theme's own, nothing more
        for script in scripts:
            if script.get("src"):
                assert re.fullmatch(
                    r"(\.\./)*(/watch/)?(assets/javascripts/[\w./-]+|javascripts/pw-search\.js)", script.get("src")
                ), path
            else:
                assert "alert" not in (script.text or ""), path
        titles = tree.xpath("//title")
        assert len(titles) == 1 and "<" not in titles[0].text_content(), path
    tree = page(built, "documents/northwind/fees")
    text = tree.text_content()
    assert "<script>alert(1)</script>" in text  # shown, as text
    assert "<img src=x onerror=alert(1)>" in text
    assert "[click](javascript:alert(1))" in text  # the link, neutralised, reads as Markdown
    assert '<script>alert("fenced")</script>' in "".join(tree.xpath("//pre/code/text()"))
    assert "<b>code</b>" in "".join(tree.xpath("//p/code/text()"))
    assert tree.xpath("//a[@href='https://northwind.example/fees' and text()='fee schedule']")
    assert tree.xpath("//blockquote[contains(., 'Fees & charges are due <i>monthly</i>.')]")
    assert not tree.xpath("//img")  # the banner became a link: nothing loads from elsewhere
    assert tree.xpath("//h4[starts-with(., 'Refunds <img src=x onerror=alert(5)> <b>')]")
    toc = tree.xpath("//nav[contains(@class, 'md-nav--secondary')]//a")
    assert "Refunds <img src=x onerror=alert(5)> <b>" in [" ".join(a.text_content().split()) for a in toc]
    assert "<script>alert(3)</script>" in "".join(tree.xpath("//div[@class='pw-diff']//ins/text()"))


def test_hostile_text_stays_escaped_in_search_index_and_feeds(built):
    # Pagefind keeps text, not HTML: titles as the navigation shows them (no "<" at all); its
    # script escapes "<" and ">" of a text before it makes an excerpt (tests/system: a search).
    for record in pagefind_records(built.site):
        assert "<" not in record["meta"]["title"] and ">" not in record["meta"]["title"], record["meta"]
        assert not re.search(r"<(script|img|iframe)\b", "".join(a["text"] for a in record["anchors"]), re.I)
    for feed in ("feed.xml", "feeds/substantive.xml"):
        channel = lxml.etree.fromstring((built.site / feed).read_bytes())
        for item in channel.iter("item"):
            assert "<" not in item.findtext("title")
            body = lxml.html.fragment_fromstring(item.findtext("description"), create_parent="div")
            _assert_inert(body, feed)
            assert not body.xpath("//script | //img")


@pytest.mark.parametrize(
    "text, must, must_not",
    [
        (
            "Hello <script>alert(1)</script> & more",
            "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>",
            "<script",
        ),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", "<img"),
        ("[click](javascript:alert(1))", "[click&#93;(javascript:alert(1))", "href"),
        ("[x](JaVa\tScRiPt:alert(1)) [y](&#106;avascript:alert(1)) [z]( <javascript:alert(1)>)", "[y&#93;", "href"),
        ("[id]: javascript:alert(1)\n\n[x][id]", "[x][id]", "href"),
        ("[id]:\n  vbscript:msgbox(1)\n\n[x][id]", "[x][id]", "href"),
        ("[ok](https://example.com/a?b=1&c=2)", '<a href="https://example.com/a?b=1&amp;c=2">ok</a>', "&amp;amp;"),
        ("[rel](/help/fees)", '<a href="/help/fees">rel</a>', "&#93;"),
        ("[prior](<#Previous User Agreement>)", '<a href="#Previous%20User%20Agreement">prior</a>', "&lt;"),
        ("[x](<javascript:alert(1)>) [y](<a onmouseover=alert(1)>)", "[x&#93;(javascript", "<a onmouseover"),
        ("<https://example.com/x>", '<a href="https://example.com/x">https://example.com/x</a>', "&lt;https"),
        ("![logo](https://img.example.com/logo.png)", '<a href="https://img.example.com/logo.png">logo</a>', "<img"),
        (
            '![](<data:image/svg+xml;base64,PHN2Zz4=> "icon") ![a <b>](javascript:x)',
            "<p>&#91;image&#93; &#91;a &#60;b&#62;&#93;</p>",
            "data:",
        ),
        ("![x](/img/a.png) ![y][ref]", '<a href="/img/a.png">x</a> &#33;[y][ref]', "<img"),
        ("Use `<b>` and ``a ` b``", "<code>&#60;b&#62;</code>", "<b>"),
        (
            "```\n<script>x</script>\n\nstill code\n```",
            "<pre><code>&lt;script&gt;x&lt;/script&gt;\n\nstill code",
            "<script",
        ),
        ("> quote <b>\n> > nested", "<blockquote>", "<b>"),
        ("# Title\n\n## Part", '<h3 id="title">Title</h3>', "<h1"),
        ("| a | b |\n|---|---|\n| `x | y` | <i> |", "<td><code>x &#124; y</code></td>", "<i>"),
        ("a\x02wzxhzdk:0\x03b", "awzxhzdk:0b", "\x02"),
    ],
)
def test_escape_markdown_html_rendered_by_python_markdown(text, must, must_not):
    rendered = markdown.markdown(
        escape_markdown_html(text, heading_offset=2), extensions=["toc", "tables", "fenced_code"]
    )
    assert must in rendered
    assert must_not not in rendered


_GENERATED_TAG = re.compile(r'</?code>|</?pre>|<a href="[^"<>]*">|</a>')
_PIECES = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:x'>",
    "![",
    "![a](javascript:x)",
    "![](data:x)",
    "](<",
    "`",
    "``",
    "```",
    "~~~",
    "\n",
    "\n\n",
    "[",
    "]",
    "(",
    ")",
    "](",
    "]:",
    "javascript:alert(1)",
    "<",
    ">",
    "&",
    "&#106;",
    "&colon;",
    "#",
    "\\",
    "!",
    "*",
    "_",
    "|",
    "> ",
    "    ",
    "\t",
    "<https://ok.example/x>",
    "http://ok.example/",
    "text ",
    "<div>",
    "<!--",
    "-->",
    "{: onclick=x}",
]


def test_escaped_markdown_has_no_raw_html_but_ours_for_any_input():
    rng = random.Random(20261101)
    for _ in range(600):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40)))
        escaped = escape_markdown_html(text, heading_offset=rng.choice([0, 2]))
        assert "<" not in _GENERATED_TAG.sub("", escaped), (text, escaped)
        rendered = markdown.markdown(escaped, extensions=["toc", "tables", "fenced_code"])
        tree = lxml.html.fragment_fromstring(rendered, create_parent="div")
        _assert_inert(tree, repr(text))
        assert not tree.xpath("//script | //img | //div/div"), (text, rendered)


@pytest.mark.realdata
def test_real_policies_read_the_same_once_escaped(realdata):
    """Escaping changes no visible word of real seller agreements (their images excepted,
    which become links), and their links stay links."""
    compared = 0
    for folder in sorted((realdata / "versions").iterdir()):
        raw = sorted(folder.glob("*.md"))[-1].read_text(encoding="utf-8")
        raw = re.sub(r"!\[[^\[\]\n]*\]\([^()\s]*\)", "", raw)  # images: not shown alike
        rendered = [
            lxml.html.fragment_fromstring(
                markdown.markdown(text, extensions=["toc", "tables", "fenced_code"]), create_parent="div"
            )
            for text in (raw, escape_markdown_html(raw))
        ]
        if rendered[0].xpath("//script | //img | //iframe | //comment()"):
            continue  # raw HTML in the text: showing it as text is the point
        words = [" ".join(tree.text_content().split()) for tree in rendered]
        assert words[0] == words[1], folder.name
        links = [[unquote(href) for href in tree.xpath("//a/@href")] for tree in rendered]
        assert links[0] == links[1], folder.name
        compared += 1
    assert compared >= 5


def test_clean_html_keeps_the_marks_of_a_moved_block():
    moved = '<del class="diff-moved md-nav" title="moved below" onclick="x">Fees</del>'
    assert clean_html(moved) == '<del class="diff-moved" title="moved below">Fees</del>'


def test_clean_html_keeps_diff_markup_only():
    dirty = (
        '<p onclick="x">a<script>bad()</script><ins>new</ins><del>old</del>'
        '<a href="javascript:x">j</a><a href="/relative">r</a>'
        '<a href="https://ok.example/">ok</a><span class="diff-elided md-nav">…</span>'
        "<img src=x onerror=alert(1)><style>p{}</style></p>"
    )
    clean = clean_html(dirty)
    assert "<ins>new</ins><del>old</del>" in clean
    assert '<a href="https://ok.example/"' in clean
    assert '<span class="diff-elided">…</span>' in clean
    for bad in ("onclick", "<script", "bad()", "javascript", "/relative", "<img", "md-nav", "<style"):
        assert bad not in clean


def test_safe_title_cannot_close_the_title_element():
    title = safe_title(HOSTILE_TITLE)
    assert "<" not in title and ">" not in title
    assert title == ("Fees ‹/title›‹script›alert(&quot;title&quot;)‹/script› &amp; &quot;charges&quot;")


def test_a_page_with_a_10_mb_line_publishes_and_leaves_the_search_index_small(tmp_path):
    # 3d: the line went into search_index.json (11.5 MB) and the site search never initialised.
    doc_id = "northwind/seller-agreement"
    current = DATA.current[doc_id]
    line = "A" * 10_000_000
    huge = replace(
        current, id=41, text=f"{current.text}\n{line}\n\nPayouts after the long line.\n", text_sha256=_sha(41)
    )
    data = replace(DATA, versions={**DATA.versions, 41: huge}, current={**DATA.current, doc_id: huge})
    site = publish(data, tmp_path / "home", site_url=SITE_URL).site_dir
    index = sum(p.stat().st_size for p in (site / "pagefind").rglob("*") if p.is_file())
    assert index < 2_000_000 and "AAAAAAAAAA" not in pagefind_text(site)
    assert "Monthly subscription fee raised from 39.99 USD to 49.99 USD" in pagefind_text(
        site
    )  # its changelog still is
    html = (site / "documents/northwind/seller-agreement/index.html").read_text()
    assert f"<p>{line}</p><p>Payouts after the long line.</p></div>" in html  # the whole text, unindexed
    tree = page_of(site, "documents/northwind/seller-agreement")  # (libxml2 cuts the long text node)
    assert "too long for the site search" in tree.xpath("//p[@class='pw-warning']")[0].text_content()
