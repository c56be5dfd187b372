"""Compare two versions of a document: the diff, its moves and its classification, together.

``compare`` is what the recorder stores for a change and what ``policywatch compare`` prints;
``Comparison.as_change`` is the change it describes, and ``Comparison.as_json`` its JSON: the
one shape of a change (``diffs.brief.change_json``) plus what only a comparison knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from diffs.brief import change_json
from diffs.classify import Classification, classify
from diffs.diff import Move, Op, diff_stats, diff_texts, find_moves
from diffs.sections import sections
from kb.models import Change


@dataclass(frozen=True)
class Comparison:
    ops: tuple[Op, ...]
    classification: Classification
    moves: tuple[Move, ...] = ()

    def as_change(self, *, doc_id: str = "", key: str = "", detected_at: str | None = None) -> Change:
        """The change this comparison describes, as the recorder stores it."""
        c = self.classification
        return Change(
            id=0,
            key=key,
            doc_id=doc_id,
            from_version_id=0,
            to_version_id=0,
            detected_at=detected_at or "",
            label=c.label,
            summary=c.summary,
            reasons=c.reasons,
            silent=c.silent,
            ops=self.ops,
            sections=c.sections,
            tags=c.tags,
            effective_date=c.effective_date,
            notice_days=c.notice_days,
            section_changes=tuple(s.text for s in c.section_changes),
            section_details=c.section_changes,
        )

    def as_json(self, **change) -> dict:
        """The change's JSON (``diffs.brief.change_json``), plus the stated dates, the number of
        moved blocks and the diff's statistics."""
        c = self.classification
        return {
            **change_json(self.as_change(**change)),
            "stated_date_old": c.stated_date_old,
            "stated_date_new": c.stated_date_new,
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
