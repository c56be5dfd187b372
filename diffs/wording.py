"""The words a reader reads in a version, and which of them changed between two versions.

A reading keeps the words and numbers of a text and drops what no reader would call a change:
Markdown markup, link targets, images and URLs, list and clause numbering ("1.", "iv.",
"(b)"), letter case, spacing that joins or splits words ("change.For", "MaterialsTikTok"),
contractions ("we'll" is "we will", from ``diffs.lexicon``) and the accessibility text links
carry ("opens in new window"). ``changed_spans`` diffs the readings of two versions word by
word (``diffs.diff.diff_tokens``) and gives, in each text, the character spans of the words
removed and added: a passage outside every span was reflowed, renumbered or re-marked up, not
reworded, however differently the two versions cut it into passages. Pure.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from dataclasses import dataclass

from diffs.diff import DELETE, EQUAL, INSERT, diff_tokens
from diffs.lexicon import contractions, pattern

# Spans blanked before reading (kept as spaces, so offsets stay those of the text).
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK_TARGET = re.compile(r"\]\((?:<[^>\n]*>|[^)\n]*)\)")
_URL = re.compile(r"<?https?://[^\s)>\]]+>?")
_TAG = re.compile(r"</?[a-zA-Z][^>\n]*>")
# A number keeps its decimals ("2.5", "1,000"); a word ends at a full stop ("Us.3" is two).
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+(?:[.,]\d+)*|\w+")
# A clause number: "12", "3.2.1", a roman numeral ("iv", not "ID"), a single letter.
_NUMBERING = re.compile(
    r"\d{1,3}(?:\.\d{1,3})*|(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})|[a-z]",
    re.IGNORECASE,
)
_BEFORE_NUMBERING = " \t*_#>|-+•·▪–"  # what may stand between a clause number and the line's start
# Where two words were joined by a lost space: "MaterialsTikTok", "DATAThese", "Property6.1".
_JOINED = re.compile(r"(?<=[a-zß-ÿ])(?=[A-ZÀ-Þ])|(?<=[A-ZÀ-Þ])(?=[A-ZÀ-Þ][a-zß-ÿ])|(?<=[^\W\d_])(?=\d)")
_DOTTED = re.compile(r"\d{1,3}(?:\.\d{1,3})+")
_HEADING_NUMBER = re.compile(r"\d{1,2}")
_GLUED_CLAUSE = re.compile(r"(?<=[^\W\d_])\d{1,3}\.\d")
_TITLE_WORDS = 6  # "6 Intellectual Property" numbers a title; "30 Tage Frist gelten für …" is a sentence


@dataclass(frozen=True)
class Reading:
    words: tuple[str, ...]  # lowercased, contractions spelled out
    starts: tuple[int, ...]  # where each word's token starts in the text
    ends: tuple[int, ...]


def _blanked(text: str) -> str:
    for rx in (_IMAGE, _LINK_TARGET, _URL, _TAG, pattern("link_decorations")):
        text = rx.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _is_numbering(text: str, start: int, end: int) -> bool:
    """A list or clause number: "1." or "iv)" at the start of a line or a sentence, "(b)",
    "3.2 The fees" (also glued to the word before it), "6 Intellectual Property" at a line's start."""
    after = text[end : end + 2]
    k = start - 1
    if k >= 0 and text[k] in "(（" and after[:1] in ")）":
        return _NUMBERING.fullmatch(text, start, end) is not None
    capital_next = len(after) == 2 and after[0] == " " and after[1].isupper()
    if _DOTTED.fullmatch(text, start, end) and capital_next:
        return True
    while k >= 0 and text[k] in _BEFORE_NUMBERING:
        k -= 1
    at_start = k < 0 or text[k] in "\n.?!:;)）"
    if not at_start:
        return False
    if after[:1] in ".)）":
        return _NUMBERING.fullmatch(text, start, end) is not None
    if not ((k < 0 or text[k] == "\n") and capital_next and _HEADING_NUMBER.fullmatch(text, start, end)):
        return False
    line_end = text.find("\n", end)
    title = text[end : len(text) if line_end < 0 else line_end]
    title = _GLUED_CLAUSE.split(title, maxsplit=1)[0].strip(" *_#")  # "Intellectual Property6.1 You …"
    return len(title.split()) <= _TITLE_WORDS and not title.endswith((".", ";", ":", ","))


