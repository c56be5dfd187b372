"""A diff of two Markdown texts rendered as the document reads, for people (pure).

The ops of ``diffs.diff.diff_texts`` are a word diff of Markdown source. Shown as source, a reader
sees ``**``, ``#``, ``[text](url)`` and table pipes; and "Under 4%" → "Under 3%" reads "Under 43%"
once the colours are gone. ``render_diff_html`` renders each block as what it is:

- headings as headings, paragraphs as paragraphs, list items as list items (ordered or not,
  indented by depth), block quotes, rules;
- tables as tables, the header row kept however far above the change it is, the changed cells
  marked (``diff-changed``), unchanged rows folded;
- inline Markdown dropped on both sides: emphasis markers, code ticks, backslash escapes, and
  links and images shown as their text (a change to a link's target alone is said in a note);
- numbers, amounts, percentages and dates changed as whole tokens (``4%`` → ``3%``, not
  ``4̶3%``), and so are words;
- a deletion is ``<del>`` and an insertion ``<ins>``, each after a text label ("deleted: ",
  "inserted: ", class ``diff-label``, visually hidden on the site, read by screen readers and
  left as text where styles are lost), a replacement with an arrow between them;
- a moved block shown where it went, and a pointer where it was;
- runs of unchanged blocks folded: ``<details class="diff-fold">`` ("3 unchanged paragraphs")
  holding them while they are short, a plain line beyond that or when ``fold_content`` is off.

Every text is escaped here; callers still pass the result through their sanitizer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import groupby
from operator import itemgetter

from diffs.dates import DATE
from diffs.diff import DELETE, EQUAL, INSERT, Op, find_moves

CONTEXT_BLOCKS = 1  # unchanged blocks shown beside a changed one
CONTEXT_ROWS = 1  # unchanged table rows or list items shown beside a changed one
FOLD_CONTENT_CHARS = 4_000  # a folded run longer than this is named, not included
MOVE_PREVIEW_CHARS = 60

DELETED_LABEL = "deleted: "
INSERTED_LABEL = "inserted: "

Seg = tuple[int, str]  # (op, text without a newline)

# ----------------------------------------------------------------------------- lines


@dataclass
class _Line:
    segs: list[Seg]
    moved: str = ""  # "below"/"above" (its old place), "from above"/"from below" (its new place)

    @property
    def old(self) -> str:
        return "".join(t for op, t in self.segs if op != INSERT)

    @property
    def new(self) -> str:
        return "".join(t for op, t in self.segs if op != DELETE)

    @property
    def changed(self) -> bool:
        return any(op != EQUAL for op, _ in self.segs)

    @property
    def text(self) -> str:
        """The text that says what kind of line it is: the new one, unless it was deleted."""
        new = self.new
        return new if new.strip() else self.old

    @property
    def blank(self) -> bool:
        return not self.old.strip() and not self.new.strip()


def _move_notes(ops: Sequence[Op]) -> dict[int, str]:
    notes: dict[int, str] = {}
    for move in find_moves(list(ops)):
        down = move.deleted < move.inserted
        notes[move.deleted] = "below" if down else "above"
        notes[move.inserted] = "from above" if down else "from below"
    return notes


def _lines(ops: Sequence[Op]) -> list[_Line]:
    """The diff cut at every newline, of either side: each line holds its segments."""
    notes = _move_notes(ops)
    lines: list[_Line] = []
    segs: list[Seg] = []
    sources: set[int] = set()

    def close() -> None:
        moved = {notes.get(i, "") for i in sources}
        lines.append(_Line(list(segs), moved.pop() if len(moved) == 1 else ""))
        segs.clear()
        sources.clear()

    for index, (op, text) in enumerate(ops):
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if part:
                segs.append((op, part))
                sources.add(index)
            if k < len(parts) - 1:
                close()
    if segs:
        close()
    return lines


# ----------------------------------------------------------------------------- blocks

_TABLE = re.compile(r"^ {0,3}\|")
_TABLE_RULE = re.compile(r"^ {0,3}\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_HEADING_END = re.compile(r"[ \t]+#+[ \t]*$")
_ITEM = re.compile(r"^(\s*)([-*+•]|(\d{1,9})[.)])[ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_HARD_BREAK = re.compile(r"(?:\s{2,}|\\)$")
_INDENT = re.compile(r"^\s+")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


@dataclass
class _Block:
    kind: str  # heading | table | list | quote | rule | paragraph
    lines: list[_Line] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(line.changed for line in self.lines)

    @property
    def size(self) -> int:
        return sum(len(line.text) for line in self.lines)


def _kind(line: _Line) -> str:
    text = line.text
    if _TABLE.match(text):
        return "table"
    if _HEADING.match(text):
        return "heading"
    if _RULE.match(text):
        return "rule"
    if _ITEM.match(text):
        return "list"
    if _QUOTE.match(text):
        return "quote"
    return "paragraph"


def _blocks(lines: list[_Line]) -> list[_Block]:
    """Lines grouped into blocks: a blank line ends one, and so does a change of kind (an
    indented line after a list item continues the item)."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for line in lines:
        if line.blank:
            current = None
            continue
        kind = _kind(line)
        if kind == "paragraph" and current is not None and current.kind == "list" and line.text[:1].isspace():
            kind = "list"
        if current is None or kind != current.kind or kind in ("heading", "rule"):
            current = _Block(kind)
            blocks.append(current)
        current.lines.append(line)
    return blocks


