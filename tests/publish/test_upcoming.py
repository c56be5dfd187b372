"""Dates on the site (kb/publish/upcoming.py, notice.py, calendar.py): the upcoming page, the
short-notice page, each change's notice against 15 days, and calendar.ics parsed back."""

from __future__ import annotations

from datetime import date, datetime

from icalendar import Calendar

from kb.models import Reason
from kb.publish import render_sources
from kb.publish.notice import date_events, notice_verdict, short_notice
from kb.publish.pages import Site
from kb.publish.upcoming import calendar_files, notice_page, upcoming_page
from tests.support.site_data import CHECKED, change, doc, site_data

SITE_URL = "https://pw.example/"
DOCS = (doc("shop/fees", "Fee schedule"), doc("shop/metrics", "Metrics"), doc("mall/terms", "Mall terms"))
ANNOUNCED = change(  # captured 2026-11-01, in force 2026-12-09 (after CHECKED, 2026-11-10)
    "shop/metrics",
    "2026-11-01T06:00:00Z",
    "substantive",
    effective_date="2026-12-09",
    notice_days=38,
)
SHORT = change(  # 10 days' notice, and a due date of its own
    "mall/terms",
    "2026-11-05T06:00:00Z",
    "substantive",
    effective_date="2026-11-15",
    notice_days=10,
    reasons=(Reason("deadline", "due date none → 2026-11-30"), Reason("effective-date", "effective 2026-11-15")),
)
PAST = change("shop/fees", "2026-10-01T06:00:00Z", "substantive", effective_date="2026-10-20", notice_days=19)
UNDATED = change("shop/fees", "2026-10-15T06:00:00Z", "substantive")
NOISE = change("shop/fees", "2026-10-16T06:00:00Z", "noise", effective_date="2026-12-24", notice_days=69)
TECHNICAL = change("shop/fees", "2026-10-17T06:00:00Z", "substantive", effective_date="2026-12-25", technical=True)
MINOR_SOON = change("shop/fees", "2026-11-08T06:00:00Z", "minor", effective_date="2026-11-12", notice_days=4)
DATA = site_data(*DOCS, changes=(ANNOUNCED, SHORT, PAST, UNDATED, NOISE, TECHNICAL, MINOR_SOON))


def _events(ics: bytes) -> list[tuple]:
    parsed = Calendar.from_ical(ics)
    return [
        (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]), str(e["URL"]))
        for e in parsed.walk("VEVENT")
    ]


def test_calendar_ics_parses_back_with_one_event_per_date():
    files = render_sources(DATA, SITE_URL)
    ics = files["docs/calendar.ics"]
    parsed = Calendar.from_ical(ics)
    assert str(parsed["VERSION"]) == "2.0" and str(parsed["X-WR-CALNAME"]) == "policywatch: marketplace rule dates"
    assert [(uid, start) for uid, start, *_ in _events(ics)] == [
        ("shop/fees/20261001T060000Z/effective@policywatch", date(2026, 10, 20)),
        ("shop/fees/20261108T060000Z/effective@policywatch", date(2026, 11, 12)),
        ("mall/terms/20261105T060000Z/effective@policywatch", date(2026, 11, 15)),
        ("mall/terms/20261105T060000Z/deadline-2026-11-30@policywatch", date(2026, 11, 30)),
        ("shop/metrics/20261101T060000Z/effective@policywatch", date(2026, 12, 9)),
    ]  # no noise, no technical upgrade, nothing for a change that states no date
    [_, start, end, summary, url] = _events(ics)[-1]
    assert end == date(2026, 12, 10)  # an all-day event
    assert summary == "shop · Metrics: substantive change (takes effect)"
    assert url == "https://pw.example/documents/shop/metrics/#change-20261101T060000Z"
    [event] = [e for e in parsed.walk("VEVENT") if str(e["UID"]).startswith("shop/metrics")]
    assert event.decoded("DTSTAMP") == datetime.fromisoformat("2026-11-01T06:00:00+00:00")  # detection, not the clock
    assert "38 days' notice: at least the 15 days" in str(event["DESCRIPTION"])
    assert [str(c) for c in event["CATEGORIES"].cats] == ["substantive", "effective"]
    assert render_sources(DATA, SITE_URL)["docs/calendar.ics"] == ics  # rebuilt: the same bytes


