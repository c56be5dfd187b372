"""Word-level diffs of normalized Markdown, deterministic and bounded in time.

This is the only module that imports diff_match_patch. ``Diff_Timeout`` is 0, so results do not
depend on machine speed; cost stays bounded because the documents are first diffed line by
line (each line encoded as one character), and only the changed hunks are diffed again, word
by word, followed by diff-match-patch's semantic cleanup. Diffing whole documents character
by character instead takes minutes on a 200 KB page.

Moved blocks: a line (a paragraph, a list item, a table row) deleted in one place and inserted
unchanged in another is kept out of the word diff and given its own delete and insert ops, so
``find_moves`` can pair them and the renderings show a move instead of a deletion plus an
insertion.
"""

from __future__ import annotations

import bisect
import functools
import html
import os
import re
from collections import Counter
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

Op = tuple[int, str]  # (-1 delete | 0 equal | 1 insert, text): diff-match-patch's convention
DELETE, EQUAL, INSERT = -1, 0, 1

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+(?:[.,']\w+)*", re.UNICODE)
# Myers' algorithm costs O(N·D) (N tokens, D edits), and with Diff_Timeout 0 diff-match-patch
# never takes its faster, inexact paths. A hunk whose cost would pass this budget (a rewritten
# passage) is aligned sentence by sentence first, and a run of sentences that would still pass
# it is shown as deleted then inserted: for a rewrite, a word diff says nothing more.
_MAX_HUNK_TOKENS = 20_000
_MAX_WORD_DIFF_COST = 2_000_000
# The same budget for lines and sentences (N·D, D at least the units the two sides do not
# share): two versions of a rewritten document (thousands of paragraphs, nearly all changed)
# are aligned on the lines found once in each (patience diff) and Myers runs between them; a
# stretch with no such line that is still over budget is shown as deleted then inserted.
# Under the budget (every ordinary change) the diff is Myers' own, unchanged.
_MAX_UNIT_DIFF_COST = 10_000_000


def _engine() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # deterministic: never stop early because the machine is slow
    return dmp


def _encode(old: list[str], new: list[str]) -> tuple[str, str, list[str]]:
    """Encode each distinct token as one character, as ``diff_linesToChars`` does for lines."""
    table: list[str] = [""]
    index: dict[str, int] = {}

    def encode(tokens: list[str]) -> str:
        chars = []
        for token in tokens:
            if token not in index:
                index[token] = len(table)
                table.append(token)
            chars.append(chr(index[token]))
        return "".join(chars)

    return encode(old), encode(new), table


def _decode(diffs: list, table: list[str]) -> list[Op]:
    return [(op, "".join(table[ord(c)] for c in text)) for op, text in diffs]


def diff_lines(old: str, new: str) -> list[Op]:
    """Line-level diff: every op's text is made of whole lines."""
    return list(_line_ops(old, new))


@functools.lru_cache(maxsize=2)
def _line_ops(old: str, new: str) -> tuple[Op, ...]:
    # Pure and the costliest step of a comparison (Myers is O(N·D) in lines): ``compare``
    # diffs the texts and then classifies the same pair, which reads the same line diff.
    dmp = _engine()
    a, b, lines = dmp.diff_linesToChars(old, new)
    diffs = _diff_encoded(dmp, a, b)
    dmp.diff_charsToLines(diffs, lines)
    return tuple((op, text) for op, text in diffs if text)


def _diff_encoded(dmp: diff_match_patch, a: str, b: str, depth: int = 0) -> list:
    """Diff two strings of encoded units (one character a line, a sentence): Myers when its
    cost is within ``_MAX_UNIT_DIFF_COST``, else aligned on the units found once in each."""
    if _unit_cost(a, b) <= _MAX_UNIT_DIFF_COST:
        return dmp.diff_main(a, b, False)
    head = dmp.diff_commonPrefix(a, b)
    tail = dmp.diff_commonSuffix(a[head:], b[head:])
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    ops = [(EQUAL, a[:head])] if head else []
    anchors = _anchors(middle_a, middle_b) if depth < 32 else []
    if not anchors:
        ops += [(op, text) for op, text in ((DELETE, middle_a), (INSERT, middle_b)) if text]
    else:
        i = j = 0
        for ai, bj in anchors:
            ops += _diff_encoded(dmp, middle_a[i:ai], middle_b[j:bj], depth + 1)
            ops.append((EQUAL, middle_a[ai]))
            i, j = ai + 1, bj + 1
        ops += _diff_encoded(dmp, middle_a[i:], middle_b[j:], depth + 1)
    if tail:
        ops.append((EQUAL, a[len(a) - tail :]))
    if depth == 0:
        dmp.diff_cleanupMerge(ops)
    return ops


def _unit_cost(a: str, b: str) -> int:
    """A lower bound of Myers' work on ``a`` and ``b``: length times the units not shared."""
    n = len(a) + len(b)
    if n * n <= _MAX_UNIT_DIFF_COST:
        return 0
    shared = sum((Counter(a) & Counter(b)).values())
    return n * (n - 2 * shared)


def _anchors(a: str, b: str) -> list[tuple[int, int]]:
    """Positions of the units found exactly once in ``a`` and once in ``b``, the longest run
    of them in the same order in both (patience diff's anchors)."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {unit: j for j, unit in enumerate(b) if count_b[unit] == 1}
    pairs = [(i, where_b[unit]) for i, unit in enumerate(a) if count_a[unit] == 1 and unit in where_b]
    # Longest increasing subsequence of the b positions (patience sorting), O(k log k).
    tops: list[int] = []  # b position at the top of each pile
    top_index: list[int] = []  # index in ``pairs`` of that top
    back: list[int] = [-1] * len(pairs)
    for k, (_, bj) in enumerate(pairs):
        pile = bisect.bisect_left(tops, bj)
        back[k] = top_index[pile - 1] if pile else -1
        if pile == len(tops):
            tops.append(bj)
            top_index.append(k)
        else:
            tops[pile] = bj
            top_index[pile] = k
    run: list[tuple[int, int]] = []
    k = top_index[-1] if top_index else -1
    while k >= 0:
        run.append(pairs[k])
        k = back[k]
    return run[::-1]


def _diff_words(old: str, new: str) -> list[Op]:
    # A long paragraph with one word changed: keep the common ends out of the tokenizer
    # (cut at whitespace, so no word or number is split).
    head = len(_common_prefix(old, new))
    while head and not old[head - 1].isspace():
        head -= 1
    tail = len(_common_prefix(old[head:][::-1], new[head:][::-1]))
    while tail and not old[len(old) - tail].isspace():
        tail -= 1
    if head or tail:
        middle = _diff_middle(old[head : len(old) - tail], new[head : len(new) - tail])
        ends = [(EQUAL, old[:head])] + middle + [(EQUAL, old[len(old) - tail :])]
        return [(op, text) for op, text in ends if text]
    return _diff_middle(old, new)


def _common_prefix(a: str, b: str) -> str:
    return os.path.commonprefix([a, b])


def _diff_middle(old: str, new: str) -> list[Op]:
    if not old or not new:
        return [(DELETE, old)] if old else [(INSERT, new)] if new else []
    dmp = _engine()
    a, b, table = _encode(_TOKEN.findall(old), _TOKEN.findall(new))
    diffs = dmp.diff_main(a, b, False)
    # Semantic cleanup on tokens, not characters, so it never splits a word or a number
    # ("24" → "12" stays one replacement instead of "[-4-]{+1+}2"-style fragments).
    dmp.diff_cleanupSemantic(diffs)
    decoded = _decode(diffs, table)
    dmp.diff_cleanupSemanticLossless(decoded)  # slide lone edits onto word boundaries
    return [(op, text) for op, text in decoded if text]


_SENTENCE = re.compile(r".+?(?:[.!?;:](?=\s)\s*|\n|$)|\n", re.DOTALL)


def _diff_units(old: list[str], new: list[str]) -> list[Op]:
    """Diff two token lists, each token encoded as one character."""
    a, b, table = _encode(old, new)
    dmp = _engine()
    return _decode(_diff_encoded(dmp, a, b), table)


def _affordable(old: str, new: str) -> bool:
    """Whether a word diff of ``old`` and ``new`` stays within the cost budget. The edit count
    is bounded below by the tokens the two sides do not share."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    n = len(a) + len(b)
    if n > _MAX_HUNK_TOKENS:
        return False
    # Spaces are shared by any two texts: count the edits on words and signs, twice (each
    # word edited brings the space next to it along).
    words_a = [t for t in a if not t.isspace()]
    words_b = [t for t in b if not t.isspace()]
    shared = sum((Counter(words_a) & Counter(words_b)).values())
    return n * 2 * (len(words_a) + len(words_b) - 2 * shared) <= _MAX_WORD_DIFF_COST


def _diff_hunk(old: str, new: str) -> list[Op]:
    if not old or not new:
        return [(DELETE, old)] if old else [(INSERT, new)] if new else []
    if _affordable(old, new):
        return _diff_words(old, new)
    # A huge hunk (a rewritten page, or a page without line breaks): align sentences first,
    # then diff words inside each changed run of sentences that is small enough.
    ops: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in _diff_units(_SENTENCE.findall(old), _SENTENCE.findall(new)) + [(EQUAL, "")]:
        if op == DELETE:
            deleted.append(text)
        elif op == INSERT:
            inserted.append(text)
        else:
            o, n = "".join(deleted), "".join(inserted)
            if o and n and _affordable(o, n):
                ops.extend(_diff_words(o, n))
            else:
                ops.extend([(DELETE, o), (INSERT, n)])
            deleted.clear()
            inserted.clear()
            ops.append((EQUAL, text))
    return ops


class _Moved(str):
    """A whole moved line: ``_merge`` keeps it as an op of its own."""


def _merge(ops: list[Op]) -> list[Op]:
    """Join neighbouring ops of the same kind and order each change as delete then insert;
    moved lines stay separate ops."""
    merged: list[Op] = []
    pending_del: list[str] = []
    pending_ins: list[str] = []

    def flush() -> None:
        if pending_del:
            merged.append((DELETE, "".join(pending_del)))
        if pending_ins:
            merged.append((INSERT, "".join(pending_ins)))
        pending_del.clear()
        pending_ins.clear()

    for op, text in ops:
        if not text:
            continue
        if isinstance(text, _Moved):
            flush()
            merged.append((op, str(text)))
        elif op == DELETE:
            pending_del.append(text)
        elif op == INSERT:
            pending_ins.append(text)
        else:
            flush()
            if merged and merged[-1][0] == EQUAL:
                merged[-1] = (EQUAL, merged[-1][1] + text)
            else:
                merged.append((EQUAL, text))
    flush()
    return merged


def diff_texts(old: str, new: str) -> list[Op]:
    """Ops turning ``old`` into ``new``: lines first, then words inside each changed hunk;
    lines that moved unchanged are whole ops of their own (see ``find_moves``).

    Joining the equal and insert texts gives ``new``; joining equal and delete texts gives ``old``.
    """
    if old == new:
        return [(EQUAL, old)] if old else []
    hunks: list[tuple[list[str], list[str], str]] = []  # (deleted lines, inserted lines, equal)
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in diff_lines(old, new) + [(EQUAL, "")]:
        if op == DELETE:
            deleted.extend(text.splitlines(keepends=True))
        elif op == INSERT:
            inserted.extend(text.splitlines(keepends=True))
        else:
            hunks.append((deleted, inserted, text))
            deleted, inserted = [], []
    moved = _moved_lines(hunks)
    ops: list[Op] = []
    for deleted, inserted, equal in hunks:
        ops.extend(_diff_hunk_with_moves(deleted, inserted, moved))
        ops.append((EQUAL, equal))
    return _merge(ops)


MIN_MOVE_CHARS = 24  # shorter lines ("Yes.", "- Fees") recur by chance, not because they moved


def _move_key(line: str) -> str:
    return line.strip()


def _moved_lines(hunks: list[tuple[list[str], list[str], str]]) -> set[str]:
    """Lines deleted exactly once and inserted exactly once: the same paragraph, elsewhere."""
    gone = Counter(_move_key(line) for d, _, _ in hunks for line in d)
    came = Counter(_move_key(line) for _, i, _ in hunks for line in i)
    return {key for key, count in gone.items() if count == 1 and came.get(key) == 1 and len(key) >= MIN_MOVE_CHARS}


def _diff_hunk_with_moves(deleted: list[str], inserted: list[str], moved: set[str]) -> list[Op]:
    if not moved:
        return _diff_hunk("".join(deleted), "".join(inserted))
    old_rest, old_moves = _split_moved(deleted, moved)
    new_rest, new_moves = _split_moved(inserted, moved)
    ops = _diff_hunk(old_rest, new_rest)
    ops = _place(ops, old_moves, DELETE)
    return _place(ops, new_moves, INSERT)


def _split_moved(lines: list[str], moved: set[str]) -> tuple[str, list[tuple[int, str]]]:
    """The hunk side without its moved lines, and each moved line with its offset in that rest."""
    rest: list[str] = []
    size = 0
    moves: list[tuple[int, str]] = []
    for line in lines:
        if _move_key(line) in moved:
            moves.append((size, line))
        else:
            rest.append(line)
            size += len(line)
    return "".join(rest), moves


def _place(ops: list[Op], moves: list[tuple[int, str]], kind: int) -> list[Op]:
    """Insert each moved line as its own ``kind`` op at its offset on that side of the diff."""
    if not moves:
        return ops
    skip = INSERT if kind == DELETE else DELETE  # ops that do not advance this side
    out: list[Op] = []
    pos = 0
    pending = list(moves)
    for op, text in ops:
        if op != skip:
            while pending and pending[0][0] < pos + len(text):
                at = pending[0][0] - pos
                out.append((op, text[:at]))
                out.append((kind, _Moved(pending.pop(0)[1])))
                text, pos = text[at:], pos + at
            pos += len(text)
        out.append((op, text))
    out.extend((kind, _Moved(line)) for _, line in pending)
    return [(op, text) for op, text in out if text]


@dataclass(frozen=True)
class Move:
    deleted: int  # index in ops of the deletion (where the text was)
    inserted: int  # index in ops of the insertion (where it is now)


def find_moves(ops: list[Op] | tuple[Op, ...]) -> list[Move]:
    """Pairs of a deletion and an insertion of the same whole lines: a block that moved."""
    gone: dict[str, list[int]] = {}
    for i, (op, text) in enumerate(ops):
        if op == DELETE and _is_block(text):
            gone.setdefault(_move_key(text), []).append(i)
    moves = []
    for j, (op, text) in enumerate(ops):
        if op == INSERT and _is_block(text):
            candidates = gone.get(_move_key(text))
            if candidates:
                moves.append(Move(candidates.pop(0), j))
    return sorted(moves, key=lambda m: m.deleted)


def _is_block(text: str) -> bool:
    return text.endswith("\n") and len(text.strip()) >= MIN_MOVE_CHARS


def old_text(ops: list[Op]) -> str:
    return "".join(text for op, text in ops if op != INSERT)


def new_text(ops: list[Op]) -> str:
    return "".join(text for op, text in ops if op != DELETE)


# ---------------------------------------------------------------- rendering

ELISION = "…"


def _context(ops: list[Op], context_lines: int | None) -> list[tuple[int, str, bool, int]]:
    """Ops with long unchanged stretches cut down to ``context_lines`` lines around changes.
    Each item is (op, text, elided_before, index of the op in ``ops``)."""
    if context_lines is None:
        return [(op, text, False, i) for i, (op, text) in enumerate(ops)]
    n = max(context_lines, 0)
    out: list[tuple[int, str, bool, int]] = []
    last = len(ops) - 1
    for i, (op, text) in enumerate(ops):
        if op != EQUAL:
            out.append((op, text, False, i))
            continue
        after_change = i > 0
        before_change = i < last
        # After a change that ended mid-line, the rest of that line is not a context line.
        skip_head = n + (0 if (i == 0 or ops[i - 1][1].endswith("\n")) else 1)
        head = _first_lines(text, skip_head) if after_change else ""
        tail = _last_lines(text, n + 1) if before_change else ""
        if len(head) + len(tail) >= len(text):
            out.append((EQUAL, text, False, i))
            continue
        if head:
            out.append((EQUAL, head, False, i))
        out.append((EQUAL, tail, True, i))
    return out


def _move_notes(ops: list[Op]) -> dict[int, str]:
    """For each op that is half of a move: "below"/"above" (where the text went, for its old
    place) or "from above"/"from below" (where it came from, for its new place)."""
    notes: dict[int, str] = {}
    for move in find_moves(ops):
        down = move.deleted < move.inserted
        notes[move.deleted] = "below" if down else "above"
        notes[move.inserted] = "from above" if down else "from below"
    return notes


def _blank_beside_move(ops: list[Op], index: int, notes: dict[int, str]) -> bool:
    """A deleted or inserted blank line next to a moved block: the paragraph break that moved
    with it, not worth a marker of its own."""
    op, text = ops[index]
    return op != EQUAL and not text.strip("\n") and (index - 1 in notes or index + 1 in notes)


def _first_lines(text: str, count: int) -> str:
    """``text`` up to and including its ``count``-th newline."""
    end = 0
    for _ in range(count):
        found = text.find("\n", end)
        if found < 0:
            return text
        end = found + 1
    return text[:end]


def _last_lines(text: str, count: int) -> str:
    """``text`` after its ``count``-th newline from the end (a trailing newline counts)."""
    start = len(text)
    for _ in range(count):
        found = text.rfind("\n", 0, start)
        if found < 0:
            return text
        start = found
    return text[start + 1 :]


def render_html(ops: list[Op], context_lines: int | None = None) -> str:
    """HTML fragment with ``<ins>``/``<del>``; newlines are kept, so style the container with
    ``white-space: pre-wrap``. With ``context_lines``, unchanged stretches are cut to that many
    lines around each change and the gap shown as ``<span class="diff-elided">…</span>``.
    A moved block is ``<del class="diff-moved">`` where it was and ``<ins class="diff-moved">``
    where it is now, each with a ``title`` saying where the other half is."""
    notes = _move_notes(list(ops))
    parts = []
    for op, text, elided, index in _context(list(ops), context_lines):
        if elided:
            parts.append(f'<span class="diff-elided">{ELISION}</span>\n')
        escaped = html.escape(text, quote=False)
        moved = f' class="diff-moved" title="moved {notes[index]}"' if index in notes else ""
        if op == INSERT:
            parts.append(f"<ins{moved}>{escaped}</ins>")
        elif op == DELETE:
            parts.append(f"<del{moved}>{escaped}</del>")
        else:
            parts.append(escaped)
    return "".join(parts)


def render_text(ops: list[Op], context_lines: int = 2) -> str:
    """Terminal rendering: ``[-deleted-]{+inserted+}``, like ``git diff --word-diff=plain``.
    A moved block shows in full where it is now, ``{moved from above: …}``, and as a pointer
    where it was, ``[moved below: first words…]``."""
    ops = list(ops)
    notes = _move_notes(ops)
    parts = []
    for op, text, elided, index in _context(ops, context_lines):
        if elided:
            parts.append(f"{ELISION}\n")
        if _blank_beside_move(ops, index, notes):
            parts.append("" if op == DELETE else text)
        elif index in notes and op == INSERT:
            parts.append(f"{{moved {notes[index]}: {text.rstrip()}}}\n")
        elif index in notes:
            parts.append(f"[moved {notes[index]}: {_first_words(text)}]\n")
        elif op == INSERT:
            parts.append(f"{{+{text}+}}")
        elif op == DELETE:
            parts.append(f"[-{text}-]")
        else:
            parts.append(text)
    rendered = "".join(parts)
    return rendered if rendered.endswith("\n") or not rendered else rendered + "\n"


def _first_words(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def diff_stats(ops: list[Op]) -> dict[str, int]:
    """Counts for a change: words inserted and deleted (moved blocks apart), words in moved
    blocks, and lines of the rendered diff (old and new interleaved, as in ``render_text``)
    that show any change."""
    moved = {i for m in find_moves(ops) for i in (m.deleted, m.inserted)}
    inserted = sum(len(_WORD.findall(text)) for i, (op, text) in enumerate(ops) if op == INSERT and i not in moved)
    deleted = sum(len(_WORD.findall(text)) for i, (op, text) in enumerate(ops) if op == DELETE and i not in moved)
    moved_words = sum(len(_WORD.findall(ops[i][1])) for i in moved if ops[i][0] == INSERT)
    changed_lines = 0
    line_changed = False
    for op, text in ops:
        pieces = text.split("\n")
        for k, piece in enumerate(pieces):
            if op != EQUAL and (piece or k < len(pieces) - 1):
                line_changed = True
            if k < len(pieces) - 1:  # a newline ends the current line
                changed_lines += line_changed
                line_changed = False
    changed_lines += line_changed
    return {
        "inserted_words": inserted,
        "deleted_words": deleted,
        "moved_words": moved_words,
        "changed_lines": changed_lines,
    }


def diff_tokens(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Diff two lists of tokens (words): (op, how many tokens) in order, bounded in cost like
    the line diff (each token encoded as one character)."""
    a, b, _ = _encode(old, new)
    return [(op, len(text)) for op, text in _diff_encoded(_engine(), a, b) if text]
