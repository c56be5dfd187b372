"""Compare two versions of a document: the diff, its moves and its classification, together.

``compare`` is what the recorder stores for a change and what ``policywatch compare`` prints;
``Comparison.as_json`` is the JSON both use (documented in ``docs/changes.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from diffs.classify import Classification, classify
from diffs.diff import Move, Op, diff_stats, diff_texts, find_moves
from diffs.sections import sections
from diffs.taxonomy import label_of


@dataclass(frozen=True)
class Comparison:
    ops: tuple[Op, ...]
    classification: Classification
    moves: tuple[Move, ...] = ()

    def as_json(self) -> dict:
        """Plain data for ``--json``: class, reasons, summary, silent, tags, sections, ..."""
        c = self.classification
        return {
            "class": c.label,
            "summary": c.summary,
            "reasons": [{"kind": r.kind, "text": r.text, "section": r.section} for r in c.reasons],
            "silent": c.silent,
            "tags": list(c.tags),
            "tag_labels": [label_of(t) for t in c.tags],
            "effective_date": c.effective_date,
            "notice_days": c.notice_days,
            "stated_date_old": c.stated_date_old,
            "stated_date_new": c.stated_date_new,
            "sections": [
                {"id": s.id, "label": s.label, "changes": s.changes, "text": s.text}
                for s in c.section_changes
            ],
            "moves": len(self.moves),
            "stats": diff_stats(list(self.ops)),
        }


def compare(old_text: str, new_text: str, *, detected_at: str | None = None) -> Comparison:
    """Diff two versions' texts (normalized Markdown) and classify the change.

    ``detected_at``: when the change was first seen (ISO 8601), to state the notice period
    before the effective date the text gives.
    """
    ops = diff_texts(old_text, new_text)
    return Comparison(
        ops=tuple(ops),
        classification=classify(old_text, new_text, ops, detected_at=detected_at),
        moves=tuple(find_moves(ops)),
    )


def section_ids(text: str) -> dict[str, str]:
    """Section label → stable id, for linking a change's sections to the document."""
    return {s.label: s.id for s in sections(text)}