def test_each_marketplace_has_its_calendar_beside_its_page():
    files = calendar_files(Site(DATA), SITE_URL)
    assert sorted(files) == ["calendar.ics", "marketplaces/mall/calendar.ics", "marketplaces/shop/calendar.ics"]
    mall = _events(files["marketplaces/mall/calendar.ics"])
    assert [uid.split("/")[0] for uid, *_ in mall] == ["mall", "mall"]
    assert "deadline" in mall[1][3] and mall[1][1] == date(2026, 11, 30)
    assert len(_events(files["marketplaces/shop/calendar.ics"])) == 3
    empty = calendar_files(Site(site_data(*DOCS)), SITE_URL)["marketplaces/shop/calendar.ics"]
    assert _events(empty) == [] and Calendar.from_ical(empty)["PRODID"]  # kept, so subscriptions work


def test_the_upcoming_page_lists_what_takes_effect_after_the_latest_check_by_date():
    page = upcoming_page(Site(DATA))
    assert CHECKED < "2026-11-12" and "## 2026-11-12" in page and "## 2026-11-30" in page
    days = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert days == ["2026-11-12", "2026-11-15", "2026-11-30", "2026-12-09"]  # soonest first
    assert "2026-10-20" not in page  # in force already
    assert "noise change" not in page
    assert '<a href="../calendar.ics">calendar.ics</a>' in page
    assert '<a href="../marketplaces/mall/calendar.ics">mall</a>' in page
    assert '<a href="../documents/shop/metrics/#change-20261101T060000Z">' in page
    assert "10 days&#x27; notice: less than the 15 days required by Regulation (EU) 2019/1150, Art. 3(2)" in page
    quiet = upcoming_page(Site(site_data(*DOCS, changes=(PAST, UNDATED))))
    assert "Nothing announced" in quiet and "## " not in quiet


def test_the_short_notice_page_lists_substantive_changes_with_less_than_15_days():
    assert short_notice(SHORT) and not short_notice(ANNOUNCED) and not short_notice(MINOR_SOON)  # minor: not held
    page = notice_page(Site(DATA))
    short, undated = page.split("## Less than 15 days' notice")[1].split("## No effective date stated")
    assert "mall/terms/" in short and "shop/metrics/" not in short and "shop/fees/" not in short
    assert "effective 2026-11-15; 10 days&#x27; notice: less than the 15 days" in short
    assert "#change-20261015T060000Z" in undated and "#change-20261001T060000Z" not in undated
    assert "4 substantive changes recorded; 3 state an effective date, 1 of them with less than 15 days" in page
    assert "lower bound" in page


def test_a_change_entry_shows_its_notice_against_15_days():
    site = Site(DATA)
    metrics = site.document_page(DOCS[1])
    assert "38 days&#x27; notice: at least the 15 days required by Regulation (EU) 2019/1150, Art. 3(2)." in metrics
    assert "less than the 15 days" in site.document_page(DOCS[2])
    assert "Regulation (EU)" not in site.document_page(doc("shop/fees")).split("minor change")[1].split("</div>")[0]


def test_notice_verdicts_and_due_dates():
    late = change("a/b", "2026-11-05T06:00:00Z", "substantive", effective_date="2026-11-01", notice_days=-4)
    assert notice_verdict(late).startswith("No notice: it took effect before the page showed it")
    same_day = change("a/b", "2026-11-05T06:00:00Z", "substantive", effective_date="2026-11-05", notice_days=0)
    assert notice_verdict(same_day).startswith("0 days' notice: less than the 15 days") and short_notice(same_day)
    fifteen = change("a/b", "2026-11-05T06:00:00Z", "substantive", effective_date="2026-11-20", notice_days=15)
    assert not short_notice(fifteen) and "at least the 15 days" in notice_verdict(fifteen)
    assert notice_verdict(UNDATED).startswith("No effective date stated") and notice_verdict(MINOR_SOON) == ""
    within = change("a/b", "2026-11-05T06:00:00Z", "substantive", reasons=(Reason("deadline", "within 3 → 2 days"),))
    assert date_events([within]) == []  # a duration is not a date
    [event] = date_events(
        [change("a/b", "2026-11-05T06:00:00Z", reasons=(Reason("deadline", "due date 2026-11-20 → 2026-12-01"),))]
    )
    assert (event.day, event.kind) == ("2026-12-01", "deadline")
