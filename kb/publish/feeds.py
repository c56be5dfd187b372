"""Feeds of recorded changes in RSS 2.0, Atom and JSON Feed 1.1. The only module that imports
feedgen.

A feed is a ``Feed``: a scope (every change, substantive ones, one marketplace, one document)
written in the three formats, side by side: ``<stem>.xml`` (RSS), ``<stem>.atom.xml`` (Atom)
and ``<stem>.json`` (JSON Feed). One item per change that is not noise, newest first, at most
``FEED_ITEMS`` of them. An item's id is ``urn:policywatch:change:<change key>`` in every format
(the RSS ``guid``, with ``isPermaLink="false"``: it outlives a move of the site), its date the
change's detection time, its title "Marketplace · Document: headline" (the marketplace's
declared name), its body the change's brief (``kb.publish.briefs``), the diff as the document
reads (``diffs.render``, short) and the permalink, sanitized; JSON Feed items carry the headline
as ``summary``.

Output is reproducible and only moves with its items: a feed's own date is its newest item's
(feedgen would stamp the current time), so publishing after a crawl that found nothing new
rewrites no feed. Links are absolute, made with the site URL; without one they are relative
(see ``feed_files``). Where each feed, page and permalink lives is ``kb.publish.urls``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from diffs.normalize import drop_controls
from diffs.taxonomy import label_of
from kb.models import Change, Document, Event
from kb.publish.briefs import Brief, brief_of
from kb.publish.fragments import brief_html, readable_diff
from kb.publish.sanitize import clean_html
from kb.publish.urls import change_permalink, feed_urls, link_from

FEED_ITEMS = 100  # newest items per feed: readers poll often, the site keeps the full record
GENERATOR = "policywatch"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------- items


HEAD_CATEGORY = "policywatch-head:"  # RSS and Atom: the feed's category that carries the head


def parse_time(iso: str) -> datetime:
    """``2026-11-01T00:00:00Z`` → an aware UTC datetime."""
    return datetime.fromisoformat(iso).astimezone(UTC)


def _plain(text: str) -> str:
    """One line of text for an item title; some readers render titles as HTML, so no tags."""
    return " ".join(text.split()).replace("<", "‹").replace(">", "›")


def change_tags(change: Change) -> tuple[str, ...]:
    """The seller workflows a change touches (``diffs.taxonomy`` ids)."""
    return tuple(change.tags)


def is_published(change: Change) -> bool:
    """A technical change (only the extraction rules changed, not the page) is recorded but
    kept out of the changelogs and the feeds."""
    return not change.technical


FEED_DIFF_SECTIONS = 3  # sections of a change's diff in a feed item; the permalink has them all
FEED_DIFF_CHANGES = 4  # changed blocks shown per section


def _body(change: Change, brief: Brief, permalink: str | None, note: str = "", url: str | None = None) -> str:
    """The brief first, then the diff as the document reads (for a page that came, went or
    moved, which has no diff: a link to its address, ``url``), ``note`` (what announced it),
    then the permalink."""
    silent = " · silent (the page's stated date did not change)" if change.silent else ""
    context = f"{brief.marketplace} · {change.label} change, {brief.severity} importance{silent}"
    if change.event != Event.EDITED:
        diff = f'<p>The page: <a href="{html.escape(url)}">{html.escape(url)}</a></p>' if url else ""
    else:
        diff = readable_diff(
            change.ops, fold_content=False, max_sections=FEED_DIFF_SECTIONS, max_changes=FEED_DIFF_CHANGES
        )
    body = (
        brief_html(brief, change.label)
        + f"<p><em>{html.escape(context)}</em></p>"
        + diff
        + (f"<p>{html.escape(note)}</p>" if note else "")
        # Without a site URL there is no link a reader could follow (see feed_files).
        + (f'<p><a href="{html.escape(permalink)}">See the whole change on the site</a></p>' if permalink else "")
    )
    return clean_html(body)


@dataclass(frozen=True)
class Item:
    """One change as every format shows it."""

    key: str  # the change's key; the item's id is ``urn:policywatch:change:<key>``
    title: str  # plain text: "Marketplace · Document: headline"
    summary: str  # plain text: the headline
    link: str  # the permalink: absolute, or relative to the feed when the site has no URL
    published: datetime
    label: str
    tags: tuple[str, ...]
    body: str  # sanitized HTML
    doc_id: str
    silent: bool | None
    effective_date: str | None
    event: str = "edited"  # kb.models.Event: the page edited, added, removed, moved or back
    marketplace: str = ""
    severity: str = ""

    @property
    def id(self) -> str:
        return ITEM_ID_PREFIX + self.key


ITEM_ID_PREFIX = "urn:policywatch:change:"


def feed_item(
    change: Change,
    document: Document | None,
    site_url: str | None,
    *,
    marketplace: str | None = None,
    feed_path: str = "feed.xml",
    note: str = "",
) -> Item:
    """One change as a feed item; ``marketplace`` is its declared name. Without ``site_url``
    the link is relative to ``feed_path`` (the feed's own file) and the body holds none."""
    path = change_permalink(change)
    permalink = urljoin(site_url, path) if site_url else None
    brief = brief_of(change, document, marketplace)
    title = " ".join((document.title if document else "").split()) or change.doc_id
    # a page that came or went: its summary names the page, the title says what became of it
    headline = brief.headline if change.event == Event.EDITED else change.summary.partition(": ")[0]
    return Item(
        key=change.key,
        # Text stored before extraction dropped control characters: XML refuses them.
        title=_plain(drop_controls(f"{brief.marketplace} · {title}: {headline}")),
        summary=_plain(drop_controls(brief.headline)),
        link=permalink or link_from(feed_path, path),
        published=parse_time(change.detected_at),
        label=change.label,
        tags=change_tags(change),
        body=drop_controls(_body(change, brief, permalink, note, document.url if document else None)),
        doc_id=change.doc_id,
        silent=change.silent,
        effective_date=change.effective_date,
        marketplace=brief.marketplace,
        severity=brief.severity,
        event=str(change.event),
    )


def newest_items(changes: Iterable[Change], limit: int = FEED_ITEMS) -> list[Change]:
    """The changes a feed shows: not noise, newest first, at most ``limit``."""
    kept = [c for c in changes if c.label != "noise" and is_published(c)]
    kept.sort(key=lambda c: (c.detected_at, c.doc_id, c.key), reverse=True)
    return kept[:limit]


# ----------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class Feed:
    """One scope of changes, written in every format."""

    stem: str  # site-relative path without suffix, e.g. "feeds/documents/<doc_id>"
    title: str  # plain text
    description: str
    page: str  # site-relative URL of the page the feed follows ("" for the home page)
    changes: tuple[Change, ...]  # any order, noise included: the feed filters
    empty_since: str = ""  # the feed's date while it has no item (ISO-8601 UTC; "": 1970)
    head: str = ""  # the store's head digest (kb.store.chain): readers who cache the feed keep it
    notes: Mapping[str, str] = field(default_factory=dict)  # change key -> a sentence its item adds (announcements)


def feed_files(
    feed: Feed,
    documents: Mapping[str, Document],
    site_url: str | None,
    items: dict[str, Item] | None = None,
    marketplaces: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """The feed's three files: site-relative path → bytes. ``items`` caches ``feed_item``
    results across the feeds of one publish (a change shows in several); ``marketplaces``
    gives each marketplace's declared name.

    Without ``site_url`` the feeds still list every change, but their links are relative to
    the feed's own file (RSS and Atom) or left out (JSON Feed, where they are optional): a
    feed with ``http://localhost`` links would send its readers nowhere, or somewhere else."""
    cache = items if items is not None else {}
    names = marketplaces or {}
    rss_path = feed.stem + ".xml"  # the three files share a folder: one relative link serves all
    shown = []
    for change in newest_items(feed.changes):
        if change.key not in cache:
            document = documents.get(change.doc_id)
            name = names.get(document.marketplace) if document else None
            cache[change.key] = feed_item(
                change, document, site_url, marketplace=name, note=feed.notes.get(change.key, "")
            )
        item = cache[change.key]
        # Without a site URL the link is relative to this feed's file: the body is the same.
        shown.append(item if site_url else replace(item, link=link_from(rss_path, change_permalink(change))))
    if shown:
        updated = shown[0].published
    else:
        updated = parse_time(feed.empty_since) if feed.empty_since else _EPOCH
    if site_url:
        page = urljoin(site_url, feed.page)
        urls = {fmt.name: urljoin(site_url, path) for fmt, path in feed_urls(feed.stem)}
        feed_id = None
    else:
        page = link_from(rss_path, feed.page)
        urls = {fmt.name: link_from(rss_path, path) for fmt, path in feed_urls(feed.stem)}
        feed_id = FEED_ID_PREFIX + feed.stem
    files = {}
    for fmt, path in feed_urls(feed.stem):
        if fmt.name == "json":
            files[path] = json_feed(feed, shown, page=page, self_link=urls["json"], absolute=bool(site_url))
        else:
            link = urls[fmt.name]
            files[path] = _xml_feed(fmt.name, feed, shown, page=page, self_link=link, updated=updated, feed_id=feed_id)
    return files


FEED_ID_PREFIX = "urn:policywatch:feed:"  # a feed's id when the site has no URL to name it by


def _xml_feed(
    kind: str,
    feed: Feed,
    items: Sequence[Item],
    *,
    page: str,
    self_link: str,
    updated: datetime,
    feed_id: str | None = None,
) -> bytes:
    generator = FeedGenerator()
    generator.id(feed_id or self_link)  # feed_id: a URN when the self link is only relative
    generator.title(feed.title)
    generator.author({"name": GENERATOR})
    generator.link(href=self_link, rel="self")  # before "alternate": RSS keeps the last <link>
    generator.link(href=page, rel="alternate")
    generator.description(feed.description)
    generator.language("en")
    generator.generator(GENERATOR)  # feedgen's default names its own version: bytes would move
    generator.updated(updated)  # Atom <updated> and RSS <lastBuildDate>
    if feed.head:  # a category of the feed itself: the one field both formats carry
        generator.category(term=f"{HEAD_CATEGORY}{feed.head}")
    for item in items:
        entry = generator.add_entry(order="append")
        entry.id(item.id)  # also the RSS guid, isPermaLink="false": it outlives the site URL
        entry.title(item.title)
        entry.link(href=item.link)
        entry.published(item.published)
        entry.updated(item.published)
        entry.category(term=item.label)
        for tag in item.tags:
            entry.category(term=tag, label=label_of(tag))
        entry.content(item.body, type="html")
    if kind == "atom":
        return generator.atom_str(pretty=True)
    return generator.rss_str(pretty=True)


def json_feed(feed: Feed, items: Sequence[Item], *, page: str, self_link: str, absolute: bool = True) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1); ``summary`` is the change's headline;
    ``_policywatch`` holds its class, silent flag, effective date, event, marketplace and severity for
    programs, and at the top the store's head. Without absolute links (no site URL) the
    optional ``home_page_url``, ``feed_url`` and item ``url`` are left out."""
    links = {"home_page_url": page, "feed_url": self_link} if absolute else {}
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        **links,
        "description": feed.description,
        "language": "en",
        "authors": [{"name": GENERATOR}],
        **({"_policywatch": {"head": feed.head}} if feed.head else {}),
        "items": [
            {
                "id": item.id,
                **({"url": item.link} if absolute else {}),
                "title": item.title,
                "summary": item.summary,
                "content_html": item.body,
                "date_published": item.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tags": [item.label, *item.tags],
                "_policywatch": {
                    "class": item.label,
                    "document": item.doc_id,
                    "silent": item.silent,
                    "effective_date": item.effective_date,
                    "event": item.event,
                    "marketplace": item.marketplace,
                    "severity": item.severity,
                },
            }
            for item in items
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