# ----------------------------------------------------------------------------- inline text

# "](url)", "](url "title")", "](<url>)"; last, a URL with an unbalanced "(" up to the first ")".
_TARGET = r"\]\((?:<[^<>\n]*>|[^()\n]*(?:\([^()\n]*\)[^()\n]*)*|\S*?)\)"
_CUT_TARGET = r"\]\([^\s)]*$"  # a target the line ends in (the source broke the line inside it)
_LINK = re.compile(rf"(!?\[)([^\[\]\n]*)({_TARGET}|{_CUT_TARGET})")
# A link around several paragraphs is cut by the line breaks: its opening bracket on one line,
# "](url)" on another.
_LINK_PART = re.compile(rf"{_TARGET}|{_CUT_TARGET}|(?<!\\)!?\[(?=[^\]\n]*$)")
_AUTOLINK = re.compile(r"(<)(https?://[^\s<>]+|mailto:[^\s<>]+)(>)", re.IGNORECASE)
_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_STRONG = re.compile(r"\*{2,3}|(?<![\w\\])_{2,3}|_{2,3}(?!\w)")
_EMPHASIS = re.compile(r"(?<![\w*\\])\*(?=[^\s*])|(?<=[^\s*\\])\*(?![\w*])|(?<![\w\\])_(?=\S)|(?<=\S)_(?!\w)")
_TICKS = re.compile(r"(?<!\\)`+")


def _markup(text: str) -> list[bool]:
    """For each character of a line of Markdown, whether it is markup rather than text."""
    hidden = [False] * len(text)

    def hide(start: int, end: int) -> None:
        for i in range(start, end):
            hidden[i] = True

    for match in _LINK.finditer(text):
        hide(match.start(1), match.end(1))
        hide(match.start(3), match.end(3))
    for match in _AUTOLINK.finditer(text):
        hide(match.start(1), match.end(1))
        hide(match.start(3), match.end(3))
    for pattern in (_LINK_PART, _ESCAPE, _STRONG, _EMPHASIS, _TICKS):
        for match in pattern.finditer(text):
            hide(match.start(), match.end())
    return hidden


def plain(text: str) -> str:
    """One line of Markdown as the text a reader sees (what ``_markup`` keeps, by substitution:
    most lines are unchanged, and this is their whole cost)."""
    if not _ANY_MARKUP.search(text):
        return text
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _AUTOLINK.sub(lambda m: m.group(2), text)
    for pattern in (_LINK_PART, _STRONG, _EMPHASIS, _TICKS, _ESCAPE):  # escapes last: "\*" stays "*"
        text = pattern.sub("", text)
    return text


_ANY_MARKUP = re.compile(r"[\[\]<*_`\\]")


