"""The announcements page (``Site.feeds`` gives each feed item its line about announcements).

Every announcement of the marketplaces' pages of upcoming changes (``role: announcements``,
parsed and linked by ``diffs.announcements``), newest effective date first, with its status:
*carried out* (with links to the changes that did it and the terms that matched), *announced,
not seen* (its date passed before the newest check, and no change matched) or *upcoming*.
Marketplaces without such a page are named: whether their changes were announced is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from diffs.announcements import CARRIED_OUT, NOT_SEEN
from kb.models import Change
from kb.publish.fragments import front_matter, link, table, utc_time
from kb.publish.pages import Site
from kb.publish.urls import change_permalink, document_page, href

ANNOUNCEMENTS_MD = "announcements.md"
TITLE = "Announcements"
_TEXT_SHOWN = 300  # characters of an announcement's text on the page
_STATUS_CLASS = {CARRIED_OUT: "pw-announcement-done", NOT_SEEN: "pw-announcement-missed"}


def announcements_page(site: Site) -> str:
    """The page's Markdown."""
    found = site.announcements
    titles = {d.doc_id: d.title for d in site.documents}
    changes = {c.key: c for c in site.changes}
    page = ANNOUNCEMENTS_MD
    rows = []
    ordered = sorted(found.announcements, key=lambda a: (a.effective_date or "", a.doc_id, a.section), reverse=True)
    for a in ordered:
        status = found.status(a)
        carried = [
            _carried_by(page, changes[li.change_key], li.terms, titles)
            for li in found.links
            if li.announcement.key == a.key and li.change_key in changes
        ]
        text = a.text if len(a.text) <= _TEXT_SHOWN else a.text[:_TEXT_SHOWN].rsplit(" ", 1)[0] + " …"
        rows.append(
            [
                escape(a.effective_date or "undated"),
                f"<strong>{escape(a.title)}</strong><br>{escape(text)}",
                link(href(page, document_page(a.doc_id)), escape(titles.get(a.doc_id, a.doc_id)))
                + f"<br>listed since {escape(utc_time(a.first_seen))}",
                f'<span class="pw-status {_STATUS_CLASS.get(status, "")}">{escape(status)}</span>',
                "<br>".join(carried) or "—",
            ]
        )
    silent = [m for m in site.marketplaces if m not in found.announcing]
    out = front_matter(TITLE, pw_kind="announcements") + [
        f"<h1>{TITLE}</h1>",
        "",
        (
            "<p>The entries of the marketplaces' pages of upcoming changes, each linked to the changes "
            "in other documents that carry it out (same effective date, shared terms). "
            "<em>Announced, not seen</em>: its date passed before the newest check and no change "
            "matched it. A substantive change with no announcement is marked <em>unannounced</em> "
            "in its feed item and in <code>changes --json</code>.</p>"
        ),
        "",
    ]
    if rows:
        out += [table("pw-announcements", ("Effective", "Announcement", "Listed on", "Status", "Carried out by"), rows)]
    else:
        out += ["<p>No announcement recorded yet.</p>"]
    if silent:
        out += [
            "",
            "<p>No page of upcoming changes is declared for "
            + ", ".join(escape(m) for m in silent)
            + ": whether their changes were announced is unknown.</p>",
        ]
    return "\n".join([*out, ""])


def _carried_by(page: str, change: Change, terms: Sequence[str], titles: Mapping[str, str]) -> str:
    title = titles.get(change.doc_id, change.doc_id)
    return (
        link(href(page, change_permalink(change)), escape(title))
        + f" ({escape(utc_time(change.detected_at))}; matched: {escape(', '.join(terms))})"
    )