def _spelled_out(token: str) -> list[str]:
    lowered = token.lower()
    if "'" not in lowered:
        return ["can", "not"] if lowered == "cannot" else [lowered]
    for short, long in contractions():
        if lowered == short or (short[0] in "'n" and lowered.endswith(short) and len(lowered) > len(short)):
            lowered = lowered[: len(lowered) - len(short)] + long if lowered != short else long
            break
    return lowered.replace("cannot", "can not").split()


def _parts(token: str) -> list[tuple[str, int]]:
    """A token cut where a lost space joined two words, each part with its offset."""
    if token.islower() or token.isupper() or token[1:].islower():
        return [(token, 0)]
    cuts = [0] + [m.start() for m in _JOINED.finditer(token)] + [len(token)]
    return [(token[a:b], a) for a, b in zip(cuts, cuts[1:], strict=False) if a < b]


_NUMBERING_CHARS = 11  # "1.2.3", "viii": longer tokens are words


@functools.lru_cache(maxsize=8)
def reading(text: str, offset: int = 0) -> Reading:
    """The words of ``text`` as a reader reads them, each with where it stands (``offset``
    added: ``text`` may be a part of a version, cut at the start of a line)."""
    blank = _blanked(text)
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _TOKEN.finditer(blank):
        start, end = match.span()
        for part, at in _parts(match.group(0)):
            stop = start + at + len(part)
            # Numbers end in "." or ")", or are digits ("3.2 The fees"): the rest are words.
            maybe = len(part) <= _NUMBERING_CHARS and (blank[stop : stop + 1] in ".)）" or part[0].isdigit())
            if maybe and _is_numbering(blank, start + at, stop):
                continue
            for word in _spelled_out(part):
                words.append(word)
                starts.append(offset + start)
                ends.append(offset + end)
    return Reading(tuple(words), tuple(starts), tuple(ends))


@dataclass(frozen=True)
class Changes:
    """The character spans of the words removed from the old text and added to the new one."""

    removed: tuple[tuple[int, int], ...]
    added: tuple[tuple[int, int], ...]

    @property
    def none(self) -> bool:
        return not (self.removed or self.added)


def _differing(old: str, new: str) -> tuple[int, int, int]:
    """Where the two texts start to differ and how far from their ends they differ, cut at the
    start of a paragraph (the words around the cut read the same in both)."""
    head = len(os.path.commonprefix([old, new]))
    paragraph = old.rfind("\n\n", 0, head)
    head = paragraph + 2 if paragraph >= 0 else 0
    tail = len(os.path.commonprefix([old[head:][::-1], new[head:][::-1]]))
    cut = old.find("\n\n", len(old) - tail)
    tail = len(old) - cut if 0 <= cut and tail else 0
    return head, len(old) - tail, len(new) - tail


def changed_spans(old: str, new: str) -> Changes:
    head, old_end, new_end = _differing(old, new)
    a, b = reading(old[head:old_end], head), reading(new[head:new_end], head)
    if a.words == b.words:
        return Changes((), ())
    removed: list[tuple[int, int]] = []
    added: list[tuple[int, int]] = []
    i = j = 0
    for op, count in diff_tokens(list(a.words), list(b.words)):
        if op == DELETE:
            removed.append((a.starts[i], a.ends[i + count - 1]))
            i += count
        elif op == INSERT:
            added.append((b.starts[j], b.ends[j + count - 1]))
            j += count
        elif op == EQUAL:
            i += count
            j += count
    return Changes(tuple(removed), tuple(added))


def touches(spans: tuple[tuple[int, int], ...], start: int, end: int) -> bool:
    """True when one of ``spans`` (sorted, not overlapping) overlaps ``[start, end)``."""
    k = bisect.bisect_left(spans, (end, -1))  # the first span starting at or after ``end``
    return k > 0 and spans[k - 1][1] > start