_NUMBER = r"\d+(?:[.,]\d+)*"
_CURRENCY = r"(?:(?:US|CA|AU|C|A)?\$|€|£|¥|(?:USD|EUR|GBP|CAD|AUD|INR|MXN|JPY|CHF|SEK|PLN)\s?)"
# What changes as one token: a date, an amount or a percentage, a number, a word, or one sign.
_WHOLE = re.compile(
    rf"{DATE.pattern}|{_CURRENCY}?{_NUMBER}(?:\s?(?:%|percent\b|€|(?:USD|EUR|GBP)\b))?|\w+|[^\w\s]",
    re.IGNORECASE,
)


def _visible(segs: Sequence[Seg]) -> tuple[list[tuple[int, str]], bool]:
    """The segments' characters that are text on the side(s) they belong to, each with its op,
    and whether a change was hidden with the markup (a link target, an emphasis)."""
    chars = [(op, c) for op, text in segs for c in text]
    old_at = [i for i, (op, _) in enumerate(chars) if op != INSERT]
    new_at = [i for i, (op, _) in enumerate(chars) if op != DELETE]
    old_hidden = _markup("".join(chars[i][1] for i in old_at))
    new_hidden = _markup("".join(chars[i][1] for i in new_at))
    hidden_old = {i for i, h in zip(old_at, old_hidden, strict=True) if h}
    hidden_new = {i for i, h in zip(new_at, new_hidden, strict=True) if h}
    kept: list[tuple[int, str]] = []
    lost_change = False
    for i, (op, c) in enumerate(chars):
        if op == EQUAL:
            hidden = i in hidden_old and i in hidden_new
        else:
            hidden = i in (hidden_old if op == DELETE else hidden_new)
            lost_change = lost_change or hidden
        if not hidden:
            kept.append((op, c))
    return kept, lost_change


def _widen(chars: list[tuple[int, str]]) -> list[Seg]:
    """Runs of (op, text), every token (``_WHOLE``) that a change touches replaced whole: its
    old form deleted, its new form inserted."""
    changed_before = [0]  # changed characters before each position: a range check in O(1)
    for op, _ in chars:
        changed_before.append(changed_before[-1] + (op != EQUAL))
    spans: list[tuple[int, int]] = []
    for side in (DELETE, INSERT):
        at = [i for i, (op, _) in enumerate(chars) if op in (EQUAL, side)]
        text = "".join(chars[i][1] for i in at)
        for match in _WHOLE.finditer(text):
            start, end = at[match.start()], at[match.end() - 1] + 1
            if changed_before[end] > changed_before[start]:
                spans.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[tuple[int, list[str]]] = []  # (op, its characters), joined once at the end

    def add(op: int, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1][0] == op:
            pieces[-1][1].append(text)
        else:
            pieces.append((op, [text]))

    position = 0
    for start, end in merged + [[len(chars), len(chars)]]:
        for op, group in groupby(chars[position:start], key=itemgetter(0)):
            add(op, "".join(c for _, c in group))
        if start < end:
            piece = chars[start:end]
            add(DELETE, "".join(c for op, c in piece if op != INSERT))
            add(INSERT, "".join(c for op, c in piece if op != DELETE))
        position = end
    runs = [(op, "".join(parts)) for op, parts in pieces]
    # A space deleted or inserted alone is not worth a label: the new text's spacing is shown.
    return [
        (EQUAL if op == INSERT else op, t) if not t.strip() else (op, t) for op, t in runs if op != DELETE or t.strip()
    ]


def _label(text: str) -> str:
    return f'<span class="diff-label">{escape(text)}</span>'


def _marked(runs: Sequence[Seg]) -> str:
    """Runs as HTML: the spaces at the ends of a deletion or insertion stay outside its tags,
    once for a deletion and the insertion that replaces it."""
    out: list[str] = []
    for k, (op, text) in enumerate(runs):
        if op == EQUAL:
            out.append(escape(text, quote=False))
            continue
        core = text.strip()
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if op == DELETE:
            replaced = k + 1 < len(runs) and runs[k + 1][0] == INSERT
            out.append(f"{lead}{_label(DELETED_LABEL)}<del>{escape(core, quote=False)}</del>")
            out.append("" if replaced else trail)  # the insertion's own spacing follows
        else:
            if k and runs[k - 1][0] == DELETE:
                out.append('<span class="diff-arrow" aria-hidden="true"> → </span>')
                lead = ""  # the deletion's leading space stands for both
            out.append(f"{lead}{_label(INSERTED_LABEL)}<ins>{escape(core, quote=False)}</ins>{trail}")
    return "".join(out)


