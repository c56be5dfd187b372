"""The rules at a glance: a page per marketplace listing its quantified rules by subject (value,
window, source quote, since when, and each rule's history), a comparison page across
marketplaces (a subject a row, a marketplace a column), and ``rules.csv`` / ``rules.json``
with every value of every rule (the fields of ``policywatch rules --json``). The pages are
bounded by subjects and their values, not by documents: a subject's most stated current values
with the number of documents stating each, and its latest changes (``VALUES_SHOWN``,
``HISTORY_SHOWN``); the downloads hold every value.

Page building from a ``PublishInput``: the rules come from ``diffs.rulebook`` over every
stored version. A version's quantified rules are a pure function of its text and of the code
that reads them (``diffs.quantified``), so they are computed once per text and kept in the
data's ``derived`` values (``kb.store.derived``) by the text's sha256 and ``rules_code()``: a
publish reads the texts of the versions it has not seen only. Pages are ``rules/index.md`` and
``rules/<marketplace>.md``; a rule's history is ``#history-<subject>`` on its marketplace's page.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import functools
import hashlib
import heapq
import io
import json
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from html import escape
from pathlib import Path
from typing import NamedTuple

import diffs
from diffs.quantified import QuantifiedRule, quantified_rules
from diffs.rulebook import RuleSpan, rule_spans
from diffs.sections import slugify
from kb.models import Document, PublishInput, Version
from kb.publish.fragments import front_matter, link, utc_time
from kb.publish.sanitize import safe_title
from kb.publish.urls import check_segments, document_page, href, page_url
from kb.workers import WorkerPool

RULES_INDEX = "rules/index.md"
RULES_CSV = "rules.csv"
RULES_JSON = "rules.json"
QUOTE_LIMIT = 240  # characters of a quote on a page (the downloads hold it whole)
# What a page shows is bounded by subjects and values, not by documents (a help centre of
# thousands of pages states hundreds of thousands of values): the downloads hold every one.
VALUES_SHOWN = 10  # a subject's current values on its marketplace's page, most stated first
CELL_VALUES = 3  # a subject's values in a cell of the comparison
HISTORY_SHOWN = 30  # a subject's latest changes on its marketplace's page
DOCS_NAMED = 5  # documents named beside a value that several state
CSV_FIELDS = (
    "doc_id", "source", "marketplace", "section", "section_id", "subject", "subject_label", "comparison",
    "value", "low", "unit", "kind", "display_value", "written", "window", "condition", "deadline", "quote",
    "passage", "language", "captured_at", "in_force_from", "in_force_basis", "valid_until", "ended",
    "current", "version_id", "last_version_id", "previous",
)  # fmt: skip


def marketplace_rules_md(marketplace: str) -> str:
    return f"rules/{check_segments(marketplace, 'marketplace')}.md"


def history_anchor(subject: str) -> str:
    return "history-" + slugify(subject)


RULES_KIND = "quantified-rules"  # the kind of derived value (kb.store.derived)
RULES_FORMAT = 2  # how a text's rules are kept (``_kept``): bump it when that changes
_KEEP_BATCH = 500  # texts whose rules are kept in one write


@functools.cache
def rules_code() -> str:
    """The code a text's rules depend on: ``RULES_FORMAT`` and every module of ``diffs``
    (``diffs.quantified`` and what it reads: numbers, passages, sections, the lexicons).
    Any change to them makes the kept rules stale, and they are computed again."""
    digest = hashlib.sha256(f"{RULES_KIND} {RULES_FORMAT}\n".encode())
    root = Path(diffs.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


_RULE_FIELDS = tuple(f.name for f in dataclasses.fields(QuantifiedRule))  # scalars, all of them


def _kept(rules: Sequence[QuantifiedRule]) -> str:
    """The rules as JSON: a list of their fields' values, in the order of the fields (read
    back positionally: three times faster than by name)."""
    return json.dumps(
        [_RULE_FIELDS, *([getattr(r, name) for name in _RULE_FIELDS] for r in rules)],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _unkept(value: str) -> tuple[QuantifiedRule, ...] | None:
    """The rules kept by ``_kept``; None if they were kept with other fields."""
    fields, *rows = json.loads(value)
    if tuple(fields) != _RULE_FIELDS:
        return None
    return tuple(QuantifiedRule(*row) for row in rows)


class _Rulebook:
    """The quantified rules of the data's versions by text sha256: kept ones read, others
    computed from their texts and kept. With a ``pool``, ``ahead`` starts computing in its
    workers the rules that ``of`` will be asked for next (both cores on a first publish)."""

    def __init__(self, data: PublishInput, pool: WorkerPool | None = None) -> None:
        self.data = data
        self.pool = pool
        self.pending: dict[str, str] = {}  # computed, not written yet
        self.started: dict[str, Future | None] = {}  # by ``ahead``: for ``of``

    def ahead(self, versions: Sequence[Version]) -> None:
        """Start computing, in the pool's workers, the rules of ``versions`` that are not kept."""
        if self.pool is None or self.pool.broken:
            return
        wanted = {v.text_sha256: v for v in versions if v.text_sha256 not in self.started}
        for sha in wanted.keys() - self._read(wanted).keys():
            self.started[sha] = self.pool.start(quantified_rules, self.data.text(wanted[sha]))

    def of(self, versions: Sequence[Version]) -> dict[str, tuple[QuantifiedRule, ...]]:
        wanted = {v.text_sha256: v for v in versions}
        found = self._read({sha: v for sha, v in wanted.items() if sha not in self.started})
        for sha, version in wanted.items():
            if sha in found:
                continue
            rules = self.pool.outcome(self.started.pop(sha)) if sha in self.started else None
            if rules is None:  # not started, or its worker was lost: computed here
                rules = quantified_rules(self.data.text(version))
            found[sha] = rules
            if self.data.derived is not None:
                self.pending[sha] = _kept(rules)
        if len(self.pending) >= _KEEP_BATCH:
            self.flush()
        return found

    def _read(self, wanted: dict[str, Version]) -> dict[str, tuple[QuantifiedRule, ...]]:
        """The kept rules of ``wanted`` (those kept with the current fields)."""
        keep = self.data.derived
        if keep is None or not wanted:
            return {}
        found = {sha: _unkept(value) for sha, value in keep.get(RULES_KIND, rules_code(), wanted).items()}
        return {sha: rules for sha, rules in found.items() if rules is not None}

    def flush(self) -> None:
        if self.data.derived is not None and self.pending:
            self.data.derived.put(RULES_KIND, rules_code(), self.pending)
        self.pending = {}


