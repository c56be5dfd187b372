"""Time travel over the store: every document's timeline, and the version in force at a date.

The intervals are those of ``kb.timeline`` (pure); this module reads the store. When a phrase
appeared is the search's question (``kb.search.when``): the index holds every section of every
version with its interval.
"""

from __future__ import annotations

from diffs.sections import Section, sections
from kb.errors import NoVersion, QueryError
from kb.models import Change, Version
from kb.store import Store
from kb.timeline import InForce, Timeline, VersionSpan, build_timeline, in_force_at
from kb.timeutil import parse_time


def timelines(store: Store) -> list[Timeline]:
    """Every document's timeline, read from the store in a few queries."""
    versions: dict[str, list[Version]] = {}
    for version in store.versions():
        versions.setdefault(version.doc_id, []).append(version)
    changes: dict[str, list[Change]] = {}
    for change in store.changes(flaps=True):  # a flap made its version: the span names it
        changes.setdefault(change.doc_id, []).append(change)
    result = []
    for doc in store.documents():
        checks = store.checks(doc.doc_id) if doc.status == "gone" else ()
        result.append(build_timeline(doc, versions.get(doc.doc_id, ()), changes.get(doc.doc_id, ()), checks))
    return result


def timeline_heads(store: Store) -> list[Timeline]:
    """Every document's timeline as ``timelines`` reads it, without the versions' texts (each
    ``text`` is "") nor the changes' diffs: the intervals, classes and digests that the search
    index's fingerprints need, in a few queries and little memory (``Store.version_texts``
    reads the texts of the documents the index rewrites)."""
    versions: dict[str, list[Version]] = {}
    for version in store.version_heads():
        versions.setdefault(version.doc_id, []).append(version)
    changes: dict[str, list[Change]] = {}
    for change in store.change_heads():
        changes.setdefault(change.doc_id, []).append(change)
    result = []
    for doc in store.documents():
        checks = store.checks(doc.doc_id) if doc.status == "gone" else ()
        result.append(build_timeline(doc, versions.get(doc.doc_id, ()), changes.get(doc.doc_id, ()), checks))
    return result


def timeline(store: Store, doc_id: str) -> Timeline:
    """One document's versions and changes; ``UnknownDocument`` if the store has never seen it."""
    doc = store.document(doc_id)
    checks = store.checks(doc_id) if doc.status == "gone" else ()
    return build_timeline(doc, store.versions(doc_id), store.changes(doc_id, flaps=True), checks)


def as_of(store: Store, doc_id: str, at: str | None = None) -> VersionSpan:
    """The version of ``doc_id`` in force at ``at`` (``in_force``); without ``at``, the latest
    version (a gone document's last text)."""
    if at is None:
        line = timeline(store, doc_id)
        if not line.versions:
            raise NoVersion(f"{doc_id} has no version yet", hint=f"its last check: {line.document.failure or 'none'}")
        return line.versions[-1]
    found = in_force(store, doc_id, at)
    assert found.span is not None  # in_force raises otherwise
    return found.span


def in_force(store: Store, doc_id: str, at: str) -> InForce:
    """What was in force in ``doc_id`` at ``at`` (any form ``parse_time`` reads; a bare date
    is its midnight UTC), and what was announced then (``kb.timeline.in_force_at``). Raises a
    one-line error when no text was in force then."""
    line = timeline(store, doc_id)
    if not line.versions:
        raise NoVersion(f"{doc_id} has no version yet", hint=f"its last check: {line.document.failure or 'none'}")
    moment = parse_time(at)
    found = in_force_at(line, moment)
    if found.span is not None:
        return found
    first = line.versions[0]
    if moment < first.valid_from:
        raise QueryError(
            f"{doc_id} was not captured yet at {moment}", hint=f"its first version is from {first.valid_from}"
        )
    last = line.versions[-1]
    raise QueryError(
        f"{doc_id} was gone at {moment} (first seen gone at {line.gone_at})",
        hint=f"its last text was in force from {last.in_force_from}; give an earlier date",
    )


def find_section(text: str, section_id: str) -> tuple[Section, str]:
    """The section ``section_id`` of a Markdown text, with its subsections.

    ``section_id`` is a full id (``customer-service-performance-metrics/late-shipment-rate``)
    or its last parts (``late-shipment-rate``) when those name one section only."""
    secs = sections(text)
    wanted = section_id.strip("/")
    found = [s for s in secs if s.id == wanted] or [s for s in secs if s.id.endswith("/" + wanted)]
    if not found:
        known = ", ".join(s.id.rsplit("/", 1)[-1] for s in secs[:8]) + (", …" if len(secs) > 8 else "")
        raise QueryError(
            f"no section '{section_id}' in this version",
            hint=f"sections: {known}" if secs else "this version has no headings",
        )
    if len(found) > 1:
        raise QueryError(
            f"section '{section_id}' is ambiguous: {', '.join(s.id for s in found[:4])}",
            hint="give the full section id",
        )
    section = found[0]
    end = max([s.end for s in secs if s.id.startswith(section.id + "/")] + [section.end])
    return section, text[section.start : end]