@dataclass
class _Inline:
    html: str
    changed: bool  # a change a reader can see
    hidden_change: bool  # a change inside markup only (a link target, an emphasis)


def _inline(segs: Sequence[Seg]) -> _Inline:
    ops = {op for op, _ in segs}
    if ops <= {EQUAL}:
        return _Inline(escape(plain("".join(t for _, t in segs)), quote=False), False, False)
    if len(ops) == 1:  # deleted or inserted whole: one side, no token to widen
        (op,) = ops
        text = plain("".join(t for _, t in segs))
        return _Inline(_marked([(op, text)]), bool(text.strip()), not text.strip())
    kept = sum(len(t) for op, t in segs if op == EQUAL)
    if 2 * kept < REWRITE_SHARE * (sum(len(t) for _, t in segs) + kept):
        # Rewritten: most of the line changed, and a word diff of it says nothing more than
        # the old line and the new one (it would also cost a character walk of the whole line).
        old = plain("".join(t for op, t in segs if op != INSERT))
        new = plain("".join(t for op, t in segs if op != DELETE))
        runs = [(op, text) for op, text in ((DELETE, old), (INSERT, new)) if text.strip()]
        return _Inline(_marked(runs), old.split() != new.split(), old.split() == new.split())
    html: list[str] = []
    changed = hidden = False
    for island in _islands(segs):
        if isinstance(island, str):  # unchanged text far from any change
            html.append(escape(plain(island), quote=False))
            continue
        chars, lost = _visible(island)
        runs = _widen(chars)
        seen = any(op != EQUAL for op, _ in runs)
        html.append(_marked(runs))
        changed, hidden = changed or seen, hidden or (lost and not seen)
    return _Inline("".join(html), changed, hidden and not changed)


REWRITE_SHARE = 0.5  # a line that keeps less than this share of its text is shown as replaced
ISLAND_MARGIN = 48  # unchanged characters kept with a change for its tokens and markup


def _islands(segs: Sequence[Seg]) -> list[str | list[Seg]]:
    """The line cut into the changes with ``ISLAND_MARGIN`` characters around them (lists of
    segments, diffed character by character) and the long unchanged text between them
    (strings, rendered as they are): a long paragraph with one word changed costs that word,
    not the paragraph. Cuts fall on spaces, so no token or markup run is split."""
    out: list[str | list[Seg]] = []
    current: list[Seg] = []
    last = len(segs) - 1
    for k, (op, text) in enumerate(segs):
        if op != EQUAL or len(text) <= 3 * ISLAND_MARGIN:
            current.append((op, text))
            continue
        links = [m.span() for m in _LINK.finditer(text)]
        head_end = _space_after(text, ISLAND_MARGIN, links) if k > 0 else 0
        tail_start = _space_before(text, len(text) - ISLAND_MARGIN, links) if k < last else len(text)
        if tail_start <= head_end:
            current.append((op, text))
            continue
        if head_end:
            current.append((EQUAL, text[:head_end]))
        if current:
            out.append(current)
        out.append(text[head_end:tail_start])
        current = [(EQUAL, text[tail_start:])] if tail_start < len(text) else []
    if current:
        out.append(current)
    return out


def _space_after(text: str, at: int, links: list[tuple[int, int]]) -> int:
    """The first space at or after ``at`` outside the links' spans (``len(text)``: none)."""
    while True:
        found = text.find(" ", at)
        if found < 0:
            return len(text)
        inside = next((end for start, end in links if start <= found < end), None)
        if inside is None:
            return found
        at = inside


