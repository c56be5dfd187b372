"""When a phrase first appeared in, and disappeared from, each document.

The index holds every section of every version with its interval, so a phrase query over the
whole history finds them; the store adds when the document was last seen with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.errors import QueryError
from kb.models import GOOD_OUTCOMES
from kb.search import Hit, search
from kb.store import Store
from kb.timeline import merge_spans


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
            "doc_id": self.doc_id,
            "title": self.title,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "disappeared_at": self.disappeared_at,
            "present_now": self.present_now,
            "spans": [{"from": start, "to": end} for start, end in self.spans],
            "sections": list(self.sections),
        }


def when(
    home: Path, phrase: str, *, source: str | None = None, doc: str | None = None, doc_type: str | None = None
) -> list[PhraseHistory]:
    """For each document that ever contained ``phrase`` (matched as a phrase query, with the
    search's stemming), when it first appeared, whether it disappeared, and when.
    Documents are ordered by first appearance."""
    words = " ".join(phrase.replace('"', " ").split())
    if not words:
        raise QueryError("empty phrase", hint='give the words to look for, e.g. "late shipment rate"')
    hits = search(
        home, f'"{words}"', limit=None, history=True, snippets=False, source=source, doc=doc, doc_type=doc_type
    )
    by_doc: dict[str, list[Hit]] = {}
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
                seen = [
                    c.checked_at
                    for c in store.checks(doc_id)
                    if c.outcome in GOOD_OUTCOMES and c.checked_at < disappeared
                ]
                last_seen = max(seen) if seen else None
            labels = tuple(dict.fromkeys(h.section for h in sorted(found, key=lambda h: h.valid_from) if h.section))
            result.append(
                PhraseHistory(
                    doc_id=doc_id,
                    title=document.title,
                    first_seen=spans[0][0],
                    last_seen=last_seen,
                    disappeared_at=disappeared,
                    present_now=present,
                    spans=tuple(spans),
                    sections=labels,
                )
            )
    result.sort(key=lambda p: (p.first_seen, p.doc_id))
    return result
