"""The classification rules: what an edited, added, removed or moved passage says changed.

``compare_pair`` reads a passage that was edited (cell by cell for a table row),
``lone_passage`` one that was added or removed without a counterpart, ``moved`` one that moved;
each returns findings (``diffs.findings``), worded with the vocabulary of ``diffs.kinds``. The
engine that walks the diff and turns findings into a verdict is ``diffs.classify``.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from diffs.dates import effect_word, find_dates, is_stated_label_before, stated_dates
from diffs.findings import Finding, quote, shorten, with_section
from diffs.kinds import DUE, MODALS, NEGATIONS, WEIGHTS
from diffs.numbers import (
    CLAUSE_NUMBER,
    REFERENCES,
    Quantity,
    arrow,
    headline,
    is_deadline,
    quantities,
    strip_counters,
    subject_of,
)
from diffs.passages import (
    WORDS,
    Passage,
    cells,
    plain_text,
    without_link_targets,
    word_list,
)

# A short passage without a verb ending in a full stop: a title, an item of a table of contents.
_TITLE_WORDS = 6


class Context:
    """What every comparison needs to know about the two versions."""

    def __init__(self, old: str, new: str) -> None:
        self.old_stated = set(stated_dates(old))
        self.new_stated = set(stated_dates(new))


def _unstated(text: str, stated: set[str]) -> str:
    """``text`` without the page's own stated dates (so "Last updated: X" lines compare equal)."""
    date_line = len(word_list(_undated(text))) <= 3
    for start, end, iso in sorted(find_dates(text), reverse=True):
        if iso in stated and (date_line or is_stated_label_before(text, start)):
            text = text[:start] + text[end:]
    return text


def _dates(text: str, stated: set[str]) -> list[tuple[str, str | None]]:
    """(iso, effect word) of the dates in a passage, minus the page's own stated dates (a
    "Last updated: …" label, or a date line of its own)."""
    found = []
    date_line = len(word_list(_undated(text))) <= 3
    for start, _, iso in find_dates(text):
        if iso in stated and (date_line or is_stated_label_before(text, start)):
            continue
        found.append((iso, effect_word(text, start)))
    return found


def _weight(text: str) -> str | None:
    """What makes an added or removed passage a rule: prohibition, deadline, fee, threshold or
    obligation (the first that applies); None for a passage that sets no rule."""
    return next((name for name, pattern in WEIGHTS if pattern.search(text)), None)


