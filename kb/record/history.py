"""Time travel: which version of a document was in force when, and since when a phrase is there.

A version is in force from its capture (``captured_at``) until the next version's capture;
the last version stays in force, unless the document is gone: then it ends at the first
check of the final run of ``gone`` checks (the moment the page was first seen removed). A
failed check (timeout, bot wall) ends nothing: an outage is not a change of the rules.
Intervals are half-open, ``[valid_from, valid_to)``: at the instant a version is captured,
it is the one in force.

The store is the source of truth for these answers (``as_of``, ``timeline``); ``when``
asks the search index which section texts contain a phrase, since the index holds every
section of every version with its interval.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from diffs.sections import Section, sections
from kb.errors import PolicywatchError, QueryError
from kb.models import Change, Check, Document, Version
from kb.store import Store
from kb.timeutil import parse_time

GOOD_OUTCOMES = ("first-version", "new-version", "unchanged")


@dataclass(frozen=True)
class VersionSpan:
    """A version with the interval in which it was the document's text."""

    version: Version
    number: int  # 1 for the first version of the document
    valid_from: str  # the version's capture time
    valid_to: str | None  # capture of the next version, or the time the page was seen gone; None: open
    change: Change | None  # the change that produced this version (None for the first one)
    current: bool  # the document's text now: the last version of a document that is not gone

    @property
    def label(self) -> str:
        """The class of the change that produced it, or ``first`` for a first capture."""
        return self.change.label if self.change else "first"

    def in_force(self, at: str) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


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


def build_timeline(document: Document, versions: Iterable[Version], changes: Iterable[Change] = (),
                   checks: Iterable[Check] = ()) -> Timeline:
    """Pure: a document's versions (any order) and changes, and, for a gone document, its checks."""
    ordered = sorted(versions, key=lambda v: (v.captured_at, v.id))
    by_target = {c.to_version_id: c for c in changes}
    gone_at = gone_since(checks) if document.status == "gone" else None
    spans = []
    for i, version in enumerate(ordered):
        last = i == len(ordered) - 1
        valid_to = ordered[i + 1].captured_at if not last else gone_at
        if valid_to is not None and valid_to < version.captured_at:  # gone before a late import
            valid_to = None
        spans.append(VersionSpan(version=version, number=i + 1, valid_from=version.captured_at,
                                 valid_to=valid_to, change=by_target.get(version.id),
                                 current=last and document.status != "gone"))
    return Timeline(document=document, versions=tuple(spans), gone_at=gone_at)


def gone_since(checks: Iterable[Check]) -> str | None:
    """Start of the final run of 'gone' checks (failed checks neither start nor break it)."""
    since = None
    for check in sorted(checks, key=lambda c: (c.checked_at, c.id)):
        if check.outcome == "gone":
            since = since or check.checked_at
        elif check.outcome in GOOD_OUTCOMES:
            since = None
    return since


def timelines(store: Store) -> list[Timeline]:
    """Every document's timeline, read from the store in a few queries."""
    versions: dict[str, list[Version]] = {}
    for version in store.versions():
        versions.setdefault(version.doc_id, []).append(version)
    changes: dict[str, list[Change]] = {}
    for change in store.changes():
        changes.setdefault(change.doc_id, []).append(change)
    result = []
    for doc in store.documents():
        checks = store.checks(doc.doc_id) if doc.status == "gone" else ()
        result.append(build_timeline(doc, versions.get(doc.doc_id, ()), changes.get(doc.doc_id, ()),
                                     checks))
    return result


def timeline(store: Store, doc_id: str) -> Timeline:
    """One document's versions and changes; ``UnknownDocument`` if the store has never seen it."""
    doc = store.document(doc_id)
    checks = store.checks(doc_id) if doc.status == "gone" else ()
    return build_timeline(doc, store.versions(doc_id), store.changes(doc_id), checks)


