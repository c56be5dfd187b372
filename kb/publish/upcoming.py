"""The site's pages and files about dates: what is announced and not yet in force
(``upcoming.md``), the changes given less notice than the EU's 15 days (``notice.md``), and
the calendars (``calendar.ics``, one per marketplace).

"Now" is the data's date (``PublishInput.generated_at``, the newest check), never the clock:
the same data makes the same pages, and the upcoming page changes only when a date passes
between two crawls or a change is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from kb.models import Change
from kb.publish.calendar import calendar_ics
from kb.publish.fragments import class_badge, front_matter, link, plural
from kb.publish.notice import (
    P2B_NOTICE_DAYS,
    P2B_REFERENCE,
    P2B_URL,
    DateEvent,
    date_events,
    notice_checked,
    notice_verdict,
    short_notice,
)
from kb.publish.pages import AS_OF_MARKER, SITE_NAME, Site
from kb.publish.urls import (
    GLOBAL_CALENDAR,
    NOTICE_MD,
    UPCOMING_MD,
    href,
    marketplace_calendar,
    marketplace_md,
    page_url,
)

UPCOMING_TITLE = "Upcoming changes"
NOTICE_TITLE = "Short notice"
KIND_LABELS = {"effective": "takes effect", "deadline": "deadline"}


def upcoming_events(site: Site) -> list[DateEvent]:
    """The dates after the data's date: announced, not yet in force (soonest first)."""
    now = site.data.generated_at
    return [e for e in date_events(site.changes) if f"{e.day}T00:00:00Z" > now]


def upcoming_page(site: Site) -> str:
    page = UPCOMING_MD
    events = upcoming_events(site)
    by_day: dict[str, list[DateEvent]] = defaultdict(list)
    for event in events:
        by_day[event.day].append(event)
    dated = {site.by_id[e.change.doc_id].marketplace for e in date_events(site.changes)}
    calendars = " · ".join(
        link(href(page, marketplace_calendar(m)), escape(m)) for m in site.marketplaces if m in dated
    )
    out = front_matter(UPCOMING_TITLE, pw_kind="upcoming") + [
        f"# {UPCOMING_TITLE}",
        "",
        (
            "<p>What the marketplaces have announced and is not in force yet: changes whose text "
            "states an effective date, and deadlines they set, after the latest check "
            f"<span data-search-exclude>({AS_OF_MARKER})</span>. Until its date, the rule in force is "
            "the one before the change.</p>"
        ),
        "",
        (
            f'<p class="pw-calendars">In a calendar: {link(href(page, GLOBAL_CALENDAR), "calendar.ics")} '
            "(every marketplace, every date, past ones too)"
            + (f"; one marketplace: {calendars}" if calendars else "")
            + ".</p>"
        ),
        "",
    ]
    if not events:
        out += ["<p>Nothing announced: no recorded change takes effect after the latest check.</p>", ""]
    for day, of_day in by_day.items():
        out += [f"## {escape(day)}", "", '<ul class="pw-upcoming">']
        out += [f"<li>{_event_item(site, page, event)}</li>" for event in of_day]
        out += ["</ul>", ""]
    return "\n".join(out)


def _event_item(site: Site, page: str, event: DateEvent) -> str:
    change = event.change
    marketplace = site.by_id[change.doc_id].marketplace
    market = link(href(page, page_url(marketplace_md(marketplace))), escape(marketplace))
    verdict = notice_verdict(change)
    return (
        f'<span class="pw-market">{market}</span> · {site.doc_link(page, change.doc_id)} '
        f'<span class="pw-badge pw-{escape(event.kind)}">{escape(KIND_LABELS[event.kind])}</span> '
        f"{class_badge(change.label)}"
        f'<br><span class="pw-summary">{escape(site.brief(change).headline)}</span>'
        f'<br><span class="pw-when">Captured {site.change_link(page, change)}'
        + (f"; {escape(verdict)}" if verdict else "")
        + ".</span>"
    )