def _changed_span(old: str, new: str) -> tuple[str, str]:
    """The part of each text that differs, widened to whole words plus one word each side."""
    a, b = word_list(old), word_list(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return shorten(old, 60), shorten(new, 60)
    _, i1, _, j1, _ = changes[0]
    _, _, i2, _, j2 = changes[-1]
    i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
    i2, j2 = min(i2 + 1, len(a)), min(j2 + 1, len(b))
    return shorten(" ".join(a[i1:i2]), 60), shorten(" ".join(b[j1:j2]), 60)


def _modal(word: str) -> str:
    """ "requires" and "require", "prohibits" and "prohibit" are the same obligation word."""
    return word[:-1] if word.endswith("s") and word[:-1] in MODALS else word


def _modal_change(old: str, new: str) -> tuple[list[str], list[str]]:
    """Obligation words replaced, in order: (["may"], ["must"])."""
    a = [_modal(w.lower()) for w in word_list(old)]
    b = [_modal(w.lower()) for w in word_list(new)]
    gone: list[str] = []
    came: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            gone += [w for w in a[i1:i2] if w in MODALS]
            came += [w for w in b[j1:j2] if w in MODALS]
    return gone, came


def _pair_quantities(gone: list[Quantity], came: list[Quantity]) -> list[tuple[Quantity | None, Quantity | None]]:
    """Pair removed and added quantities in order, same kind first."""
    pairs: list[tuple[Quantity | None, Quantity | None]] = []
    came = list(came)
    for g in gone:
        match = next((c for c in came if c.kind == g.kind), None)
        if match is None and g.kind == "plain":
            match = next((c for c in came if c.kind == "plain"), None)
        if match is not None:
            came.remove(match)
        pairs.append((g, match))
    pairs += [(None, c) for c in came]
    return sorted(pairs, key=lambda p: (p[1] or p[0]).start)  # type: ignore[union-attr]


def _subject(text: str, q: Quantity, floor: int, hint: str, unit: Passage) -> tuple[str, str]:
    """What the quantity sets: the table's row and column, else the words before it, else the
    heading above it ("Keep it under 2.5 %" under "Cancel rate")."""
    subject, qualifier = subject_of(text[floor:], q.start - floor, q.end - floor)
    if not (hint or subject) and unit.lead:
        subject = _defined_term(unit.lead)
    if not (hint or subject) and unit.section and len(unit.section.path) > 1:
        subject = unit.section.title
    return (hint or subject), qualifier


_DEFINED = re.compile(r'^\W*"([^"]{2,60})"|^\*\*([^*]{2,60})\*\*')


def _defined_term(lead: str) -> str:
    """What a list's introducing sentence defines: '"Insurance Limits" means one of…' gives
    "Insurance Limits"; otherwise its first words."""
    plain = plain_text(lead)
    match = _DEFINED.match(lead.replace("**", "", 0)) or _DEFINED.match(plain)
    if match:
        return (match.group(1) or match.group(2)).strip('" ')
    words = plain.rstrip(":").split()
    return " ".join(words[:6]) if len(words) <= 8 else ""


def _number_findings(
    old: str, new: str, unit: Passage, hint: str, hint_rank: int, passages: tuple[str, ...]
) -> tuple[list[Finding], list[str], list[str]]:
    """Findings for changed quantities; also returns the counters of each side."""
    (old_q, old_counters), (new_q, new_counters) = quantities(old), quantities(new)
    findings: list[Finding] = []
    old_keys = Counter(q.key for q in old_q)
    new_keys = Counter(q.key for q in new_q)
    if old_keys == new_keys:
        return findings, old_counters, new_counters
    gone, came = [], []
    remaining = Counter(new_keys)
    for q in old_q:
        if remaining[q.key] > 0:
            remaining[q.key] -= 1
        else:
            gone.append(q)
    remaining = Counter(old_keys)
    for q in new_q:
        if remaining[q.key] > 0:
            remaining[q.key] -= 1
        else:
            came.append(q)
    for g, c in _pair_quantities(gone, came):
        side, q = (new, c) if c is not None else (old, g)
        assert q is not None
        earlier = [p.end for p in (new_q if c is not None else old_q) if p.end <= q.start]
        subject, qualifier = _subject(side, q, max(earlier, default=0), hint, unit)
        # A bare number (no unit, no "under", "at least"...) is an address, an identifier or a
        # count in passing: a figure, not a rule.
        counts = bool(qualifier) or q.kind != "plain"
        if g is not None and c is not None:
            deadline = is_deadline(qualifier, c, side) or is_deadline(qualifier, g, old)
            kind = "deadline" if deadline else "number" if counts else "figure"
            text = arrow(subject, qualifier, g, c)
            plain_arrow = " ".join(x for x in (subject, qualifier, g.text) if x) + f" → {c.text}"
            head = (
                headline(subject, qualifier, g, c, deadline, named=bool(hint))
                if counts
                else with_section(unit, plain_arrow)
            )
            merge = (g.key, c.key)
        else:
            deadline = is_deadline(qualifier, q, side)
            kind = "deadline" if deadline else "number" if counts else "figure"
            before = WORDS.findall(side[max(earlier, default=0) : q.start])[-8:]
            phrase = " ".join(before + [q.text])
            text = f"{'added' if c else 'removed'} {phrase!r}"
            head = with_section(unit, text)
            merge = (None if g is None else g.key, None if c is None else c.key)
        findings.append(Finding(kind, text, head, unit, passages, merge=merge + (kind,), subject_rank=hint_rank))
    return findings, old_counters, new_counters


def _compare_text(old: str, new: str, unit: Passage, ctx: Context, hint: str = "", hint_rank: int = 0) -> list[Finding]:
    """Reasons for a passage (or a table cell) that was edited."""
    passages = (old, new)
    if old == new:
        return []
    if without_link_targets(old) == without_link_targets(new):
        text = f"link target changed in {quote(new, 60)}" if plain_text(new) else "link target changed"
        return [Finding("link", text, with_section(unit, text), unit, passages)]
    counters = quantities(plain_text(old))[1], quantities(plain_text(new))[1]
    if counters[0] != counters[1] and strip_counters(plain_text(old)) == strip_counters(plain_text(new)):
        text = f"counter {' '.join(counters[0]) or 'none'} → {' '.join(counters[1]) or 'none'}"
        return [Finding("counter", text, with_section(unit, text), unit, passages)]
    # From here on, compare what a reader sees: numbers in link targets and clause numbering
    # ("1. Introduction" vs "1.Introduction", or renumbered clauses) are not rules.
    p_old, p_new = CLAUSE_NUMBER.sub("", plain_text(old)), CLAUSE_NUMBER.sub("", plain_text(new))
    if p_old == p_new:
        text = f"formatting of {quote(new, 60)}"
        return [Finding("formatting", text, with_section(unit, text), unit, passages)]

    if _unstated(p_old, ctx.old_stated) == _unstated(p_new, ctx.new_stated):
        if [d for _, _, d in find_dates(p_old)] == [d for _, _, d in find_dates(p_new)]:
            text = f"the page's date is written differently: {quote(new, 60)}"
            return [Finding("whitespace", text, with_section(unit, text), unit, passages)]
        return []  # only the page's own date changed: one "stated-date" reason says so
    findings: list[Finding] = []
    old_dates, new_dates = _dates(p_old, ctx.old_stated), _dates(p_new, ctx.new_stated)
    if [d for d, _ in old_dates] != [d for d, _ in new_dates]:
        gone = [d for d in old_dates if d[0] not in [n for n, _ in new_dates]]
        came = [d for d in new_dates if d[0] not in [o for o, _ in old_dates]]
        for k in range(max(len(gone), len(came))):
            g = gone[k] if k < len(gone) else None
            c = came[k] if k < len(came) else None
            effect = (c and c[1]) or (g and g[1])
            due = bool(effect) and DUE.match(effect) is not None
            kind = "deadline" if due else "effective-date" if effect else "date"
            label = "due date" if due else "effective date" if effect else "date"
            text = f"{label} {g[0] if g else 'none'} → {c[0] if c else 'none'}"
            findings.append(
                Finding(
                    kind,
                    text,
                    with_section(unit, text),
                    unit,
                    passages,
                    effective=c[0] if c and effect and not due else None,
                )
            )

    numbers, old_counters, new_counters = _number_findings(p_old, p_new, unit, hint, hint_rank, passages)
    findings += numbers

    lower_old = [w.lower() for w in word_list(p_old)]
    lower_new = [w.lower() for w in word_list(p_new)]
    neg_old = Counter(w for w in lower_old if w in NEGATIONS)
    neg_new = Counter(w for w in lower_new if w in NEGATIONS)
    if neg_old != neg_new:
        added = _counted(neg_new - neg_old)
        removed = _counted(neg_old - neg_new)
        what = "; ".join(p for p in (added and f"added {added}", removed and f"removed {removed}") if p)
        text = f"{what}: {quote(new if added else old)}"
        findings.append(Finding("negation", text, with_section(unit, text), unit, passages))
    else:
        gone_modals, came_modals = _modal_change(p_old, p_new)
        if Counter(gone_modals) != Counter(came_modals):
            if not gone_modals:
                change = f"adds {', '.join(repr(w) for w in came_modals)}"
            elif not came_modals:
                change = f"drops {', '.join(repr(w) for w in gone_modals)}"
            else:
                change = f"{' '.join(gone_modals)} → {' '.join(came_modals)}"
            text = f"{change}: {quote(new)}"
            head = f"{change} in {quote(new, 60)}"
            findings.append(Finding("obligation", text, with_section(unit, head), unit, passages))

    if findings:
        return findings
    old_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_old)]
    new_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_new)]
    if old_refs != new_refs and word_list(REFERENCES.sub("#", p_old)) == word_list(REFERENCES.sub("#", p_new)):
        gone_r = [r for r in old_refs if r not in new_refs]
        came_r = [r for r in new_refs if r not in old_refs]
        text = f"cross-references renumbered: {', '.join(gone_r) or 'none'} → {', '.join(came_r) or 'none'}"
        return [Finding("reference", text, with_section(unit, text), unit, passages)]
    if old_counters != new_counters and strip_counters(p_old) == strip_counters(p_new):
        text = f"counter {' '.join(old_counters) or 'none'} → {' '.join(new_counters) or 'none'}"
        return [Finding("counter", text, with_section(unit, text), unit, passages)]
    if word_list(p_old) == word_list(p_new):
        text = f"punctuation or spacing in {quote(new, 60)}"
        return [Finding("whitespace", text, with_section(unit, text), unit, passages)]
    if lower_old == lower_new:
        text = "letter case: {!r} → {!r}".format(*_changed_span(p_old, p_new))
        return [Finding("wording", text, with_section(unit, text), unit, passages)]
    a, b = _changed_span(p_old, p_new)
    spelling = _spelling_fix(p_old, p_new)
    text = f"spelling: {spelling[0]!r} → {spelling[1]!r}" if spelling else f"{a!r} → {b!r}"
    return [Finding("wording", text, with_section(unit, text), unit, passages)]


