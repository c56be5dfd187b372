"""Timelines: which version of a document was in force when (pure, over the store's records).

A version is in force from its capture (``captured_at``) until the next version's capture;
the last version stays in force, unless the document is gone: then it ends at the first
check of the final run of ``gone`` checks (the moment the page was first seen removed). A
failed check (timeout, bot wall) ends nothing: an outage is not a change of the rules.
Intervals are half-open, ``[valid_from, valid_to)``: at the instant a version is captured,
it is the one in force.

That is when each text was *captured*. When a change states an effective date after its
detection, its text is *announced* until that date and *in force* from it: ``in_force_from``
is the rule, ``in_force_at`` the answer for one moment (the version in force and those
announced), and each ``VersionSpan`` carries its in-force interval
``[in_force_from, in_force_to)`` beside its capture interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from kb.models import GOOD_OUTCOMES, Change, Check, Document, Outcome, Version


@dataclass(frozen=True)
class VersionSpan:
    """A version with the interval in which it was the document's text."""

    version: Version
    number: int  # 1 for the first version of the document
    valid_from: str  # the version's capture time
    valid_to: str | None  # capture of the next version, or the time the page was seen gone; None: open
    change: Change | None  # the change that produced this version (None for the first one)
    current: bool  # the document's text now: the last version of a document that is not gone
    returns_to: int | None = None  # number of the earlier version a flap or a reversion brings back
    # When its text takes effect (``in_force_from``) and stops being the text in force (the
    # next version's in_force_from, or the removal). Empty (equal ends) for a version that a
    # later one replaced before its effective date: it was announced, never in force.
    in_force_from: str = ""
    in_force_to: str | None = None

    @property
    def label(self) -> str:
        """The class of the change that produced it, or ``first`` for a first capture."""
        return self.change.label if self.change else "first"

    def in_force(self, at: str) -> bool:
        """Was this the captured text at ``at`` (capture interval; see ``in_force_at``)."""
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    @property
    def announced(self) -> bool:
        """Its text takes effect after its capture (an effective date the change states)."""
        return self.in_force_from > self.valid_from

    @property
    def ever_in_force(self) -> bool:
        return self.in_force_to is None or self.in_force_from < self.in_force_to

    def as_json(self) -> dict:
        change = self.change
        return {
            "number": self.number,
            "version_id": self.version.id,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "in_force_from": self.in_force_from,
            "in_force_to": self.in_force_to,
            "current": self.current,
            "title": self.version.title,
            "snapshot_sha256": self.version.snapshot_sha256,
            "text_sha256": self.version.text_sha256,
            "class": self.label,
            "change": None
            if change is None
            else {
                "key": change.key,
                "class": change.label,
                "summary": change.summary,
                "effective_date": change.effective_date,
                "notice_days": change.notice_days,
                "silent": change.silent,
                "sections": list(change.sections),
                "flap": change.flap,
                "returns_to": None
                if change.returns_to is None
                else {
                    "number": self.returns_to,
                    "version_id": change.returns_to,
                    "captured_at": change.returns_to_at,
                },
            },
        }


@dataclass(frozen=True)
class Timeline:
    """Every version of one document, oldest first."""

    document: Document
    versions: tuple[VersionSpan, ...]
    gone_at: str | None = None  # first check of the current run of 'gone' checks

    def at(self, moment: str) -> VersionSpan | None:
        for span in reversed(self.versions):
            if span.valid_from <= moment:
                return span if span.in_force(moment) else None
        return None

    @property
    def current(self) -> VersionSpan | None:
        return self.versions[-1] if self.versions and self.versions[-1].current else None

    def as_json(self) -> dict:
        doc = self.document
        return {
            "doc_id": doc.doc_id,
            "title": doc.title,
            "url": doc.url,
            "status": doc.status,
            "gone_at": self.gone_at,
            "versions": [span.as_json() for span in self.versions],
        }


