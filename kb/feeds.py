"""RSS 2.0 feeds of recorded changes. The only module that imports feedgen.

One item per change that is not noise, newest first. Output is reproducible: the same changes
and the same ``generated_at`` give the same bytes (feedgen would stamp ``lastBuildDate`` with
the current time). Item links are permalinks into the site, made absolute with the site URL
(``kb.publish`` takes it from ``--site-url`` / ``POLICYWATCH_SITE_URL``).

This module also owns the site's URL layout, which pages and feeds must agree on:
``documents/<doc_id>/`` for a document, ``#change-<yyyymmddThhmmssZ>`` for one of its changes.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from kb.models import Change, Document
from kb.sanitize import clean_html

FEED_DESCRIPTION = "Changes to the rules marketplaces impose on sellers, recorded by policywatch."
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# ----------------------------------------------------------------------------- URL layout


def document_page(doc_id: str) -> str:
    """Site-relative URL of a document's page (MkDocs ``use_directory_urls``)."""
    return f"documents/{doc_id}/"


def change_anchor(change: Change) -> str:
    """``change-20261101T000000Z``: the change's detection time, stable across rebuilds."""
    return "change-" + re.sub(r"[-:]|\.\d+", "", change.detected_at)


def change_permalink(change: Change) -> str:
    """Site-relative permalink of a change: its anchor in the document's page."""
    return f"{document_page(change.doc_id)}#{change_anchor(change)}"


# ----------------------------------------------------------------------------- feed


def parse_time(iso: str) -> datetime:
    """``2026-11-01T00:00:00Z`` → an aware UTC datetime."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc)


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


def _description(change: Change, permalink: str) -> str:
    silent = {True: " · silent (the page's stated date did not change)", False: "", None: ""}
    reasons = "".join(f"<li>{html.escape(r.text)} <em>({html.escape(r.kind)})</em></li>"
                      for r in change.reasons)
    excerpt = diff_excerpt(change.ops)
    body = (f"<p><strong>{html.escape(change.label)}</strong>{silent[change.silent]}: "
            f"{html.escape(change.summary)}</p>"
            + (f"<ul>{reasons}</ul>" if reasons else "")
            + (f"<p>{excerpt}</p>" if excerpt else "")
            + f'<p><a href="{html.escape(permalink)}">Full diff</a></p>')
    return clean_html(body)


def rss_feed(changes: Sequence[Change], documents: Mapping[str, Document], *, title: str,
             link: str, self_link: str, generated_at: str,
             description: str = FEED_DESCRIPTION) -> bytes:
    """RSS 2.0 document with one item per non-noise change, newest first.

    ``link`` is the site's absolute URL (item permalinks are resolved against it), ``self_link``
    the feed's own URL, ``generated_at`` the ``lastBuildDate`` (ISO-8601 UTC; empty: 1970)."""
    feed = FeedGenerator()
    feed.title(title)
    feed.link(href=self_link, rel="self")  # before "alternate": feedgen keeps the last for <link>
    feed.link(href=link, rel="alternate")
    feed.description(description)
    feed.language("en")
    feed.lastBuildDate(parse_time(generated_at) if generated_at else _EPOCH)
    kept = [c for c in changes if c.label != "noise"]
    kept.sort(key=lambda c: (c.detected_at, c.doc_id, c.key), reverse=True)
    for change in kept:
        document = documents.get(change.doc_id)
        permalink = urljoin(link, change_permalink(change))
        entry = feed.add_entry(order="append")
        entry.title(_plain(f"{document.title if document else change.doc_id}: {change.summary}"))
        entry.link(href=permalink)
        entry.guid(change.key, permalink=False)
        entry.pubDate(parse_time(change.detected_at))
        entry.category(term=change.label)
        entry.description(_description(change, permalink))
    return feed.rss_str(pretty=True)
