"""Full-text index of every section of every version, with its interval (the only Whoosh module).

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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path

from whoosh import highlight, index, qparser, scoring
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, ID, STORED, TEXT, Schema
from whoosh.query import AndMaybe, Not, NullQuery, Or, Phrase, Prefix, Term

from diffs.sections import sections
from kb.errors import QueryError
from kb.timeline import Timeline
from kb.timeutil import parse_time

INDEX_DIR = "index"
MANIFEST = "units.json"
FORMAT = "policywatch-sections-3"  # bump when the schema or the unit rules change: sync rebuilds
OPEN_END = 253402300799  # 9999-12-31T23:59:59Z: the end of an interval that is still open
TEXT_FIELDS = ("title", "section", "body")
# Field names a query may use (``title:fees``), with the names people type for them.
QUERY_FIELDS = {
    "title": "title",
    "section": "section",
    "heading": "section",
    "headings": "section",
    "body": "body",
    "text": "body",
    "doc": "doc_id",
    "doc_id": "doc_id",
    "source": "marketplace",
    "marketplace": "marketplace",
    "type": "doc_type",
    "doc_type": "doc_type",
    "class": "class",
}
REBUILD_HINT = "run `policywatch index --rebuild`"
# Common words, whose adjacent pairs are indexed: in 1 % of the sections at least (then a
# phrase with one word outside the list has at most 1 % of the index to check), 2,000 at most,
# counted on up to 5,000 sections when the index is built.
COMMON_SHARE, COMMON_MOST, COMMON_SAMPLE = 0.01, 2000, 5000


def _analyzer():
    # English stemming, and no stop list: "must not" must never match "must", and a phrase
    # keeps every word's position.
    return RegexTokenizer() | LowercaseFilter() | StemFilter(lang="en", cachesize=100_000)


_TEXT = _analyzer()  # for snippets and word lists: one instance, one warm stem cache
PART_BREAK = "PwPartBreak"  # between the title, the headings and the text in the indexed body
PART_GAP = 100  # positions skipped at a break: no phrase runs from a heading into the text


class _PartBreaks(Filter):
    """Drops ``PART_BREAK`` and moves the following words ``PART_GAP`` positions on."""

    def __call__(self, tokens):
        offset = 0
        for token in tokens:
            if token.text == PART_BREAK:
                offset += PART_GAP
                continue
            if offset and getattr(token, "positions", False):
                token.pos += offset
            yield token


def _body_analyzer():
    return RegexTokenizer() | _PartBreaks() | LowercaseFilter() | StemFilter(lang="en", cachesize=100_000)


class _CommonPairs(Filter):
    """``for the late`` → ``for the`` (both words common), at its first word's position.

    Whoosh checks a phrase by reading the positions of every section holding all its words;
    when all of them are common ("and for the", "seller account") that is most of the index.
    A pair of adjacent common words is much rarer than either word, so such a phrase is looked
    up as a phrase of pairs (``_pair_phrase``). A phrase with one uncommon word needs no help:
    that word alone leaves few sections to check. Only pairs of common words are indexed: all
    pairs would double the indexing time for phrases that are fast anyway."""

    def __init__(self, common: frozenset[str] = frozenset()):
        self.common = common

    def __call__(self, tokens):
        common = self.common
        previous = None
        for token in tokens:
            text, pos = token.text, getattr(token, "pos", None)
            adjacent = previous is not None and (pos is None or pos == previous[1] + 1)
            if adjacent and previous[0] in common and text in common:
                token.text = f"{previous[0]} {text}"
                if pos is not None:
                    token.pos = previous[1]
                yield token
                token.text, token.pos = text, pos  # the tokenizer reuses one token object
            previous = (text, pos)


def common_words(bodies: Iterable[str], *, share: float = COMMON_SHARE, most: int = COMMON_MOST) -> frozenset[str]:
    """Stems found in at least ``share`` of the texts (and in two of them), the ``most``
    frequent at most: the words whose pairs are indexed."""
    counts: dict[str, int] = {}
    total = 0
    for body in bodies:
        total += 1
        for stem in {token.text for token in _TEXT(body)}:
            counts[stem] = counts.get(stem, 0) + 1
    floor = max(2, share * total)
    frequent = sorted((n, w) for w, n in counts.items() if n >= floor)
    return frozenset(w for _, w in frequent[-most:])


def schema(common: frozenset[str] = frozenset()) -> Schema:
    """``common``: the words whose adjacent pairs are indexed (``common_words``); chosen when
    the index is built, and kept in it, so that queries rewrite phrases the same way."""
    text = _analyzer()
    return Schema(
        key=ID(stored=True, unique=True),  # content hash of the unit: what sync compares
        doc_id=ID(stored=True),
        title=TEXT(stored=True, analyzer=text, field_boost=3.0),
        section=TEXT(stored=True, analyzer=text, field_boost=2.0),  # heading path "A › B"
        # The title, the heading path and the text: what every word of a query is matched
        # against (title and section only add to the score); stores the text alone.
        body=TEXT(stored=True, analyzer=_body_analyzer()),
        body_pairs=TEXT(analyzer=_body_analyzer() | _CommonPairs(common)),  # fast common phrases
        marketplace=ID(stored=True),
        doc_type=ID(stored=True),
        **{"class": ID(stored=True)},  # class of the change that introduced the text, or "first"
        current=BOOLEAN(stored=True),
        changed=BOOLEAN(stored=True),  # introduced by a recorded change (not a first capture)
        # Epoch seconds as columns only: date filters read them directly, no terms to index.
        valid_from_n=COLUMN(NumericColumn("q")),
        valid_to_n=COLUMN(NumericColumn("q")),
        section_id=STORED,
        url=STORED,
        version_id=STORED,
        snapshot_sha256=STORED,
        valid_from=STORED,
        valid_to=STORED,
        summary=STORED,
    )


# -- units ------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One section text of a document over the interval it was in force."""

    doc_id: str
    section_id: str  # "" for the text before the first heading
    section: str  # heading path, "Customer metrics › Late shipment rate"
    title: str  # the document's title
    body: str  # the section's Markdown without its heading line
    url: str
    marketplace: str
    doc_type: str
    version_id: int  # version that introduced this text
    snapshot_sha256: str  # evidence: the snapshot of that version
    valid_from: str
    valid_to: str | None
    current: bool
    changed: bool
    label: str  # class of the change that introduced it, or "first"
    summary: str  # that change's summary ("" for a first capture)

    @cached_property
    def key(self) -> str:
        """A hash of everything the unit carries: a unit whose interval closes gets a new key."""
        parts = [getattr(self, name) for name in self.__dataclass_fields__]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]

    def fields(self) -> dict:
        indexed = f"{self.title}\n{PART_BREAK}\n{self.section}\n{PART_BREAK}\n{self.body}"
        return {
            "key": self.key,
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "body": indexed,
            "_stored_body": self.body,
            "body_pairs": indexed,
            "marketplace": self.marketplace,
            "doc_type": self.doc_type,
            "class": self.label,
            "current": self.current,
            "changed": self.changed,
            "valid_from_n": epoch(self.valid_from),
            "valid_to_n": epoch(self.valid_to) if self.valid_to else OPEN_END,
            "section_id": self.section_id,
            "url": self.url,
            "version_id": self.version_id,
            "snapshot_sha256": self.snapshot_sha256,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "summary": self.summary,
        }


