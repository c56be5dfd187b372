"""Whoosh, behind the search package (the only module that imports it).

Analysis and schema: English stemming with no stop list; the indexed body holds the title,
the heading path and the text, with a gap of positions between them (``_PartBreaks``) so no
phrase runs from a heading into the text; adjacent pairs of common words are indexed too
(``_CommonPairs``), so a phrase made only of common words never makes Whoosh read the
positions of most of the index. Writing: ``create`` a whole index (its writer analyses the
text fields in one loop each, ``_analyse``: the postings the analyzers give, without their
chains of generators), ``write`` what a sync changes. Reading: ``SearchIndex`` parses a
query, rewrites it for speed, filters by scope (sets of document numbers from term postings
and date columns, kept between queries), ranks with BM25F and highlights snippets.

An index pickles its schema, and with it ``_PartBreaks`` and ``_CommonPairs`` under their
module path: ``kb.search`` re-exports them so that indexes written before this module
existed still open.
"""

from __future__ import annotations

import functools
import marshal
import multiprocessing
import pickle
import queue
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice, pairwise
from pathlib import Path
from typing import NamedTuple

from whoosh import highlight, index, qparser, scoring
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, Token, Tokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, ID, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.lang import stemmer_for_language
from whoosh.query import AndMaybe, Not, NullQuery, Or, Phrase, Prefix, Term
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool, SegmentWriter

from kb.errors import QueryError
from kb.search.query import (
    QUERY_FIELDS,
    TEXT_FIELDS,
    Hit,
    Scope,
    check_limit,
    check_syntax,
    hit,
    no_match,
    nothing_to_search,
    unreadable,
)
from kb.search.units import OPEN_END, PART_BREAK, Unit, epoch

INDEX_DIR = "index"
REBUILD_HINT = "run `policywatch index --rebuild`"
# Common words, whose adjacent pairs are indexed: in 1 % of the sections at least (then a
# phrase with one word outside the list has at most 1 % of the index to check), 2,000 at most.
COMMON_SHARE, COMMON_MOST = 0.01, 2000
PART_GAP = 100  # positions skipped at a break: no phrase runs from a heading into the text


# -- analysis and schema ------------------------------------------------------------------


def _stems():
    return StemFilter(lang="en", cachesize=100_000)


def _fast_stems(analyzer) -> None:
    """Python's LRU cache (in C) in front of each ``StemFilter``'s stemmer instead of Whoosh's
    own (in Python, counting every use of every word): the same stems, less CPU. Set on the
    instance only: ``StemFilter`` does not pickle its cache, so an index's schema stays what
    older code reads."""
    for item in getattr(analyzer, "items", [analyzer]):
        if isinstance(item, StemFilter) and isinstance(item.cachesize, int) and item.cachesize > 1:
            stemfn = stemmer_for_language(item.lang) if item.lang else item.stemfn
            item._stem = functools.lru_cache(maxsize=item.cachesize)(stemfn)


def _analyzer():
    # English stemming, and no stop list: "must not" must never match "must", and a phrase
    # keeps every word's position.
    return RegexTokenizer() | LowercaseFilter() | _stems()


_TEXT = _analyzer()  # for snippets and word lists: one instance, one warm stem cache
_fast_stems(_TEXT)


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
    return RegexTokenizer() | _PartBreaks() | LowercaseFilter() | _stems()


# The body's tokens, kept for ``body_pairs``: Whoosh indexes a document's fields in the order
# of their names, so ``body_pairs`` comes right after ``body``, from the same text. Replaying
# the body's stems saves tokenizing and stemming every text twice (bench/index_bulk.py).
_LAST_BODY: dict = {"value": None, "tokens": None}


class _KeepingTokenizer(RegexTokenizer):
    """``RegexTokenizer`` that notes which text it starts on, for ``_KeepTokens``."""

    def __call__(self, value, **kwargs):
        _LAST_BODY["value"], _LAST_BODY["tokens"] = None, None
        yield from super().__call__(value, **kwargs)
        _LAST_BODY["pending"] = value  # all its tokens went through: _KeepTokens keeps them


