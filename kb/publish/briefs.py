"""What a change means to a seller, as the site and the feeds say it first: ``brief_of``.

The one place the publisher reads a change's brief from. Today it is made of what a change
already carries (its summary, its reasons, ``diffs.severity``); when ``diffs`` writes briefs of
its own, this function returns theirs and nothing else in ``kb.publish`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from diffs.severity import severity, what_to_do
from diffs.taxonomy import label_of
from kb.models import Change, Document

# Reason kinds a reader is not told as a reason: the stated date is said by ``effective``.
_UNTOLD = frozenset({"stated-date"})


def notice_text(change: Change) -> str:
    """ "Takes effect 2026-12-01, 30 days after it was detected", or "" when the change states
    no date (its ``effective_date`` is None; ``notice_days`` is None when unknown)."""
    effective = change.effective_date
    if not effective:
        return ""
    days = change.notice_days
    if days is None:
        return f"Takes effect {effective}"
    if days == 0:
        return f"Takes effect {effective}, the day it was detected"
    span = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    if days < 0:
        return f"Took effect {effective}, {span} before it was detected"
    return f"Takes effect {effective}, {span} after it was detected"


@dataclass(frozen=True)
class Brief:
    headline: str  # one line: what changed
    why: tuple[str, ...]  # why it matters, one sentence each, no internal labels
    affects: tuple[str, ...]  # the seller workflows it touches, as labels
    what_to_do: str | None  # the next step, when the text says by when
    severity: str  # high | medium | low
    marketplace: str  # the marketplace's declared name
    effective: str  # "Takes effect 2026-10-01, 38 days after it was detected", or ""


def brief_of(change: Change, document: Document | None, marketplace: str | None = None) -> Brief:
    """The brief of ``change``; ``marketplace`` is its declared name (default: the slug)."""
    slug = document.marketplace if document else change.doc_id.split("/")[0]
    return Brief(
        headline=" ".join(change.summary.split()),
        why=tuple(r.text for r in change.reasons if r.kind not in _UNTOLD),
        affects=tuple(label_of(tag) for tag in change.tags),
        what_to_do=what_to_do(change),
        severity=severity(change),
        marketplace=marketplace or slug,
        effective=notice_text(change),
    )