def _space_before(text: str, at: int, links: list[tuple[int, int]]) -> int:
    """The last space before ``at`` outside the links' spans (0: none)."""
    while True:
        found = text.rfind(" ", 0, at)
        if found < 0:
            return 0
        inside = next((start for start, end in links if start <= found < end), None)
        if inside is None:
            return found
        at = inside


def _strip_prefix(segs: Sequence[Seg], pattern: re.Pattern[str]) -> list[Seg]:
    """The segments without the block marker at the start of the line (``# ``, ``- ``, ``> ``),
    on each side its own marker ("1. " in the old text, "2. " in the new one)."""
    segs = list(segs)
    old = "".join(t for op, t in segs if op != INSERT)
    new = "".join(t for op, t in segs if op != DELETE)
    old_cut = m.end() if (m := pattern.match(old)) else 0
    new_cut = m.end() if (m := pattern.match(new)) else 0
    out: list[Seg] = []
    old_at = new_at = 0
    for op, text in segs:
        if old_at >= old_cut and new_at >= new_cut:
            out.append((op, text))
            continue
        kept = []
        for c in text:
            drop = (op != INSERT and old_at < old_cut) or (op != DELETE and new_at < new_cut)
            if op == EQUAL:
                drop = old_at < old_cut or new_at < new_cut
            old_at += op != INSERT
            new_at += op != DELETE
            if not drop:
                kept.append(c)
        if kept:
            out.append((op, "".join(kept)))
    return out


def _rstrip(segs: Sequence[Seg], pattern: re.Pattern[str]) -> list[Seg]:
    """The segments without a trailing match of ``pattern`` on the equal text (closing ``#``)."""
    if segs and segs[-1][0] == EQUAL:
        last = pattern.sub("", segs[-1][1])
        return [*segs[:-1], *([(EQUAL, last)] if last else [])]
    return list(segs)


# ----------------------------------------------------------------------------- rendering


@dataclass
class _Out:
    html: str
    visible: bool  # holds a change a reader can see
    hidden: bool  # holds a change hidden in the markup


def _line_html(line: _Line, segs: Sequence[Seg]) -> _Inline:
    if line.moved in ("below", "above"):
        preview = " ".join(plain(line.old).split())
        if len(preview) > MOVE_PREVIEW_CHARS:
            preview = preview[: MOVE_PREVIEW_CHARS - 1].rstrip() + "…"
        note = f'<span class="diff-note">moved {line.moved}: </span><del class="diff-moved">{escape(preview)}</del>'
        return _Inline(note, True, False)
    if line.moved:
        text = escape(plain("".join(t for _, t in segs)), quote=False)
        return _Inline(
            f'<span class="diff-note">moved here {line.moved}: </span><ins class="diff-moved">{text}</ins>', True, False
        )
    return _inline(segs)


def _whole(line: _Line) -> str:
    """A class for a line deleted or inserted whole."""
    ops = {op for op, _ in line.segs}
    if ops == {DELETE}:
        return " diff-deleted"
    if ops == {INSERT}:
        return " diff-inserted"
    return ""


def _heading(block: _Block) -> _Out:
    line = block.lines[0]
    level = len(_HEADING.match(line.text).group(1))
    shown = _line_html(line, _rstrip(_strip_prefix(line.segs, _HEADING), _HEADING_END))
    tag = f"h{min(6, level + 3)}"
    html = f'<{tag} class="diff-heading{_whole(line)}">{shown.html}</{tag}>'
    return _Out(html, shown.changed, shown.hidden_change)


def _paragraph(block: _Block, tag: str = "p", prefix: re.Pattern[str] | None = None) -> _Out:
    parts = []
    visible = hidden = False
    for line in block.lines:
        segs = _strip_prefix(line.segs, prefix) if prefix else line.segs
        shown = _line_html(line, _rstrip(segs, _HARD_BREAK))
        parts.append(shown.html)
        visible, hidden = visible or shown.changed, hidden or shown.hidden_change
    whole = _whole(block.lines[0]) if len(block.lines) == 1 else ""
    inner = "<br>".join(parts)
    if tag == "blockquote":
        return _Out(f'<blockquote class="diff-quote{whole}"><p>{inner}</p></blockquote>', visible, hidden)
    return _Out(f'<p class="diff-para{whole}">{inner}</p>', visible, hidden)