class _KeepTokens(Filter):
    """Last in the body's analyzer: keeps (text, pos, boost) of each token of the text."""

    def __call__(self, tokens):
        kept = []
        for token in tokens:
            kept.append((token.text, getattr(token, "pos", None), getattr(token, "boost", 1.0)))
            yield token
        value = _LAST_BODY.pop("pending", None)
        if value is not None:
            _LAST_BODY["value"], _LAST_BODY["tokens"] = value, kept


class _ReplayBody(Tokenizer):
    """First in the ``body_pairs`` analyzer: the body's tokens if this is the text the body
    was just made of, else the body's analysis done again (same tokens either way)."""

    def __call__(self, value, positions=False, **kwargs):
        if _LAST_BODY["value"] is not None and (_LAST_BODY["value"] is value or _LAST_BODY["value"] == value):
            token = Token(positions=positions, **kwargs)
            for text, pos, boost in _LAST_BODY["tokens"]:
                token.text, token.boost, token.stopped = text, boost, False
                if positions:
                    token.pos = pos
                yield token
            return
        yield from _body_analyzer()(value, positions=positions, **kwargs)


def _keeping_body_analyzer():
    return _KeepingTokenizer() | _PartBreaks() | LowercaseFilter() | _stems() | _KeepTokens()


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
        body=TEXT(stored=True, analyzer=_keeping_body_analyzer()),
        body_pairs=TEXT(analyzer=_ReplayBody() | _CommonPairs(common)),  # fast common phrases
        marketplace=ID(stored=True),
        doc_type=ID(stored=True),
        **{"class": ID(stored=True)},  # class of the change that introduced the text, or "first"
        current=BOOLEAN(stored=True),
        changed=BOOLEAN(stored=True),  # introduced by a recorded change (not a first capture)
        # Epoch seconds as columns only: date filters read them directly, no terms to index.
        valid_from_n=COLUMN(NumericColumn("q")),
        valid_to_n=COLUMN(NumericColumn("q")),
        # When the text was in force (an announced change takes effect on its date): --as-of.
        in_force_from_n=COLUMN(NumericColumn("q")),
        in_force_to_n=COLUMN(NumericColumn("q")),
        section_id=STORED,
        url=STORED,
        version_id=STORED,
        snapshot_sha256=STORED,
        valid_from=STORED,
        valid_to=STORED,
        in_force_from=STORED,
        in_force_to=STORED,
        summary=STORED,
    )


# -- the same analysis in one loop, for the bulk writer ------------------------------------

# Whoosh's RegexTokenizer pattern (its default), and the same with its group not captured, so
# that ``findall`` gives the words themselves.
_WORD_PATTERN = r"[\w\*]+(\.?[\w\*]+)*"
_WORDS = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")


class _Plan(NamedTuple):
    """What an analyzer of ``schema`` does, for ``_analyse`` to do the same."""

    stems: str | Callable  # the stemmer: StemFilter's language, else its function
    breaks: bool  # PART_BREAK moves the following words PART_GAP positions on (_PartBreaks)
    pairs: frozenset[str] | None  # only the adjacent pairs of these words are indexed (_CommonPairs)


def _plan(analyzer) -> _Plan | None:
    """The ``_Plan`` of one of the analyzers ``schema`` makes, None for any other."""
    items = list(getattr(analyzer, "items", ()))
    kinds = [type(item) for item in items]
    if kinds == [_ReplayBody, _CommonPairs]:  # the body's analysis (_body_analyzer), then its pairs
        body = _plan(_body_analyzer())
        return body and body._replace(pairs=items[1].common)
    if kinds == [RegexTokenizer, LowercaseFilter, StemFilter]:
        breaks = False
    elif kinds in (
        [_KeepingTokenizer, _PartBreaks, LowercaseFilter, StemFilter, _KeepTokens],
        [RegexTokenizer, _PartBreaks, LowercaseFilter, StemFilter],
    ):
        breaks = True
    else:
        return None
    tokenizer, stemmer = items[0], items[3 if breaks else 2]
    expression = tokenizer.expression
    if tokenizer.gaps or expression.pattern != _WORD_PATTERN or expression.flags != _WORDS.flags or stemmer.ignore:
        return None
    return _Plan(stemmer.lang or stemmer.stemfn, breaks, None)