def split_sections(text: str) -> list[tuple[str, str, str]]:
    """(section id, heading path, body) of each section of a Markdown text that has text of its own."""
    secs = sections(text)
    parts = []
    preamble = text[: secs[0].start if secs else len(text)].strip()
    if preamble:
        parts.append(("", "", preamble))
    for sec in secs:
        lines = text[sec.start : sec.end].split("\n")[1:]
        if lines and re.fullmatch(r" {0,3}(=+|-+)[ \t]*", lines[0]):  # setext underline
            lines = lines[1:]
        body = "\n".join(lines).strip()
        if body:  # a heading directly followed by a subheading holds no clause of its own
            parts.append((sec.id, sec.label, body))
    return parts


def units(timeline: Timeline) -> list[Unit]:
    """The units of one document: each section text once, with the interval it was in force."""
    doc = timeline.document
    done: list[Unit] = []
    open_: dict[str, tuple[Unit, tuple]] = {}  # section id -> (unit, identity of its text)
    for span in timeline.versions:
        seen = set()
        for section_id, label, body in split_sections(span.version.text):
            identity = (label, body)
            seen.add(section_id)
            if section_id in open_ and open_[section_id][1] == identity:
                continue
            if section_id in open_:
                done.append(_close(open_.pop(section_id)[0], span.valid_from))
            open_[section_id] = (
                Unit(
                    doc_id=doc.doc_id,
                    section_id=section_id,
                    section=label,
                    title=doc.title,
                    body=body,
                    url=doc.url,
                    marketplace=doc.marketplace,
                    doc_type=doc.doc_type,
                    version_id=span.version.id,
                    snapshot_sha256=span.version.snapshot_sha256,
                    valid_from=span.valid_from,
                    valid_to=None,
                    current=False,
                    changed=span.number > 1,
                    label=span.label,
                    summary=span.change.summary if span.change else "",
                ),
                identity,
            )
        for section_id in [s for s in open_ if s not in seen]:  # dropped by this version
            done.append(_close(open_.pop(section_id)[0], span.valid_from))
    last = timeline.versions[-1] if timeline.versions else None
    for unit, _ in open_.values():
        done.append(_close(unit, last.valid_to, current=last.current))
    return done