def notice_page(site: Site) -> str:
    page = NOTICE_MD
    checked = [c for c in site.changes if notice_checked(c)]
    dated = [c for c in checked if c.effective_date is not None and c.notice_days is not None]
    short = [c for c in checked if short_notice(c)]
    undated = [c for c in checked if c.effective_date is None or c.notice_days is None]
    out = front_matter(NOTICE_TITLE, pw_kind="notice") + [
        f"# {NOTICE_TITLE}",
        "",
        (
            f'<p>The EU platform-to-business regulation (<a href="{escape(P2B_URL)}">{P2B_REFERENCE}</a>) '
            "lets a marketplace change its terms for business users only after a notice period of at "
            f"least {P2B_NOTICE_DAYS} days. The notice here is the time from the capture that first "
            "showed a change to the effective date its text states. It is a lower bound: the page may "
            "have shown the change at any time after the check before, and the marketplace may have "
            "written to its sellers sooner. A change listed here is one to look at, not a finding of "
            "breach.</p>"
        ),
        "",
        (
            f"<p>{plural(len(checked), 'substantive change')} recorded; "
            f"{len(dated)} state{'s' if len(dated) == 1 else ''} an effective date, "
            f"{len(short)} of them with less than {P2B_NOTICE_DAYS} days' notice.</p>"
        ),
        "",
        f"## Less than {P2B_NOTICE_DAYS} days' notice",
        "",
    ]
    out += [_notice_list(site, page, short) if short else "<p>None.</p>", ""]
    out += [
        "## No effective date stated",
        "",
        (
            "<p>Their text does not say when they take effect: as far as the page tells, they were in "
            "force when they were captured.</p>"
        ),
        "",
        _notice_list(site, page, undated) if undated else "<p>None.</p>",
        "",
    ]
    return "\n".join(out)


def _notice_list(site: Site, page: str, changes: list[Change]) -> str:
    items = []
    for change in changes:
        marketplace = site.by_id[change.doc_id].marketplace
        market = link(href(page, page_url(marketplace_md(marketplace))), escape(marketplace))
        dated = change.effective_date is not None and change.notice_days is not None
        notice = f"; effective {escape(change.effective_date)}; {escape(notice_verdict(change))}" if dated else ""
        items.append(
            f'<li><span class="pw-market">{market}</span> · {site.doc_link(page, change.doc_id)}'
            f'<br><span class="pw-summary">{escape(site.brief(change).headline)}</span>'
            f'<br><span class="pw-when">Captured {site.change_link(page, change)}{notice}.</span></li>'
        )
    return "\n".join(['<ul class="pw-notice-list">', *items, "</ul>"])


def calendar_files(site: Site, site_url: str | None) -> dict[str, bytes]:
    """``calendar.ics`` and each marketplace's calendar (every marketplace has one, empty or
    not, so a subscription made today keeps working): site-relative path → bytes."""
    events = date_events(site.changes)
    by_marketplace: dict[str, list[DateEvent]] = defaultdict(list)
    for event in events:
        by_marketplace[site.by_id[event.change.doc_id].marketplace].append(event)
    files = {
        GLOBAL_CALENDAR: calendar_ics(
            f"{SITE_NAME}: marketplace rule dates",
            "When announced changes to marketplace rules take effect, and the deadlines they set.",
            events,
            site.by_id,
            site_url,
            site.marketplace_names,
        )
    }
    for marketplace in site.marketplaces:
        files[marketplace_calendar(marketplace)] = calendar_ics(
            f"{SITE_NAME}: {site.marketplace_names[marketplace]} rule dates",
            f"When announced changes to the rules of {site.marketplace_names[marketplace]} take effect, "
            "and the deadlines they set.",
            by_marketplace.get(marketplace, []),
            site.by_id,
            site_url,
            site.marketplace_names,
        )
    return files
