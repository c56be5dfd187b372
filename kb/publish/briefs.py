"""What a change means to a seller, as the site and the feeds say it first: ``brief_of``.

The one place the publisher reads a change's brief from: ``diffs.briefing.brief``, the brief
``changes`` prints and ``--json`` gives under ``brief``, in the shape the pages lay out.
"""

from __future__ import annotations

from dataclasses import dataclass

from diffs.briefing import brief, in_words
from kb.models import Change, Document, Event


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
    what_to_do: str | None  # the next steps, most urgent first
    severity: str  # high | medium | low
    marketplace: str  # the marketplace's declared name
    effective: str  # "Takes effect 2026-10-01, 38 days after it was detected", or ""


def brief_of(change: Change, document: Document | None, marketplace: str | None = None) -> Brief:
    """The brief of ``change``; ``marketplace`` is its declared name (default: the slug)."""
    said = brief(change, document, marketplace)
    # a page that came or went: its summary names the page and what became of it
    headline = said.headline if change.event == Event.EDITED else " ".join(change.summary.split())
    return Brief(
        headline=headline,
        why=said.why,
        affects=said.affects_labels,
        what_to_do=" ".join(said.actions) or None,
        severity=said.severity,
        marketplace=said.marketplace,
        effective=_untold_notice(change, said.why),
    )


def _untold_notice(change: Change, why: tuple[str, ...]) -> str:
    """The notice line, unless the brief's reasons already say when the change takes effect."""
    if change.effective_date and any(in_words(change.effective_date) in sentence for sentence in why):
        return ""
    return notice_text(change)