def _close(unit: Unit, valid_to: str | None, current: bool = False) -> Unit:
    return replace(unit, valid_to=valid_to, current=current)


def _fingerprint(timeline: Timeline) -> str:
    """Changes whenever anything a unit of this document carries may change."""
    doc = timeline.document
    parts = [FORMAT, doc.doc_id, doc.title, doc.url, doc.marketplace, doc.doc_type, timeline.gone_at]
    for span in timeline.versions:
        v = span.version
        parts += [
            v.id,
            v.captured_at,
            v.text_sha256,
            v.snapshot_sha256,
            span.valid_to,
            span.current,
            span.label,
            span.change.summary if span.change else "",
        ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


# -- writing ----------------------------------------------------------------------


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
        fingerprint = _fingerprint(line)
        before = known.get(doc_id)
        if before is not None and before["fp"] == fingerprint:
            continue
        updated += 1
        fresh = units(line)
        old_keys = set(before["units"]) if before else set()
        new_keys = {u.key for u in fresh}
        adds += [u for u in fresh if u.key not in old_keys]
        deletes += sorted(old_keys - new_keys)
        known[doc_id] = {"fp": fingerprint, "units": sorted(new_keys)}
    for doc_id in [d for d in known if d not in wanted]:
        deletes += known.pop(doc_id)["units"]
        updated += 1
    total = sum(len(entry["units"]) for entry in known.values())
    if adds or deletes:
        ix = index.open_dir(path)
        writer = ix.writer(limitmb=128, compound=False)
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for unit in adds:
                # update, not add: a sync killed after the commit and before the manifest was
                # written is replayed without duplicating units.
                writer.update_document(**unit.fields())
        except BaseException:
            writer.cancel()
            raise
        writer.commit()  # merge policy: MERGE_SMALL, the big segment is left alone
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
    ix = index.create_in(fresh, schema(common_words(unit.body for unit in sample)))
    # One file per part of a segment: Whoosh copies a part of a compound segment file into
    # memory each time it opens it (150 ms per query at 50,000 sections).
    writer = ix.writer(limitmb=256, compound=False)
    known = {}
    count = 0
    try:
        for line, doc_units in per_doc:
            for unit in doc_units:
                writer.add_document(**unit.fields())
            count += len(doc_units)
            known[line.document.doc_id] = {"fp": _fingerprint(line), "units": sorted(u.key for u in doc_units)}
    except BaseException:
        writer.cancel()
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    writer.commit(optimize=True)
    _write_manifest(fresh, known)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return SyncReport(
        updated=len(known),
        added=count,
        deleted=0,
        total=count,
        rebuilt=True,
        seconds=round(time.perf_counter() - started, 3),
    )


def _read_manifest(path: Path) -> dict | None:
    """What the last sync wrote, or None when the index must be rebuilt (missing, older format)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT or not index.exists_in(path):
        return None
    return manifest


def _write_manifest(path: Path, docs: dict) -> None:
    tmp = path / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT, "docs": docs}, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path / MANIFEST)


# -- searching ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    url: str
    marketplace: str
    doc_type: str
    captured_at: str  # capture of the version that introduced this text (= valid_from)
    score: float
    snippet: str  # matched words in **bold**
    section_id: str
    section: str  # heading path; "" for the text before the first heading
    version_id: int
    snapshot_sha256: str
    valid_from: str  # the date this text took effect (was first captured)
    valid_to: str | None  # when it stopped being the text; None: still in force
    current: bool
    change_class: str  # substantive | minor | noise | first
    changed: bool

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Scope:
    """Which units a search looks at; dates already in ISO form."""

    source: str | None = None
    doc: str | None = None
    doc_type: str | None = None
    since: str | None = None  # text that took effect at or after this instant
    until: str | None = None  # … and before this one
    as_of: str | None = None  # text in force at this instant
    history: bool = False  # every unit, current or not
    changed: bool = False  # only units a recorded change introduced (implies history)

    @classmethod
    def parse(
        cls, *, source=None, doc=None, doc_type=None, since=None, until=None, as_of=None, history=False, changed=False
    ) -> Scope:
        if as_of is not None and history:
            raise QueryError(
                "--as-of and --history cannot be combined",
                hint="--as-of searches the text of one date, --history every version",
            )
        since_at = parse_time(since) if since else None
        until_at = _end_of(until) if until else None
        if since_at and until_at and until_at <= since_at:
            raise QueryError(
                f"--until {until} is not after --since {since}", hint="give a window whose end comes after its start"
            )
        return cls(
            source=source,
            doc=doc,
            doc_type=doc_type,
            since=since_at,
            until=until_at,
            as_of=parse_time(as_of) if as_of is not None else None,
            history=history,
            changed=changed,
        )


def _end_of(value: str) -> str:
    """A bare date as the end of a window means the end of that day."""
    moment = parse_time(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        moment = _iso(epoch(moment) + 86400)
    return moment


class SearchIndex:
    """An open index for many queries: the searcher, the date columns and the scope filters
    are kept between queries (a one-off query can call ``search``). ``refresh`` picks up
    what a sync wrote since."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self._ix = _open_for_search(self.home)
        self._parser = _parser(self._ix.schema)
        self._common = self._ix.schema["body_pairs"].analyzer.items[-1].common
        self._searcher = self._ix.searcher(weighting=scoring.BM25F())
        self._filters: dict[tuple, set[int]] = {}
        self._columns: tuple[list[int], list[int]] | None = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()

    def refresh(self) -> None:
        fresh = self._searcher.refresh()
        if fresh is not self._searcher:
            self._searcher, self._filters, self._columns = fresh, {}, None

    def search(
        self,
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
        """See ``kb.search.search``."""
        if limit is not None and limit < 1:
            raise QueryError(f"--limit {limit} is not a positive number", hint="give --limit 1 or more")
        scope = Scope.parse(
            source=source,
            doc=doc,
            doc_type=doc_type,
            since=since,
            until=until,
            as_of=as_of,
            history=history,
            changed=changed,
        )
        check_syntax(query)
        try:
            parsed = self._parser.parse(query)
        except Exception as exc:  # Whoosh's parser has corners that raise instead of reporting
            raise QueryError(
                f"cannot read the query {query!r} ({type(exc).__name__})",
                hint='simplify it: words, "phrases", AND/OR/NOT, field:value',
            ) from None
        if parsed is NullQuery:
            raise QueryError(
                f"nothing to search for in {query!r}", hint='give words to look for, e.g. "late shipment rate"'
            )
        searcher = self._searcher
        if searcher.doc_count() == 0:
            raise QueryError(
                f"the search index in {self.home} is empty",
                hint="crawl first (`policywatch crawl`), or " + REBUILD_HINT,
            )
        allowed = self._allowed(scope)
        if allowed is not None and not allowed:
            return []
        parsed = parsed.accept(_stem_prefix)
        fast = parsed.accept(_fold_fields).accept(lambda q: _pair_phrase(q, self._common))
        results = searcher.search(fast, limit=limit, filter=allowed)
        # Snippets show the words of the query as typed (the pair rewrite only finds them).
        words = _query_words(parsed, searcher.reader()) if snippets else None
        return [_hit(hit, words) for hit in results]

    # -- scope filters: sets of document numbers, cached per searcher ------------------

    def _allowed(self, scope: Scope) -> set[int] | None:
        """Document numbers the scope allows (None: all)."""
        sets: list[set[int]] = []
        for field, value, option in (
            ("doc_id", scope.doc, "--doc"),
            ("marketplace", scope.source, "--source"),
            ("doc_type", scope.doc_type, "--type"),
        ):
            if value is not None:
                found = self._term(field, value)
                if not found:
                    raise QueryError(
                        f"{option} {value!r} matches nothing in the index", hint=_known_values(self._searcher, field)
                    )
                sets.append(found)
        if scope.changed:
            sets.append(self._term("changed", True))
        if scope.as_of is not None:
            sets.append(self._in_force(epoch(scope.as_of)))
        elif not scope.history and not scope.changed:
            sets.append(self._term("current", True))
        if scope.since or scope.until:
            sets.append(
                self._took_effect(
                    epoch(scope.since) if scope.since else -1, epoch(scope.until) if scope.until else OPEN_END + 1
                )
            )
        if not sets:
            return None
        sets.sort(key=len)
        allowed = sets[0]
        for other in sets[1:]:
            allowed = allowed & other
        return allowed

    def _cached(self, key: tuple, compute) -> set[int]:
        if key not in self._filters:
            if len(self._filters) > 64:  # dates vary; keep the cache small
                self._filters.clear()
            self._filters[key] = compute()
        return self._filters[key]

    def _term(self, field: str, value) -> set[int]:
        return self._cached((field, value), lambda: set(self._searcher.docs_for_query(Term(field, value))))

    def _dates(self) -> tuple[list[int], list[int]]:
        if self._columns is None:
            reader = self._searcher.reader()
            self._columns = (list(reader.column_reader("valid_from_n")), list(reader.column_reader("valid_to_n")))
        return self._columns

    def _in_force(self, moment: int) -> set[int]:
        starts, ends = self._dates()
        return self._cached(
            ("in-force", moment),
            lambda: {n for n, (start, end) in enumerate(zip(starts, ends, strict=False)) if start <= moment < end},
        )

    def _took_effect(self, low: int, high: int) -> set[int]:
        starts, _ = self._dates()
        return self._cached(
            ("took-effect", low, high), lambda: {n for n, start in enumerate(starts) if low <= start < high}
        )


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
    if limit is not None and limit < 1:
        raise QueryError(f"--limit {limit} is not a positive number", hint="give --limit 1 or more")
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


_SNIPPET_FRAGMENTS = 2


def _query_words(query, reader) -> set[str]:
    """The stems a hit's text may show in bold: the query's words with prefixes and fuzzy
    terms expanded, except those under NOT. (Whoosh's ``existing_terms`` skips the fields
    after the first in a multifield query.)"""
    if isinstance(query, Not):
        return set()
    if query.is_leaf():
        return {
            text.decode("utf-8") if isinstance(text, bytes) else text
            for field, text in query.expanded_terms(reader, phrases=True)
            if field in TEXT_FIELDS
        }
    return set().union(*(_query_words(child, reader) for child in query.children()))


def _hit(hit, words: set[str] | None) -> Hit:
    fields = hit.fields()
    snippet = ""
    if words is not None:
        body = fields["body"]
        snippet = (
            highlight.highlight(
                body, words, _TEXT, _WholeWordsFragmenter(240, 70), _MarkdownEmphasis(), top=_SNIPPET_FRAGMENTS
            )
            or body[:200]
        )
    return Hit(
        doc_id=fields["doc_id"],
        title=fields["title"],
        url=fields["url"],
        marketplace=fields["marketplace"],
        doc_type=fields["doc_type"],
        captured_at=fields["valid_from"],
        score=round(hit.score, 4),
        snippet=" ".join(snippet.split()),
        section_id=fields["section_id"],
        section=fields["section"],
        version_id=fields["version_id"],
        snapshot_sha256=fields["snapshot_sha256"],
        valid_from=fields["valid_from"],
        valid_to=fields.get("valid_to"),
        current=fields["current"],
        change_class=fields["class"],
        changed=fields["changed"],
    )


def _open_for_search(home: Path):
    path = home / INDEX_DIR
    if not index.exists_in(path):
        raise QueryError(
            f"no search index in {home}",
            hint="run `policywatch crawl` (or `policywatch demo`) first, or " + REBUILD_HINT,
        )
    ix = index.open_dir(path)
    if set(ix.schema.names()) != set(schema().names()):
        raise QueryError(f"the search index in {home} was built by an older policywatch", hint=REBUILD_HINT)
    return ix


def _parser(schema_: Schema) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), schema_)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    aliases: dict[str, list[str]] = {}
    for name, field in QUERY_FIELDS.items():
        if name != field:
            aliases.setdefault(field, []).append(name)
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    return parser


