"""The pure middle of policywatch: extract → normalize → diff → classify.

No I/O and deterministic output: the same inputs give the same bytes on any machine.

    from diffs import Rules, extract, compare
    page = extract(html_bytes, Rules(select=("#content",)), url=url)
    change = compare(old_version_text, page.markdown)
    change.classification.label     # "substantive" | "minor" | "noise"
"""

from __future__ import annotations

from dataclasses import dataclass

from diffs.classify import Classification, Reason, classify, stated_date
from diffs.diff import Op, diff_stats, diff_texts, render_html, render_text
from diffs.extract import (
    BotWall,
    EmptyPage,
    Extracted,
    ExtractionError,
    InvalidSelector,
    Rules,
    SelectorMatchedNothing,
    extract,
    selector_error,
)
from diffs.normalize import normalize_markdown
from diffs.sections import Section, sections, sections_touched


@dataclass(frozen=True)
class Comparison:
    ops: tuple[Op, ...]
    classification: Classification


def compare(old_text: str, new_text: str) -> Comparison:
    """Diff two versions' texts and classify the change."""
    ops = diff_texts(old_text, new_text)
    return Comparison(ops=tuple(ops), classification=classify(old_text, new_text, ops))


__all__ = [
    "BotWall",
    "Classification",
    "Comparison",
    "EmptyPage",
    "Extracted",
    "ExtractionError",
    "InvalidSelector",
    "Op",
    "Reason",
    "Rules",
    "Section",
    "SelectorMatchedNothing",
    "classify",
    "compare",
    "diff_stats",
    "diff_texts",
    "extract",
    "normalize_markdown",
    "render_html",
    "render_text",
    "sections",
    "sections_touched",
    "selector_error",
    "stated_date",
]
