"""Word-level diffs of normalized Markdown, deterministic and bounded in time.

This is the only module that imports diff_match_patch. ``Diff_Timeout`` is 0, so results do not
depend on machine speed; cost stays bounded because the documents are first diffed line by
line (each line encoded as one character), and only the changed hunks are diffed again, word
by word, followed by diff-match-patch's semantic cleanup. Diffing whole documents character
by character instead takes minutes on a 200 KB page.
"""

from __future__ import annotations

import html
import re

from diff_match_patch import diff_match_patch

Op = tuple[int, str]  # (-1 delete | 0 equal | 1 insert, text): diff-match-patch's convention
DELETE, EQUAL, INSERT = -1, 0, 1

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+(?:[.,']\w+)*", re.UNICODE)
# Above this many tokens in one changed hunk, the word diff is run line pair by line pair:
# Myers' algorithm is O(N·D) and a wholly rewritten page would otherwise take seconds.
_MAX_HUNK_TOKENS = 20_000


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
    dmp = _engine()
    a, b, lines = dmp.diff_linesToChars(old, new)
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_charsToLines(diffs, lines)
    return [(op, text) for op, text in diffs if text]


def _diff_words(old: str, new: str) -> list[Op]:
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
    return _decode(_engine().diff_main(a, b, False), table)


def _diff_hunk(old: str, new: str) -> list[Op]:
    if not old or not new:
        return [(DELETE, old)] if old else [(INSERT, new)] if new else []
    if len(_TOKEN.findall(old)) + len(_TOKEN.findall(new)) <= _MAX_HUNK_TOKENS:
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
            if o and n and len(_TOKEN.findall(o)) + len(_TOKEN.findall(n)) <= _MAX_HUNK_TOKENS:
                ops.extend(_diff_words(o, n))
            else:
                ops.extend([(DELETE, o), (INSERT, n)])
            deleted.clear()
            inserted.clear()
            ops.append((EQUAL, text))
    return ops


def _merge(ops: list[Op]) -> list[Op]:
    """Join neighbouring ops of the same kind and order each change as delete then insert."""
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
        if op == DELETE:
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
    """Ops turning ``old`` into ``new``: lines first, then words inside each changed hunk.

    Joining the equal and insert texts gives ``new``; joining equal and delete texts gives ``old``.
    """
    if old == new:
        return [(EQUAL, old)] if old else []
    ops: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in diff_lines(old, new) + [(EQUAL, "")]:
        if op == DELETE:
            deleted.append(text)
        elif op == INSERT:
            inserted.append(text)
        else:
            ops.extend(_diff_hunk("".join(deleted), "".join(inserted)))
            deleted.clear()
            inserted.clear()
            ops.append((EQUAL, text))
    return _merge(ops)


def old_text(ops: list[Op]) -> str:
    return "".join(text for op, text in ops if op != INSERT)


def new_text(ops: list[Op]) -> str:
    return "".join(text for op, text in ops if op != DELETE)


# ---------------------------------------------------------------- rendering

ELISION = "…"


def _context(ops: list[Op], context_lines: int | None) -> list[tuple[int, str, bool]]:
    """Ops with long unchanged stretches cut down to ``context_lines`` lines around changes.
    Each item is (op, text, elided_before)."""
    if context_lines is None:
        return [(op, text, False) for op, text in ops]
    n = max(context_lines, 0)
    out: list[tuple[int, str, bool]] = []
    last = len(ops) - 1
    for i, (op, text) in enumerate(ops):
        if op != EQUAL:
            out.append((op, text, False))
            continue
        after_change = i > 0
        before_change = i < last
        # After a change that ended mid-line, the rest of that line is not a context line.
        skip_head = n + (0 if (i == 0 or ops[i - 1][1].endswith("\n")) else 1)
        head = _first_lines(text, skip_head) if after_change else ""
        tail = _last_lines(text, n + 1) if before_change else ""
        if len(head) + len(tail) >= len(text):
            out.append((EQUAL, text, False))
            continue
        if head:
            out.append((EQUAL, head, False))
        out.append((EQUAL, tail, True))
    return out


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
    lines around each change and the gap shown as ``<span class="diff-elided">…</span>``."""
    parts = []
    for op, text, elided in _context(ops, context_lines):
        if elided:
            parts.append(f'<span class="diff-elided">{ELISION}</span>\n')
        escaped = html.escape(text, quote=False)
        if op == INSERT:
            parts.append(f"<ins>{escaped}</ins>")
        elif op == DELETE:
            parts.append(f"<del>{escaped}</del>")
        else:
            parts.append(escaped)
    return "".join(parts)


def render_text(ops: list[Op], context_lines: int = 2) -> str:
    """Terminal rendering: ``[-deleted-]{+inserted+}``, like ``git diff --word-diff=plain``."""
    parts = []
    for op, text, elided in _context(ops, context_lines):
        if elided:
            parts.append(f"{ELISION}\n")
        if op == INSERT:
            parts.append(f"{{+{text}+}}")
        elif op == DELETE:
            parts.append(f"[-{text}-]")
        else:
            parts.append(text)
    rendered = "".join(parts)
    return rendered if rendered.endswith("\n") or not rendered else rendered + "\n"


def diff_stats(ops: list[Op]) -> dict[str, int]:
    """Counts for a change: words inserted and deleted, and lines of the rendered diff
    (old and new interleaved, as in ``render_text``) that show any change."""
    inserted = sum(len(_WORD.findall(text)) for op, text in ops if op == INSERT)
    deleted = sum(len(_WORD.findall(text)) for op, text in ops if op == DELETE)
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
    return {"inserted_words": inserted, "deleted_words": deleted, "changed_lines": changed_lines}
