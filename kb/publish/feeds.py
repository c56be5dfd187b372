"""Feeds of recorded changes in RSS 2.0, Atom and JSON Feed 1.1. The only module that imports
feedgen.

A feed is a ``Feed``: a scope (every change, substantive ones, one marketplace, one document)
written in the three formats, side by side: ``<stem>.xml`` (RSS), ``<stem>.atom.xml`` (Atom)
and ``<stem>.json`` (JSON Feed). One item per change that is not noise, newest first, at most
``FEED_ITEMS`` of them. An item's id is ``urn:policywatch:change:<change key>`` in every format
(the RSS ``guid``, with ``isPermaLink="false"``: it outlives a move of the site), its date the
change's detection time, its title the document's title and the change's summary, its body the
summary, reasons, effective date and a diff excerpt, sanitized.

Output is reproducible and only moves with its items: a feed's own date is its newest item's
(feedgen would stamp the current time), so publishing after a crawl that found nothing new
rewrites no feed. Links are absolute, made with the site URL; where each feed, page and
permalink lives is ``kb.publish.urls``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from diffs.normalize import drop_controls
from diffs.taxonomy import label_of
from kb.models import Change, Document, Event
from kb.publish.sanitize import clean_html
from kb.publish.urls import change_permalink, feed_urls

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


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _unchanged(text: str, after_change: bool, before_change: bool, size: int) -> str:
    """Unchanged text between changes: about ``size`` characters beside each change, cut at
    a space, the rest elided."""
    if len(text) <= size * (after_change + before_change):
        return text
    head = text[:size].rsplit(" ", 1)[0] + " " if after_change else ""
    tail = " " + text[-size:].split(" ", 1)[-1] if before_change else ""
    return f"{head}…{tail}"


def diff_excerpt(ops: Sequence[tuple[int, str]], budget: int = 400, context: int = 60) -> str:
    """A short HTML excerpt of a diff: up to ``budget`` characters of changed text, each change
    with about ``context`` characters of unchanged text around it, whitespace squeezed."""
    if all(op == 0 for op, _ in ops):
        return ""
    parts: list[str] = []
    used = 0
    last = len(ops) - 1
    for i, (op, text) in enumerate(ops):
        if used >= budget:
            parts.append(" …")
            break
        if op == 0:
            kept = _unchanged(text, i > 0, i < last, context)
            parts.append(html.escape(_squeeze(kept), quote=False))
            continue
        piece = text[: budget - used]
        used += len(piece)
        tag = "ins" if op > 0 else "del"
        cut = "…" if len(piece) < len(text) else ""
        parts.append(f"<{tag}>{html.escape(_squeeze(piece), quote=False)}{cut}</{tag}>")
    return "".join(parts).strip()


def notice_text(change: Change) -> str:
    """ "Takes effect 2026-12-01, 30 days after it was detected", or "" when the change states
    no date (its ``effective_date`` is None; ``notice_days`` is None when unknown)."""
    effective = change.effective_date
    if not effective:
        return ""
    days = change.notice_days
    if days is None:
        return f"Takes effect {effective}"
    if days == 0:
        return f"Takes effect {effective}, the day it was detected"
    span = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    if days < 0:
        return f"Took effect {effective}, {span} before it was detected"
    return f"Takes effect {effective}, {span} after it was detected"


def change_tags(change: Change) -> tuple[str, ...]:
    """The seller workflows a change touches (``diffs.taxonomy`` ids)."""
    return tuple(change.tags)


def is_published(change: Change) -> bool:
    """A technical change (only the extraction rules changed, not the page) is recorded but
    kept out of the changelogs and the feeds."""
    return not change.technical


_SILENT = {True: " · silent (the page's stated date did not change)", False: "", None: ""}


def _body(change: Change, permalink: str, note: str = "", url: str | None = None) -> str:
    """``url``: the page's address, linked from a change that adds, removes or moves the page
    (it has no diff)."""
    if change.event != Event.EDITED:
        return clean_html(
            f"<p><strong>{html.escape(change.label)}</strong>: {html.escape(change.summary)}</p>"
            + "".join(f"<p>{html.escape(r.text)} <em>({html.escape(r.kind)})</em></p>" for r in change.reasons)
            + (f'<p>The page: <a href="{html.escape(url)}">{html.escape(url)}</a></p>' if url else "")
            + (f"<p>{html.escape(note)}</p>" if note else "")
            + f'<p><a href="{html.escape(permalink)}">On the site</a></p>'
        )
    reasons = "".join(f"<li>{html.escape(r.text)} <em>({html.escape(r.kind)})</em></li>" for r in change.reasons)
    notice = notice_text(change)
    excerpt = diff_excerpt(change.ops)
    body = (
        f"<p><strong>{html.escape(change.label)}</strong>{_SILENT[change.silent]}: "
        f"{html.escape(change.summary)}</p>"
        + (f"<p>{html.escape(notice)}.</p>" if notice else "")
        + (f"<ul>{reasons}</ul>" if reasons else "")
        + (f"<p>{excerpt}</p>" if excerpt else "")
        + (f"<p>{html.escape(note)}</p>" if note else "")
        + f'<p><a href="{html.escape(permalink)}">Full diff</a></p>'
    )
    return clean_html(body)


@dataclass(frozen=True)
class Item:
    """One change as every format shows it."""

    key: str  # the change's key; the item's id is ``urn:policywatch:change:<key>``
    title: str  # plain text
    link: str  # absolute permalink
    published: datetime
    label: str
    tags: tuple[str, ...]
    body: str  # sanitized HTML
    doc_id: str
    silent: bool | None
    effective_date: str | None
    event: str = "edited"  # kb.models.Event: the page edited, added, removed, moved or back

    @property
    def id(self) -> str:
        return ITEM_ID_PREFIX + self.key


ITEM_ID_PREFIX = "urn:policywatch:change:"


def feed_item(change: Change, document: Document | None, site_url: str, note: str = "") -> Item:
    permalink = urljoin(site_url, change_permalink(change))
    title = document.title if document else change.doc_id
    heading = change.summary if change.event != Event.EDITED else f"{title}: {change.summary}"  # it names the page
    return Item(
        key=change.key,
        # Text stored before extraction dropped control characters: XML refuses them.
        title=_plain(drop_controls(heading)),
        link=permalink,
        published=parse_time(change.detected_at),
        label=change.label,
        tags=change_tags(change),
        body=drop_controls(_body(change, permalink, note, document.url if document else None)),
        doc_id=change.doc_id,
        silent=change.silent,
        effective_date=change.effective_date,
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
    feed: Feed, documents: Mapping[str, Document], site_url: str, items: dict[str, Item] | None = None
) -> dict[str, bytes]:
    """The feed's three files: site-relative path → bytes. ``items`` caches ``feed_item``
    results by change key across the feeds of one publish (a change shows in several)."""
    cache = items if items is not None else {}
    shown = []
    for change in newest_items(feed.changes):
        if change.key not in cache:
            cache[change.key] = feed_item(
                change, documents.get(change.doc_id), site_url, feed.notes.get(change.key, "")
            )
        shown.append(cache[change.key])
    if shown:
        updated = shown[0].published
    else:
        updated = parse_time(feed.empty_since) if feed.empty_since else _EPOCH
    page = urljoin(site_url, feed.page)
    urls = {fmt.name: urljoin(site_url, path) for fmt, path in feed_urls(feed.stem)}
    files = {}
    for fmt, path in feed_urls(feed.stem):
        if fmt.name == "json":
            files[path] = json_feed(feed, shown, page=page, self_link=urls["json"])
        else:
            files[path] = _xml_feed(fmt.name, feed, shown, page=page, self_link=urls[fmt.name], updated=updated)
    return files


def _xml_feed(kind: str, feed: Feed, items: Sequence[Item], *, page: str, self_link: str, updated: datetime) -> bytes:
    generator = FeedGenerator()
    generator.id(self_link)
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


def json_feed(feed: Feed, items: Sequence[Item], *, page: str, self_link: str) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1); ``_policywatch`` holds the change's
    class, silent flag, effective date and event for programs, and at the top the store's head."""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": page,
        "feed_url": self_link,
        "description": feed.description,
        "language": "en",
        "authors": [{"name": GENERATOR}],
        **({"_policywatch": {"head": feed.head}} if feed.head else {}),
        "items": [
            {
                "id": item.id,
                "url": item.link,
                "title": item.title,
                "content_html": item.body,
                "date_published": item.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tags": [item.label, *item.tags],
                "_policywatch": {
                    "class": item.label,
                    "document": item.doc_id,
                    "silent": item.silent,
                    "effective_date": item.effective_date,
                    "event": item.event,
                },
            }
            for item in items
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