def as_of(store: Store, doc_id: str, at: str | None = None) -> VersionSpan:
    """The version of ``doc_id`` in force at ``at`` (any form ``parse_time`` reads); without
    ``at``, the latest version (a gone document's last text). Raises a one-line error when
    there was no text at that time."""
    line = timeline(store, doc_id)
    if not line.versions:
        raise PolicywatchError(f"{doc_id} has no version yet",
                               hint=f"its last check: {line.document.failure or 'none'}")
    if at is None:
        return line.versions[-1]
    moment = parse_time(at)
    span = line.at(moment)
    if span is not None:
        return span
    first = line.versions[0]
    if moment < first.valid_from:
        raise QueryError(f"{doc_id} was not captured yet at {moment}",
                         hint=f"its first version is from {first.valid_from}")
    last = line.versions[-1]
    raise QueryError(f"{doc_id} was gone at {moment} (first seen gone at {line.gone_at})",
                     hint=f"its last text was in force from {last.valid_from}; give an earlier date")


def find_section(text: str, section_id: str) -> tuple[Section, str]:
    """The section ``section_id`` of a Markdown text, with its subsections.

    ``section_id`` is a full id (``customer-service-performance-metrics/late-shipment-rate``)
    or its last parts (``late-shipment-rate``) when those name one section only."""
    secs = sections(text)
    wanted = section_id.strip("/")
    found = [s for s in secs if s.id == wanted] or [
        s for s in secs if s.id.endswith("/" + wanted)]
    if not found:
        known = ", ".join(s.id.rsplit("/", 1)[-1] for s in secs[:8]) + (", …" if len(secs) > 8 else "")
        raise QueryError(f"no section '{section_id}' in this version",
                         hint=f"sections: {known}" if secs else "this version has no headings")
    if len(found) > 1:
        raise QueryError(f"section '{section_id}' is ambiguous: {', '.join(s.id for s in found[:4])}",
                         hint="give the full section id")
    section = found[0]
    end = max([s.end for s in secs if s.id.startswith(section.id + "/")] + [section.end])
    return section, text[section.start:end]


# -- when did a phrase appear ---------------------------------------------------


@dataclass(frozen=True)
class PhraseHistory:
    """When a phrase was in one document."""

    doc_id: str
    title: str
    first_seen: str  # capture of the first version that contains it
    last_seen: str | None  # last check that saw it (the last good check, if still present)
    disappeared_at: str | None  # capture (or removal) that first lacked it; None while present
    present_now: bool
    spans: tuple[tuple[str, str | None], ...]  # merged [from, to) intervals in which it was there
    sections: tuple[str, ...]  # labels of the sections it appeared in

    def as_json(self) -> dict:
        return {
            "doc_id": self.doc_id, "title": self.title, "first_seen": self.first_seen,
            "last_seen": self.last_seen, "disappeared_at": self.disappeared_at,
            "present_now": self.present_now,
            "spans": [{"from": start, "to": end} for start, end in self.spans],
            "sections": list(self.sections),
        }


def when(home: Path, phrase: str, *, source: str | None = None, doc: str | None = None,
         doc_type: str | None = None) -> list[PhraseHistory]:
    """For each document that ever contained ``phrase`` (matched as a phrase query, with the
    search's stemming), when it first appeared, whether it disappeared, and when.
    Documents are ordered by first appearance."""
    from kb import search as index

    words = " ".join(phrase.replace('"', " ").split())
    if not words:
        raise QueryError("empty phrase", hint='give the words to look for, e.g. "late shipment rate"')
    hits = index.search(home, f'"{words}"', limit=None, history=True, snippets=False,
                        source=source, doc=doc, doc_type=doc_type)
    by_doc: dict[str, list[index.Hit]] = {}
    for hit in hits:
        by_doc.setdefault(hit.doc_id, []).append(hit)
    result = []
    with Store(home) as store:
        for doc_id, found in by_doc.items():
            spans = merge_spans((h.valid_from, h.valid_to) for h in found)
            present = any(h.current for h in found)
            document = store.document(doc_id)
            if present:
                last_seen, disappeared = document.last_good_check, None
            else:
                disappeared = spans[-1][1]
                seen = [c.checked_at for c in store.checks(doc_id)
                        if c.outcome in GOOD_OUTCOMES and c.checked_at < disappeared]
                last_seen = max(seen) if seen else None
            labels = tuple(dict.fromkeys(h.section for h in sorted(found, key=lambda h: h.valid_from)
                                         if h.section))
            result.append(PhraseHistory(doc_id=doc_id, title=document.title, first_seen=spans[0][0],
                                        last_seen=last_seen, disappeared_at=disappeared,
                                        present_now=present, spans=tuple(spans), sections=labels))
    result.sort(key=lambda p: (p.first_seen, p.doc_id))
    return result


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
