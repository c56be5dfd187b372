"""RSS feeds of changes: one item per change that is not noise, stable ids, reproducible bytes,
sanitized bodies. No site build here: ``rss_feed`` is called directly."""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone

import feedparser
import lxml.etree
import lxml.html

from kb.feeds import change_anchor, change_permalink, diff_excerpt, rss_feed
from kb.models import Change, Document, Reason

SITE = "https://policies.example.org/watch/"
DOCS = {doc.doc_id: doc for doc in (
    Document("northwind/seller-agreement", "Northwind Seller Agreement",
             "https://northwind.example/agreement", "northwind", "agreement"),
    Document("southsea/fees", "Fees <b>& charges</b>", "https://southsea.example/fees",
             "southsea", "fees"),
)}


def _change(cid: int, doc_id: str, at: str, label: str, summary: str, ops=(), reasons=(),
            silent=None) -> Change:
    return Change(id=cid, key=f"{doc_id}/{re.sub(r'[-:]', '', at)}", doc_id=doc_id,
                  from_version_id=cid, to_version_id=cid + 1, detected_at=at, label=label,
                  summary=summary, reasons=tuple(reasons), silent=silent, ops=tuple(ops))


CHANGES = [
    _change(1, "northwind/seller-agreement", "2026-10-15T06:00:00Z", "substantive",
            "Monthly fee raised from 39.99 to 49.99 USD",
            [(0, "The monthly subscription fee is "), (-1, "39.99"), (1, "49.99"), (0, " USD.\n")],
            [Reason("amount", "39.99 USD → 49.99 USD")], silent=True),
    _change(2, "northwind/seller-agreement", "2026-11-01T06:00:00Z", "minor", "Wording changed",
            [(0, "Payouts are "), (-1, "made"), (1, "sent"), (0, " every 14 days.\n")]),
    _change(3, "northwind/seller-agreement", "2026-11-02T06:00:00Z", "noise", "Whitespace only",
            [(0, "days.\n"), (1, "\n")]),
    _change(4, "southsea/fees", "2026-11-02T06:00:00Z", "minor",
            'New clause <img src=x onerror=alert(1)>',
            [(0, "Fees apply "),
             (1, '<script>alert(2)</script><a href="javascript:alert(3)">x</a>')],
            [Reason("wording", "<script>alert(4)</script>")]),
]


def feed(changes=CHANGES, generated_at="2026-11-03T06:00:00Z") -> bytes:
    return rss_feed(changes, DOCS, title="policywatch: changes", link=SITE,
                    self_link=SITE + "feed.xml", generated_at=generated_at)


def test_one_item_per_change_that_is_not_noise_newest_first():
    parsed = feedparser.parse(feed())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == [
        "southsea/fees/20261102T060000Z",
        "northwind/seller-agreement/20261101T060000Z",
        "northwind/seller-agreement/20261015T060000Z",
    ]


def test_item_fields():
    parsed = feedparser.parse(feed())
    entry = parsed.entries[-1]
    assert entry.title == "Northwind Seller Agreement: Monthly fee raised from 39.99 to 49.99 USD"
    assert entry.link == SITE + "documents/northwind/seller-agreement/#change-20261015T060000Z"
    assert entry.guidislink is False  # isPermaLink="false": the key is an id, not a URL
    assert entry.published_parsed[:6] == (2026, 10, 15, 6, 0, 0)
    assert [t.term for t in entry.tags] == ["substantive"]
    body = lxml.html.fragment_fromstring(entry.description, create_parent="div")
    assert body.xpath("//del/text()") == ["39.99"] and body.xpath("//ins/text()") == ["49.99"]
    assert "39.99 USD → 49.99 USD" in body.text_content()
    assert "silent" in body.text_content()


