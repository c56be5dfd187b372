"""kb.publish.fragments: the small HTML pieces of the pages, every text value escaped."""

from __future__ import annotations

import lxml.html
import pytest
import yaml

from kb.models import Version
from kb.publish.fragments import (
    class_badge,
    external_link,
    feed_links,
    front_matter,
    link,
    plural,
    snapshot_ref,
    status_badge,
    table,
    tag_badge,
    utc_time,
)

HOSTILE = '<script>alert("x")</script> & "quotes"'


@pytest.mark.parametrize(
    "iso, shown",
    [
        ("2026-11-01T06:30:00Z", "2026-11-01 06:30 UTC"),
        ("2026-11-01T06:30:59.123Z", "2026-11-01 06:30 UTC"),
        (None, "—"),
        ("", "—"),
        ("<b>soon", "&lt;b&gt;soon"),  # not a time: shown as text
    ],
)
def test_utc_time(iso, shown):
    assert utc_time(iso) == shown


def test_badges_escape_their_text():
    for badge in (class_badge, tag_badge, status_badge):
        html = badge(HOSTILE)
        assert "<script>" not in html
        assert lxml.html.fragment_fromstring(html).text_content() == HOSTILE
    assert class_badge("substantive") == '<span class="pw-badge pw-substantive">substantive</span>'
    assert status_badge("gone") == '<span class="pw-status pw-status-gone">gone</span>'


def test_links_escape_the_url_and_only_http_urls_are_linked():
    assert link('a"b.html', "<em>x</em>") == '<a href="a&quot;b.html"><em>x</em></a>'
    assert external_link("https://northwind.example/fees?a=1&b=2") == (
        '<a href="https://northwind.example/fees?a=1&amp;b=2">https://northwind.example/fees?a=1&amp;b=2</a>'
    )
    assert external_link("javascript:alert(1)") == "javascript:alert(1)"  # text, not a link
    assert external_link("HTTP://OLD.EXAMPLE/").startswith('<a href="HTTP://OLD.EXAMPLE/">')


def test_table_escapes_headers_and_keeps_cells_as_given():
    html = table("pw-x", ["A & B", "C"], [["<b>1</b>", "2"], ["3", "4"]])
    tree = lxml.html.fragment_fromstring(html)
    assert tree.get("class") == "pw-table pw-x"
    assert tree.xpath("//table/@class") == []  # Material styles tables without a class
    assert [th.text for th in tree.xpath("//th")] == ["A & B", "C"]
    assert [[td.text_content() for td in tr.xpath("td")] for tr in tree.xpath("//tbody/tr")] == [
        ["1", "2"],
        ["3", "4"],
    ]
    assert tree.xpath("//tbody/tr[1]/td[1]/b")


def test_front_matter_is_yaml_with_the_title_and_our_keys():
    lines = front_matter('Fees: "all" ‹b›', pw_kind="document", search={"exclude": True})
    assert lines[0] == lines[-2] == "---" and lines[-1] == ""
    assert yaml.safe_load("\n".join(lines[1:-2])) == {
        "title": 'Fees: "all" ‹b›',
        "pw_kind": "document",
        "search": {"exclude": True},
    }
    assert front_matter(None, pw_kind="home") == ["---", 'pw_kind: "home"', "---", ""]


def test_feed_links_are_relative_to_the_page():
    tree = lxml.html.fragment_fromstring(feed_links("documents/a/b.md", "feeds/documents/a/b"), create_parent="p")
    assert [(a.text, a.get("href")) for a in tree.xpath("//a")] == [
        ("RSS", "../../../feeds/documents/a/b.xml"),
        ("Atom", "../../../feeds/documents/a/b.atom.xml"),
        ("JSON Feed", "../../../feeds/documents/a/b.json"),
    ]


def test_plural_and_snapshot_ref():
    assert [plural(n, "change") for n in (0, 1, 2)] == ["0 changes", "1 change", "2 changes"]
    version = Version(1, "a/b", 1, "ab" * 32, "2026-10-15T06:00:00Z", "", "text", "1f" * 32)
    assert snapshot_ref(version) == "snapshot <code>abababababab</code>"
