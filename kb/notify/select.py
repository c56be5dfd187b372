"""Which changes a subscription gets, and how they are bundled into messages (pure).

A change is **due** to one destination of a subscription when it passes the subscription's
filters, is detected after the subscription's start (its ``since:``, else the newest check in the
store when the subscription was first seen), and no earlier message to that destination carried
it, unless that message failed. ``each`` sends one message per change; ``daily`` and ``weekly``
bundle the changes detected in one UTC day or ISO week (Monday to Sunday) into a digest, sent by
the first run after that period ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from kb.models import Delivery, DeliveryState
from kb.timeutil import ISO_FORMAT, to_datetime

MODES = ("each", "daily", "weekly")
DEFAULT_CLASSES = ("substantive", "minor")  # noise is never worth a message unless asked for
TAKEN = (DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.UNCONFIRMED)  # never sent again


@dataclass(frozen=True)
class Subscription:
    name: str
    to: tuple[str, ...]  # Apprise URLs (they may hold secrets: never printed or stored as given)
    marketplaces: tuple[str, ...] = ()  # empty: any
    documents: tuple[str, ...] = ()
    classes: tuple[str, ...] = DEFAULT_CLASSES
    severity: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    mode: str = "each"
    since: str | None = None  # ISO-8601 UTC: changes detected at or after it, even before it was added


@dataclass(frozen=True)
class Batch:
    """The changes of one message: one change (``each``), or one period's (a digest)."""

    kind: str  # each | daily | weekly
    period: str | None  # 2026-08-24 (daily) or 2026-W35 (weekly); None for each
    changes: tuple[dict, ...]  # change_json data, oldest first


def matches(subscription: Subscription, change: dict) -> bool:
    """Whether a change (``change_json`` data with ``marketplace``) passes the filters."""
    return (
        change["class"] in subscription.classes
        and (not subscription.marketplaces or change["marketplace"] in subscription.marketplaces)
        and (not subscription.documents or change["doc_id"] in subscription.documents)
        and (not subscription.severity or change["severity"] in subscription.severity)
        and (not subscription.tags or bool(set(change["tags"]) & set(subscription.tags)))
    )


def starts_after(subscription: Subscription, first_seen_start: str) -> tuple[str, bool]:
    """(the start, inclusive?): ``since:`` includes changes detected at that moment; the
    first-seen start is the newest check then, whose changes were already there."""
    if subscription.since is not None:
        return subscription.since, True
    return first_seen_start, False


def after_start(change: dict, start: tuple[str, bool]) -> bool:
    moment, inclusive = start
    return change["detected_at"] >= moment if inclusive else change["detected_at"] > moment


def taken_keys(deliveries: Iterable[Delivery]) -> set[str]:
    """Keys of the changes already carried to a destination (sent, or perhaps sent)."""
    return {key for d in deliveries if d.kind != "test" and d.state in TAKEN for key in d.change_keys}


def batches(subscription: Subscription, due: Iterable[dict], now: str) -> list[Batch]:
    """Messages for the due changes: one each, or one digest per period that has ended by ``now``."""
    ordered = sorted(due, key=lambda c: (c["detected_at"], c["doc_id"], c["key"]))
    if subscription.mode == "each":
        return [Batch("each", None, (change,)) for change in ordered]
    periods: dict[str, list[dict]] = {}
    for change in ordered:
        label, ends = period_of(change["detected_at"], subscription.mode)
        if ends <= now:
            periods.setdefault(label, []).append(change)
    return [Batch(subscription.mode, label, tuple(changes)) for label, changes in sorted(periods.items())]


def period_of(detected_at: str, mode: str) -> tuple[str, str]:
    """The day or ISO week a change falls in, and when that period ends (ISO-8601 UTC)."""
    moment = to_datetime(detected_at)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if mode == "daily":
        return day.strftime("%Y-%m-%d"), (day + timedelta(days=1)).strftime(ISO_FORMAT)
    year, week, weekday = moment.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", (monday + timedelta(days=7)).strftime(ISO_FORMAT)


def period_words(period: str, mode: str) -> str:
    """``2026-W35`` → ``the week of 24–30 August 2026``; ``2026-08-24`` → ``24 August 2026``."""
    if mode == "weekly":
        year, week = period.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        sunday = monday + timedelta(days=6)
        if monday.month == sunday.month:
            return f"the week of {monday.day}–{sunday.day} {sunday:%B %Y}"
        if monday.year == sunday.year:
            return f"the week of {monday.day} {monday:%B} – {sunday.day} {sunday:%B %Y}"
        return f"the week of {monday.day} {monday:%B %Y} – {sunday.day} {sunday:%B %Y}"
    day = date.fromisoformat(period)
    return f"{day.day} {day:%B %Y}"
