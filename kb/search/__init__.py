"""Full-text index of every section of every version, with its interval.

A unit of the index is one **section text** of a document (``diffs.sections``: heading to
next heading; the text before the first heading is a section with the id ``""``) over the
interval in which the document carried exactly that text: from the capture of the version
that introduced it to the capture of the first version that changed or dropped it (or the
moment the page was seen gone), open while it is still there. So each version of a
document is the set of its units in force at its capture time, a section that never
changes is stored once however many versions the document has, and a hit names the clause
and the date its wording took effect.

Search scopes: by default the text in force now (units still open, documents not gone);
``as_of`` the text in force at that instant; ``history`` every unit; ``changed`` only units a
recorded change introduced. Filters by marketplace, document, type and a window on the date
the text took effect are sets of document numbers (from term postings and date columns),
kept by an open ``SearchIndex`` between queries. Phrases made only of common words are
looked up through an index of adjacent common-word pairs (``_CommonPairs``), so a phrase
never makes Whoosh read the positions of most of the index.

The store is the source of truth: ``rebuild`` derives the index from the timelines the
orchestrator reads from it (``kb.record.history.timelines``); ``sync`` rewrites only the documents whose timeline moved, in one writer,
and remembers what it wrote in ``units.json`` beside the index. Incremental commits merge
small segments only (Whoosh's ``MERGE_SMALL``), so a daily sync costs what changed;
``policywatch index --rebuild`` writes one compact segment.

This module keeps the index's folder (``sync``, ``rebuild``, the manifest) and the public
API. ``units`` says what is indexed, ``query`` reads the user's query and options and shapes
hits (both pure), ``engine`` is Whoosh (the only module that imports it), ``when`` answers
when a phrase was in force.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.search import engine
from kb.search.engine import (
    COMMON_MOST,
    COMMON_SHARE,
    INDEX_DIR,
    PART_GAP,
    REBUILD_HINT,
    SearchIndex,
    common_words,
    schema,
)
from kb.search.query import QUERY_FIELDS, TEXT_FIELDS, Hit, Scope, check_limit, check_syntax
from kb.search.units import FORMAT, OPEN_END, PART_BREAK, Unit, epoch, fingerprint, split_sections, units
from kb.timeline import Timeline

__all__ = [
    "COMMON_MOST",
    "COMMON_SAMPLE",
    "COMMON_SHARE",
    "FORMAT",
    "INDEX_DIR",
    "MANIFEST",
    "OPEN_END",
    "PART_BREAK",
    "PART_GAP",
    "QUERY_FIELDS",
    "REBUILD_HINT",
    "TEXT_FIELDS",
    "Hit",
    "Scope",
    "SearchIndex",
    "SyncReport",
    "Unit",
    "check_syntax",
    "common_words",
    "epoch",
    "rebuild",
    "schema",
    "search",
    "split_sections",
    "sync",
    "units",
]

# Whoosh pickles an index's schema, the analyzer filters with it, under their module path:
# indexes written when the filters were defined in this module name them
# ``kb.search._PartBreaks`` and ``kb.search._CommonPairs``. Without these two names here,
# such an index no longer opens (AttributeError while unpickling its schema).
_PartBreaks = engine._PartBreaks
_CommonPairs = engine._CommonPairs
# The body's analysis kept for body_pairs (engine._ReplayBody): named here too, so that every
# class of a schema resolves under either module path.
_KeepingTokenizer = engine._KeepingTokenizer
_KeepTokens = engine._KeepTokens
_ReplayBody = engine._ReplayBody

MANIFEST = "units.json"
COMMON_SAMPLE = 5000  # sections on which the common words are counted when the index is built


@dataclass(frozen=True)
class SyncReport:
    updated: int  # documents whose units were rewritten
    added: int  # units written
    deleted: int  # units removed
    total: int  # units in the index afterwards
    rebuilt: bool = False
    seconds: float = 0.0


def sync(home: Path, timelines: Iterable[Timeline]) -> SyncReport:
    """Bring the index in line with the timelines (the caller reads them from the store),
    rewriting only the documents whose timeline changed. Rebuilds when there is no usable index."""
    started = time.perf_counter()
    home = Path(home)
    lines = list(timelines)
    path = home / INDEX_DIR
    manifest = _read_manifest(path)
    if manifest is None:
        return rebuild(home, lines)
    known: dict = manifest["docs"]
    wanted = {line.document.doc_id: line for line in lines}
    adds: list[Unit] = []
    deletes: list[str] = []
    updated = 0
    for doc_id, line in wanted.items():
        line_fingerprint = fingerprint(line)
        before = known.get(doc_id)
        if before is not None and before["fp"] == line_fingerprint:
            continue
        updated += 1
        fresh = units(line)
        old_keys = set(before["units"]) if before else set()
        new_keys = {u.key for u in fresh}
        adds += [u for u in fresh if u.key not in old_keys]
        deletes += sorted(old_keys - new_keys)
        known[doc_id] = {"fp": line_fingerprint, "units": sorted(new_keys)}
    for doc_id in [d for d in known if d not in wanted]:
        deletes += known.pop(doc_id)["units"]
        updated += 1
    total = sum(len(entry["units"]) for entry in known.values())
    if adds or deletes:
        engine.write(path, deletes, adds)
        _write_manifest(path, known)
    return SyncReport(
        updated=updated,
        added=len(adds),
        deleted=len(deletes),
        total=total,
        seconds=round(time.perf_counter() - started, 3),
    )


def rebuild(home: Path, timelines: Iterable[Timeline]) -> SyncReport:
    """Write a new index from the timelines, then swap it in:
    searches keep using the old one until the new one is complete."""
    started = time.perf_counter()
    home = Path(home)
    lines = list(timelines)
    target = home / INDEX_DIR
    fresh, old = home / (INDEX_DIR + ".new"), home / (INDEX_DIR + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir(parents=True)
    per_doc = [(line, units(line)) for line in lines]
    every = [unit for _, doc_units in per_doc for unit in doc_units]
    sample = every[:: max(1, len(every) // COMMON_SAMPLE)]
    known = {
        line.document.doc_id: {"fp": fingerprint(line), "units": sorted(u.key for u in doc_units)}
        for line, doc_units in per_doc
    }
    try:
        engine.create(fresh, every, common_words(unit.body for unit in sample))
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    _write_manifest(fresh, known)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return SyncReport(
        updated=len(known),
        added=len(every),
        deleted=0,
        total=len(every),
        rebuilt=True,
        seconds=round(time.perf_counter() - started, 3),
    )


def _read_manifest(path: Path) -> dict | None:
    """What the last sync wrote, or None when the index must be rebuilt (missing, older format)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or not engine.exists(path):
        return None
    return manifest


