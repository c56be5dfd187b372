"""Is a change substantive, minor or noise, and why? Readable rules, no statistics, no model.

The two versions are compared line by line. Each changed run of lines is cut into passages
(sentences, list items, table rows, headings); passages are matched up (identical ones dropped,
similar ones paired, the rest added or removed; a passage removed in one place and added in
another is a move) and each pair or lone passage yields reasons. ``KINDS`` lists every reason
kind with its class and what it means; ``docs/changes.md`` explains them with examples.

The class of a change is the strongest class among its reasons. ``silent`` is True when the
text changed but none of the page's own dates ("Last updated", "Effective") did, None when
the page states no date. Everything here is pure: the same texts (and detection time) give the
same classification on any machine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from diffs.dates import (
    effect_word,
    find_dates,
    is_stated_label_before,
    stated_date,
    stated_dates,
    stated_effective_date,
)
from diffs.diff import DELETE, EQUAL, INSERT, Op, diff_lines
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
    match_passages,
    pair_passages,
    passages_in,
    plain_text,
    without_link_targets,
    word_list,
)
from diffs.sections import Section, section_at, sections
from diffs.taxonomy import tags_for

__all__ = ["KINDS", "Classification", "Reason", "SectionChange", "classify", "stated_date"]

# kind: (class, what it means). The order is the order of importance within a class.
KINDS: dict[str, tuple[str, str]] = {
    "deadline": (
        "substantive",
        'a time limit or due date a seller must meet changed ("within 60 days" → "within 30 days")',
    ),
    "number": (
        "substantive",
        "a number, amount, percentage or duration in a rule changed",
    ),
    "negation": (
        "substantive",
        'a "not", "no" or "never" appeared or disappeared',
    ),
    "obligation": (
        "substantive",
        "an obligation or permission word changed (may → must, should → will)",
    ),
    "effective-date": (
        "substantive",
        "the text announces, or moves, the day a rule takes effect",
    ),
    "added-obligation": (
        "substantive",
        "an added passage states an obligation, prohibition, deadline or fee",
    ),
    "removed-obligation": (
        "substantive",
        "a removed passage stated an obligation, prohibition, deadline or fee",
    ),
    "wording": (
        "minor",
        "other words changed, or passages without obligations came or went",
    ),
    "moved": (
        "minor",
        "a passage moved, unchanged, to another place",
    ),
    "figure": (
        "minor",
        "a number outside any rule changed (an address, an identifier, a phone number)",
    ),
    "date": (
        "minor",
        "a date mentioned in passing changed",
    ),
    "reference": (
        "minor",
        'only cross-references were renumbered ("Clause 11" → "Clause 13")',
    ),
    "link": (
        "minor",
        "only link targets changed",
    ),
    "formatting": (
        "minor",
        "only Markdown markup changed (bold, headings, list markers)",
    ),
    "stated-date": (
        "minor",
        'the page\'s own "Last updated" or "Effective" date changed; never substantive alone',
    ),
    "counter": (
        "noise",
        "only a view, like or vote counter changed",
    ),
    "whitespace": (
        "noise",
        "only spacing, blank lines or punctuation changed",
    ),
}
SUBSTANTIVE = tuple(k for k, (c, _) in KINDS.items() if c == "substantive")
MINOR = tuple(k for k, (c, _) in KINDS.items() if c == "minor")
NOISE = tuple(k for k, (c, _) in KINDS.items() if c == "noise")
_RANK = {kind: i for i, kind in enumerate(KINDS)}
P2B_MIN_NOTICE_DAYS = 15  # Regulation (EU) 2019/1150, Art. 3(2): notice of changes to terms
_MAX_REASONS = 12
# Reasons that say a workflow was touched (markup, links and dates of the page touch none).
_TAGGED = set(SUBSTANTIVE) | {"wording", "moved", "figure", "date"}
_MAJOR_REVISION = 40  # passages; from this many a change is a rewrite and the summary says so


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str
    section: str = ""  # label of the section it was found in ("Customer metrics › Late shipment rate")


@dataclass(frozen=True)
class SectionChange:
    id: str  # stable slug path, "" before the first heading
    label: str  # "Customer metrics › Late shipment rate", "" before the first heading
    changes: str  # "1 sentence changed, 2 sentences added"

    @property
    def text(self) -> str:
        return f"{self.label or 'Top of the page'}: {self.changes}"


@dataclass(frozen=True)
class Classification:
    label: str  # "substantive" | "minor" | "noise"
    reasons: tuple[Reason, ...]
    summary: str  # one line, built from the reasons, most important first
    silent: bool | None  # text changed, the page's stated dates did not; None without one
    sections: tuple[str, ...]  # labels of the sections touched, in document order
    stated_date_old: str | None
    stated_date_new: str | None
    tags: tuple[str, ...] = ()  # seller workflows touched (diffs.taxonomy)
    effective_date: str | None = None  # when the change takes effect, as the text states it
    notice_days: int | None = None  # days from detection to effective_date (needs detected_at)
    section_changes: tuple[SectionChange, ...] = ()


# ---------------------------------------------------------------- vocabulary

_NEGATIONS = {
    "not", "no", "never", "none", "nor", "neither", "cannot", "nicht", "kein", "keine", "keinen",
    "nie", "pas", "jamais", "aucun", "aucune",
}  # fmt: skip
_MODALS = {
    "may", "must", "shall", "should", "will", "can", "cannot", "might", "could", "would",
    "required", "require", "requires", "requirement", "mandatory", "obliged", "obligated",
    "prohibited", "prohibit", "prohibits", "forbidden", "permitted", "permit", "permits",
    "allowed", "allow", "allows", "optional", "only", "need", "needs", "entitled", "muss",
    "müssen", "darf", "dürfen", "soll", "sollen", "kann", "können", "verboten", "doit", "doivent",
    "peut", "peuvent", "interdit",
}  # fmt: skip
# What makes an added or removed passage matter: obligations, prohibitions, deadlines, fees.
_PROHIBITION = re.compile(
    r"\b(must\s+not|may\s+not|shall\s+not|will\s+not|cannot|can\s+not|do\s+not|not\s+(?:permitted|"
    r"allowed)|prohibit(?:ed|s)?|forbidden|never|darf\s+nicht|dürfen\s+nicht|verboten|interdit)\b",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"\b(within\s+[\w()-]+(?:\s+[\w()-]+)?\s+(?:business\s+|calendar\s+)?(?:days?|hours?|weeks?|"
    r"months?)|no\s+later\s+than|deadline|time\s+limit|binnen|innerhalb|frist\w*)\b",
    re.IGNORECASE,
)
_FEE = re.compile(
    r"\b(fees?|charges?|commissions?|surcharges?|penalt(?:y|ies)|gebühr\w*|frais)\b|[$€£¥]\s?\d",
    re.IGNORECASE,
)
_THRESHOLD = re.compile(
    r"\b(?:under|below|above|over|at\s+least|at\s+most|up\s+to|more\s+than|less\s+than|"
    r"no\s+more\s+than|maximum|minimum)\s+(?:of\s+)?\d|\d\s?(?:%|percent|per\s+cent)",
    re.IGNORECASE,
)
_OBLIGATION = re.compile(
    r"\b(must|shall|required?|requires|mandatory|oblig(?:ed|ated|ation)|"
    r"(?:you|we|sellers?|merchants?|partners?)\s+(?:may|will|agree|are\s+responsible|have\s+to|"
    r"need\s+to)|responsible\s+for|liable|at\s+least\s+\d+|refunds?|suspend\w*|terminat\w*|"
    r"muss|müssen|verpflichtet|doit|doivent)\b",
    re.IGNORECASE,
)

# Effect words (diffs.dates.effect_word) that make a date a deadline rather than a start.
_DUE = re.compile(r"^(by|before|no later than|deadline|until|through|expires?|expires on|bis|jusqu'au)$")
# A short passage without a verb ending in a full stop: a title, an item of a table of contents.
_TITLE_WORDS = 6


# ---------------------------------------------------------------- text views


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote(text: str, limit: int = 100) -> str:
    return "'" + _shorten(plain_text(text), limit) + "'"


# ---------------------------------------------------------------- findings


@dataclass
class _Finding:
    kind: str
    text: str  # reason text
    headline: str  # how the summary says it
    unit: Passage | None  # where it was found (new side, else old)
    passages: tuple[str, ...] = ()  # the texts involved, for tagging
    merge: tuple | None = None  # findings with equal merge keys say the same thing
    subject_rank: int = 0  # for merged findings: the better-worded one wins (table > sentence)
    effective: str | None = None  # ISO date this finding says something takes effect
    lead: str | None = None  # how the summary says it when it comes first (with a quote)

    @property
    def order(self) -> int:
        return self.unit.offset if self.unit else -1

    @property
    def section(self) -> str:
        return self.unit.section_label if self.unit else ""


def _with_section(unit: Passage | None, text: str) -> str:
    title = _shorten(unit.section.title, 50) if unit and unit.section else ""
    return f"{title}: {text}" if title else text


class _Context:
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


_WEIGHTS = (
    ("prohibition", _PROHIBITION),
    ("deadline", _DEADLINE),
    ("fee", _FEE),
    ("threshold", _THRESHOLD),
    ("obligation", _OBLIGATION),
)


def _weight(text: str) -> str | None:
    """What makes an added or removed passage a rule: prohibition, deadline, fee, threshold or
    obligation (the first that applies); None for a passage that sets no rule."""
    return next((name for name, pattern in _WEIGHTS if pattern.search(text)), None)


def _changed_span(old: str, new: str) -> tuple[str, str]:
    """The part of each text that differs, widened to whole words plus one word each side."""
    a, b = word_list(old), word_list(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return _shorten(old, 60), _shorten(new, 60)
    _, i1, _, j1, _ = changes[0]
    _, _, i2, _, j2 = changes[-1]
    i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
    i2, j2 = min(i2 + 1, len(a)), min(j2 + 1, len(b))
    return _shorten(" ".join(a[i1:i2]), 60), _shorten(" ".join(b[j1:j2]), 60)


def _modal(word: str) -> str:
    """ "requires" and "require", "prohibits" and "prohibit" are the same obligation word."""
    return word[:-1] if word.endswith("s") and word[:-1] in _MODALS else word


def _modal_change(old: str, new: str) -> tuple[list[str], list[str]]:
    """Obligation words replaced, in order: (["may"], ["must"])."""
    a = [_modal(w.lower()) for w in word_list(old)]
    b = [_modal(w.lower()) for w in word_list(new)]
    gone: list[str] = []
    came: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            gone += [w for w in a[i1:i2] if w in _MODALS]
            came += [w for w in b[j1:j2] if w in _MODALS]
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
) -> tuple[list[_Finding], list[str], list[str]]:
    """Findings for changed quantities; also returns the counters of each side."""
    (old_q, old_counters), (new_q, new_counters) = quantities(old), quantities(new)
    findings: list[_Finding] = []
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
                else _with_section(unit, plain_arrow)
            )
            merge = (g.key, c.key)
        else:
            deadline = is_deadline(qualifier, q, side)
            kind = "deadline" if deadline else "number" if counts else "figure"
            before = WORDS.findall(side[max(earlier, default=0) : q.start])[-8:]
            phrase = " ".join(before + [q.text])
            text = f"{'added' if c else 'removed'} {phrase!r}"
            head = _with_section(unit, text)
            merge = (None if g is None else g.key, None if c is None else c.key)
        findings.append(_Finding(kind, text, head, unit, passages, merge=merge + (kind,), subject_rank=hint_rank))
    return findings, old_counters, new_counters


def _compare_text(
    old: str, new: str, unit: Passage, ctx: _Context, hint: str = "", hint_rank: int = 0
) -> list[_Finding]:
    """Reasons for a passage (or a table cell) that was edited."""
    passages = (old, new)
    if old == new:
        return []
    if without_link_targets(old) == without_link_targets(new):
        text = f"link target changed in {_quote(new, 60)}" if plain_text(new) else "link target changed"
        return [_Finding("link", text, _with_section(unit, text), unit, passages)]
    counters = quantities(plain_text(old))[1], quantities(plain_text(new))[1]
    if counters[0] != counters[1] and strip_counters(plain_text(old)) == strip_counters(plain_text(new)):
        text = f"counter {' '.join(counters[0]) or 'none'} → {' '.join(counters[1]) or 'none'}"
        return [_Finding("counter", text, _with_section(unit, text), unit, passages)]
    # From here on, compare what a reader sees: numbers in link targets and clause numbering
    # ("1. Introduction" vs "1.Introduction", or renumbered clauses) are not rules.
    p_old, p_new = CLAUSE_NUMBER.sub("", plain_text(old)), CLAUSE_NUMBER.sub("", plain_text(new))
    if p_old == p_new:
        text = f"formatting of {_quote(new, 60)}"
        return [_Finding("formatting", text, _with_section(unit, text), unit, passages)]

    if _unstated(p_old, ctx.old_stated) == _unstated(p_new, ctx.new_stated):
        if [d for _, _, d in find_dates(p_old)] == [d for _, _, d in find_dates(p_new)]:
            text = f"the page's date is written differently: {_quote(new, 60)}"
            return [_Finding("whitespace", text, _with_section(unit, text), unit, passages)]
        return []  # only the page's own date changed: one "stated-date" reason says so
    findings: list[_Finding] = []
    old_dates, new_dates = _dates(p_old, ctx.old_stated), _dates(p_new, ctx.new_stated)
    if [d for d, _ in old_dates] != [d for d, _ in new_dates]:
        gone = [d for d in old_dates if d[0] not in [n for n, _ in new_dates]]
        came = [d for d in new_dates if d[0] not in [o for o, _ in old_dates]]
        for k in range(max(len(gone), len(came))):
            g = gone[k] if k < len(gone) else None
            c = came[k] if k < len(came) else None
            effect = (c and c[1]) or (g and g[1])
            due = bool(effect) and _DUE.match(effect) is not None
            kind = "deadline" if due else "effective-date" if effect else "date"
            label = "due date" if due else "effective date" if effect else "date"
            text = f"{label} {g[0] if g else 'none'} → {c[0] if c else 'none'}"
            findings.append(
                _Finding(
                    kind,
                    text,
                    _with_section(unit, text),
                    unit,
                    passages,
                    effective=c[0] if c and effect and not due else None,
                )
            )

    numbers, old_counters, new_counters = _number_findings(p_old, p_new, unit, hint, hint_rank, passages)
    findings += numbers

    lower_old = [w.lower() for w in word_list(p_old)]
    lower_new = [w.lower() for w in word_list(p_new)]
    neg_old = Counter(w for w in lower_old if w in _NEGATIONS)
    neg_new = Counter(w for w in lower_new if w in _NEGATIONS)
    if neg_old != neg_new:
        added = _counted(neg_new - neg_old)
        removed = _counted(neg_old - neg_new)
        what = "; ".join(p for p in (added and f"added {added}", removed and f"removed {removed}") if p)
        text = f"{what}: {_quote(new if added else old)}"
        findings.append(_Finding("negation", text, _with_section(unit, text), unit, passages))
    else:
        gone_modals, came_modals = _modal_change(p_old, p_new)
        if Counter(gone_modals) != Counter(came_modals):
            if not gone_modals:
                change = f"adds {', '.join(repr(w) for w in came_modals)}"
            elif not came_modals:
                change = f"drops {', '.join(repr(w) for w in gone_modals)}"
            else:
                change = f"{' '.join(gone_modals)} → {' '.join(came_modals)}"
            text = f"{change}: {_quote(new)}"
            head = f"{change} in {_quote(new, 60)}"
            findings.append(_Finding("obligation", text, _with_section(unit, head), unit, passages))

    if findings:
        return findings
    old_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_old)]
    new_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_new)]
    if old_refs != new_refs and word_list(REFERENCES.sub("#", p_old)) == word_list(REFERENCES.sub("#", p_new)):
        gone_r = [r for r in old_refs if r not in new_refs]
        came_r = [r for r in new_refs if r not in old_refs]
        text = f"cross-references renumbered: {', '.join(gone_r) or 'none'} → {', '.join(came_r) or 'none'}"
        return [_Finding("reference", text, _with_section(unit, text), unit, passages)]
    if old_counters != new_counters and strip_counters(p_old) == strip_counters(p_new):
        text = f"counter {' '.join(old_counters) or 'none'} → {' '.join(new_counters) or 'none'}"
        return [_Finding("counter", text, _with_section(unit, text), unit, passages)]
    if word_list(p_old) == word_list(p_new):
        text = f"punctuation or spacing in {_quote(new, 60)}"
        return [_Finding("whitespace", text, _with_section(unit, text), unit, passages)]
    if lower_old == lower_new:
        text = "letter case: {!r} → {!r}".format(*_changed_span(p_old, p_new))
        return [_Finding("wording", text, _with_section(unit, text), unit, passages)]
    a, b = _changed_span(p_old, p_new)
    spelling = _spelling_fix(p_old, p_new)
    text = f"spelling: {spelling[0]!r} → {spelling[1]!r}" if spelling else f"{a!r} → {b!r}"
    return [_Finding("wording", text, _with_section(unit, text), unit, passages)]


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


def _compare_pair(o: Passage, n: Passage, ctx: _Context) -> list[_Finding]:
    if o.text == n.text:
        return []
    if o.kind == n.kind == "table row" and o.header and n.header:
        old_cells, new_cells = cells(o.text), cells(n.text)
        if len(old_cells) == len(new_cells) == len(n.header) and old_cells[0] == new_cells[0]:
            findings: list[_Finding] = []
            row = plain_text(new_cells[0])
            for k, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)):
                if a != b:
                    column = n.header[k]
                    hint = row if k == 0 or not column or column.lower() in row.lower() else (f"{row} {column.lower()}")
                    findings += _compare_text(a, b, n, ctx, hint=hint, hint_rank=1)
            return findings
    return _compare_text(o.text, n.text, n, ctx)


def _lone(unit: Passage, added: bool, ctx: _Context) -> list[_Finding]:
    """Reasons for a passage that was added (or removed) without a counterpart."""
    verb = "added" if added else "removed"
    plain = CLAUSE_NUMBER.sub("", unit.plain)
    passages = (unit.text,)
    if not re.search(r"\w", plain):
        text = f"{verb} {_quote(unit.text, 40)}" if plain else f"{verb} markup"
        return [_Finding("formatting", text, _with_section(unit, text), unit, passages)]
    stated = ctx.new_stated if added else ctx.old_stated
    dated = find_dates(plain)
    if dated and len(word_list(_undated(plain))) <= 4 and all(iso in stated for _, _, iso in dated):
        return []  # the page's own date line: reported once, as the stated date
    counters = quantities(plain)[1]
    if counters and not re.search(r"[^\W\d]", _undated(strip_counters(plain)).replace("#", "")):
        text = f"counter {verb}: {' '.join(counters)}"
        return [_Finding("counter", text, _with_section(unit, text), unit, passages)]
    if unit.kind == "heading" or (len(word_list(plain)) <= _TITLE_WORDS and not re.search(r"[.!?;:]\W*$", plain)):
        text = (
            f"{verb} heading {_quote(unit.text, 70)}"
            if unit.kind == "heading"
            else (f"{verb} title {_quote(unit.text, 70)}")
        )
        return [_Finding("wording", text, _with_section(unit, text), unit, passages)]
    # An added passage announcing when something takes effect is reported as that date.
    effective = [(iso, effect_word(plain, start)) for start, _, iso in dated]
    effective = [(iso, word) for iso, word in effective if word]
    effective = [(iso, word) for iso, word in effective if not _DUE.match(word)]
    if added and effective:
        iso = effective[0][0]
        text = f"effective {iso}: {_quote(unit.text)}"
        return [
            _Finding(
                "effective-date",
                text,
                f"effective {iso}",
                unit,
                passages,
                effective=iso,
                lead=f"effective {iso}: {_quote(unit.text, 80)}",
            )
        ]
    # A question is a heading or an FAQ prompt ("How may you appeal a fee?"), not a rule.
    weight = _weight(plain)
    if weight and not unit.text.rstrip("*_ ").endswith("?"):
        text = f"{verb} {weight}: {_quote(unit.text)}"
        where = f" in {unit.section.title}" if unit.section else ""
        head = f"{'New' if added else 'Removed'} {weight}{where}: {_quote(unit.text, 70)}"
        return [_Finding(f"{verb}-obligation", text, head, unit, passages)]
    text = f"{verb} {_quote(unit.text, 70)}"
    return [_Finding("wording", text, _with_section(unit, text), unit, passages)]


def _undated(text: str) -> str:
    for start, end, _ in sorted(find_dates(text), reverse=True):
        text = text[:start] + text[end:]
    return text


# ---------------------------------------------------------------- the walk


@dataclass
class _Walk:
    findings: list[_Finding] = field(default_factory=list)
    # (section, unit kind, what happened, offset): for the per-section counts
    events: list[tuple[Section | None, str, str, int]] = field(default_factory=list)


_MAX_MOVE_COMPARISONS = 1_000_000  # removed × added passages; beyond, a page was rewritten


def _walk(old: str, new: str, ctx: _Context) -> _Walk:
    old_secs, new_secs = sections(old), sections(new)
    walk = _Walk()
    removed: list[Passage] = []
    added: list[Passage] = []
    old_pos = new_pos = 0
    deleted: list[str] = []
    inserted: list[str] = []
    hunk_old = hunk_new = 0
    for op, text in diff_lines(old, new) + [(EQUAL, "")]:
        if op == DELETE:
            deleted.append(text)
            old_pos += len(text)
            continue
        if op == INSERT:
            inserted.append(text)
            new_pos += len(text)
            continue
        if deleted or inserted:
            old_units = passages_in(old, hunk_old, "".join(deleted), old_secs)
            new_units = passages_in(new, hunk_new, "".join(inserted), new_secs)
            pairs, gone, came = pair_passages(old_units, new_units)
            for o, n in pairs:
                walk.findings += _compare_pair(o, n, ctx)
                walk.events.append((n.section, n.kind, "changed", n.offset))
            removed += gone
            added += came
            if not (pairs or gone or came):  # only blank lines or table rules moved
                sec = section_at(new_secs, hunk_new)
                unit = Passage("", hunk_new, "sentence", sec)
                walk.findings.append(
                    _Finding("whitespace", "blank lines or table rules", _with_section(unit, "blank lines"), unit)
                )
            deleted.clear()
            inserted.clear()
        old_pos += len(text)
        new_pos += len(text)
        hunk_old, hunk_new = old_pos, new_pos

    # A passage removed in one place and added in another was moved, and maybe edited.
    identical: dict[str, list[int]] = {}
    for j, unit in enumerate(added):
        identical.setdefault(unit.plain, []).append(j)
    moved_old: set[int] = set()
    moved_new: set[int] = set()
    for i, unit in enumerate(removed):
        twins = [j for j in identical.get(unit.plain, []) if j not in moved_new]
        if twins and unit.key:
            j = twins[0]
            moved_old.add(i)
            moved_new.add(j)
            walk.findings.append(_moved(unit, added[j]))
            walk.events.append((unit.section, unit.kind, "moved out", unit.offset))
            walk.events.append((added[j].section, added[j].kind, "moved in", added[j].offset))
    rest_old = [u for i, u in enumerate(removed) if i not in moved_old]
    rest_new = [u for j, u in enumerate(added) if j not in moved_new]
    if len(rest_old) * len(rest_new) <= _MAX_MOVE_COMPARISONS:
        matched, lone_old, lone_new = match_passages(rest_old, rest_new)
    else:
        matched, lone_old, lone_new = [], list(range(len(rest_old))), list(range(len(rest_new)))
    for i, j in matched:
        o, n = rest_old[i], rest_new[j]
        walk.findings += _compare_pair(o, n, ctx) or [_moved(o, n)]
        walk.events.append((n.section, n.kind, "changed", n.offset))
    lone: list[_Finding] = []
    for i in lone_old:
        lone += _lone(rest_old[i], False, ctx)
        walk.events.append((rest_old[i].section, rest_old[i].kind, "removed", rest_old[i].offset))
    for j in lone_new:
        lone += _lone(rest_new[j], True, ctx)
        walk.events.append((rest_new[j].section, rest_new[j].kind, "added", rest_new[j].offset))
    walk.findings += _join_counters(lone)
    return walk


def _join_counters(findings: list[_Finding]) -> list[_Finding]:
    """A counter line removed and another added (the date and the count both moved on) is one
    counter change."""
    gone = [f for f in findings if f.kind == "counter" and f.text.startswith("counter removed")]
    came = [f for f in findings if f.kind == "counter" and f.text.startswith("counter added")]
    if not (gone and came):
        return findings
    before = " ".join(f.text.removeprefix("counter removed: ") for f in gone)
    after = " ".join(f.text.removeprefix("counter added: ") for f in came)
    text = f"counter {before} → {after}"
    joined = _Finding("counter", text, _with_section(came[0].unit, text), came[0].unit)
    return [f for f in findings if f not in gone and f not in came] + [joined]


def _moved(o: Passage, n: Passage) -> _Finding:
    a, b = o.section.title if o.section else "", n.section.title if n.section else ""
    where = f"from «{a}» to «{b}»" if a != b and a and b else f"within «{b}»" if b else ""
    text = f"moved {where + ': ' if where else ''}{_quote(n.text, 70)}"
    return _Finding("moved", text, text[0].upper() + text[1:], n, (n.text,))


# ---------------------------------------------------------------- verdict


def _label(kinds: set[str]) -> str:
    if kinds & set(SUBSTANTIVE):
        return "substantive"
    if kinds & set(MINOR):
        return "minor"
    return "noise"


def _dedupe(findings: list[_Finding]) -> list[_Finding]:
    """One finding per thing said: the same number change in a table row and in a sentence
    is one reason (worded from the table, which names the metric and the column)."""
    kept: list[_Finding] = []
    for f in findings:
        twin = None
        for k in kept:
            if (
                (k.kind, k.text) == (f.kind, f.text)
                or f.merge is not None
                and k.merge == f.merge
                and _same_subject(k, f)
            ):
                twin = k
            if twin is not None:
                break
        if twin is None:
            kept.append(f)
        elif f.subject_rank > twin.subject_rank:
            kept[kept.index(twin)] = f
    return kept


def _same_subject(a: _Finding, b: _Finding) -> bool:
    x = set(re.findall(r"\w+", a.text.split(":")[0].lower()))
    y = set(re.findall(r"\w+", b.text.split(":")[0].lower()))
    return not x or not y or x <= y or y <= x


def _effective_date(candidates: list[str], detected_at: str | None) -> str | None:
    """The day the change takes effect: the first date the new text gives that is not before
    the detection; failing that, the latest one (a change already in force when we saw it)."""
    if not candidates:
        return None
    if detected_at:
        upcoming = sorted(d for d in candidates if d >= detected_at[:10])
        return upcoming[0] if upcoming else max(candidates)
    return candidates[0]


def _days_between(detected_at: str | None, iso: str | None) -> int | None:
    if not detected_at or not iso:
        return None
    try:
        seen = dt.date.fromisoformat(detected_at[:10])
        return (dt.date.fromisoformat(iso) - seen).days
    except ValueError:
        return None


def _notice_note(days: int) -> str:
    """ "(38 days' notice)", with the EU platform-to-business minimum when it is not met."""
    if days < 0:
        return f"(already in force when first seen, {-days} {'day' if days == -1 else 'days'} earlier)"
    short = (
        f", under the {P2B_MIN_NOTICE_DAYS} days the EU P2B Regulation requires" if (days < P2B_MIN_NOTICE_DAYS) else ""
    )
    return f"({days} {'day' if days == 1 else 'days'}' notice{short})"


def _with_notice(text: str, iso: str | None, days: int | None) -> str:
    """``text`` with the notice period after the first mention of ``iso``."""
    if iso is None or days is None or iso not in text:
        return text
    return text.replace(iso, f"{iso} {_notice_note(days)}", 1)


_NOUNS = {"sentence": "sentence", "list item": "list item", "table row": "table row",
          "heading": "heading"}  # fmt: skip
_VERBS = ("changed", "added", "removed", "moved in", "moved out")


def _section_changes(events: list[tuple[Section | None, str, str, int]]) -> list[SectionChange]:
    """ "Late shipment rate: 1 sentence changed, 1 table row added", per section, in order."""
    first: dict[str, int] = {}
    titled: dict[str, Section | None] = {}
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for section, kind, verb, offset in events:
        sid = section.id if section else ""
        first[sid] = min(offset, first.get(sid, offset))
        titled[sid] = section
        counts.setdefault(sid, Counter())[(kind, verb)] += 1
    out = []
    for sid in sorted(first, key=lambda k: (first[k], k)):
        parts = []
        for verb in _VERBS:
            for kind, noun in _NOUNS.items():
                n = counts[sid][(kind, verb)]
                if n:
                    parts.append(f"{n} {noun}{'s' if n > 1 else ''} {verb}")
        section = titled[sid]
        out.append(SectionChange(sid, section.label if section else "", ", ".join(parts)))
    return out


def _summary(
    label: str,
    findings: list[_Finding],
    silent: bool | None,
    effective: str | None,
    notice_days: int | None,
    passages: int,
    section_count: int,
) -> str:
    """One line: the headlines of the reasons of the change's class, most important first,
    then the effective date with its notice, then "silent change"."""
    if not findings:
        return "No change"
    heads: list[str] = []
    mentions_effective = False
    for f in findings:
        if KINDS[f.kind][0] != label:
            continue
        head = f.lead if f.lead and not heads else f.headline
        if f.effective is not None and f.effective == effective:
            head = _with_notice(head, effective, notice_days)
        if head not in heads:
            heads.append(head)
    shown: list[str] = []
    for head in heads:
        if shown and sum(len(h) + 2 for h in shown) + len(head) > 170:
            break
        shown.append(_shorten(head, 170))
        if len(shown) == 3:
            break
    parts = list(shown)
    if len(heads) > len(shown):
        parts.append(f"+{len(heads) - len(shown)} more")
    mentions_effective = effective is not None and any(effective in h for h in shown)
    if label == "substantive" and effective and not mentions_effective:
        parts.append(_with_notice(f"effective {effective}", effective, notice_days))
    if passages >= _MAJOR_REVISION:
        where = f" in {section_count} {'section' if section_count == 1 else 'sections'}" if (section_count > 1) else ""
        parts.insert(0, f"Major revision: {passages} passages{where}")
    if silent:
        parts.append("silent change")
    return "; ".join(parts)


def classify(old: str, new: str, ops: list[Op] | None = None, *, detected_at: str | None = None) -> Classification:
    """Label the change from ``old`` to ``new`` (normalized Markdown) with its reasons.

    ``detected_at`` (ISO time the change was first seen) lets the notice period before a
    stated effective date be computed. ``ops`` is accepted for callers that already diffed
    the texts; the classification does not depend on it.
    """
    date_old, date_new = stated_date(old), stated_date(new)
    if old == new:
        return Classification("noise", (), "No change", False if date_old else None, (), date_old, date_new)
    ctx = _Context(old, new)
    walk = _walk(old, new, ctx)
    findings = walk.findings
    body_kinds = {f.kind for f in findings}
    if date_old != date_new:
        text = f"stated date {date_old or 'none'} → {date_new or 'none'}"
        findings.append(_Finding("stated-date", text, text, None))
    findings = _dedupe(sorted(findings, key=lambda f: (_RANK[f.kind], f.order)))

    label = _label({f.kind for f in findings})
    # Silent means readers see different words under the same dates; markup and link targets
    # changing without a new date is routine.
    body_changed = bool(body_kinds & (set(SUBSTANTIVE) | {"wording", "figure", "date"}))
    silent = None if not (ctx.old_stated and ctx.new_stated) else (body_changed and ctx.old_stated == ctx.new_stated)

    effective = _effective_date(
        [f.effective for f in sorted(findings, key=lambda f: f.order) if f.effective and f.kind == "effective-date"],
        detected_at,
    )
    page_effective = stated_effective_date(new)
    if effective is None and page_effective and page_effective != stated_effective_date(old):
        effective = page_effective
    notice_days = _days_between(detected_at, effective)

    reasons: list[Reason] = []
    for f in findings:
        text = _with_notice(f.text, effective, notice_days) if f.effective == effective else f.text
        reasons.append(Reason(f.kind, text, f.section))
    if len(reasons) > _MAX_REASONS:
        rest = len(reasons) - _MAX_REASONS
        reasons = reasons[:_MAX_REASONS] + [Reason(reasons[_MAX_REASONS].kind, f"+{rest} more reasons")]
    if not findings:  # differences that vanish once the stated date is set aside: none left
        findings = [_Finding("whitespace", "whitespace only", "whitespace only", None)]
        reasons = [Reason("whitespace", "whitespace only")]
        label = "noise"

    section_changes = _section_changes(walk.events)
    # The workflows a substantive change touches are those of its substantive reasons.
    touched = [f for f in findings if f.kind in (SUBSTANTIVE if label == "substantive" else _TAGGED)]
    tags = tags_for(
        [p for f in touched for p in f.passages]
        # The heading above a passage, but not the page's title: every change would get its tags.
        + [f.unit.section.title for f in touched if f.unit and f.unit.section and len(f.unit.section.path) > 1]
    )
    passages = len(walk.events)
    return Classification(
        label=label,
        reasons=tuple(reasons),
        summary=_summary(label, findings, silent, effective, notice_days, passages, len(section_changes)),
        silent=silent,
        sections=tuple(s.label for s in section_changes if s.label),
        stated_date_old=date_old,
        stated_date_new=date_new,
        tags=tags,
        effective_date=effective,
        notice_days=notice_days,
        section_changes=tuple(section_changes),
    )