@functools.cache  # one per stemmer and process: the writers forked for create_parts inherit it warm
def _lower_stems(stems: str | Callable, cachesize: int = 100_000) -> Callable[[str], str]:
    """A word as the tokenizer found it → its stem (LowercaseFilter then StemFilter), cached."""
    stemfn = stemmer_for_language(stems) if isinstance(stems, str) else stems
    return functools.lru_cache(maxsize=cachesize)(lambda word: stemfn(word.lower()))


def _analyse(
    text: str, stem: Callable[[str], str], breaks: bool, common: frozenset[str] | None
) -> tuple[dict[str, list[int]], dict[str, list[int]] | None]:
    """The positions of each stem of ``text`` as an analyzer of ``_Plan`` (``stem``, ``breaks``)
    gives them, in the order of their first position, and with ``common`` the positions of
    the adjacent pairs of common words as ``_CommonPairs`` makes them (else None)."""
    positions: dict[str, list[int]] = {}
    pairs: dict[str, list[int]] | None = None if common is None else {}
    offset = 0
    previous, previous_pos = None, -2  # the previous word if common, and its position
    for pos, word in enumerate(_WORDS.findall(text)):
        if breaks and word == PART_BREAK:
            offset += PART_GAP
            continue
        pos += offset
        word = stem(word)
        found = positions.get(word)
        if found is None:
            positions[word] = [pos]
        else:
            found.append(pos)
        if pairs is not None:
            if word in common:
                if previous is not None and pos == previous_pos + 1:
                    pair = f"{previous} {word}"
                    found = pairs.get(pair)
                    if found is None:
                        pairs[pair] = [previous_pos]
                    else:
                        found.append(previous_pos)
                previous = word
            else:
                previous = None
            previous_pos = pos
    return positions, pairs


def common_words(bodies: Iterable[str], *, share: float = COMMON_SHARE, most: int = COMMON_MOST) -> frozenset[str]:
    """Stems found in at least ``share`` of the texts (and in two of them), the ``most``
    frequent at most: the words whose pairs are indexed."""
    plan = _plan(_TEXT)
    assert plan is not None and not plan.breaks
    stem, words = _lower_stems(plan.stems), _WORDS.findall
    counts: dict[str, int] = {}
    total = 0
    for body in bodies:
        total += 1
        for found in set(map(stem, words(body))):  # the stems _TEXT gives, in one pass
            counts[found] = counts.get(found, 0) + 1
    floor = max(2, share * total)
    frequent = sorted((n, w) for w, n in counts.items() if n >= floor)
    return frozenset(w for _, w in frequent[-most:])


def _pool_postings(
    pool, fieldname: str, docnum: int, positions: dict[str, list[int]], boost: float, fieldboost: float
) -> int:
    """Adds to Whoosh's ``PostingPool`` what ``SegmentWriter.add_document`` adds for a field
    whose analysis gave ``positions`` (``FieldType.index``: the word in UTF-8, its frequency
    times the format's ``boost`` times the document's ``fieldboost``, its positions encoded as
    ``Positions.encode`` does), counting their sizes as ``PostingPool.add`` does, so that the
    pool saves its runs where it would. Returns the field's length (its number of words)."""
    pool.fieldnames.add(fieldname)
    limit, size, current = pool.limit, pool.currentsize, pool.current
    base = 150 + len(fieldname)  # PostingPool.add's estimate, less the word and the value
    length = 0
    for word, found in positions.items():
        n = len(found)
        # a new bytes object for each posting, never a cached one: Whoosh pickles a block's
        # values, and the pickle would refer back to a repeated object instead of repeating it
        deltas = found if n == 1 else [found[0], *(b - a for a, b in pairwise(found))]
        value = pack_uint(n) + pickle.dumps(deltas, 2)
        length += n
        word = word.encode("utf-8")
        size += base + 2 * len(word) + len(value)
        if size > limit:
            pool.currentsize = size
            pool.save()
            size, current = pool.currentsize, pool.current
        current.append((fieldname, word, docnum, float(n) * boost * fieldboost, value))
    pool.currentsize = size
    return length


# -- writing -------------------------------------------------------------------------------


def exists(path: Path) -> bool:
    return index.exists_in(path)


