"""Small pieces of HTML and Markdown that the pages are made of.

Each returns HTML in which every value it was given as text is escaped; arguments named
``html_text`` or ``cells`` are HTML already (escaped by the caller).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from html import escape

from diffs.diff import new_text
from diffs.render import render_diff_html
from diffs.sections import diff_by_section
from kb.models import Version
from kb.publish.briefs import Brief
from kb.publish.sanitize import clean_html
from kb.publish.urls import feed_urls, href


def utc_time(iso: str | None) -> str:
    """``2026-11-01T06:30:00Z`` → ``2026-11-01 06:30 UTC``; "—" for none."""
    if not iso:
        return "—"
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 else escape(iso)


def class_badge(label: str) -> str:
    """A change's class (``substantive``, ``minor``, ``noise``), styled by its name."""
    return f'<span class="pw-badge pw-{escape(label)}">{escape(label)}</span>'


def tag_badge(text: str) -> str:
    return f'<span class="pw-tag">{escape(text)}</span>'


def status_badge(status: str) -> str:
    """A document's status (``active``, ``failing``, ``gone``), styled by its name."""
    return f'<span class="pw-status pw-status-{escape(status)}">{escape(status)}</span>'


def link(url: str, html_text: str) -> str:
    return f'<a href="{escape(url)}">{html_text}</a>'


def external_link(url: str) -> str:
    """A link to a crawled URL, or the URL as text when it is not http(s) (no ``javascript:``)."""
    if re.match(r"https?://", url, re.IGNORECASE):
        return link(url, escape(url))
    return escape(url)


def snapshot_ref(version: Version) -> str:
    return f"snapshot <code>{escape(version.snapshot_sha256[:12])}</code>"


def table(css_class: str, headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """An HTML table in a ``<div class=css_class>``; ``headers`` are text, cells are HTML
    already escaped. The table itself has no class: Material styles ``table:not([class])``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return "\n".join(
        [
            f'<div class="pw-table {css_class}">',
            "<table>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *body,
            "</tbody>",
            "</table>",
            "</div>",
        ]
    )


def front_matter(title: str | None, **extra) -> list[str]:
    """YAML front matter: the page's title for ``<title>`` and the navigation (``safe_title``
    text, already HTML-safe; None for the home page, titled by the site's name), plus our own
    keys for the theme override. Values are written as JSON, which YAML reads as is."""
    meta = ({"title": title} if title else {}) | extra
    return ["---", *(f"{key}: {json.dumps(value)}" for key, value in meta.items()), "---", ""]


def feed_links(page: str, stem: str) -> str:
    """Links from ``page`` to the three files of the feed ``stem``, labelled by format."""
    return " · ".join(link(href(page, url), escape(fmt.label)) for fmt, url in feed_urls(stem))


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def severity_badge(severity: str) -> str:
    """How urgent a change is for a seller (``diffs.severity``), styled by its level."""
    return f'<span class="pw-badge pw-severity-{escape(severity)}">{escape(severity)} importance</span>'


def brief_html(brief: Brief, label: str = "substantive") -> str:
    """A change's brief as the reader sees it first: the headline, what to do and by when,
    why it matters (what changed, for a change of class ``label`` that is not substantive),
    what it affects. Every value is escaped."""
    parts = [f'<p class="pw-brief-headline">{escape(brief.headline)}</p>']
    if brief.what_to_do:
        parts.append(f'<p class="pw-brief-todo"><strong>What to do:</strong> {escape(brief.what_to_do)}</p>')
    if brief.effective:
        parts.append(f'<p class="pw-brief-when">{escape(brief.effective)}.</p>')
    if brief.why:
        items = "".join(f"<li>{escape(reason)}</li>" for reason in brief.why)
        title = "Why it matters" if label == "substantive" else "What changed"
        parts.append(f'<p class="pw-brief-why">{title}:</p><ul class="pw-brief-reasons">{items}</ul>')
    if brief.affects:
        parts.append(f'<p class="pw-brief-affects">Affects: {escape(", ".join(brief.affects))}</p>')
    return f'<div class="pw-brief">{"".join(parts)}</div>'


def readable_diff(
    ops: Sequence[tuple[int, str]],
    after_text: str | None = None,
    *,
    fold_content: bool = True,
    max_sections: int | None = None,
    max_changes: int | None = None,
) -> str:
    """A change's diff as the document reads (``diffs.render``), section by section, each
    under its heading's label; sanitized. Feeds and mail keep it short: at most
    ``max_sections`` sections of at most ``max_changes`` changed blocks each."""
    ops = [(op, text) for op, text in ops]
    groups = diff_by_section(ops, after_text if after_text is not None else new_text(ops))
    parts = []
    for k, (label, group) in enumerate(groups):
        if max_sections is not None and k >= max_sections:
            more = len(groups) - k
            parts.append(f'<p class="diff-fold">… and changes in {plural(more, "more section")}.</p>')
            break
        body = render_diff_html(group, fold_content=fold_content, max_changes=max_changes)
        if label or len(groups) > 1:  # a document without headings needs no label
            heading = escape(label) if label else "Before the first heading"
            parts.append(f'<p class="pw-diff-section">§ {heading}</p>')
        parts.append(f'<div class="pw-diff">{clean_html(body)}</div>')
    return "".join(parts)
