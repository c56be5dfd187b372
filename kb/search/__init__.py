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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
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
    "TextReader",
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
    "with_texts",
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
# Units from which a rebuild writes two segments in two processes (engine.create_parts).
PARALLEL_UNITS = 2000
TEXT_BATCH = 100  # documents whose texts are read at once from a ``TextReader``
# Reads the texts of versions by id (``kb.store.Store.version_texts``).
TextReader = Callable[[Iterable[int]], Mapping[int, str]]


@dataclass(frozen=True)
class SyncReport:
    updated: int  # documents whose units were rewritten
    added: int  # units written
    deleted: int  # units removed
    total: int  # units in the index afterwards
    rebuilt: bool = False
    seconds: float = 0.0


def sync(home: Path, timelines: Iterable[Timeline], texts: TextReader | None = None) -> SyncReport:
    """Bring the index in line with the timelines (the caller reads them from the store),
    rewriting only the documents whose timeline changed. Rebuilds when there is no usable index.

    ``texts``: the timelines come without their versions' texts (``kb.record.history.
    timeline_heads``) and ``texts`` reads them by version id, for the documents rewritten
    only, a batch at a time; without it, the timelines carry their texts."""
    started = time.perf_counter()
    home = Path(home)
    lines = list(timelines)
    path = home / INDEX_DIR
    manifest = _read_manifest(path)
    if manifest is None:
        return rebuild(home, lines, texts)
    known: dict = manifest["docs"]
    wanted = {line.document.doc_id: line for line in lines}
    moved: list[tuple[Timeline, str]] = []
    for doc_id, line in wanted.items():
        line_fingerprint = fingerprint(line)
        before = known.get(doc_id)
        if before is None or before["fp"] != line_fingerprint:
            moved.append((line, line_fingerprint))
    gone = [d for d in known if d not in wanted]
    counts = {"added": 0, "deleted": 0}

    def changes() -> Iterator[tuple[list[str], list[Unit]]]:
        fingerprints = dict((line.document.doc_id, fp) for line, fp in moved)
        for line in with_texts((line for line, _ in moved), texts):
            doc_id = line.document.doc_id
            fresh = units(line)
            before = known.get(doc_id)
            old_keys = set(before["units"]) if before else set()
            new_keys = {u.key for u in fresh}
            adds = [u for u in fresh if u.key not in old_keys]
            deletes = sorted(old_keys - new_keys)
            known[doc_id] = {"fp": fingerprints[doc_id], "units": sorted(new_keys)}
            counts["added"] += len(adds)
            counts["deleted"] += len(deletes)
            yield deletes, adds
        for doc_id in gone:
            deletes = known.pop(doc_id)["units"]
            counts["deleted"] += len(deletes)
            yield deletes, []

    if moved or gone:
        engine.write(path, changes())
        _write_manifest(path, known)
    return SyncReport(
        updated=len(moved) + len(gone),
        added=counts["added"],
        deleted=counts["deleted"],
        total=sum(len(entry["units"]) for entry in known.values()),
        seconds=round(time.perf_counter() - started, 3),
    )


def rebuild(home: Path, timelines: Iterable[Timeline], texts: TextReader | None = None) -> SyncReport:
    """Write a new index from the timelines, then swap it in:
    searches keep using the old one until the new one is complete.

    ``texts`` as for ``sync``. The units are made and written one document at a time, never
    all held: a first pass counts them, a second reads the sample of sections the common
    words are counted on (every n-th unit), a third writes them: from ``PARALLEL_UNITS``
    units on, the first and the second half of the documents in two processes, into two
    segments (``engine.create_parts``: the same hits and scores as one)."""
    started = time.perf_counter()
    home = Path(home)
    lines = list(timelines)
    target = home / INDEX_DIR
    fresh, old = home / (INDEX_DIR + ".new"), home / (INDEX_DIR + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir(parents=True)
    counts = [len(units(line)) for line in with_texts(lines, texts)]
    common = common_words(_sample(lines, counts, texts))
    written: dict[str, dict] = {}

    def every_unit(part: list[Timeline]) -> Iterator[Unit]:
        for line in with_texts(part, texts):
            doc_units = units(line)
            written[line.document.doc_id] = {"fp": fingerprint(line), "units": sorted(u.key for u in doc_units)}
            yield from doc_units

    try:
        if sum(counts) >= PARALLEL_UNITS and (os.cpu_count() or 1) > 1:
            half = _halfway(counts)
            engine.create_parts(fresh, [every_unit(lines[:half]), every_unit(lines[half:])], common)
        else:
            engine.create(fresh, every_unit(lines), common)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    known = {line.document.doc_id: written[line.document.doc_id] for line in lines}
    _write_manifest(fresh, known)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    total = sum(len(entry["units"]) for entry in known.values())
    return SyncReport(
        updated=len(known),
        added=total,
        deleted=0,
        total=total,
        rebuilt=True,
        seconds=round(time.perf_counter() - started, 3),
    )


def _sample(lines: list[Timeline], counts: list[int], texts: TextReader | None) -> Iterator[str]:
    """The bodies of every n-th unit of all the documents' units in order (n: their number,
    ``counts`` per document, over ``COMMON_SAMPLE``, at least 1), read one document at a time."""
    step = max(1, sum(counts) // COMMON_SAMPLE)
    starts: dict[str, int] = {}  # the documents holding a sampled unit: where their units start
    first = 0
    for line, count in zip(lines, counts, strict=True):
        if (first + count - 1) // step >= -(-first // step):  # a multiple of step in [first, first + count)
            starts[line.document.doc_id] = first
        first += count
    for line in with_texts((line for line in lines if line.document.doc_id in starts), texts):
        for i, unit in enumerate(units(line), starts[line.document.doc_id]):
            if i % step == 0:
                yield unit.body


def _halfway(counts: list[int]) -> int:
    """The first document of the second half of the units (at least one document each side)."""
    total, running = sum(counts), 0
    for i, count in enumerate(counts):
        if running + count > total / 2:
            return max(1, min(i, len(counts) - 1)) if running else 1
        running += count
    return max(1, len(counts) - 1)


def with_texts(lines: Iterable[Timeline], texts: TextReader | None, batch: int | None = None) -> Iterator[Timeline]:
    """The timelines with their versions' texts: as they are without ``texts``, else read from
    it ``batch`` documents at a time (``TEXT_BATCH``; only that many documents' texts are held)."""
    if texts is None:
        yield from lines
        return
    batch = batch or TEXT_BATCH
    chunk: list[Timeline] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= batch:
            yield from _filled(chunk, texts)
            chunk = []
    yield from _filled(chunk, texts)


def _filled(chunk: list[Timeline], texts: TextReader) -> Iterator[Timeline]:
    if not chunk:
        return
    found = texts([span.version.id for line in chunk for span in line.versions])
    for line in chunk:
        yield replace(
            line,
            versions=tuple(
                replace(span, version=replace(span.version, text=found[span.version.id])) for span in line.versions
            ),
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