def _keep(changed: list[bool], context: int, always: frozenset[int] = frozenset()) -> list[bool]:
    """Which of a run of items to show: the changed ones, ``context`` around each, ``always``."""
    keep = [i in always for i in range(len(changed))]
    for i, c in enumerate(changed):
        if c:
            for j in range(max(0, i - context), min(len(changed), i + context + 1)):
                keep[j] = True
    # A fold of one item takes the room of the item: show it instead.
    for i in range(len(keep)):
        if not keep[i] and (i == 0 or keep[i - 1]) and (i + 1 == len(keep) or keep[i + 1]):
            keep[i] = True
    return keep


def _plural(count: int, word: str) -> str:
    return f"{count} unchanged {word}{'' if count == 1 else 's'}"


def _list(block: _Block) -> _Out:
    items: list[tuple[_Line, list[_Line]]] = []  # each item with its continuation lines
    for line in block.lines:
        if _ITEM.match(line.text) or not items:
            items.append((line, []))
        else:
            items[-1][1].append(line)
    first = _ITEM.match(items[0][0].text)
    ordered = bool(first and first.group(3))
    indents = sorted({len(m.group(1)) for line, _ in items if (m := _ITEM.match(line.text))})
    changed = [line.changed or any(c.changed for c in rest) for line, rest in items]
    keep = _keep(changed, CONTEXT_ROWS)
    out: list[str] = []
    visible = hidden = False
    skipped = 0
    for (line, rest), shown_here in zip(items, keep, strict=True):
        if not shown_here:
            skipped += 1
            continue
        if skipped:
            out.append(f'<li class="diff-fold">{_plural(skipped, "item")}</li>')
            skipped = 0
        match = _ITEM.match(line.text)
        depth = indents.index(len(match.group(1))) if match else 0
        pieces = [_line_html(line, _strip_prefix(line.segs, _ITEM))]
        pieces += [_line_html(c, _strip_prefix(c.segs, _INDENT)) for c in rest]
        visible = visible or any(p.changed for p in pieces)
        hidden = hidden or any(p.hidden_change for p in pieces)
        value = f' value="{int(match.group(3))}"' if ordered and match and match.group(3) else ""
        depth_class = f" diff-depth-{min(depth, 4)}" if depth else ""
        text = "<br>".join(p.html for p in pieces)
        out.append(f'<li class="diff-item{depth_class}{_whole(line)}"{value}>{text}</li>')
    if skipped:
        out.append(f'<li class="diff-fold">{_plural(skipped, "item")}</li>')
    tag = "ol" if ordered else "ul"
    return _Out(f'<{tag} class="diff-list">{"".join(out)}</{tag}>', visible, hidden)


def _cells(segs: Sequence[Seg]) -> list[list[Seg]]:
    """A table row's segments cut at its unescaped pipes, without the empty ends."""
    cells: list[list[Seg]] = [[]]
    for op, text in segs:
        start = 0
        for match in re.finditer(r"(?<!\\)\|", text):
            if match.start() > start:
                cells[-1].append((op, text[start : match.start()]))
            cells.append([])
            start = match.end()
        if start < len(text):
            cells[-1].append((op, text[start:]))
    if cells and not "".join(t for _, t in cells[0]).strip():
        cells = cells[1:]
    if cells and not "".join(t for _, t in cells[-1]).strip():
        cells = cells[:-1]
    return cells


def _trim(segs: list[Seg]) -> list[Seg]:
    """A cell's segments without the spaces at its two ends."""
    out = list(segs)
    if out and out[0][0] == EQUAL:
        out[0] = (EQUAL, out[0][1].lstrip())
    if out and out[-1][0] == EQUAL:
        out[-1] = (EQUAL, out[-1][1].rstrip())
    return [(op, t) for op, t in out if t]