def build_timeline(
    document: Document, versions: Iterable[Version], changes: Iterable[Change] = (), checks: Iterable[Check] = ()
) -> Timeline:
    """Pure: a document's versions (any order) and changes, and, for a gone document, its checks."""
    ordered = sorted(versions, key=lambda v: (v.captured_at, v.id))
    # The change that made each version: an edit (a page added or back leads to it from none).
    by_target = {c.to_version_id: c for c in changes if c.from_version_id is not None}
    gone_at = gone_since(checks) if document.status == "gone" else None
    numbers = {version.id: i + 1 for i, version in enumerate(ordered)}
    spans = []
    for i, version in enumerate(ordered):
        last = i == len(ordered) - 1
        valid_to = ordered[i + 1].captured_at if not last else gone_at
        if valid_to is not None and valid_to < version.captured_at:  # gone before a late import
            valid_to = None
        change = by_target.get(version.id)
        spans.append(
            VersionSpan(
                version=version,
                number=i + 1,
                valid_from=version.captured_at,
                valid_to=valid_to,
                change=change,
                current=last and document.status != "gone",
                returns_to=numbers.get(change.returns_to) if change and change.returns_to else None,
            )
        )
    return Timeline(document=document, versions=_in_force_intervals(spans), gone_at=gone_at)


def in_force_from(captured_at: str, effective_date: str | None, pending: str | None = None) -> str:
    """When a version's text takes effect (the rule ``show``, ``search`` and ``rules --as-of``
    share).

    ``effective_date`` (``YYYY-MM-DD``, the change that produced the version states it): the
    start of that day (UTC) when it comes after the capture, else the capture. A change that
    states no date (a typo fixed, a technical upgrade, a flap) keeps the date still
    ``pending`` from the version before (its ``in_force_from``): its text carries the
    announced change, which is not in force any sooner for being edited again. A change that
    states a date of its own replaces the pending one (a date moved earlier or later)."""
    if effective_date is not None:
        start = f"{effective_date}T00:00:00Z"
        return start if start > captured_at else captured_at
    return pending if pending is not None and pending > captured_at else captured_at


@dataclass(frozen=True)
class InForce:
    """What a document said at one moment: the version in force, and those announced."""

    moment: str
    span: VersionSpan | None  # the version in force: None before the first took effect, or gone
    announced: tuple[VersionSpan, ...]  # captured by ``moment``, taking effect after it, oldest first

    @property
    def taking_effect(self) -> VersionSpan | None:
        """The announced version that does take effect (one replaced before its date does not)."""
        upcoming = [s for s in self.announced if s.ever_in_force]
        return upcoming[0] if upcoming else None


def in_force_at(timeline: Timeline, moment: str) -> InForce:
    """Pure: the version of ``timeline`` in force at ``moment`` (the latest version whose
    ``in_force_from`` is at or before it, unless the page was gone by then) and the versions
    captured by then whose text only takes effect later."""
    span = None
    for candidate in timeline.versions:
        if candidate.in_force_from <= moment and (candidate.in_force_to is None or moment < candidate.in_force_to):
            span = candidate
    announced = tuple(s for s in timeline.versions if s.valid_from <= moment < s.in_force_from)
    return InForce(moment=moment, span=span, announced=announced)


def _in_force_intervals(spans: list[VersionSpan]) -> tuple[VersionSpan, ...]:
    """Each span with its in-force interval: from ``in_force_from`` to the earliest
    ``in_force_from`` of the versions after it, or to the removal (the last capture
    interval's end: a page gone ends whatever was in force or announced)."""
    removed = spans[-1].valid_to if spans else None
    starts: list[str] = []
    pending = None
    for span in spans:
        pending = in_force_from(span.valid_from, span.change.effective_date if span.change else None, pending)
        starts.append(pending)
    ends: list[str | None] = [removed] * len(spans)
    for i in range(len(spans) - 2, -1, -1):  # the earliest start after each version
        after = starts[i + 1] if ends[i + 1] is None else min(starts[i + 1], ends[i + 1])
        ends[i] = after if removed is None else min(after, removed)
    out = []
    for span, start, end in zip(spans, starts, ends, strict=True):
        if end is not None and end < start:
            end = start  # empty: replaced (or removed) before it took effect
        out.append(replace(span, in_force_from=start, in_force_to=end))
    return tuple(out)


def gone_since(checks: Iterable[Check]) -> str | None:
    """Start of the final run of 'gone' checks (failed checks neither start nor break it)."""
    since = None
    for check in sorted(checks, key=lambda c: (c.checked_at, c.id)):
        if check.outcome == Outcome.GONE:
            since = since or check.checked_at
        elif check.outcome in GOOD_OUTCOMES:
            since = None
    return since


def merge_spans(spans: Iterable[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """Union of half-open intervals (``None`` = open end), sorted; touching ones are joined."""
    merged: list[tuple[str, str | None]] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            joined = None if last_end is None or end is None else max(last_end, end)
            merged[-1] = (last_start, joined)
        else:
            merged.append((start, end))
    return merged
