"""Dates a change gives sellers (pure): when it takes effect, its deadlines, and its notice
against the 15 days the EU platform-to-business regulation requires.

Regulation (EU) 2019/1150, Art. 3(2): an online intermediation service notifies its business
users of a proposed change to its terms and conditions, and the change may not be
implemented before a notice period of at least 15 days from that notification. Its notice
here is the change's ``notice_days``: days from the capture that first showed it
(``detected_at``) to the effective date its text states (``diffs.classify``). That is a lower
bound on the notice sellers got: the page may have shown the change at any time since the
check before, and the marketplace may have written to them sooner. A change listed as short
notice is one to look at, not a finding of breach.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.models import Change
from kb.publish.feeds import is_published

P2B_NOTICE_DAYS = 15
P2B_REFERENCE = "Regulation (EU) 2019/1150, Art. 3(2)"
P2B_URL = "https://eur-lex.europa.eu/eli/reg/2019/1150/oj"
# A reason of kind "deadline" about a date reads "due date 2026-09-30 → 2026-10-15" (diffs.rules).
_DUE_DATE = re.compile(r"→\s*(\d{4}-\d{2}-\d{2})\b")


def notice_checked(change: Change) -> bool:
    """Changes whose notice is held against the regulation: the substantive ones (obligations,
    fees, dates), published (not technical upgrades) and not flaps."""
    return change.label == "substantive" and is_published(change) and not change.flap


def short_notice(change: Change) -> bool:
    """A checked change whose stated effective date leaves less than the 15 days' notice."""
    return notice_checked(change) and change.notice_days is not None and change.notice_days < P2B_NOTICE_DAYS


def notice_verdict(change: Change) -> str:
    """One sentence on a checked change's notice against the 15 days, "" for other changes."""
    if not notice_checked(change):
        return ""
    days = change.notice_days
    if change.effective_date is None or days is None:
        return (
            "No effective date stated: the text does not say when it takes effect, so its notice "
            f"cannot be held against the {P2B_NOTICE_DAYS} days of {P2B_REFERENCE}"
        )
    if days < 0:
        return f"No notice: it took effect before the page showed it (at least {P2B_NOTICE_DAYS} days required by {P2B_REFERENCE})"
    if days < P2B_NOTICE_DAYS:
        return f"{days} days' notice: less than the {P2B_NOTICE_DAYS} days required by {P2B_REFERENCE}"
    return f"{days} days' notice: at least the {P2B_NOTICE_DAYS} days required by {P2B_REFERENCE}"


@dataclass(frozen=True)
class DateEvent:
    """A day a change names: when it takes effect, or a deadline it sets."""

    day: str  # YYYY-MM-DD
    kind: str  # "effective" | "deadline"
    change: Change

    @property
    def uid_part(self) -> str:
        return "effective" if self.kind == "effective" else f"deadline-{self.day}"


def date_events(changes: list[Change]) -> list[DateEvent]:
    """Every effective date and due date the published, non-noise changes state, by day then
    change key. A due date is read from the change's "deadline" reasons; the one that equals the
    effective date is not repeated."""
    events = []
    for change in changes:
        if not is_published(change) or change.flap or change.label == "noise":
            continue
        if change.effective_date:
            events.append(DateEvent(change.effective_date, "effective", change))
        due = {m.group(1) for r in change.reasons if r.kind == "deadline" for m in _DUE_DATE.finditer(r.text)}
        events += [DateEvent(day, "deadline", change) for day in sorted(due - {change.effective_date})]
    return sorted(events, key=lambda e: (e.day, e.change.doc_id, e.change.key, e.kind))