def _fold_fields(query):
    """``Or(title:w, section:w, body:w)``, what the parser makes of a word, becomes
    ``AndMaybe(body:w, Or(title:w, section:w))``: the indexed body holds the title and the
    headings too, so it alone decides the match (one posting list per word, where the union
    of three made conjunctions three times slower) and title and headings add their weight."""
    if not isinstance(query, Or) or len(query.subqueries) != len(TEXT_FIELDS) or query.boost != 1:
        return query
    parts = dict(zip(TEXT_FIELDS, query.subqueries, strict=False))
    if [getattr(q, "fieldname", None) for q in query.subqueries] != list(TEXT_FIELDS):
        return query
    body = parts["body"]
    same = {k: v for k, v in body.__dict__.items() if k not in ("fieldname", "char_ranges")}
    for field in ("title", "section"):
        other = parts[field]
        if (
            type(other) is not type(body)
            or {k: v for k, v in other.__dict__.items() if k not in ("fieldname", "char_ranges")} != same
        ):
            return query
    return AndMaybe(body, Or([parts["title"], parts["section"]]))


def _pair_phrase(query, common: frozenset[str]):
    """A phrase of common words in the body becomes the same phrase of adjacent pairs
    (``_CommonPairs``): the same matches, found from the rarest pair instead of the commonest
    words."""
    if (
        isinstance(query, Phrase)
        and query.fieldname == "body"
        and query.slop == 1
        and len(query.words) > 1
        and all(word in common for word in query.words)
    ):
        pairs = [f"{a} {b}" for a, b in pairwise(query.words)]
        if len(pairs) == 1:
            return Term("body_pairs", pairs[0], boost=query.boost)
        return Phrase("body_pairs", pairs, boost=query.boost)
    return query