def document_spans(data: PublishInput) -> Iterator[list[RuleSpan]]:
    """Every value of every rule of each document, a document at a time (by id)."""
    yield from _spans_of(data, None)


def all_spans(data: PublishInput) -> list[RuleSpan]:
    """Every value of every rule of every document, by document."""
    return [span for spans in document_spans(data) for span in spans]


def rule_files(data: PublishInput) -> Iterator[tuple[str, Iterable[bytes]]]:
    """(path under site-src, its bytes in pieces) of the rules pages and downloads.

    The downloads list every value of every rule: hundreds per document, so for thousands of
    documents far more than a publish may hold (a span is about 1.4 KB in memory). One pass over
    the documents, one at a time, writes their rows in their final order to files on disk and
    keeps what the pages show (``_Rules``); the files are then read back, a piece at a time.
    What a document brings to them (``_summary``) is kept in the derived values, keyed by what
    it depends on: a publish computes it again for the documents that changed only."""
    marketplaces = sorted({d.marketplace for d in data.documents})
    with tempfile.TemporaryDirectory(prefix="policywatch-rules-") as tmp:
        rules = _Rules(Path(tmp))
        for summary in _document_summaries(data):
            rules.add(summary)
        rules.close()
        rules.resolve(lambda doc_ids: {spans[0].doc_id: spans for spans in _spans_of(data, doc_ids) if spans})
        yield f"docs/{RULES_INDEX}", _lines(rules.comparison_page(marketplaces))
        for marketplace in marketplaces:
            yield f"docs/{marketplace_rules_md(marketplace)}", _lines(rules.marketplace_page(marketplace))
        yield f"docs/{RULES_CSV}", _read(rules.csv_path)
        yield f"docs/{RULES_JSON}", _read(rules.json_path)


FILES_KIND = "rule-files"  # the derived value of a document's part of the rules files
FILES_FORMAT = 1  # how it is kept (``_summary``): bump it when that changes
_SUMMARY_BATCH = 50  # documents whose summaries are read or kept at once
# Documents of a batch to compute from which their rules are computed in worker processes:
# a worker costs about half a second to start, a document's rules some 60 ms (bench corpus).
PARALLEL_FROM = 10


