"""Pages that come and go (pure): when a first version is a new page, and what a change that
adds, removes, moves or brings back a page says (its class, summary and reasons).

The record stage (``kb.record``) decides when these happen, from the checks; this module says
what they are, so the words are the same in the changelog, the feeds, ``changes`` and
notifications (docs/changes.md, "Pages that come and go").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kb.models import Event, Reason

# A marketplace's first crawl is one run: every document it finds then is what the marketplace
# already had, not news. A page first seen this long after the marketplace's first document is
# a page that appeared since (one crawl takes minutes; the next one comes hours or a day later).
FIRST_CRAWL_HOURS = 12

# Reason kinds of these changes (beside diffs.kinds.KINDS, which are found in a diff).
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "page-added": ("substantive", "a new page appeared after its marketplace's first crawl"),
    "page-removed": ("substantive", "the page answers 404 or 410, confirmed by a later check"),
    "page-moved": ("substantive", "the page redirects to another address, confirmed by a later check"),
    "page-back": ("substantive", "a page that was gone answers again"),
}


@dataclass(frozen=True)
class PageEvent:
    """What a change that is a page coming or going says."""

    event: str  # an Event
    label: str  # its class
    summary: str
    reasons: tuple[Reason, ...]


def is_new_page(origin: str, first_seen: str, marketplace_first_seen: str | None, at: str | None = None) -> bool:
    """Is a document's first version (captured ``at``) a new page? Only a page found by
    discovery (a declared one is what someone chose to watch, whatever its age), first seen and
    captured after its marketplace's first crawl (``FIRST_CRAWL_HOURS`` after the marketplace's
    first document: a capture from a web archive older than that is no news)."""
    if origin != "discovered" or not marketplace_first_seen:
        return False
    start = _at(marketplace_first_seen) + timedelta(hours=FIRST_CRAWL_HOURS)
    return _at(first_seen) >= start and (at is None or _at(at) >= start)


def page_name(marketplace: str, title: str) -> str:
    """How a change names its page: ``amazon-us · Returns policy``."""
    return f"{marketplace} · {title}"


def added(name: str, url: str) -> PageEvent:
    """``name``: ``page_name``; ``url``: where the page was found."""
    return PageEvent(
        Event.ADDED,
        "substantive",
        f"New page: {name}",
        (Reason("page-added", f"a new page at {url}, first seen after the marketplace's first crawl"),),
    )


def removed(name: str, reason: str, *, first_missing: str | None, at: str) -> PageEvent:
    """``reason``: the gone check's reason (its HTTP status); ``first_missing``: the first
    check of the run of answers that confirmed it; ``at``: the check that confirmed it."""
    since = f"since {first_missing}, confirmed {at}" if first_missing and first_missing != at else f"at {at}"
    return PageEvent(
        Event.REMOVED,
        "substantive",
        f"Page removed: {name}",
        (Reason("page-removed", f"{_status(reason)} {since}; its last version stays readable"),),
    )


def moved(name: str, reason: str, *, target: str | None) -> PageEvent:
    """A page gone by a redirect to another address (``target``, when the reason names it).
    Substantive: the text at the new address is not read at the redirect, and the seller's
    links and bookmarks to it break; when the new address is tracked too, its own change says
    what it reads."""
    where = f" to {target}" if target else ""
    return PageEvent(
        Event.MOVED,
        "substantive",
        f"Page moved{where}: {name}",
        (Reason("page-moved", f"{_first_clause(reason)}; its last version here stays readable"),),
    )


def restored(name: str, *, gone_at: str | None, text_changed: bool) -> PageEvent:
    since = f", gone since {gone_at}," if gone_at else ""
    text = "with another text (the change beside this one shows it)" if text_changed else "with the text it had"
    return PageEvent(
        Event.RESTORED,
        "substantive",
        f"Page back: {name}",
        (Reason("page-back", f"the page answers again{since} {text}"),),
    )


def redirect_target(reason: str) -> str | None:
    """The address a moved page redirects to, as the crawler's reason says it
    ("moved: <old> now redirects to <new>; …")."""
    marker = " now redirects to "
    if marker not in reason:
        return None
    return reason.split(marker, 1)[1].split(";", 1)[0].strip() or None


def _status(reason: str) -> str:
    """``HTTP 404 Not Found`` from a gone check's reason ("HTTP 404 Not Found: the page was removed; …")."""
    return _first_clause(reason).split(": ", 1)[0] or "removed"


def _first_clause(reason: str) -> str:
    """A check's reason up to its first "; " (the rest says what policywatch keeps or does)."""
    return reason.split("; ", 1)[0]


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