def _stem_prefix(query):
    """Text fields hold stems, so a prefix must also find the stems of the words it starts:
    ``terminat*`` finds "terminate" (stem "termin"), ``policy*`` finds "policies" ("polici")."""
    if not isinstance(query, Prefix) or query.fieldname not in TEXT_FIELDS:
        return query
    field, text = query.fieldname, query.text
    alternatives = [query]
    stems = [token.text for token in _TEXT(text)]
    if len(stems) == 1 and stems[0] != text:
        alternatives.append(Prefix(field, stems[0]))
    # a stemmer drops at most a few letters: "terminat" → a word whose stem is "termin"
    alternatives += [Term(field, text[:k]) for k in range(max(3, len(text) - 3), len(text))]
    return Or(alternatives, boost=query.boost) if len(alternatives) > 1 else query


def _known_values(searcher, field: str) -> str:
    values = sorted(t.decode("utf-8") for t in searcher.lexicon(field))
    shown = ", ".join(values[:10]) + (", …" if len(values) > 10 else "")
    return f"known values: {shown}" if field != "doc_id" else ("list documents with `policywatch status`")


_FIELD = re.compile(r"(?<![\w\\])([A-Za-z_]\w*):")
_PHRASE = "\x00"  # stands for the characters of a quoted phrase while checking the syntax
_OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")