@functools.cache
def files_code() -> str:
    """The code a document's part of the rules files depends on: its rules (``rules_code``)
    and the modules that render them."""
    digest = hashlib.sha256(f"{FILES_KIND} {FILES_FORMAT} {rules_code()}\n".encode())
    for module in ("rules_pages", "fragments", "urls", "sanitize"):
        digest.update(Path(__file__).with_name(f"{module}.py").read_bytes())
    return digest.hexdigest()


def _input_digest(doc: Document, versions: Sequence[Version], changes: Sequence) -> str:
    """What ``rule_spans`` reads of a document: a digest, so that a kept summary is used only
    for the same document, versions and changes."""
    return hashlib.sha256(
        json.dumps(
            [
                doc.doc_id,
                doc.marketplace,
                doc.status,
                sorted((v.id, v.captured_at, v.text_sha256) for v in versions),
                sorted(repr(c) for c in changes),
            ]
        ).encode()
    ).hexdigest()


def _grouped(data: PublishInput) -> tuple[dict, dict]:
    versions = defaultdict(list)
    for version in data.versions.values():
        versions[version.doc_id].append(version)
    changes = defaultdict(list)
    for change in data.changes:
        changes[change.doc_id].append(change)
    return versions, changes


def _spans_of(data: PublishInput, doc_ids: set[str] | None) -> Iterator[list[RuleSpan]]:
    """The spans of the documents ``doc_ids`` (all if None), a document at a time, by id."""
    versions, changes = _grouped(data)
    rulebook = _Rulebook(data)
    for doc in sorted((d for d in data.documents if doc_ids is None or d.doc_id in doc_ids), key=lambda d: d.doc_id):
        yield _spans(rulebook, doc, versions.get(doc.doc_id, ()), changes.get(doc.doc_id, ()))
    rulebook.flush()


def _spans(rulebook: _Rulebook, doc: Document, versions: Sequence[Version], changes: Sequence) -> list[RuleSpan]:
    rules = rulebook.of(versions)
    return rule_spans(doc, versions, changes, rules_of=lambda v: rules[v.text_sha256])


def _document_summaries(data: PublishInput) -> Iterator[dict]:
    """Each document's ``_summary``, by document id: kept ones read, others computed and kept.

    A batch with many documents to compute (a first publish, a new version of the rules'
    code) has their texts' rules computed in worker processes, started a batch ahead, while
    this process makes the previous batch's summaries: both cores work."""
    versions, changes = _grouped(data)
    keep = data.derived
    documents = sorted(data.documents, key=lambda d: d.doc_id)
    with WorkerPool() as pool:
        rulebook = _Rulebook(data, pool)

        def planned(batch: list[Document]) -> tuple[list[Document], dict[str, str], dict[str, str]]:
            digests = {d.doc_id: _input_digest(d, versions.get(d.doc_id, ()), changes.get(d.doc_id, ())) for d in batch}
            kept = {} if keep is None else keep.get(FILES_KIND, files_code(), digests)
            todo = [d for d in batch if not kept.get(d.doc_id, "").startswith(digests[d.doc_id] + "\n")]
            if len(todo) >= PARALLEL_FROM:
                rulebook.ahead([v for d in todo for v in versions.get(d.doc_id, ())])
            return batch, digests, kept

        ahead = None
        for start in range(0, len(documents) + _SUMMARY_BATCH, _SUMMARY_BATCH):
            batch = documents[start : start + _SUMMARY_BATCH]
            current, ahead = ahead, planned(batch) if batch else None
            if current is not None:
                yield from _batch_summaries(rulebook, current, versions, changes)
        rulebook.flush()


def _batch_summaries(rulebook: _Rulebook, planned: tuple, versions: dict, changes: dict) -> Iterator[dict]:
    batch, digests, kept = planned
    keep = rulebook.data.derived
    pending = {}
    for doc in batch:
        found = kept.get(doc.doc_id)
        digest = digests[doc.doc_id]
        if found is not None and found.startswith(digest + "\n"):
            yield json.loads(zlib.decompress(base64.b64decode(found[len(digest) + 1 :])))
            continue
        mine = versions.get(doc.doc_id, ())
        spans = _spans(rulebook, doc, mine, changes.get(doc.doc_id, ()))
        first = min(mine, key=lambda v: (v.captured_at, v.id)).id if mine else None
        summary = _summary(doc, spans, first)
        if keep is not None:
            packed = zlib.compress(json.dumps(summary, ensure_ascii=False).encode("utf-8"), 1)
            pending[doc.doc_id] = digest + "\n" + base64.b64encode(packed).decode("ascii")
        yield summary
    if keep is not None and pending:
        keep.put(FILES_KIND, files_code(), pending)


