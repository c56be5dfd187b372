"""The site's pages, rendered as Markdown with HTML blocks from a ``PublishInput``.

``Site`` holds the records indexed the ways the pages need them, and renders each page: the
home page, the changelogs (all classes or one, each with a page per month), a page per
marketplace and one per document, plus the scopes of the feeds (``feeds``). Where each page
goes is ``kb.publish.urls``; the pieces they are made of are ``kb.publish.fragments``.

Pages hold nothing that moves on every check: the data's date and each document's last check
are markers (``AS_OF_MARKER``, ``LAST_CHECKED_MARKER``) that the site's hook fills in at build
time from ``checks.json`` (``checks_json``), so a crawl that finds nothing new rewrites no page.

Crawled text is untrusted: it goes through ``kb.publish.sanitize`` before it reaches a page, a
title or a feed. The page structure around it is HTML written here, every value escaped.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from html import escape

from diffs.announcements import ROLE as ANNOUNCEMENTS_ROLE
from diffs.announcements import linkage
from diffs.announcements import note as announcement_note
from diffs.flapping import flapping_passages
from diffs.taxonomy import label_of
from kb.errors import PublishError
from kb.models import CLASSES, Change, Document, Event, PublishInput, Version
from kb.publish.briefs import Brief, brief_of, notice_text
from kb.publish.feeds import Feed, change_tags, is_published
from kb.publish.fragments import (
    brief_html,
    class_badge,
    external_link,
    feed_links,
    front_matter,
    link,
    plural,
    readable_diff,
    severity_badge,
    snapshot_ref,
    status_badge,
    table,
    tag_badge,
    utc_time,
)
from kb.publish.notice import notice_verdict
from kb.publish.sanitize import escape_markdown_html, safe_title
from kb.publish.urls import (
    GLOBAL_FEED,
    SUBSTANTIVE_FEED,
    change_anchor,
    change_permalink,
    check_segments,
    document_feed,
    document_md,
    document_page,
    href,
    listing_md,
    marketplace_feed,
    marketplace_md,
    page_url,
    version_file,
)

SITE_NAME = "policywatch"
FEED_ABOUT = "Changes to the rules marketplaces impose on sellers, recorded by policywatch."
# Markers the hook replaces with values from checks.json; crawled text cannot make one, since
# every "<" it holds is escaped.
LAST_CHECKED_MARKER = "<!--pw:last-checked-->"
AS_OF_MARKER = "<!--pw:as-of-->"
LATEST_ON_HOME = 10
# What one document's rules may add to the site search: Material's index is one JSON file that every
# page loads, and a 10 MB line (3d) left the search box at "Initializing search" on every page.
SEARCH_TEXT_LIMIT = 500_000  # characters of rules text
SEARCH_LINE_LIMIT = 50_000  # characters of one paragraph (one token of a 10 MB line breaks lunr)
LISTING_LIMIT = 200  # changes on a changelog page; whole months, each also on its own page


def newest_first(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.detected_at, c.doc_id, c.key), reverse=True)


_SILENT = {
    True: "Silent change: the page's own “last updated” date did not change.",
    False: "The page's own “last updated” date changed with it.",
    None: "",
}
LISTING_TITLES = {
    None: "All changes",
    "substantive": "Substantive changes",
    "minor": "Minor changes",
    "noise": "Noise",
}


class Site:
    """The records, indexed the ways the pages need them."""

    def __init__(self, data: PublishInput) -> None:
        self.data = data
        self.documents = sorted(data.documents, key=lambda d: d.doc_id)
        self.by_id: dict[str, Document] = {d.doc_id: d for d in self.documents}
        for change in data.changes:
            if change.doc_id not in self.by_id:
                raise PublishError(
                    f"change {change.key} belongs to unknown document {change.doc_id!r}",
                    hint="the store is inconsistent: run `policywatch status`",
                )
        self.changes = newest_first(c for c in data.changes if is_published(c))
        self.changes_of: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            self.changes_of[change.doc_id].append(change)
        for doc in self.documents:  # before any file is written: see build.iter_sources
            check_segments(doc.doc_id, "document id")
            check_segments(doc.marketplace, "marketplace")
        for version in (*data.current.values(), *data.versions.values()):
            check_segments(version.doc_id, "document id")
        self.marketplaces = sorted({d.marketplace for d in self.documents})
        self.marketplace_names = {m: data.marketplace_names.get(m) or m for m in self.marketplaces}
        self.in_marketplace: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self.documents, key=lambda d: (d.title.casefold(), d.doc_id)):
            self.in_marketplace[doc.marketplace].append(doc)
        # Pages of upcoming changes, their entries and the changes that carry them out (as of the data's date).
        pages = {d.doc_id for d in self.documents if d.role == ANNOUNCEMENTS_ROLE}  # their texts only
        self.announcements = linkage(
            self.documents,
            (self.with_text(v) for v in data.versions.values() if v.doc_id in pages),
            self.changes,
            data.generated_at,
        )

    def text(self, version: Version) -> str:
        """A version's text (``PublishInput.text``: read when a page needs it, not kept)."""
        return self.data.text(version)

    def with_text(self, version: Version) -> Version:
        return version if version.text is not None else replace(version, text=self.text(version))

    def brief(self, change: Change) -> Brief:
        """The change's brief (``kb.publish.briefs``), with its marketplace's declared name."""
        doc = self.by_id[change.doc_id]
        return brief_of(change, doc, self.marketplace_names.get(doc.marketplace))

    def market(self, marketplace: str) -> str:
        """A marketplace's declared name as HTML."""
        return escape(self.marketplace_names.get(marketplace) or marketplace)

    def title(self, doc_id: str) -> str:
        """The document's title as HTML (page content, not navigation: see safe_title)."""
        doc = self.by_id[doc_id]
        return escape(" ".join(doc.title.split()) or doc_id)

    def nav_title(self, doc: Document) -> str:
        return safe_title(doc.title) or doc.doc_id

    def doc_link(self, page: str, doc_id: str) -> str:
        return link(href(page, document_page(doc_id)), self.title(doc_id))

    def change_link(self, page: str, change: Change) -> str:
        return link(href(page, change_permalink(change)), utc_time(change.detected_at))

    def versions(self) -> list[Version]:
        """Every version a page links to: the current ones and both sides of each change."""
        found = {v.id: v for v in self.data.current.values()}
        for change in self.changes:
            for vid in (change.from_version_id, change.to_version_id):
                if vid in self.data.versions:
                    found[vid] = self.data.versions[vid]
        return sorted(found.values(), key=lambda v: (v.doc_id, v.captured_at, v.id))

    def feeds(self) -> list[Feed]:
        first_seen = min((d.first_seen for d in self.documents if d.first_seen), default="")
        out = [
            Feed(GLOBAL_FEED, f"{SITE_NAME}: changes", FEED_ABOUT, "", tuple(self.changes), first_seen),
            Feed(
                SUBSTANTIVE_FEED,
                f"{SITE_NAME}: substantive changes",
                "Substantive changes only (obligations, fees, dates, deadlines). " + FEED_ABOUT,
                "changes/substantive/",
                tuple(c for c in self.changes if c.label == "substantive"),
                first_seen,
            ),
        ]
        for marketplace in self.marketplaces:
            docs = self.in_marketplace[marketplace]
            changes = tuple(c for d in docs for c in self.changes_of[d.doc_id])
            since = min((d.first_seen for d in docs if d.first_seen), default="")
            out.append(
                Feed(
                    marketplace_feed(marketplace),
                    f"{SITE_NAME}: {self.marketplace_names[marketplace]}",
                    f"Changes to the rules of {self.marketplace_names[marketplace]}. " + FEED_ABOUT,
                    page_url(marketplace_md(marketplace)),
                    changes,
                    since,
                )
            )
        for doc in self.documents:
            title = " ".join(doc.title.split()) or doc.doc_id
            out.append(
                Feed(
                    document_feed(doc.doc_id),
                    f"{SITE_NAME}: {title}",
                    f"Changes to {doc.url}. " + FEED_ABOUT,
                    document_page(doc.doc_id),
                    tuple(self.changes_of[doc.doc_id]),
                    doc.first_seen or "",
                )
            )
        notes = {c.key: said for c in self.changes if (said := announcement_note(c, self.announcements))}
        return [replace(feed, head=self.data.head, notes=notes) for feed in out]

    # ---------------------------------------------------------------- pages

    def index_page(self) -> str:
        page = "index.md"
        labels = Counter(c.label for c in self.changes)
        version_ids = {v.id for v in self.data.current.values()} | set(self.data.versions)
        version_ids |= {i for c in self.changes for i in (c.from_version_id, c.to_version_id) if i is not None}
        failing = [d for d in self.documents if d.status != "active"]
        counts = [("documents", len(self.documents)), ("failing now", len(failing)), ("versions", len(version_ids))]
        counts += [(f"{label} changes", labels.get(label, 0)) for label in CLASSES]
        out = front_matter(None, pw_kind="home") + [
            f"# {SITE_NAME}",
            "",
            (
                "policywatch watches the public rules that marketplaces impose on their sellers — "
                "seller agreements, fee schedules, account-health and prohibited-product policies — "
                "keeps every version it captures, and classifies each change as **substantive** "
                "(obligations, fees, dates, deadlines), **minor** (wording) or **noise** "
                "(formatting, counters, link targets)."
            ),
            "",
            '<div class="pw-counts">',
            *(
                f'<div class="pw-count"><span class="pw-count-value">{value}</span> '
                f'<span class="pw-count-name">{escape(name)}</span></div>'
                for name, value in counts
            ),
            "</div>",
            "",
            # Out of the search index: it moves with every crawl, and a page that is not
            # rebuilt has only its printed check times updated (see the site's hook).
            (f'<p class="pw-as-of-line" data-search-exclude>Data as of {AS_OF_MARKER} (the latest check).</p>'),
            "",
            *(
                [
                    f'<p class="pw-head-line" data-search-exclude>Head digest of the archive: '
                    f'<code>{escape(self.data.head)}</code> (<a href="head.json">head.json</a>; '
                    "check an archive against it with <code>policywatch verify --head</code>).</p>",
                    "",
                ]
                if self.data.head
                else []
            ),
        ]
        for label in ("substantive", "minor"):  # the important ones first, each newest first
            latest = [c for c in self.changes if c.label == label][:LATEST_ON_HOME]
            out += [f"## Latest {label} changes", ""]
            out += [self._change_table(page, latest) if latest else f"No {label} change recorded yet.", ""]
        filters = " · ".join(
            link(href(page, page_url(listing_md(label))), escape(title)) for label, title in LISTING_TITLES.items()
        )
        out += [f"<p>Every change, newest first: {filters}.</p>", ""]
        out += ["## Documents failing their checks", ""]
        if failing:
            rows = (
                [
                    self.doc_link(page, d.doc_id),
                    status_badge(d.status),
                    utc_time(d.last_good_check),
                    escape(d.failure or "—"),
                ]
                for d in failing
            )
            out += [table("pw-failing", ("Document", "Status", "Last good check", "Reason"), rows), ""]
        else:
            out += ["None: every document was fetched at its last check.", ""]
        if self.data.failing_deliveries:  # the operator's news, no destination named: they hold addresses
            count = len(self.data.failing_deliveries)
            since = min(d.finished_at or d.started_at for d in self.data.failing_deliveries)
            out += [
                f'<p class="pw-notify-failing">Notifications: {count} destination{"s" if count != 1 else ""} '
                f"failing since {utc_time(since)}; they are retried by the next crawl "
                "(<code>policywatch status</code> names them).</p>",
                "",
            ]
        out += ["## Marketplaces", ""]
        rows = []
        for marketplace in self.marketplaces:
            docs = self.in_marketplace[marketplace]
            changes = [c for d in docs for c in self.changes_of[d.doc_id]]
            by_label = Counter(c.label for c in changes)
            latest = max((c.detected_at for c in changes), default=None)
            rows.append(
                [
                    link(href(page, page_url(marketplace_md(marketplace))), self.market(marketplace)),
                    str(len(docs)),
                    str(sum(d.status != "active" for d in docs)),
                    *(str(by_label.get(label, 0)) for label in CLASSES),
                    utc_time(latest),
                ]
            )
        if rows:
            out += [
                table(
                    "pw-marketplaces",
                    ("Marketplace", "Documents", "Failing", *(label.capitalize() for label in CLASSES), "Last change"),
                    rows,
                ),
                "",
            ]
        else:
            out += ["No marketplace declared yet.", ""]
        out += [
            "## Feeds",
            "",
            f"<p>Every change but noise: {feed_links(page, GLOBAL_FEED)}<br>",
            f"Substantive changes only: {feed_links(page, SUBSTANTIVE_FEED)}</p>",
            "",
            "Each marketplace and each document has its own feeds, linked from its page.",
            "",
        ]
        return "\n".join(out)

    def listing_pages(self, label: str | None) -> dict[str, str]:
        """The changelog of one class (None: all classes) and its month archives."""
        changes = [c for c in self.changes if label is None or c.label == label]
        by_month: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_month[change.detected_at[:7]].append(change)
        title = LISTING_TITLES[label]
        page = listing_md(label)
        out = front_matter(title, search={"exclude": True}) + [
            f"# {escape(title)}",
            "",
            self._filters(page, label),
            "",
        ]
        if label is None:
            out += [
                (
                    "Every recorded change, newest first. Noise is listed here and on the "
                    "document pages but kept out of the feeds."
                ),
                "",
            ]
        if not changes:
            out += ["No change recorded yet.", ""]
        shown = 0
        for month, of_month in by_month.items():  # already newest first
            if shown >= LISTING_LIMIT:
                break
            out += [f"## {escape(month)}", "", self._change_table(page, of_month), ""]
            shown += len(of_month)
        if by_month:
            if shown < len(changes):
                out += [
                    (f"<p>The newest {shown} of {len(changes)} are shown above; every month has its own page:</p>"),
                    "",
                ]
            out += ["## By month", "", "<ul>"]
            out += [
                f"<li>{link(href(page, page_url(listing_md(label, month))), month)}: "
                f"{plural(len(of_month), 'change')}</li>"
                for month, of_month in by_month.items()
            ]
            out += ["</ul>", ""]
        pages = {page: "\n".join(out)}
        for month, of_month in by_month.items():
            month_page = listing_md(label, month)
            month_title = f"{title}, {month}"
            back = link(href(month_page, page_url(page)), escape(title))
            pages[month_page] = "\n".join(
                front_matter(month_title, search={"exclude": True})
                + [
                    f"# {escape(month_title)}",
                    "",
                    f"<p>Newest first. Back to {back}.</p>",
                    "",
                    self._change_table(month_page, of_month),
                    "",
                ]
            )
        return pages

    def _filters(self, page: str, current: str | None) -> str:
        parts = []
        for label, title in LISTING_TITLES.items():
            if label == current:
                parts.append(f"<strong>{escape(title)}</strong>")
            else:
                parts.append(link(href(page, page_url(listing_md(label))), escape(title)))
        return f'<p class="pw-filters">Show: {" · ".join(parts)}</p>'

    def marketplace_page(self, marketplace: str) -> str:
        page = marketplace_md(marketplace)
        rows = []
        docs = self.in_marketplace[marketplace]
        for doc in docs:
            changes = self.changes_of[doc.doc_id]
            latest = changes[:1]
            substantive = sum(c.label == "substantive" for c in changes)
            rows.append(
                [
                    self.doc_link(page, doc.doc_id),
                    escape(doc.doc_type),
                    status_badge(doc.status),
                    self.change_link(page, latest[0]) if latest else "—",
                    class_badge(latest[0].label) if latest else "—",
                    f"{len(changes)} ({substantive} substantive)" if changes else "0",
                ]
            )
        headers = ("Document", "Type", "Status", "Last change", "Class", "Changes")
        failing = sum(d.status != "active" for d in docs)
        stem = marketplace_feed(marketplace)
        return "\n".join(
            front_matter(safe_title(self.marketplace_names[marketplace]), pw_feed=stem, pw_kind="marketplace")
            + [
                f"<h1>{self.market(marketplace)}</h1>",
                "",
                (
                    f"<p>{plural(len(docs), 'document')}, {failing} failing now. "
                    f"Feeds of this marketplace: {feed_links(page, stem)}</p>"
                ),
                "",
                table("pw-documents", headers, rows),
                "",
            ]
        )

    def document_page(self, doc: Document) -> str:
        page = document_md(doc.doc_id)
        current = self.data.current.get(doc.doc_id)
        changes = self.changes_of[doc.doc_id]
        substantive = sum(c.label == "substantive" for c in changes)
        failure = f": {escape(doc.failure)}" if doc.failure else ""
        marketplace_url = href(page, page_url(marketplace_md(doc.marketplace)))
        last_changed = (
            f"{self.change_link(page, changes[0])} {class_badge(changes[0].label)}"
            if changes
            else utc_time(doc.last_changed)
        )
        stem = document_feed(doc.doc_id)
        rows = [
            ("Source", external_link(doc.url)),
            ("Marketplace", link(marketplace_url, self.market(doc.marketplace))),
            ("Type", escape(doc.doc_type)),
            ("Status", status_badge(doc.status) + failure),
            # Filled in at build time (hooks/policywatch.py): a check that finds nothing new
            # must not rewrite the page.
            ("Last checked", LAST_CHECKED_MARKER),
            ("Last changed", last_changed),
            (
                "Version captured",
                f"{utc_time(current.captured_at)} · {link(href(page, version_file(current)), 'text of this version')}"
                if current
                else "no version yet",
            ),
            ("Snapshot SHA-256", f"<code>{escape(current.snapshot_sha256)}</code>" if current else "—"),
            ("Changes", (f'{len(changes)} ({substantive} substantive): <a href="#changelog">changelog</a>')),
            ("Feeds", feed_links(page, stem)),
        ]
        out = front_matter(self.nav_title(doc), pw_feed=stem, pw_kind="document")
        # The news first: the latest change's brief, then the evidence. The header box and the
        # facts of each change are kept out of the search index (times, hashes, links): search
        # is for the rules and the changes' summaries (each once: the box repeats one).
        out += [f"<h1>{self.title(doc.doc_id)}</h1>", ""]
        if doc.status != "active":
            what = "is gone from its source" if doc.status == "gone" else "failed at its last check"
            last = " The text below is the last version captured." if current else ""
            out += [f'<p class="pw-warning">This document {what}{failure}.{last}</p>', ""]
        if changes:
            out += [self._latest(changes[0]), ""]
        out += [
            '<div class="pw-meta" data-search-exclude>',
            "<table>",
            "<tbody>",
            *(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows),
            "</tbody>",
            "</table>",
            "</div>",
            "",
        ]
        out += self._flapping_note(doc)
        out += ["## Changelog", ""]
        if not changes:
            out += ["No change recorded since the first version.", ""]
        for change in changes:
            out += [self._change_entry(page, change), ""]
        out += ["## Current rules", ""]
        text = self.text(current) if current else None
        if current and _searchable(text):
            out += [escape_markdown_html(text, heading_offset=2).strip("\n"), ""]
        elif current:
            out += [_unsearchable_rules(text), ""]
        else:
            out += ["No version captured yet.", ""]
        return "\n".join(out)

    def _flapping_note(self, doc: Document) -> list[str]:
        """The passages of this page that keep switching between texts (diffs.flapping): every
        capture is kept, but no change is reported for them, and the reader is told so."""
        flaps = [(at, passages) for doc_id, at, passages in self.data.flaps if doc_id == doc.doc_id]
        found = flapping_passages(flaps, doc.last_good_check) if flaps else []
        if not found:
            return []
        items = [f"<li>{escape(p.describe(utc_time))}</li>" for p in found]
        return [
            '<div class="pw-flapping" data-search-exclude>',
            "<p>Ignored flapping: the source serves these passages in two versions by turns. Every "
            "capture is kept as evidence, but a switch back to a recent text is not reported as a "
            "change.</p>",
            "<ul>",
            *items,
            "</ul>",
            "</div>",
            "",
        ]

    # ---------------------------------------------------------------- fragments

    def _change_table(self, page: str, changes: list[Change]) -> str:
        rows = (
            [
                self.change_link(page, c),
                (
                    f"{self.doc_link(page, c.doc_id)}<br>"
                    f'<span class="pw-market">{self.market(self.by_id[c.doc_id].marketplace)}</span>'
                ),
                class_badge(c.label),
                escape(self.brief(c).headline),
            ]
            for c in changes
        )
        return table("pw-changes", ("Detected", "Document", "Class", "Summary"), rows)

    def _version_link(self, page: str, version: Version | None, side: str) -> str:
        if version is None:
            return f"the {side} version (not published)"
        return (
            f"{link(href(page, version_file(version)), f'{side} version')} captured "
            f"{utc_time(version.captured_at)}, {snapshot_ref(version)}"
        )

    def _badges(self, change: Change) -> list[str]:
        badges = [class_badge(change.label)]
        if change.label == "substantive":
            badges.append(severity_badge(self.brief(change).severity))
        if change.silent:
            badges.append('<span class="pw-badge pw-silent-badge">silent</span>')
        return badges + [tag_badge(label_of(tag)) for tag in change_tags(change)]

    def _latest(self, change: Change) -> str:
        """The latest change's brief, at the top of its document's page."""
        anchor = change_anchor(change)
        brief = self.brief(change)
        return "\n".join(
            [
                f'<div class="pw-latest pw-latest-{escape(change.label)}" data-search-exclude>',
                (
                    f'<p class="pw-latest-title">Latest change, detected '
                    f'<a href="#{anchor}">{utc_time(change.detected_at)}</a> '
                    f"{' '.join(self._badges(change)[:2])}</p>"
                ),
                brief_html(brief, change.label),
                f'<p class="pw-latest-more"><a href="#{anchor}">See what changed, word by word</a></p>',
                "</div>",
            ]
        )

    def _change_entry(self, page: str, change: Change) -> str:
        anchor = change_anchor(change)
        brief = self.brief(change)
        out = [
            f'<div class="pw-change pw-change-{escape(change.label)}">',
            (
                f'<h3 id="{anchor}"><a class="pw-permalink" href="#{anchor}" '
                f'title="Permalink to this change">{utc_time(change.detected_at)}</a> '
                f"{' '.join(self._badges(change))}</h3>"
            ),
            f'<p class="pw-summary">{escape(brief.headline)}</p>',
        ]
        guide = []  # the rest of the brief, then the diff: the evidence comes last
        if brief.what_to_do:
            guide.append(f'<p class="pw-brief-todo"><strong>What to do:</strong> {escape(brief.what_to_do)}</p>')
        if brief.why:
            title = "Why it matters" if change.label == "substantive" else "What changed"
            items = "".join(f"<li>{escape(reason)}</li>" for reason in brief.why)
            guide.append(f'<p class="pw-brief-why">{escape(title)}:</p><ul class="pw-brief-reasons">{items}</ul>')
        if guide:
            out.append(f'<div class="pw-brief">{"".join(guide)}</div>')
        if change.event != Event.EDITED:  # the page came or went: no diff, a link to it and its text
            out.append(
                f'<div class="pw-facts" data-search-exclude><ul>{self._page_event_fact(page, change)}</ul></div>'
            )
            out.append("</div>")
            return "\n".join(out)
        after = self.data.versions.get(change.to_version_id)
        diff = readable_diff(change.ops, self.text(after) if after else None) or (
            '<p class="pw-diff-section">No visible difference.</p>'
        )
        if change.label == "noise":  # kept for the record, folded away
            out.append(
                f'<details class="pw-noise-diff" data-search-exclude><summary>Show the diff</summary>{diff}</details>'
            )
        else:
            out.append(f'<div class="pw-diffs" data-search-exclude>{diff}</div>')
        facts = []
        notice = notice_text(change)  # the facts say it even when the brief already did
        facts.append(f"<li>{escape(notice)}.</li>" if notice else "<li>No effective date stated.</li>")
        if change.effective_date and notice_verdict(change):  # against the EU's 15 days (kb.publish.notice)
            facts.append(f'<li class="pw-p2b">{escape(notice_verdict(change))}.</li>')
        if _SILENT[change.silent]:
            facts.append(f"<li>{escape(_SILENT[change.silent])}</li>")
        touched = change.section_changes or change.sections  # the first is empty in old stores
        if touched:
            facts.append("<li>Sections: " + "; ".join(escape(s) for s in touched) + "</li>")
        before = self.data.versions.get(change.from_version_id)
        facts.append(
            f"<li>Compared the {self._version_link(page, before, 'earlier')} with the "
            f"{self._version_link(page, after, 'later')}.</li>"
        )
        # In a <div>: Material's search indexer fails on data-search-exclude set on a list.
        out.append(f'<div class="pw-facts" data-search-exclude><ul>{"".join(facts)}</ul></div>')
        out.append("</div>")
        return "\n".join(out)

    def _page_event_fact(self, page: str, change: Change) -> str:
        """Where the page is (or was), and the version it starts with, comes back with or left."""
        url = self.by_id[change.doc_id].url
        if change.event in (Event.ADDED, Event.RESTORED):
            version = self.data.versions.get(change.to_version_id)
            said = "The page" if change.event == Event.ADDED else "Back at"
            return f"<li>{said} {external_link(url)}; its text: {self._version_link(page, version, 'first' if change.event == Event.ADDED else 'current')}.</li>"
        version = self.data.versions.get(change.from_version_id)
        return f"<li>It was at {external_link(url)}; its text then: {self._version_link(page, version, 'last')}.</li>"


