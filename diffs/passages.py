"""Passages of a version: the sentences, list items, table rows and headings a change is made of,
what a reader sees of them, and how the passages of two versions are matched up.

Used by ``diffs.classify``: a changed run of lines is cut into passages (``passages_in``),
identical passages are set aside and similar ones paired (``pair_passages``, ``match_passages``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from difflib import SequenceMatcher

from diffs.diff import DELETE, EQUAL, INSERT, diff_lines
from diffs.sections import Section, section_at

_LINK = re.compile(r"(!?\[[^\]]*\])\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_MARKUP = re.compile(r"[*_`#>|~]+|^\s*[-+]\s+|\\(?=[^\w\s])", re.MULTILINE)
WORDS = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)
# A sentence ends at . ! ? ; after a word of two letters or more (or a closing bracket or quote),
# not after "1." or "e.g." or "U.S.", so numbered clauses stay with their text.
_SENTENCE_END = re.compile(
    # (every end is a space after a stop: tested first, so other positions fail at once)
    r"(?=\s)(?<=[.!?;])(?:(?:(?<=[^\W\d_]{2}[.!?;])|(?<=[)\]\"'*%][.!?;]))\s+(?=[^\s\d])"
    # "... above 200. Accounts": a number ends the sentence when a capital starts the next one.
    r"|(?:(?<=\s\d[.!?])|(?<=\s\d\d[.!?])|(?<=\s\d\d\d[.!?])|(?<=\s\d\d\d\d[.!?]))\s+(?=[A-Z]))"
)
PAIR_MIN_SIMILARITY = 0.5
_BOILERPLATE_NEGATION = re.compile(r"\b(?:but\s+)?not\s+limited\s+to\b", re.IGNORECASE)
_TABLE_SEPARATOR = re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|\*\*[^*]+\*\*\s*$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


# ---------------------------------------------------------------- text views


def without_link_targets(text: str) -> str:
    """``text`` with every link target blanked: equal for two texts that differ only there."""
    return _AUTOLINK.sub("<link>", _LINK.sub(r"\1()", text))


def plain_text(text: str) -> str:
    """Text a reader sees: link targets and Markdown markup removed, spaces collapsed."""
    if "](" in text:  # most passages hold no link: skip the scan
        text = _LINK.sub(lambda m: m.group(1).lstrip("!")[1:-1], text)
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
    return " ".join(_MARKUP.sub("", text).split())


_NUMBER_ABBREVIATION = re.compile(r"\bNo\.(?=\s*\d)")
_CANT = re.compile(r"\bcan't\b", re.IGNORECASE)
_WONT = re.compile(r"\bwon't\b", re.IGNORECASE)
_NT = re.compile(r"n't\b", re.IGNORECASE)


def word_list(text: str) -> list[str]:
    """The words of ``text``, with "won't"/"can't"/"n't" spelled out and "including but not
    limited to" and "No. 2" kept from counting as negations."""
    return list(_cached_words(text))


@functools.lru_cache(maxsize=8192)
def _cached_words(text: str) -> tuple[str, ...]:
    text = _BOILERPLATE_NEGATION.sub("limited to", text)  # "including but not limited to"
    text = _NUMBER_ABBREVIATION.sub("number", text)  # "No. 2" is not a "no"
    text = _NT.sub(" not", _WONT.sub("will not", _CANT.sub("cannot", text)))
    return tuple(WORDS.findall(text))


# ---------------------------------------------------------------- passages


class Passage:
    """A passage of one version: a sentence, a list item, a table row or a heading."""

    __slots__ = ("_key", "header", "kind", "lead", "offset", "plain_text", "section", "text")

    def __init__(
        self,
        text: str,
        offset: int,
        kind: str,
        section: Section | None,
        header: tuple[str, ...] | None = None,
        lead: str = "",
    ) -> None:
        self.text = text
        self.offset = offset
        self.kind = kind  # "sentence" | "list item" | "table row" | "heading"
        self.section = section
        self.header = header  # the table's header cells, for a table row
        self.lead = lead  # the sentence introducing a list, for a list item
        self.plain_text: str | None = None
        self._key: tuple[str, ...] | None = None

    @property
    def plain(self) -> str:
        if self.plain_text is None:
            self.plain_text = plain_text(self.text)
        return self.plain_text

    @property
    def key(self) -> tuple[str, ...]:
        """Lowercased words, for similarity."""
        if self._key is None:
            self._key = tuple(w.lower() for w in word_list(self.plain))
        return self._key

    @property
    def section_label(self) -> str:
        return self.section.label if self.section else ""


def cells(row: str) -> list[str]:
    row = row.strip()
    row = row.removeprefix("|")
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def _table_header(full: str, offset: int) -> tuple[str, ...] | None:
    """Header cells of the table whose row starts at ``offset``; None for the header itself."""
    start = offset
    while start > 0:
        previous = full.rfind("\n", 0, start - 1) + 1
        if not full[previous:start].lstrip().startswith("|"):
            break
        start = previous
    lines = full[start:].split("\n", 2)
    if start == offset or len(lines) < 2 or not _TABLE_SEPARATOR.match(lines[1]):
        return None
    return tuple(plain_text(c) for c in cells(lines[0]))


_LEAD_LOOKBACK = 60  # lines: how far above a list item its introducing sentence may be