RUN_CHUNK = 2000  # postings per record of a pool's run on disk


class _Runs(PostingPool):
    """Whoosh's posting pool, with its runs (the sorted postings it writes to disk each time
    it holds ``limitmb``, merged in the commit) written as marshalled lists of ``RUN_CHUNK``
    postings, each after its length, and read back a list at a time. Whoosh pickles and
    unpickles each posting with a call of its own (a new unpickler each time): most of a
    commit's CPU once there are runs. The same postings in the same order."""

    def _write_run(self, f, items):
        items = iter(items)
        while chunk := list(islice(items, RUN_CHUNK)):
            data = marshal.dumps(chunk, 2)
            f.write(_RUN_RECORD.pack(len(data)))
            f.write(data)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while head := f.read(_RUN_RECORD.size):
                yield from marshal.loads(f.read(_RUN_RECORD.unpack(head)[0]))
        finally:
            f.close()
            self._remove_run(path)


_RUN_RECORD = struct.Struct("<Q")


class _BulkWriter(SegmentWriter):
    """Whoosh's segment writer, except that it analyses the text fields in one loop each
    (``_analyse``, the same postings as their analyzers' chains of generators, the body's pairs
    made in the body's loop), that its pool writes its runs a list of postings at a time
    (``_Runs``), and that its commit reads each document's field lengths from a list loaded
    once per field rather than from the column file once per posting
    (``W3PerDocReader.doc_field_length``: a seek and an unpack for each of millions of
    postings). The same index, byte for byte (tests/search/test_bulk_analysis.py)."""

    pool_type = _Runs

    def __init__(self, ix, *, limitmb: int = 128, **kwargs):
        # zlib level 1 for the posting blocks, not Whoosh's 3: a tenth less CPU for the whole
        # commit, 4 % more bytes (bench/index_bulk.py); readers decompress either alike.
        super().__init__(ix, codec=W3Codec(compression=1), limitmb=limitmb, **kwargs)
        self.pool = self.pool_type(self._tempstorage, self.newsegment, limitmb=limitmb)
        for name in self.schema.names():
            if getattr(self.schema[name], "analyzer", None) is not None:
                _fast_stems(self.schema[name].analyzer)
        # On the writer, never on the schema, which the index pickles.
        self._plans: dict[str, tuple] = {}
        fields = [self.schema[name] for name in self.schema.names()]
        if not any(field.vector or field.separate_spelling() for field in fields):  # add_document omits both
            plans = {
                name: _plan(field.analyzer)
                for name, field in zip(self.schema.names(), fields, strict=True)
                if field.indexed and type(field.format) is Positions
            }
            pairs = [plan.pairs for plan in plans.values() if plan is not None and plan.pairs is not None]
            for name, plan in plans.items():
                if plan is None:
                    continue
                # a text with breaks gives the pairs too, for the one field of pairs (body, body_pairs)
                common = plan.pairs if plan.pairs is not None else pairs[0] if plan.breaks and len(pairs) == 1 else None
                boost = self.schema[name].format.field_boost
                self._plans[name] = (_lower_stems(plan.stems), plan.breaks, common, plan.pairs is not None, boost)
        self._kept_pairs: tuple = (None, None)  # (text, its pairs' positions) from the last text with breaks

    def add_document(self, **fields):
        if not self._plans:
            super().add_document(**fields)
            return
        # SegmentWriter.add_document (Whoosh 2.7.5), with the postings of the fields of
        # ``_plans`` from ``_analyse`` (no field of the schema has a vector or spelling field).
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        add_post = self.pool.add
        plans = self._plans
        fast_pool = isinstance(self.pool, PostingPool)  # _pool_postings does what its add does

        docboost = self._doc_boost(fields)
        fieldnames = sorted([name for name in fields.keys() if not name.startswith("_")])
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]

                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    plan = plans.get(fieldname)
                    if plan is not None and isinstance(value, str) and fast_pool:
                        stem, breaks, common, pairs_only, boost = plan
                        found = self._positions(value, stem, breaks, common, pairs_only)
                        length = _pool_postings(self.pool, fieldname, docnum, found, boost, fieldboost)
                        if not field.scorable:
                            length = 0
                    else:
                        items = field.index(value)
                        scorable = field.scorable
                        for tbytes, freq, weight, vbytes in items:
                            weight *= fieldboost
                            if scorable:
                                length += freq
                            add_post((fieldname, tbytes, docnum, weight, vbytes))

                customval = fields.get(f"_stored_{fieldname}", value)
                sv = customval if field.stored else None
                perdocwriter.add_field(fieldname, field, sv, length)

                column = field.column_type
                if column and customval is not None:
                    cv = field.to_column_value(customval)
                    perdocwriter.add_column_value(fieldname, column, cv)
        except Exception:
            perdocwriter.cancel_doc()
            raise

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _positions(self, text, stem, breaks, common, pairs_only) -> dict[str, list[int]]:
        if pairs_only:
            kept, pairs = self._kept_pairs
            if pairs is None or (kept is not text and kept != text):
                pairs = _analyse(text, stem, True, common)[1]
            return pairs
        positions, pairs = _analyse(text, stem, breaks, common)
        if breaks:
            self._kept_pairs = (text, pairs)
        return positions

    def per_document_reader(self):
        return _Lengths(super().per_document_reader())


