"""The pure middle of policywatch: extract → normalize → diff → classify.

No I/O and deterministic output: the same inputs give the same bytes on any machine.

    from diffs import Rules, extract, compare
    page = extract(html_bytes, Rules(select=("#content",)), url=url)
    change = compare(old_version_text, page.markdown, detected_at="2026-08-24T06:00:00Z")
    change.classification.label     # "substantive" | "minor" | "noise"
    change.classification.summary   # "Late shipment rate target lowered from 4% to 3%; ..."

``EXTRACTOR_VERSION`` names the extraction and normalization rules: bump it whenever they change
what a page extracts to, so stored versions say which rules made them (``policywatch reextract``
rebuilds them).
"""

from __future__ import annotations

from diffs.classify import KINDS, Classification, Reason, SectionChange, classify, stated_date
from diffs.compare import Comparison, compare
from diffs.diff import Move, Op, diff_stats, diff_texts, find_moves, render_html, render_text
from diffs.extract import (
    EXTRACTOR_VERSION,
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
from diffs.taxonomy import WORKFLOWS, tags_for

__all__ = [
    "EXTRACTOR_VERSION",
    "KINDS",
    "WORKFLOWS",
    "BotWall",
    "Classification",
    "Comparison",
    "EmptyPage",
    "Extracted",
    "ExtractionError",
    "InvalidSelector",
    "Move",
    "Op",
    "Reason",
    "Rules",
    "Section",
    "SectionChange",
    "SelectorMatchedNothing",
    "classify",
    "compare",
    "diff_stats",
    "diff_texts",
    "extract",
    "find_moves",
    "normalize_markdown",
    "render_html",
    "render_text",
    "sections",
    "sections_touched",
    "selector_error",
    "stated_date",
    "tags_for",
]