def _summary(doc: Document, spans: list[RuleSpan], first_version_id: int | None) -> dict:
    """What one document brings to the rules files, as JSON data: its rows of the downloads,
    the values its latest version states and its changes of values (a value it stated from
    its first version on and still states is no change)."""
    csv_rows = io.StringIO()
    writer = csv.DictWriter(csv_rows, fieldnames=CSV_FIELDS, lineterminator="\n")
    for span in spans:
        writer.writerow({k: ("" if v is None else v) for k, v in _row(span).items() if k in CSV_FIELDS})
    changed = [
        [
            span.in_force_from,
            span.captured_at,
            span.rule.subject,
            span.rule.subject_label,
            _row_html(_history_row(span)),
        ]
        for span in sorted(spans, key=lambda s: (s.rule.condition, s.in_force_from))
        if span.previous is not None or span.ended or span.version_id != first_version_id
    ]
    stated = [
        [s.rule.subject, s.rule.subject_label, s.rule.display_value, s.rule.window, s.rule.condition, s.in_force_from]
        for s in _current_in_order(spans)
    ]
    return {
        "doc_id": doc.doc_id,
        "marketplace": doc.marketplace,
        "json": ",\n ".join(span_json(span) for span in spans),
        "csv": csv_rows.getvalue(),
        "stated": stated,
        "changed": changed,
    }


def _lines(lines: Iterable[str]) -> Iterator[bytes]:
    """``"\n".join(lines)`` in UTF-8, in pieces of about 1 MB."""
    piece: list[str] = []
    size = 0
    for n, line in enumerate(lines):
        piece.append(line if n == 0 else "\n" + line)
        size += len(line)
        if size > _PIECE:
            yield "".join(piece).encode("utf-8")
            piece, size = [], 0
    yield "".join(piece).encode("utf-8")


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(_PIECE):
            yield piece


_PIECE = 1 << 20


class _Stated(NamedTuple):
    """A value that a document's latest version states (``_summary``'s "stated")."""

    subject: str
    label: str
    display_value: str
    window: str
    condition: str
    in_force_from: str


class _Value:
    """One value of a subject (with its window and condition) that the latest versions of a
    marketplace's documents state: the first document's statement (documents come in id order),
    how many documents state it, and the first few of them."""

    __slots__ = ("first", "first_doc", "span", "documents", "named", "earliest", "_last_doc")

    def __init__(self, doc_id: str, first: _Stated) -> None:
        self.first = first
        self.first_doc = doc_id
        self.span: RuleSpan | None = None  # the first document's, once resolved (``_Rules.resolve``)
        self.documents = 0
        self.named: list[str] = []  # the first ``DOCS_NAMED`` documents after the quoted one
        self.earliest = first.in_force_from
        self._last_doc = ""

    def add(self, doc_id: str, stated: _Stated) -> None:
        self.earliest = min(self.earliest, stated.in_force_from)
        if doc_id != self._last_doc:  # a document may state the same value twice
            self._last_doc = doc_id
            self.documents += 1
            if doc_id != self.first_doc and len(self.named) < DOCS_NAMED:
                self.named.append(doc_id)

    def order(self) -> tuple:
        first = self.first
        return (-self.documents, first.condition, first.display_value, first.window)


class _Subject:
    """One subject on one marketplace's page: its current values, and the latest changes of
    its values (``HISTORY_SHOWN`` of them: a heap of the newest, with the count of all)."""

    __slots__ = ("label", "anchor", "values", "changes", "changed", "_seq")

    def __init__(self, subject: str, label: str) -> None:
        self.label = label  # of the first value in the documents' order
        self.anchor = history_anchor(subject)
        self.values: dict[tuple, _Value] = {}
        self.changes: list[tuple] = []  # (start, seq, row html), the newest HISTORY_SHOWN
        self.changed = 0
        self._seq = 0

    def add_current(self, doc_id: str, stated: _Stated) -> None:
        key = (stated.display_value, stated.window, stated.condition)
        if key not in self.values:
            self.values[key] = _Value(doc_id, stated)
        self.values[key].add(doc_id, stated)

    def add_change(self, start: str, captured: str, row: str) -> None:
        self.changed += 1
        self._seq += 1
        item = ((start, captured), self._seq, row)
        if len(self.changes) < HISTORY_SHOWN:
            heapq.heappush(self.changes, item)
        else:
            heapq.heappushpop(self.changes, item)

    def shown_values(self) -> list[_Value]:
        return sorted(self.values.values(), key=_Value.order)