def _table(block: _Block) -> _Out:
    rows = [line for line in block.lines if not _TABLE_RULE.match(line.text)]
    has_header = len(block.lines) > 1 and bool(_TABLE_RULE.match(block.lines[1].text))
    width = max((len(_cells(line.segs)) for line in rows), default=1)
    changed = [line.changed for line in rows]
    keep = _keep(changed, CONTEXT_ROWS, frozenset({0}) if has_header else frozenset())
    head: list[str] = []
    body: list[str] = []
    visible = hidden = False
    skipped = 0

    def fold() -> None:
        body.append(f'<tr class="diff-fold"><td colspan="{width}">{_plural(skipped, "row")}</td></tr>')

    for index, (line, shown_here) in enumerate(zip(rows, keep, strict=True)):
        if not shown_here:
            skipped += 1
            continue
        if skipped:
            fold()
            skipped = 0
        cell_tag = "th" if has_header and index == 0 else "td"
        cells = []
        if line.moved:
            shown = _line_html(line, line.segs)
            cells.append(f'<{cell_tag} colspan="{width}" class="diff-changed">{shown.html}</{cell_tag}>')
            visible = True
        else:
            for cell in _cells(line.segs):
                shown = _inline(_trim(cell))
                visible, hidden = visible or shown.changed, hidden or shown.hidden_change
                mark = ' class="diff-changed"' if shown.changed else ""
                cells.append(f"<{cell_tag}{mark}>{shown.html}</{cell_tag}>")
        row = f'<tr class="diff-row{_whole(line)}">{"".join(cells)}</tr>'
        (head if cell_tag == "th" else body).append(row)
    if skipped:
        fold()
    thead = f"<thead>{''.join(head)}</thead>" if head else ""
    return _Out(f'<table class="diff-table">{thead}<tbody>{"".join(body)}</tbody></table>', visible, hidden)


def _block_html(block: _Block) -> _Out:
    if block.kind == "heading":
        return _heading(block)
    if block.kind == "table":
        return _table(block)
    if block.kind == "list":
        return _list(block)
    if block.kind == "quote":
        return _paragraph(block, "blockquote", _QUOTE)
    if block.kind == "rule":
        return _Out('<hr class="diff-rule">', block.changed, False)
    return _paragraph(block)


_HIDDEN_NOTE = '<p class="diff-note">Only a link target or the formatting changed here.</p>'


def render_diff_html(
    ops: Sequence[Op],
    *,
    context: int = CONTEXT_BLOCKS,
    fold_content: bool = True,
    max_changes: int | None = None,
) -> str:
    """The diff as HTML blocks (see the module's docstring); "" when nothing changed.

    ``context``: unchanged blocks shown beside each changed one. ``fold_content``: a folded run
    is a ``<details>`` holding the blocks (up to ``FOLD_CONTENT_CHARS`` of them), else a line
    naming how many there are (for feeds and mail, where ``<details>`` is not always honoured).
    ``max_changes``: at most that many changed blocks, then a line saying how many more."""
    if not any(op != EQUAL for op, _ in ops):
        return ""
    blocks = _blocks(_lines(ops))
    keep = _keep([b.changed for b in blocks], context)
    out: list[str] = []
    folded: list[_Block] = []
    shown_changes = 0
    more = 0

    def fold() -> None:
        if not folded:
            return
        name = _plural(len(folded), "paragraph")
        if fold_content and sum(b.size for b in folded) <= FOLD_CONTENT_CHARS:
            inner = "".join(_block_html(b).html for b in folded)
            out.append(f'<details class="diff-fold"><summary>{name}</summary>{inner}</details>')
        else:
            out.append(f'<p class="diff-fold">… {name} …</p>')
        folded.clear()

    for block, shown_here in zip(blocks, keep, strict=True):
        if max_changes is not None and shown_changes >= max_changes:
            more += block.changed
            continue
        if not shown_here:
            folded.append(block)
            continue
        fold()
        rendered = _block_html(block)
        out.append(rendered.html)
        if block.changed:
            shown_changes += 1
            if rendered.hidden and not rendered.visible:
                out.append(_HIDDEN_NOTE)
    if more:
        out.append(f'<p class="diff-fold">… and {more} more changed paragraph{"" if more == 1 else "s"}.</p>')
    else:
        fold()
    return "".join(out)