class _Lengths:
    """The per-document reader ``FieldWriter.add_postings`` is given, with its lengths cached."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths: dict[str, list] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            # as W3PerDocReader: a zero byte (no length) reads as None, no column as the default
            lengths = [byte_to_length(b) if b else None for b in column] if column is not None else []
            self._lengths[fieldname] = lengths
        if not lengths:
            return default
        return lengths[docnum]

    def __getattr__(self, name):
        return getattr(self._reader, name)


def create(
    path: Path,
    units: Iterable[Unit],
    common: frozenset[str],
    *,
    procs: int = 1,
    limitmb: int = 256,
    optimize: bool = True,
    multisegment: bool = False,
) -> None:
    """A new index in the empty folder ``path`` holding ``units``, in one compact segment.

    The options are Whoosh's writer's (``bench/index_bulk.py`` measures them): ``procs`` > 1
    is its multiprocessing writer, ``limitmb`` the memory of each writer's posting pool,
    ``multisegment`` keeps one segment per process instead of merging them."""
    ix = index.create_in(path, schema(common))
    # One file per part of a segment: Whoosh copies a part of a compound segment file into
    # memory each time it opens it (150 ms per query at 50,000 sections).
    if procs > 1:
        writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=multisegment, compound=False)
    else:
        writer = _BulkWriter(ix, limitmb=limitmb, compound=False)
    try:
        for unit in units:
            writer.add_document(**unit.fields())
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=optimize)


PART_BATCH = 64  # units sent to a part's writer at once


def create_parts(path: Path, parts: Sequence[Iterable[Unit]], common: frozenset[str], *, limitmb: int = 128) -> None:
    """A new index in the empty folder ``path``: each of ``parts`` written by its own process
    (both cores) into its own segment, the segments kept in the order of the parts.

    The same hits with the same scores as one writer given the parts one after the other: a
    document keeps its number (the segments follow each other), and each segment's field
    lengths are exact sums, so the collection's statistics are those of one segment. (Whoosh's
    ``procs`` writer differs: it deals batches to its processes as they come free, which
    reorders the documents, and merges their segments by re-adding the per-document field
    lengths as stored, rounded to one byte, which moves BM25's average field length by ~0.1 %.)"""
    ix = index.create_in(path, schema(common))
    writer = ix.writer()  # holds the index's lock while the parts are written
    context = multiprocessing.get_context("fork")  # the children inherit the loaded modules
    feeds = [context.Queue(8) for _ in parts]
    results = [context.Queue(1) for _ in parts]
    children = [
        context.Process(target=_write_part, args=(str(path), feed, result, limitmb), daemon=True)
        for feed, result in zip(feeds, results, strict=True)
    ]
    try:
        for child in children:
            child.start()
        sources = [(_batches(part), feed, child) for part, feed, child in zip(parts, feeds, children, strict=True)]
        while sources:  # one batch to each part in turn: both writers keep busy
            for source in list(sources):
                batch = next(source[0], None)
                if batch is None:
                    sources.remove(source)
                    _put(source[1], None, source[2])
                else:
                    _put(source[1], batch, source[2])
        segments = [_get(result, child) for result, child in zip(results, children, strict=True)]
        for child in children:
            child.join()
    except BaseException:
        for child in children:  # our own children, by their handles
            if child.is_alive():
                child.terminate()
        writer.cancel()
        raise
    writer._close_segment()  # the parent wrote nothing itself
    writer._commit_toc([segment for segment in segments if segment is not None])
    writer._finish()