class _Rules:
    """What the rules files hold, a document at a time (``_summary``): the downloads' rows
    written to files in their final order (documents come in id order), and for the pages only
    what they show, which is bounded by the subjects and their distinct values, not by the
    documents: each subject's current values with the number of documents stating them, and
    its latest changes."""

    def __init__(self, folder: Path) -> None:
        self.json_path = folder / "rules.json"
        self.csv_path = folder / "rules.csv"
        self._json = self.json_path.open("wb")
        self._json_first = True
        self._csv = self.csv_path.open("w", encoding="utf-8", newline="")
        self._csv.write(",".join(CSV_FIELDS) + "\n")
        self.subjects: dict[str, dict[str, _Subject]] = defaultdict(dict)  # marketplace → subject → rows
        self.current_count: dict[str, int] = defaultdict(int)  # marketplace → current rules
        self.documents: dict[str, int] = defaultdict(int)  # marketplace → documents stating a rule

    def add(self, summary: dict) -> None:
        if summary["json"]:
            self._json.write(("[\n " if self._json_first else ",\n ").encode("utf-8") + summary["json"].encode("utf-8"))
            self._json_first = False
        self._csv.write(summary["csv"])
        doc_id, mine = summary["doc_id"], self.subjects[summary["marketplace"]]
        for start, captured, subject, label, row in summary["changed"]:
            if subject not in mine:
                mine[subject] = _Subject(subject, label)
            mine[subject].add_change(start, captured, row)
        for entry in summary["stated"]:
            stated = _Stated(*entry)
            if stated.subject not in mine:
                mine[stated.subject] = _Subject(stated.subject, stated.label)
            mine[stated.subject].add_current(doc_id, stated)
        if summary["stated"]:
            self.current_count[summary["marketplace"]] += len(summary["stated"])
            self.documents[summary["marketplace"]] += 1

    def close(self) -> None:
        self._json.write(b"[]\n" if self._json_first else b"\n]\n")
        self._json.close()
        self._csv.close()

    def resolve(self, spans_of: Callable[[set[str]], dict[str, list[RuleSpan]]]) -> None:
        """The spans of the values a page quotes (the first document's of each value shown),
        from their documents' spans: a few documents, computed again."""
        shown = [
            value
            for subjects in self.subjects.values()
            for rows in subjects.values()
            for value in rows.shown_values()[:VALUES_SHOWN]
        ]
        spans = spans_of({value.first_doc for value in shown})
        firsts: dict[str, dict[tuple, RuleSpan]] = {}  # document → value → its first span
        for doc_id, mine in spans.items():
            found = firsts[doc_id] = {}
            for s in _current_in_order(mine):
                found.setdefault((s.rule.subject, s.rule.display_value, s.rule.window, s.rule.condition), s)
        for value in shown:
            first = value.first
            value.span = firsts[value.first_doc][(first.subject, first.display_value, first.window, first.condition)]

    def comparison_page(self, marketplaces: list[str]) -> Iterator[str]:
        page = RULES_INDEX
        cells: dict[str, dict[str, _Subject]] = defaultdict(dict)  # subject → marketplace → its values
        for marketplace, subjects in self.subjects.items():
            for subject, rows in subjects.items():
                if rows.values:
                    cells[subject][marketplace] = rows
        # Subjects several marketplaces share first: that is what a comparison is for.
        subjects = sorted(cells, key=lambda s: (-len(cells[s]), s))
        pages = " · ".join(link(href(page, page_url(marketplace_rules_md(m))), escape(m)) for m in marketplaces)
        total = sum(self.current_count.values())
        yield from front_matter("Rules at a glance", pw_kind="rules")
        yield from [
            "<h1>Rules at a glance</h1>",
            "",
            (
                "<p>The thresholds, deadlines, fees and limits that the latest version of each document states, "
                "one subject a row, one marketplace a column, the values most documents state first. "
                f"A value links to its history. {_count(len(subjects), 'subject')}, {_count(total, 'rule')}.</p>"
            ),
            "",
            f"<p>By marketplace: {pages or '—'}</p>",
            "",
            f"<p>{_downloads(page)}</p>",
            "",
        ]
        if not subjects:
            yield from ["<p>No quantified rule found in the documents yet.</p>", ""]
            return
        rows = (self._comparison_row(page, subject, cells[subject], marketplaces) for subject in subjects)
        yield from _table_lines("pw-rules-compare", ("Subject", *marketplaces), rows)
        yield ""

    def _comparison_row(self, page: str, subject: str, cells: dict[str, _Subject], marketplaces: list[str]) -> str:
        row = [escape(cells[min(cells)].label)]
        for marketplace in marketplaces:
            found = cells.get(marketplace)
            if found is None:
                row.append("—")
                continue
            values = found.shown_values()
            shown = [
                _cell_value(v.first.display_value, v.first.window)
                + (f" <small>[{escape(v.first.condition)}]</small>" if v.first.condition else "")
                + (f" <small>· {v.documents} documents</small>" if v.documents > 1 else "")
                for v in values[:CELL_VALUES]
            ]
            if len(values) > CELL_VALUES:
                shown.append(f"<small>+ {_count(len(values) - CELL_VALUES, 'other value')}</small>")
            target = href(page, page_url(marketplace_rules_md(marketplace)) + f"#{found.anchor}")
            row.append(link(target, "<br>".join(shown)))
        return _row_html(row)

    def marketplace_page(self, marketplace: str) -> Iterator[str]:
        page = marketplace_rules_md(marketplace)
        subjects = self.subjects.get(marketplace, {})
        count = self.current_count.get(marketplace, 0)
        yield from front_matter(f"Rules: {safe_title(marketplace)}", pw_kind="rules")
        yield from [
            f"<h1>Rules of {escape(marketplace)}</h1>",
            "",
            (
                f"<p>{_count(count, 'quantified rule')} stated by the latest versions of "
                f"{_count(self.documents.get(marketplace, 0), 'document')} of {escape(marketplace)}, "
                "by subject; a value several documents state is quoted from the first of them. "
                "“Since” is when the value took effect: the date the text gives for it when it is later "
                f"than the capture, else the capture. {link(href(page, page_url(RULES_INDEX)), 'All marketplaces')}.</p>"
            ),
            "",
            f"<p>{_downloads(page)}</p>",
            "",
        ]
        if count:
            rows = (row for subject in sorted(subjects) for row in _value_rows(page, subjects[subject]))
            yield from _table_lines("pw-rules", ("Subject", "Value", "Source", "Since", ""), rows)
            yield ""
        else:
            yield from ["<p>No quantified rule found in these documents yet.</p>", ""]
        yield from [
            "## History",
            "",
            (
                "<p>Each subject's values that changed, came or went after a document was first captured, "
                f"the latest {HISTORY_SHOWN} of them; the downloads hold every value.</p>"
            ),
            "",
        ]
        for subject in sorted(subjects):
            rows = subjects[subject]
            yield from [f'<h3 id="{escape(rows.anchor)}">{escape(rows.label)}</h3>', ""]
            if not rows.changed:
                yield from ["<p>No value changed since the documents were first captured.</p>", ""]
                continue
            if rows.changed > len(rows.changes):
                earlier = _count(rows.changed - len(rows.changes), "earlier value")
                yield from [f"<p>The latest {len(rows.changes)} of {rows.changed}; {earlier} in the downloads.</p>", ""]
            history = (row for *_, row in sorted(rows.changes))
            yield from _table_lines(
                "pw-rule-history", ("Value", "Captured", "In force from", "Until", "Document"), history
            )
            yield ""


