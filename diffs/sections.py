"""Headings of a Markdown document, and which of them a change falls under.

A section runs from its heading to the next heading of any level; its ``path`` is the chain of
enclosing headings, so a change is labelled by its innermost heading with its parents
("Customer metrics › Late shipment rate"). Besides ATX and setext headings, a line that is
nothing but short bold text (``**General Terms**``) counts as a heading one level below ``######``:
many policy pages style their headings that way.

``diff_by_section`` cuts a diff at the headings of the new text, for showing it section by
section.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from diffs.dates import DATE
from diffs.diff import DELETE, EQUAL, INSERT, Op, diff_texts

SEPARATOR = " › "
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BOLD_LINE = re.compile(r"^ {0,3}\*\*([^*\n]{1,100})\*\*[ \t]*$")
_BOLD_LEVEL = 7
_INLINE_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`]+")


@dataclass(frozen=True)
class Section:
    id: str  # slug path, e.g. "customer-metrics/late-shipment-rate"; unique in the document
    title: str
    path: tuple[str, ...]  # titles of the enclosing headings, outermost first, ending with title
    start: int  # offset of the heading line
    end: int  # offset where the next heading starts (or the end of the text)

    @property
    def label(self) -> str:
        return SEPARATOR.join(self.path)


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "section"


def _heading_text(raw: str) -> str:
    text = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", raw)
    text = re.sub(r"\\([^\w\s])", r"\1", text)  # "1\\. Enrolment" reads "1. Enrolment"
    return " ".join(text.split())


def _headings(md: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of each heading, in order."""
    found = []
    offset = 0
    lines = md.splitlines(keepends=True)
    previous_blank = True
    for i, line in enumerate(lines):
        text = line.rstrip("\n")
        atx = _ATX.match(text)
        bold = _BOLD_LINE.match(text)
        if atx:
            found.append((offset, len(atx.group(1)), _heading_text(atx.group(2))))
        elif bold and previous_blank and not DATE.search(bold.group(1)):
            # "**Last updated: May 3, 2021**" is a date line, not a heading.
            found.append((offset, _BOLD_LEVEL, _heading_text(bold.group(1))))
        elif (
            text.strip()
            and previous_blank
            and i + 1 < len(lines)
            and _SETEXT.match(lines[i + 1].rstrip("\n"))
            and not re.match(r"^\s*([-*+>|]|\d+[.)])", text)
        ):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            found.append((offset, level, _heading_text(text)))
        previous_blank = not text.strip()
        offset += len(line)
    return [h for h in found if h[2]]


def sections(md: str) -> list[Section]:
    """The document's sections in order (text before the first heading belongs to none)."""
    heads = _headings(md)
    result: list[Section] = []
    stack: list[tuple[int, str, str]] = []  # (level, title, slug)
    seen: dict[str, int] = {}
    for k, (start, level, title) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title, slugify(title)))
        section_id = "/".join(slug for _, _, slug in stack)
        seen[section_id] = seen.get(section_id, 0) + 1
        if seen[section_id] > 1:  # repeated heading path: keep ids unique and stable by order
            section_id = f"{section_id}-{seen[section_id]}"
        end = heads[k + 1][0] if k + 1 < len(heads) else len(md)
        result.append(Section(section_id, title, tuple(t for _, t, _ in stack), start, end))
    return result


def section_at(secs: list[Section], offset: int) -> Section | None:
    """Innermost section containing ``offset`` (the last one starting at or before it)."""
    found = None
    for sec in secs:
        if sec.start <= offset:
            found = sec
        else:
            break
    return found


def sections_touched(old: str, new: str, ops: list[Op] | None = None) -> list[str]:
    """Labels ("Parent › Child") of the sections a change touches, in document order of first
    appearance: deletions are located in ``old``, insertions in ``new``."""
    if ops is None:
        ops = diff_texts(old, new)
    old_secs, new_secs = sections(old), sections(new)
    labels: list[str] = []
    old_pos = new_pos = 0
    for op, text in ops:
        if op == EQUAL:
            old_pos += len(text)
            new_pos += len(text)
            continue
        if op == DELETE:
            sec = section_at(old_secs, old_pos + _first_visible(text))
            old_pos += len(text)
        else:
            sec = section_at(new_secs, new_pos + _first_visible(text))
            new_pos += len(text)
        if sec is not None and sec.label not in labels:
            labels.append(sec.label)
    return labels


def diff_by_section(ops: Sequence[Op], new_text: str) -> list[tuple[str, list[Op]]]:
    """The diff cut at the section headings of the new text: (section label, ops) for each
    section that holds a change, in document order; "" labels the text before any heading.

    Unchanged and inserted text is cut where a heading starts, so an inserted section shows
    under its own heading (with the line break before it); a deletion stays with the text it
    follows."""
    found = sections(new_text)
    starts = [s.start for s in found]
    labels = {s.start: s.label for s in found}
    groups: list[tuple[str, list[Op]]] = [("", [])]
    position = 0  # in the new text
    for op, text in ops:
        if op == DELETE:
            groups[-1][1].append((op, text))
            continue
        end = position + len(text)
        cut = position
        for start in starts[bisect_left(starts, position) :]:
            if start >= end:
                break
            piece = text[cut - position : start - position]
            if piece and not (op == INSERT and not piece.strip()):
                groups[-1][1].append((op, piece))
                cut = start
            # else: nothing, or the line break opening an inserted section: it goes with it
            if groups[-1][1]:
                groups.append((labels[start], []))
            else:  # nothing under the previous heading yet: it is only passed through
                groups[-1] = (labels[start], [])
        if end > cut:
            groups[-1][1].append((op, text[cut - position :]))
        position = end
    return [(label, group) for label, group in groups if any(op != EQUAL for op, _ in group)]


def _first_visible(text: str) -> int:
    """Offset of the first non-newline character: an inserted block that starts with the
    newline ending the previous paragraph belongs to the section of what follows it."""
    stripped = text.lstrip("\n")
    return len(text) - len(stripped) if stripped else 0