def _counted(words: Counter[str]) -> str:
    """ "'not'", "'not' (2)", "'no', 'not'"."""
    return ", ".join(f"{w!r}" + (f" ({n})" if n > 1 else "") for w, n in sorted(words.items()))


def _spelling_fix(old: str, new: str) -> tuple[str, str] | None:
    """One word replaced by a word spelled almost the same ("availble" → "available")."""
    a, b = word_list(old), word_list(new)
    ops = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(ops) != 1 or ops[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = ops[0]
    if i2 - i1 != 1 or j2 - j1 != 1:
        return None
    x, y = a[i1], b[j1]
    if SequenceMatcher(None, x.lower(), y.lower()).ratio() >= 0.8 and min(len(x), len(y)) >= 4:
        return x, y
    return None


def compare_pair(o: Passage, n: Passage, ctx: Context) -> list[Finding]:
    if o.text == n.text:
        return []
    if o.kind == n.kind == "table row" and o.header and n.header:
        old_cells, new_cells = cells(o.text), cells(n.text)
        if len(old_cells) == len(new_cells) == len(n.header) and old_cells[0] == new_cells[0]:
            findings: list[Finding] = []
            row = plain_text(new_cells[0])
            for k, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)):
                if a != b:
                    column = n.header[k]
                    hint = row if k == 0 or not column or column.lower() in row.lower() else (f"{row} {column.lower()}")
                    findings += _compare_text(a, b, n, ctx, hint=hint, hint_rank=1)
            return findings
    return _compare_text(o.text, n.text, n, ctx)