def _value_rows(page: str, subject: _Subject) -> Iterator[str]:
    values = subject.shown_values()
    for value in values[:VALUES_SHOWN]:
        yield _row_html(_current_row(value))
    if len(values) > VALUES_SHOWN:
        rest = values[VALUES_SHOWN:]
        documents = _count(sum(v.documents for v in rest), "statement")
        note = f"{_count(len(rest), 'other value')} ({documents}): every one is in the downloads"
        yield _row_html(
            [escape(subject.label), f"<small>{note}</small>", "", "", link(f"#{subject.anchor}", "history")]
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _table_lines(css_class: str, headers: Iterable[str], rows: Iterable[str]) -> Iterator[str]:
    """``fragments.table`` a line at a time, its rows already HTML (``_row_html``)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    yield from [f'<div class="pw-table {css_class}">', "<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    yield from rows
    yield from ["</tbody>", "</table>", "</div>"]


def _row_html(cells: Iterable[str]) -> str:
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _current_row(value: _Value) -> list[str]:
    span = value.span
    page = marketplace_rules_md(span.marketplace)
    rule = span.rule
    doc = link(href(page, document_page(span.doc_id)), escape(span.doc_id.split("/", 1)[-1]))
    condition = f"<br><small>{escape(rule.condition)}</small>" if rule.condition else ""
    source = _quote(rule.quote) + f"<br><small>{doc} · {escape(rule.section or 'top of the page')}</small>"
    since = _since(span)
    if value.documents > 1:
        others = ", ".join(link(href(page, document_page(d)), escape(d.split("/", 1)[-1])) for d in value.named)
        more = value.documents - 1 - len(value.named)
        source += f"<br><small>Also stated by {others}" + (f" and {_count(more, 'other document')}" if more else "")
        source += "</small>"
        since = f"{utc_time(value.earliest)} <small>(the earliest of {value.documents} documents)</small>"
    return [
        escape(rule.subject_label) + condition,
        _cell_value(rule.display_value, rule.window)
        + (f"<br><small>{value.documents} documents</small>" if value.documents > 1 else ""),
        source,
        since,
        link(f"#{history_anchor(rule.subject)}", "history"),
    ]


def _history_row(s: RuleSpan) -> list[str]:
    page = marketplace_rules_md(s.marketplace)
    return [
        escape(s.rule.display_value) + (f"<br><small>{escape(s.rule.condition)}</small>" if s.rule.condition else ""),
        utc_time(s.captured_at),
        _since(s),
        utc_time(s.valid_until) + (f" ({escape(s.ended)})" if s.ended else "") if s.valid_until else "no end yet",
        link(href(page, document_page(s.doc_id)), escape(s.doc_id)),
    ]


def nav(marketplaces: list[str]) -> dict:
    """The site navigation's "Rules" section."""
    return {"Rules": [{"At a glance": RULES_INDEX}, *({safe_title(m): marketplace_rules_md(m)} for m in marketplaces)]}


def _current(spans: list[RuleSpan]) -> list[RuleSpan]:
    return [s for s in spans if s.current]  # a gone document's last rules are in its history only


def _current_in_order(spans: list[RuleSpan]) -> list[RuleSpan]:
    """A document's current spans in the pages' order (``_summary`` and ``_Rules.resolve``
    must agree on it: the first of equal values is the one quoted)."""
    return sorted(_current(spans), key=lambda s: (s.rule.subject, s.rule.condition))


def _cell_value(display_value: str, window: str) -> str:
    window = f' <span class="pw-rule-window">({escape(window)})</span>' if window else ""
    return f"<strong>{escape(display_value)}</strong>{window}"


def _since(span: RuleSpan) -> str:
    since = utc_time(span.in_force_from)
    if span.in_force_basis != "captured":
        since += f" <small>({escape(span.in_force_basis)}; captured {utc_time(span.captured_at)})</small>"
    return since


def _quote(text: str) -> str:
    short = text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"
    return f"<q>{escape(short)}</q>"


def _downloads(page: str) -> str:
    return (
        f"Download every value of every rule: {link(href(page, RULES_CSV), 'rules.csv')} · "
        f"{link(href(page, RULES_JSON), 'rules.json')}"
    )


def _row(span: RuleSpan) -> dict:
    row = span.as_json()
    row["previous"] = row["previous"]["display_value"] if row["previous"] else ""
    return row


_ITEM = json.JSONEncoder(ensure_ascii=False, separators=(",\n  ", ": ")).encode  # a span's fields, one a line
_PREVIOUS = json.JSONEncoder(ensure_ascii=False, separators=(",\n   ", ": ")).encode  # "previous", one deeper


def span_json(span: RuleSpan) -> str:
    """One span as ``json.dumps(…, indent=1)`` writes it inside the top-level list: its fields
    are scalars but ``previous`` (the last one), a flat object or null."""
    fields = span.as_json()
    previous = fields.pop("previous")
    tail = "null" if previous is None else "{\n   " + _PREVIOUS(previous)[1:-1] + "\n  }"
    return "{\n  " + _ITEM(fields)[1:-1] + ',\n  "previous": ' + tail + "\n }"
