"""Timelines: which version of a document was in force when (pure, over the store's records).

A version is in force from its capture (``captured_at``) until the next version's capture;
the last version stays in force, unless the document is gone: then it ends at the first
check of the final run of ``gone`` checks (the moment the page was first seen removed). A
failed check (timeout, bot wall) ends nothing: an outage is not a change of the rules.
Intervals are half-open, ``[valid_from, valid_to)``: at the instant a version is captured,
it is the one in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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

    @property
    def label(self) -> str:
        """The class of the change that produced it, or ``first`` for a first capture."""
        return self.change.label if self.change else "first"

    def in_force(self, at: str) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def as_json(self) -> dict:
        change = self.change
        return {
            "number": self.number,
            "version_id": self.version.id,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
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
    return Timeline(document=document, versions=tuple(spans), gone_at=gone_at)


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
