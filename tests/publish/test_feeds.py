"""Feeds of changes in RSS 2.0, Atom and JSON Feed: one item per change that is not noise,
stable ids, reproducible bytes, sanitized bodies, the elements each format requires. No site
build here: ``feed_files`` is called directly."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import lxml.etree
import lxml.html
import pytest

from kb.models import Change, Document, Reason
from kb.publish.briefs import notice_text
from kb.publish.feeds import FEED_DIFF_SECTIONS, FEED_ITEMS, Feed, feed_files
from kb.publish.urls import change_permalink, document_feed, feed_urls
from tests.support.feeds import json_feed_as_entries

SITE = "https://policies.example.org/watch/"
ATOM = "{http://www.w3.org/2005/Atom}"
DOCS = {
    doc.doc_id: doc
    for doc in (
        Document(
            "northwind/seller-agreement",
            "Northwind Seller Agreement",
            "https://northwind.example/agreement",
            "northwind",
            "agreement",
        ),
        Document("southsea/fees", "Fees <b>& charges</b>", "https://southsea.example/fees", "southsea", "fees"),
    )
}


def _change(
    cid: int, doc_id: str, at: str, label: str, summary: str, ops=(), reasons=(), silent=None, **extra
) -> Change:
    return Change(
        id=cid,
        key=f"{doc_id}/{re.sub(r'[-:]', '', at)}",
        doc_id=doc_id,
        from_version_id=cid,
        to_version_id=cid + 1,
        detected_at=at,
        label=label,
        summary=summary,
        reasons=tuple(reasons),
        silent=silent,
        ops=tuple(ops),
        **extra,
    )


CHANGES = [
    _change(
        1,
        "northwind/seller-agreement",
        "2026-10-15T06:00:00Z",
        "substantive",
        "Monthly fee raised from 39.99 to 49.99 USD",
        [(0, "The monthly subscription fee is "), (-1, "39.99"), (1, "49.99"), (0, " USD.\n")],
        [Reason("number", "monthly subscription fee: 39.99 USD → 49.99 USD")],
        silent=True,
        tags=("fees-payments",),
        effective_date="2026-11-14",
        notice_days=30,
    ),
    _change(
        2,
        "northwind/seller-agreement",
        "2026-11-01T06:00:00Z",
        "minor",
        "Wording changed",
        [(0, "Payouts are "), (-1, "made"), (1, "sent"), (0, " every 14 days.\n")],
    ),
    _change(
        3, "northwind/seller-agreement", "2026-11-02T06:00:00Z", "noise", "Whitespace only", [(0, "days.\n"), (1, "\n")]
    ),
    _change(
        4,
        "southsea/fees",
        "2026-11-02T06:00:00Z",
        "minor",
        "New clause <img src=x onerror=alert(1)>",
        [(0, "Fees apply "), (1, '<script>alert(2)</script><a href="javascript:alert(3)">x</a>')],
        [Reason("wording", "<script>alert(4)</script>")],
    ),
]
NOT_NOISE_KEYS = [
    "southsea/fees/20261102T060000Z",
    "northwind/seller-agreement/20261101T060000Z",
    "northwind/seller-agreement/20261015T060000Z",
]
NOT_NOISE_IDS = [f"urn:policywatch:change:{key}" for key in NOT_NOISE_KEYS]


def files(changes=CHANGES, stem="feed", since="2026-01-01T00:00:00Z") -> dict[str, bytes]:
    return feed_files(
        Feed(stem, "policywatch: changes", "Changes, recorded by policywatch.", "", tuple(changes), since), DOCS, SITE
    )


def rss(changes=CHANGES, **kwargs) -> bytes:
    return files(changes, **kwargs)["feed.xml"]


def atom(changes=CHANGES, **kwargs) -> bytes:
    return files(changes, **kwargs)["feed.atom.xml"]


def jsonfeed(changes=CHANGES, **kwargs) -> dict:
    return json.loads(files(changes, **kwargs)["feed.json"])


# ----------------------------------------------------------------------------- every format


def parse(path: str, content: bytes):
    """feedparser's reading of a feed file (JSON Feed: through ``json_feed_as_entries``)."""
    if path.endswith(".json"):
        return json_feed_as_entries(content)
    parsed = feedparser.parse(content)
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def test_three_formats_side_by_side_each_valid_with_the_same_items():
    written = files()
    assert sorted(written) == ["feed.atom.xml", "feed.json", "feed.xml"]
    for path, content in written.items():
        parsed = parse(path, content)
        assert parsed.version == {"feed.xml": "rss20", "feed.atom.xml": "atom10", "feed.json": "json11"}[path], path
        assert [e.id for e in parsed.entries] == NOT_NOISE_IDS, path
        assert [e.link for e in parsed.entries] == [
            SITE + change_permalink(next(c for c in CHANGES if c.key == key)) for key in NOT_NOISE_KEYS
        ], path
        assert [e.published_parsed[:6] for e in parsed.entries] == [
            (2026, 11, 2, 6, 0, 0),
            (2026, 11, 1, 6, 0, 0),
            (2026, 10, 15, 6, 0, 0),
        ], path