def test_channel_links_self_before_alternate():
    channel = lxml.etree.fromstring(feed()).find("channel")
    assert channel.findtext("link") == SITE  # feedgen keeps the last link() call for <link>
    atom = channel.find("{http://www.w3.org/2005/Atom}link")
    assert atom.get("rel") == "self" and atom.get("href") == SITE + "feed.xml"
    assert channel.findtext("lastBuildDate") == "Tue, 03 Nov 2026 06:00:00 +0000"


def test_same_input_gives_same_bytes_whatever_the_order():
    shuffled = CHANGES[:]
    random.Random(7).shuffle(shuffled)
    assert feed(shuffled) == feed(CHANGES)
    assert feed(CHANGES, generated_at="2026-11-04T00:00:00Z") != feed(CHANGES)


def test_guids_do_not_depend_on_the_other_changes():
    alone = feedparser.parse(feed([CHANGES[0]]))
    together = feedparser.parse(feed())
    assert alone.entries[0].id == together.entries[-1].id == CHANGES[0].key


def test_hostile_text_is_escaped_or_removed():
    xml = feed()
    channel = lxml.etree.fromstring(xml).find("channel")
    for item in channel.iter("item"):
        assert "<" not in item.findtext("title")
        body = lxml.html.fragment_fromstring(item.findtext("description"), create_parent="div")
        assert not body.xpath("//script | //img | //@*[starts-with(name(), 'on')]")
        assert all(href.startswith(SITE) for href in body.xpath("//a/@href"))
    hostile = next(i for i in channel.iter("item") if "southsea" in i.findtext("guid"))
    assert hostile.findtext("title") == ("Fees ‹b›& charges‹/b›: "
                                         "New clause ‹img src=x onerror=alert(1)›")
    body = hostile.findtext("description")
    text = lxml.html.fragment_fromstring(body, create_parent="div").text_content()
    assert "<script>alert(2)</script>" in text  # the inserted text is shown, as text
    assert "<script>alert(4)</script>" in text


def test_empty_feed_is_valid():
    parsed = feedparser.parse(feed([], generated_at=""))
    assert parsed.bozo == 0 and parsed.entries == []
    assert parsed.feed.updated_parsed[:3] == (1970, 1, 1)


def test_unknown_document_falls_back_to_its_id():
    orphan = _change(9, "gone/doc", "2026-11-05T00:00:00Z", "minor", "Moved", [(1, "x")])
    assert feedparser.parse(feed([orphan])).entries[0].title == "gone/doc: Moved"


def test_permalink_layout():
    change = CHANGES[0]
    assert change_anchor(change) == "change-20261015T060000Z"
    assert change_permalink(change) == ("documents/northwind/seller-agreement/"
                                        "#change-20261015T060000Z")
    fractional = _change(5, "a/b", "2026-10-15T06:00:00.123456Z", "minor", "x")
    assert change_anchor(fractional) == "change-20261015T060000Z"


def test_diff_excerpt_is_short_and_keeps_context_around_changes():
    long_equal = "Lorem ipsum dolor sit amet. " * 40
    ops = [(0, long_equal), (-1, "39.99"), (1, "49.99"), (0, " USD. " + long_equal),
           (1, "x" * 2000)]
    excerpt = diff_excerpt(ops, budget=400, context=60)
    assert "<del>39.99</del><ins>49.99</ins>" in excerpt
    assert excerpt.startswith("…") and " … " in excerpt
    assert len(lxml.html.fragment_fromstring(excerpt, create_parent="div").text_content()) < 700
    assert excerpt.endswith("…</ins>")
    assert diff_excerpt([(0, "unchanged")]) == ""


def test_feed_of_500_changes_is_valid():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    times = [datetime.fromtimestamp(start + i * 3600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
             for i in range(500)]
    many = [_change(i, "northwind/seller-agreement", at, "minor", f"Change {i}",
                    [(0, "a "), (-1, "b"), (1, "c")]) for i, at in enumerate(times)]
    parsed = feedparser.parse(feed(many))
    assert len(parsed.entries) == 500 and parsed.bozo == 0
