"""Full-text index of the current documents (the only module importing Whoosh).

The store is the source of truth: the index under ``<home>/index`` can be thrown
away and rebuilt from it at any time. ``sync`` writes only the documents whose
current version moved, in one writer, so a daily run costs what changed.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from whoosh import highlight, index, qparser, scoring
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema

from kb.errors import QueryError
from kb.models import Document, Version

INDEX_DIR = "index"
HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


def schema() -> Schema:
    analyzer = StemmingAnalyzer()
    return Schema(
        doc_id=ID(stored=True, unique=True),
        title=TEXT(stored=True, analyzer=analyzer, field_boost=3.0),
        headings=TEXT(analyzer=analyzer, field_boost=2.0),
        body=TEXT(stored=True, analyzer=analyzer),
        url=STORED,
        marketplace=ID(stored=True),
        doc_type=ID(stored=True),
        version_id=STORED,
        captured_at=STORED,
    )


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    url: str
    marketplace: str
    doc_type: str
    captured_at: str
    score: float
    snippet: str

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SyncReport:
    updated: int
    deleted: int
    total: int


def _open_or_create(home: Path):
    path = Path(home) / INDEX_DIR
    if index.exists_in(path):
        return index.open_dir(path)
    path.mkdir(parents=True, exist_ok=True)
    return index.create_in(path, schema())


def sync(home: Path, documents: list[Document], current: dict[str, Version]) -> SyncReport:
    """Bring the index in line with the store's current versions; write only differences."""
    ix = _open_or_create(home)
    with ix.searcher() as searcher:
        indexed = {f["doc_id"]: f["version_id"] for f in searcher.all_stored_fields()}
    by_id = {d.doc_id: d for d in documents}
    wanted = {doc_id: v for doc_id, v in current.items()
              if doc_id in by_id and by_id[doc_id].status != "gone"}
    stale = [doc_id for doc_id in indexed if doc_id not in wanted]
    fresh = [v for doc_id, v in sorted(wanted.items()) if indexed.get(doc_id) != v.id]
    if stale or fresh:
        writer = ix.writer()
        for doc_id in stale:
            writer.delete_by_term("doc_id", doc_id)
        for version in fresh:
            doc = by_id[version.doc_id]
            writer.update_document(
                doc_id=doc.doc_id, title=doc.title, headings="\n".join(HEADING.findall(version.text)),
                body=version.text, url=doc.url, marketplace=doc.marketplace, doc_type=doc.doc_type,
                version_id=version.id, captured_at=version.captured_at,
            )
        writer.commit()
    return SyncReport(updated=len(fresh), deleted=len(stale), total=len(wanted))


class _MarkdownEmphasis(highlight.Formatter):
    """Marks matched terms as **term**: readable in a terminal, in JSON and in Markdown."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"**{highlight.get_text(text, token, replace)}**"


def search(home: Path, query: str, *, limit: int = 10) -> list[Hit]:
    path = Path(home) / INDEX_DIR
    if not query.strip():
        raise QueryError("empty query", hint='give words to look for, e.g. "late shipment rate"')
    if not index.exists_in(path):
        raise QueryError(f"no search index in {home}",
                         hint="run `policywatch crawl` (or `policywatch demo`) first")
    ix = index.open_dir(path)
    parser = qparser.MultifieldParser(["title", "headings", "body"], ix.schema)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    try:
        parsed = parser.parse(query)
    except Exception as exc:  # whoosh raises several unrelated types for bad syntax
        raise QueryError(f"cannot parse query {query!r}: {exc}") from None
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        results = searcher.search(parsed, limit=limit)
        results.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=70)
        results.formatter = _MarkdownEmphasis()
        hits = []
        for hit in results:
            snippet = hit.highlights("body", top=2) or hit["body"][:200]
            hits.append(Hit(
                doc_id=hit["doc_id"], title=hit["title"], url=hit["url"],
                marketplace=hit["marketplace"], doc_type=hit["doc_type"],
                captured_at=hit["captured_at"], score=round(hit.score, 4),
                snippet=" ".join(snippet.split()),
            ))
    return hits