def head_json(site: Site) -> bytes:
    """``head.json`` at the site's root: the store's head digest as of the latest check
    (kb.store.chain; docs/reliability.md), for ``verify --head`` and ``restore --head``. No
    date: a crawl that finds nothing new leaves it, and the feeds, unchanged."""
    head = {"head": site.data.head, "documents": len(site.documents)}
    return (json.dumps(head, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _searchable(text: str) -> bool:
    return len(text) <= SEARCH_TEXT_LIMIT and all(len(line) <= SEARCH_LINE_LIMIT for line in text.split("\n"))


def _unsearchable_rules(text: str) -> str:
    """Rules too big for the site search: kept out of its index and shown as plain paragraphs
    (raw HTML, so Markdown is not rendered inside the excluded wrapper), the whole text still on
    the page and in the version's file."""
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    note = (
        f'<p class="pw-warning">This text ({len(text):,} characters) is too long for the site search: '
        "it is shown as plain text and not indexed.</p>"
    )
    return f'{note}\n\n<div class="pw-rules-unindexed" data-search-exclude>{paragraphs}</div>'


def checks_json(site: Site) -> bytes:
    """The values hooks/policywatch.py prints, and the build's SOURCE_DATE_EPOCH."""
    checks = {
        "generated_at": site.data.generated_at,
        "as_of": utc_time(site.data.generated_at),
        "last_checked": {d.doc_id: utc_time(d.last_checked) for d in site.documents},
    }
    return (json.dumps(checks, indent=1, sort_keys=True) + "\n").encode("utf-8")