def _lead_in(full: str, offset: int) -> str:
    """The paragraph introducing the list a list item belongs to ("X means one of the
    following:"), or "" when a heading comes first."""
    end = offset
    for _ in range(_LEAD_LOOKBACK):
        if end <= 0:
            return ""
        start = full.rfind("\n", 0, end - 1) + 1
        line = full[start:end].strip()
        end = start
        if not line or _LIST_ITEM.match(line):
            continue
        return "" if _HEADING.match(line) else line
    return ""


def _line_units(full: str, offset: int, line: str, secs: list[Section]) -> list[Passage]:
    section = section_at(secs, offset)
    stripped = line.strip()
    if stripped.startswith("|"):
        if _TABLE_SEPARATOR.match(stripped):
            return []
        return [Passage(line, offset, "table row", section, _table_header(full, offset))]
    if _HEADING.match(line):
        return [Passage(line, offset, "heading", section)]
    pieces: list[tuple[int, str]] = []
    start = 0
    for boundary in _SENTENCE_END.finditer(line):
        pieces.append((start, line[start : boundary.start()]))
        start = boundary.end()
    pieces.append((start, line[start:]))
    pieces = [(s, p) for s, p in pieces if p.strip()]
    listed = bool(_LIST_ITEM.match(line))
    kind = "list item" if listed and len(pieces) == 1 else "sentence"
    lead = _lead_in(full, offset) if listed else ""
    return [Passage(p.strip(), offset + s, kind, section_at(secs, offset + s), lead=lead) for s, p in pieces]


def passages_in(full: str, start: int, chunk: str, secs: list[Section]) -> list[Passage]:
    units: list[Passage] = []
    pos = start
    for line in chunk.splitlines(keepends=True):
        body = line.rstrip("\n")
        if body.strip():
            units.extend(_line_units(full, pos, body, secs))
        pos += len(line)
    return units


# ---------------------------------------------------------------- matching passages


def similarity(a: Passage, b: Passage) -> float:
    x, y = a.key, b.key
    if not x or not y:
        return 1.0 if a.plain == b.plain else 0.0
    if 2 * min(len(x), len(y)) / (len(x) + len(y)) < PAIR_MIN_SIMILARITY:
        return 0.0
    matcher = SequenceMatcher(None, x, y, autojunk=False)
    if matcher.quick_ratio() < PAIR_MIN_SIMILARITY:
        return 0.0
    return matcher.ratio()


_CANDIDATES = 4  # similarity is only computed against the passages sharing the most words


def match_passages(old: list[Passage], new: list[Passage]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair each old passage with its most similar unpaired new one (first best wins);
    returns index pairs and the unpaired old and new indexes."""
    by_word: dict[str, list[int]] = {}
    for j, unit in enumerate(new):
        for word in set(unit.key):
            by_word.setdefault(word, []).append(j)
    common = max(8, len(new) // 2)  # words in most passages ("the", "you") say nothing
    pairs: list[tuple[int, int]] = []
    free = set(range(len(new)))
    lone_old: list[int] = []
    for i, unit in enumerate(old):
        shared: Counter[int] = Counter()
        for word in set(unit.key):
            postings = by_word.get(word, ())
            if len(postings) <= common:
                shared.update(j for j in postings if j in free)
        candidates = sorted(shared, key=lambda j: (-shared[j], j))[:_CANDIDATES]
        if not unit.key:  # passages without words ("•", "---") pair only with their twin
            candidates = [j for j in sorted(free) if new[j].plain == unit.plain][:1]
        best, best_ratio = None, PAIR_MIN_SIMILARITY
        for j in sorted(candidates):
            ratio = similarity(unit, new[j])
            if ratio > best_ratio or (best is None and ratio >= best_ratio):
                best, best_ratio = j, ratio
        if best is None:
            lone_old.append(i)
        else:
            free.discard(best)
            pairs.append((i, best))
    return pairs, lone_old, sorted(free)


def pair_passages(
    old: list[Passage], new: list[Passage]
) -> tuple[list[tuple[Passage, Passage]], list[Passage], list[Passage]]:
    """Match edited passages: align them as lines, then pair by similarity inside each gap."""
    pairs: list[tuple[Passage, Passage]] = []
    removed: list[Passage] = []
    added: list[Passage] = []
    gap_old: list[Passage] = []
    gap_new: list[Passage] = []
    o = n = 0

    def settle() -> None:
        matched, lone_old, lone_new = match_passages(gap_old, gap_new)
        pairs.extend((gap_old[i], gap_new[j]) for i, j in matched)
        removed.extend(gap_old[i] for i in lone_old)
        added.extend(gap_new[j] for j in lone_new)
        gap_old.clear()
        gap_new.clear()

    old_text = "".join(u.text.replace("\n", " ") + "\n" for u in old)
    new_text = "".join(u.text.replace("\n", " ") + "\n" for u in new)
    for op, text in diff_lines(old_text, new_text) + [(EQUAL, "")]:
        count = text.count("\n")
        if op == DELETE:
            gap_old.extend(old[o : o + count])
            o += count
        elif op == INSERT:
            gap_new.extend(new[n : n + count])
            n += count
        else:
            settle()
            o += count
            n += count
    return pairs, removed, added
