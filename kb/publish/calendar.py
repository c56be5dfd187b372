"""The site's calendars (the only importer of icalendar): ``calendar.ics`` at the root, every
marketplace's effective dates and deadlines, and one per marketplace beside its page.

One all-day event per date a change states (``kb.publish.notice.date_events``): the day it
takes effect, or a deadline it sets. A calendar application that subscribes to the file shows
them, and updates them when a change moves. The bytes depend on the changes alone: the UID is
the change's key, ``DTSTAMP`` its detection time, so a publish that records nothing new writes
the same file. Every event is kept, past ones too: a calendar is also the record of what took
effect when.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urljoin

from icalendar import Calendar, Event

from diffs.normalize import drop_controls
from kb.models import Document
from kb.publish.briefs import brief_of, notice_text
from kb.publish.notice import DateEvent, notice_verdict
from kb.publish.urls import change_permalink
from kb.timeutil import to_datetime

PRODID = "-//policywatch//marketplace rules calendar//EN"
UID_DOMAIN = "policywatch"
# The notice a summary ends with ("…; effective 2026-10-01 (38 days' notice)"): the event's
# date says it already.


def calendar_ics(
    title: str,
    description: str,
    events: list[DateEvent],
    documents: dict[str, Document],
    site_url: str | None,
    names: dict[str, str] | None = None,
) -> bytes:
    """An iCalendar file (RFC 5545) of ``events``, named ``title``; ``names``: each
    marketplace's declared name (default: its id)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-caldesc", description)
    for item in events:
        cal.add_component(_event(item, documents.get(item.change.doc_id), site_url, names or {}))
    return cal.to_ical()


def _event(item: DateEvent, document: Document | None, site_url: str | None, names: dict[str, str]) -> Event:
    change = item.change
    title = " ".join(document.title.split()) if document else change.doc_id
    slug = document.marketplace if document else change.doc_id.split("/", 1)[0]
    marketplace = names.get(slug) or slug
    what = "takes effect" if item.kind == "effective" else "deadline"
    said = brief_of(change, document, marketplace)
    headline = said.headline
    permalink = urljoin(site_url, change_permalink(change)) if site_url else None  # no site URL: no link
    day = date.fromisoformat(item.day)
    lines = [
        said.headline,
        *said.why,
        notice_text(change),
        notice_verdict(change),
        f"Detected {change.detected_at}.",
        permalink,
    ]
    event = Event()
    event.add("uid", f"{change.key}/{item.uid_part}@{UID_DOMAIN}")
    event.add("dtstamp", to_datetime(change.detected_at))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", drop_controls(f"{marketplace} · {title}: {headline} ({what})"))
    event.add("description", drop_controls("\n".join(line for line in lines if line)))
    if permalink:
        event.add("url", permalink)
    event.add("categories", [change.label, item.kind])
    event.add("transp", "TRANSPARENT")  # a date to know, not time taken
    return event