def check_syntax(query: str) -> None:
    """Whoosh's parser accepts anything and guesses; refuse what it would silently misread."""
    if not query.strip():
        raise QueryError("empty query", hint='give words to look for, e.g. "late shipment rate"')
    outside = []  # the query with each quoted phrase replaced by a placeholder word
    quoted = False
    for char in query:
        if char == '"':
            quoted = not quoted
        outside.append(_PHRASE if quoted or char == '"' else char)
    if quoted:
        raise QueryError(f"unclosed quote in {query!r}", hint='close the phrase: "late shipment rate"')
    bare = "".join(outside)
    depth = 0
    for char in bare:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError(
            f"unbalanced parentheses in {query!r}", hint="close every group: (fees OR charges) AND referral"
        )
    for match in _FIELD.finditer(bare):
        name = match.group(1)
        if name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field '{name}' in {query!r}",
                hint="fields: title, section, body, doc, source, type, class; quote the words to search them as text",
            )
        rest = bare[match.end() :]
        if not rest[:1].strip() or rest[:1] in ")":
            raise QueryError(
                f"field '{name}' has no value in {query!r}", hint=f'write {name}:WORD or {name}:"a phrase"'
            )
    words = bare.replace("(", " ").replace(")", " ").split()
    dangling = [w for w in words[-1:] if w in _OPERATORS] + [w for w in words[:1] if w in _OPERATORS and w != "NOT"]
    if dangling:
        raise QueryError(
            f"{dangling[0]} at the edge of {query!r} has nothing to combine",
            hint="put words on both sides: fees AND referral",
        )
    for left, right in pairwise(words):
        if left in _OPERATORS and right in _OPERATORS and (right != "NOT" or left == "NOT"):
            raise QueryError(
                f"{left} {right} in {query!r} has nothing between them",
                hint="put words between operators: fees OR charges",
            )
    for word in words:
        term = word.split(":", 1)[-1]
        if ("*" in term or "?" in term) and len(re.split(r"[*?]", term, maxsplit=1)[0]) < 2:
            raise QueryError(
                f"wildcard {word!r} needs at least two letters before it",
                hint="e.g. ship* (a leading wildcard scans every word of the index)",
            )


class _WholeWordsFragmenter(highlight.ContextFragmenter):
    """Whoosh ends a fragment on the last token, which would cut "under 3%" to "under 3":
    run each fragment on to the next space."""

    def fragment_tokens(self, text, tokens):
        for fragment in super().fragment_tokens(text, tokens):
            end = fragment.endchar
            while end < len(text) and not text[end].isspace():
                end += 1
            fragment.endchar = end
            yield fragment


class _MarkdownEmphasis(highlight.Formatter):
    """Marks matched terms as **term**: readable in a terminal, in JSON and in Markdown."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"**{highlight.get_text(text, token, replace)}**"


# -- times -------------------------------------------------------------------------


def epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())  # store times always end in Z


def _iso(seconds: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