def _batches(units: Iterable[Unit]) -> Iterator[list[dict]]:
    batch = []
    for unit in units:
        batch.append(unit.fields())
        if len(batch) >= PART_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _put(feed, item, child) -> None:
    while True:
        try:
            feed.put(item, timeout=1)
            return
        except queue.Full:
            if not child.is_alive():
                raise RuntimeError(f"an index writer process ended early (exit code {child.exitcode})") from None


def _get(result, child):
    while True:
        try:
            outcome, value = result.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(f"an index writer process ended early (exit code {child.exitcode})") from None
            continue
        if outcome != "ok":
            raise RuntimeError(f"an index writer process failed: {value}")
        return value


def _write_part(path: str, feed, result, limitmb: int) -> None:
    """In a child process: one segment of the documents ``feed`` brings, until None."""
    try:
        writer = _BulkWriter(index.open_dir(path), _lk=False, limitmb=limitmb, compound=False)
        while (batch := feed.get()) is not None:
            for fields in batch:
                writer.add_document(**fields)
        if writer.docnum == 0:
            writer._close_segment()  # no segment; its files go with the parent's commit
            result.put(("ok", None))
            return
        segment = writer._finalize_segment()  # not _finish: the temporary folder is the parent's
        result.put(("ok", segment))
    except BaseException as exc:
        result.put(("error", f"{type(exc).__name__}: {exc}"))
        raise


def write(path: Path, changes: Iterable[tuple[Iterable[str], Iterable[Unit]]]) -> None:
    """For each (deletes, adds) of ``changes`` (one document's, made as the writer asks for
    them): remove the units with the keys ``deletes`` and write ``adds``; all in one commit.
    A delete only ever reaches the segments already written, so the order does not matter."""
    ix = index.open_dir(path)
    writer = ix.writer(limitmb=128, compound=False)
    try:
        for deletes, adds in changes:
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


# -- searching -----------------------------------------------------------------------------


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
        self._in_force_columns: tuple[list[int], list[int]] | None = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()

    def refresh(self) -> None:
        fresh = self._searcher.refresh()
        if fresh is not self._searcher:
            self._searcher, self._filters, self._columns, self._in_force_columns = fresh, {}, None, None

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
        check_limit(limit)
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
            raise unreadable(query, exc) from None
        if parsed is NullQuery:
            raise nothing_to_search(query)
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
        return [_hit(found, words) for found in results]

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
                    raise no_match(option, value, field, (t.decode("utf-8") for t in self._searcher.lexicon(field)))
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
        """The units whose text was in force at ``moment`` (an announced text from its date)."""
        if self._in_force_columns is None:
            reader = self._searcher.reader()
            self._in_force_columns = (
                list(reader.column_reader("in_force_from_n")),
                list(reader.column_reader("in_force_to_n")),
            )
        starts, ends = self._in_force_columns
        return self._cached(
            ("in-force", moment),
            lambda: {n for n, (start, end) in enumerate(zip(starts, ends, strict=False)) if start <= moment < end},
        )

    def _took_effect(self, low: int, high: int) -> set[int]:
        starts, _ = self._dates()
        return self._cached(
            ("took-effect", low, high), lambda: {n for n, start in enumerate(starts) if low <= start < high}
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


# -- the query, as Whoosh reads it -------------------------------------------------------


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


# -- snippets ------------------------------------------------------------------------------

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


def _hit(found, words: set[str] | None) -> Hit:
    fields = found.fields()
    highlighted = None
    if words is not None:
        highlighted = highlight.highlight(
            fields["body"], words, _TEXT, _WholeWordsFragmenter(240, 70), _MarkdownEmphasis(), top=_SNIPPET_FRAGMENTS
        )
    return hit(fields, found.score, highlighted)


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