def test_nested_feeds_keep_their_folder():
    assert sorted(files(stem=document_feed("northwind/seller-agreement"))) == [
        "feeds/documents/northwind/seller-agreement.atom.xml",
        "feeds/documents/northwind/seller-agreement.json",
        "feeds/documents/northwind/seller-agreement.xml",
    ]
    assert [(fmt.media_type, url) for fmt, url in feed_urls("feeds/substantive")] == [
        ("application/rss+xml", "feeds/substantive.xml"),
        ("application/atom+xml", "feeds/substantive.atom.xml"),
        ("application/feed+json", "feeds/substantive.json"),
    ]


def test_noise_and_technical_changes_stay_out():
    technical = _change(
        5,
        "southsea/fees",
        "2026-11-05T00:00:00Z",
        "substantive",
        "Extraction rules changed",
        [(1, "x")],
        technical=True,
    )
    for parsed in (parse(p, c) for p, c in files([*CHANGES, technical]).items()):
        assert len(parsed.entries) == 3
        assert not any("Whitespace" in e.title or "Extraction" in e.title for e in parsed.entries)


def test_a_feed_holds_the_newest_items_only():
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    times = [
        datetime.fromtimestamp(start + i * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(FEED_ITEMS + 50)
    ]
    many = [
        _change(i, "northwind/seller-agreement", at, "minor", f"Change {i}", [(0, "a "), (-1, "b"), (1, "c")])
        for i, at in enumerate(times)
    ]
    random.Random(3).shuffle(many)
    for parsed in (parse(p, c) for p, c in files(many).items()):
        assert parsed.bozo == 0 and len(parsed.entries) == FEED_ITEMS
        assert parsed.entries[0].title.endswith(f"Change {FEED_ITEMS + 49}")
        assert parsed.entries[-1].title.endswith("Change 50")


def test_same_changes_give_same_bytes_whatever_the_order():
    shuffled = CHANGES[:]
    random.Random(7).shuffle(shuffled)
    assert files(shuffled) == files(CHANGES)


def test_a_feed_is_dated_by_its_newest_item_so_it_moves_only_with_its_items():
    assert files(since="2026-05-05T00:00:00Z") == files(since="2026-01-01T00:00:00Z")
    channel = lxml.etree.fromstring(rss()).find("channel")
    assert channel.findtext("lastBuildDate") == "Mon, 02 Nov 2026 06:00:00 +0000"
    assert lxml.etree.fromstring(atom()).findtext(f"{ATOM}updated") == "2026-11-02T06:00:00+00:00"
    empty = files([], since="2026-05-05T00:00:00Z")
    for path, content in empty.items():
        assert parse(path, content).entries == [], path
    channel = lxml.etree.fromstring(empty["feed.xml"]).find("channel")
    assert channel.findtext("lastBuildDate") == "Tue, 05 May 2026 00:00:00 +0000"
    never = lxml.etree.fromstring(files([], since="")["feed.xml"]).find("channel")
    assert never.findtext("lastBuildDate") == "Thu, 01 Jan 1970 00:00:00 +0000"


def test_ids_do_not_depend_on_the_other_changes_nor_the_site_url():
    alone = feedparser.parse(rss([CHANGES[0]]))
    elsewhere = feed_files(Feed("feed", "t", "d", "", tuple(CHANGES)), DOCS, "https://mirror.example/")
    moved = feedparser.parse(elsewhere["feed.xml"])
    assert alone.entries[0].id == moved.entries[-1].id == "urn:policywatch:change:" + CHANGES[0].key


def test_unknown_document_falls_back_to_its_id():
    orphan = _change(9, "gone/doc", "2026-11-05T00:00:00Z", "minor", "Moved", [(1, "x")])
    for parsed in (parse(p, c) for p, c in files([orphan]).items()):
        assert parsed.entries[0].title == "gone · gone/doc: Moved"


# ----------------------------------------------------------------------------- RSS 2.0


def test_rss_has_every_element_the_specification_requires():
    root = lxml.etree.fromstring(rss())
    assert root.tag == "rss" and root.get("version") == "2.0"
    [channel] = root.findall("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    assert channel.findtext("link") == SITE
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self" and self_link.get("href") == SITE + "feed.xml"
    parsedate_to_datetime(channel.findtext("lastBuildDate"))  # RFC 822
    for item in channel.iter("item"):
        assert item.findtext("title") or item.findtext("description")
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
        assert item.findtext("link").startswith(SITE)


def test_rss_item_fields():
    parsed = feedparser.parse(rss())
    entry = parsed.entries[-1]
    assert (
        entry.title
        == "northwind · Northwind Seller Agreement: Monthly subscription fee raised from 39.99 USD to 49.99 USD, from 14 November 2026"
    )
    assert entry.link == SITE + "documents/northwind/seller-agreement/#change-20261015T060000Z"
    assert entry.guidislink is False  # isPermaLink="false": the key is an id, not a URL
    assert [t.term for t in entry.tags] == ["substantive", "Fees and payments"]  # for people
    body = lxml.html.fragment_fromstring(entry.description, create_parent="div")
    # The amount changes as a whole: its currency with it, not "39.99" inside "… USD".
    assert body.xpath("//del/text()") == ["39.99 USD"] and body.xpath("//ins/text()") == ["49.99 USD"]
    text = body.text_content()
    assert "deleted: 39.99 USD → inserted: 49.99 USD" in text  # where styles are lost, it still reads
    assert "raised from 39.99 USD to 49.99 USD" in text and "silent" in text
    assert "(amount)" not in text  # the reasons' internal kinds are not for readers
    assert "It takes effect on 14 November 2026, 30 days after it was first seen" in text


# ----------------------------------------------------------------------------- Atom, JSON Feed


def test_atom_has_the_elements_rfc_4287_requires():
    root = lxml.etree.fromstring(atom())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == SITE + "feed.atom.xml"
    assert root.findtext(f"{ATOM}title") and root.findtext(f"{ATOM}updated")
    assert root.find(f"{ATOM}author").findtext(f"{ATOM}name") == "policywatch"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": SITE + "feed.atom.xml", "alternate": SITE}
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") in NOT_NOISE_IDS
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}link").get("href").startswith(SITE)
        assert entry.find(f"{ATOM}content").get("type") == "html"
    parsed = feedparser.parse(atom())
    assert [t.term for t in parsed.entries[-1].tags] == ["substantive", "fees-payments"]
    assert parsed.entries[-1].tags[1].label == "Fees and payments"


def test_json_feed_1_1():
    document = jsonfeed()
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == SITE + "feed.json" and document["home_page_url"] == SITE
    assert [item["id"] for item in document["items"]] == NOT_NOISE_IDS
    first = document["items"][-1]
    assert first["date_published"] == "2026-10-15T06:00:00Z"
    assert first["tags"] == ["substantive", "fees-payments"]
    assert first["_policywatch"] == {
        "class": "substantive",
        "document": "northwind/seller-agreement",
        "silent": True,
        "effective_date": "2026-11-14",
        "event": "edited",
        "marketplace": "northwind",
        "severity": "high",
    }
    assert (
        first["summary"] == "Monthly subscription fee raised from 39.99 USD to 49.99 USD, from 14 November 2026"
    )  # what a chat bot posts
    assert "<del>39.99 USD</del>" in first["content_html"]
    assert len(json_feed_as_entries(json.dumps(document).encode()).entries) == 3


# ----------------------------------------------------------------------------- hostile text


def _inert(body: str, where: str) -> None:
    tree = lxml.html.fragment_fromstring(body, create_parent="div")
    assert not tree.xpath("//script | //img | //@*[starts-with(name(), 'on')]"), where
    assert all(href.startswith(SITE) for href in tree.xpath("//a/@href")), where


def test_hostile_text_is_escaped_or_removed_in_every_format():
    channel = lxml.etree.fromstring(rss()).find("channel")
    for item in channel.iter("item"):
        assert "<" not in item.findtext("title")
        _inert(item.findtext("description"), "rss")
    hostile = next(i for i in channel.iter("item") if "southsea" in i.findtext("guid"))
    assert hostile.findtext("title") == "southsea · Fees ‹b›& charges‹/b›: Wording changed"
    text = lxml.html.fragment_fromstring(hostile.findtext("description"), create_parent="div").text_content()
    assert "<script>alert(2)</script>" in text  # the inserted text is shown, as text
    assert "<script>alert(4)</script>" in text
    for entry in lxml.etree.fromstring(atom()).iter(f"{ATOM}entry"):
        assert "<" not in entry.findtext(f"{ATOM}title")
        _inert(entry.findtext(f"{ATOM}content"), "atom")
    for item in jsonfeed()["items"]:
        assert "<" not in item["title"]
        _inert(item["content_html"], "json")


@pytest.mark.parametrize(
    "effective, days, text",
    [
        (None, None, ""),
        ("2026-12-01", 30, "Takes effect 2026-12-01, 30 days after it was detected"),
        ("2026-12-01", 1, "Takes effect 2026-12-01, 1 day after it was detected"),
        ("2026-12-01", 0, "Takes effect 2026-12-01, the day it was detected"),
        ("2026-10-01", -14, "Took effect 2026-10-01, 14 days before it was detected"),
        ("2026-12-01", None, "Takes effect 2026-12-01"),
    ],
)
def test_notice_text(effective, days, text):
    assert notice_text(replace(CHANGES[1], effective_date=effective, notice_days=days)) == text


def test_an_items_diff_reads_as_the_document_and_stays_short():
    # Ten sections changed, each a table row and a paragraph: the item shows the first few,
    # rendered (no Markdown syntax), and says how many more there are.
    ops = []
    for n in range(10):
        ops += [
            (0, f"## Section {n}\n\n| Metric | Target |\n| --- | --- |\n| Late shipment rate | Under "),
            (-1, "4"),
            (1, "3"),
            (0, f"% |\n\nSee **[the guide](https://northwind.example/g{n})**.\n\n"),
        ]
    wide = _change(7, "northwind/seller-agreement", "2026-11-04T06:00:00Z", "substantive", "Targets", ops)
    body = lxml.html.fragment_fromstring(jsonfeed([wide])["items"][0]["content_html"], create_parent="div")
    assert len(body.xpath("//table")) == FEED_DIFF_SECTIONS
    assert body.xpath("//table")[0].xpath(".//th/text()") == ["Metric", "Target"]  # the header row is kept
    assert body.xpath("//td[@class='diff-changed']//del/text()") == ["4%"] * FEED_DIFF_SECTIONS
    text = body.text_content()
    assert "and changes in 7 more sections" in text
    assert not re.search(r"\*\*|\]\(|\| ---|##", text), text
    assert "See the guide." in text


def test_without_a_site_url_feeds_have_relative_links_and_never_localhost():
    feed = Feed(
        document_feed("northwind/seller-agreement"),
        "t",
        "d",
        "documents/northwind/seller-agreement/",
        tuple(CHANGES[:2]),
    )
    written = feed_files(feed, DOCS, None)
    assert not any(b"localhost" in content for content in written.values())
    rss_feed = feedparser.parse(written["feeds/documents/northwind/seller-agreement.xml"])
    link = "../../../documents/northwind/seller-agreement/#change-20261101T060000Z"  # from the feed's folder
    assert rss_feed.entries[0].link == link
    assert "See the whole change" not in rss_feed.entries[0].description  # no link to follow
    atom_root = lxml.etree.fromstring(written["feeds/documents/northwind/seller-agreement.atom.xml"])
    assert atom_root.findtext(f"{ATOM}id") == "urn:policywatch:feed:feeds/documents/northwind/seller-agreement"
    document = json.loads(written["feeds/documents/northwind/seller-agreement.json"])
    assert "feed_url" not in document and "home_page_url" not in document  # optional, and must be absolute
    assert all("url" not in item and item["summary"] for item in document["items"])


def test_item_titles_name_the_marketplace_by_its_declared_name():
    feed = Feed("feed", "t", "d", "", tuple(CHANGES))
    names = {"northwind": "Northwind Market (US)"}
    titles = [e.title for e in feedparser.parse(feed_files(feed, DOCS, SITE, None, names)["feed.xml"]).entries]
    assert (
        titles[-1]
        == "Northwind Market (US) · Northwind Seller Agreement: Monthly subscription fee raised from 39.99 USD to 49.99 USD, from 14 November 2026"
    )
    assert titles[0].startswith("southsea · ")  # a marketplace no run has named keeps its id


def test_control_characters_in_stored_text_do_not_break_the_feeds():
    # 3b: a summary stored before extraction dropped control characters still publishes.
    hostile = _change(
        9, "southsea/fees", "2026-11-03T06:00:00Z", "substantive", "New fee \x1b[31m20%\x08", [(1, "fee\x1b[0m\x00")]
    )
    for path, content in files([*CHANGES, hostile]).items():
        assert b"\x1b" not in content and b"\x08" not in content and b"\\u001b" not in content, path
        parse(path, content)