def lone_passage(unit: Passage, added: bool, ctx: Context) -> list[Finding]:
    """Reasons for a passage that was added (or removed) without a counterpart."""
    verb = "added" if added else "removed"
    plain = CLAUSE_NUMBER.sub("", unit.plain)
    passages = (unit.text,)
    if not re.search(r"\w", plain):
        text = f"{verb} {quote(unit.text, 40)}" if plain else f"{verb} markup"
        return [Finding("formatting", text, with_section(unit, text), unit, passages)]
    stated = ctx.new_stated if added else ctx.old_stated
    dated = find_dates(plain)
    if dated and len(word_list(_undated(plain))) <= 4 and all(iso in stated for _, _, iso in dated):
        return []  # the page's own date line: reported once, as the stated date
    counters = quantities(plain)[1]
    if counters and not re.search(r"[^\W\d]", _undated(strip_counters(plain)).replace("#", "")):
        text = f"counter {verb}: {' '.join(counters)}"
        return [Finding("counter", text, with_section(unit, text), unit, passages)]
    if unit.kind == "heading" or (len(word_list(plain)) <= _TITLE_WORDS and not re.search(r"[.!?;:]\W*$", plain)):
        text = (
            f"{verb} heading {quote(unit.text, 70)}"
            if unit.kind == "heading"
            else (f"{verb} title {quote(unit.text, 70)}")
        )
        return [Finding("wording", text, with_section(unit, text), unit, passages)]
    # An added passage announcing when something takes effect is reported as that date.
    effective = [(iso, effect_word(plain, start)) for start, _, iso in dated]
    effective = [(iso, word) for iso, word in effective if word]
    effective = [(iso, word) for iso, word in effective if not DUE.match(word)]
    if added and effective:
        iso = effective[0][0]
        text = f"effective {iso}: {quote(unit.text)}"
        return [
            Finding(
                "effective-date",
                text,
                f"effective {iso}",
                unit,
                passages,
                effective=iso,
                lead=f"effective {iso}: {quote(unit.text, 80)}",
            )
        ]
    # A question is a heading or an FAQ prompt ("How may you appeal a fee?"), not a rule.
    weight = _weight(plain)
    if weight and not unit.text.rstrip("*_ ").endswith("?"):
        text = f"{verb} {weight}: {quote(unit.text)}"
        where = f" in {unit.section.title}" if unit.section else ""
        head = f"{'New' if added else 'Removed'} {weight}{where}: {quote(unit.text, 70)}"
        return [Finding(f"{verb}-obligation", text, head, unit, passages)]
    text = f"{verb} {quote(unit.text, 70)}"
    return [Finding("wording", text, with_section(unit, text), unit, passages)]


def _undated(text: str) -> str:
    for start, end, _ in sorted(find_dates(text), reverse=True):
        text = text[:start] + text[end:]
    return text


def join_counters(findings: list[Finding]) -> list[Finding]:
    """A counter line removed and another added (the date and the count both moved on) is one
    counter change."""
    gone = [f for f in findings if f.kind == "counter" and f.text.startswith("counter removed")]
    came = [f for f in findings if f.kind == "counter" and f.text.startswith("counter added")]
    if not (gone and came):
        return findings
    before = " ".join(f.text.removeprefix("counter removed: ") for f in gone)
    after = " ".join(f.text.removeprefix("counter added: ") for f in came)
    text = f"counter {before} → {after}"
    joined = Finding("counter", text, with_section(came[0].unit, text), came[0].unit)
    return [f for f in findings if f not in gone and f not in came] + [joined]


def moved(o: Passage, n: Passage) -> Finding:
    a, b = o.section.title if o.section else "", n.section.title if n.section else ""
    where = f"from «{a}» to «{b}»" if a != b and a and b else f"within «{b}»" if b else ""
    text = f"moved {where + ': ' if where else ''}{quote(n.text, 70)}"
    return Finding("moved", text, text[0].upper() + text[1:], n, (n.text,))