def _write_manifest(path: Path, docs: dict) -> None:
    tmp = path / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT, "docs": docs}, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path / MANIFEST)


def search(
    home: Path,
    query: str,
    *,
    limit: int | None = 10,
    source: str | None = None,
    doc: str | None = None,
    doc_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    history: bool = False,
    changed: bool = False,
    snippets: bool = True,
) -> list[Hit]:
    """Ranked sections matching ``query`` (Whoosh syntax, English stemming; title weighs more
    than headings, headings more than body text). By default the text in force now; ``as_of``
    the text in force at that instant; ``history`` every version; ``changed`` only text a
    recorded change introduced. ``since``/``until`` bound the date the text took effect;
    ``source``, ``doc`` and ``doc_type`` keep one marketplace, document or type. Dates: anything
    ``parse_time`` reads. ``limit=None`` returns every match. Raises ``QueryError`` (one line,
    with a hint) on bad input, and on a missing, empty or outdated index."""
    check_limit(limit)
    Scope.parse(
        source=source,
        doc=doc,
        doc_type=doc_type,
        since=since,
        until=until,
        as_of=as_of,
        history=history,
        changed=changed,
    )  # refuse bad options before opening anything
    check_syntax(query)
    with SearchIndex(home) as opened:
        return opened.search(
            query,
            limit=limit,
            source=source,
            doc=doc,
            doc_type=doc_type,
            since=since,
            until=until,
            as_of=as_of,
            history=history,
            changed=changed,
            snippets=snippets,
        )
