"""The classification rules: what an edited, added, removed or moved passage says changed.

``compare_pair`` reads a passage that was edited (cell by cell for a table row),
``lone_passage`` one that was added or removed without a counterpart, ``moved`` one that moved;
each returns findings (``diffs.findings``), worded with the vocabulary of ``diffs.kinds``. The
engine that walks the diff and turns findings into a verdict is ``diffs.classify``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

from diffs.dates import effect_word, find_dates, is_stated_label_before, stated_dates
from diffs.findings import Finding, quote, shorten, with_section
from diffs.kinds import CHROME, DUE, EXAMPLE, MODALS, NEGATIONS, RIGHT, SANCTION, WEIGHTS
from diffs.lexicon import capitalises_nouns, language_of
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
from diffs.sections import Section


def is_chrome(section: Section | None) -> bool:
    """A section under a heading of the help centre's furniture ("Was this article helpful?",
    "Related articles", in any language of ``diffs.lexicon``): not the document."""
    return section is not None and any(CHROME.search(title) for title in section.path)


# A short passage without a verb ending in a full stop: a title, an item of a table of contents.
_TITLE_WORDS = 6


class Context:
    """What every comparison needs to know about the two versions."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
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


_LEAD_CHARS = 1000  # how much of the text before a continuation is read with it (a clause list is long)


def context_of(unit: Passage, full: str) -> str:
    """What a passage is read with, by where it stands (in any language): the sentence that
    introduces its list ("Sellers agree that Amazon may remove an offer if sellers:" above
    "A- Set prices …"), or, for a passage that continues a sentence ("…Applicable Law; or (b)
    You are …"), the text before it on its line. "" when it stands alone."""
    if unit.lead:
        return plain_text(unit.lead)
    line_start = full.rfind("\n", 0, unit.offset) + 1
    before = full[line_start : unit.offset].strip()
    first = next((c for c in unit.text if c.isalpha()), "")
    if before and first.islower():
        return plain_text(before[-_LEAD_CHARS:])
    if before or line_start == 0:
        return ""
    previous_end = line_start - 1  # the end of the paragraph above, over blank lines
    while previous_end > 0 and full[previous_end - 1] == "\n":
        previous_end -= 1
    previous = full[full.rfind("\n", 0, previous_end) + 1 : previous_end].strip()
    return plain_text(previous[-_LEAD_CHARS:]) if plain_text(previous).endswith(":") else ""


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


# ---------------------------------------------------------------- an edited passage


@dataclass
class _Edit:
    """A passage (or a table cell) that was edited, as the rules read it."""

    old: str
    new: str
    unit: Passage  # where it was found (the new side)
    ctx: Context
    hint: str = ""  # what a table cell sets: its row and column
    hint_rank: int = 0

    @property
    def passages(self) -> tuple[str, ...]:
        return (self.old, self.new)

    @cached_property
    def shown(self) -> tuple[str, str]:
        """What a reader sees: numbers in link targets and clause numbering ("1. Introduction"
        vs "1.Introduction", or renumbered clauses) are not rules."""
        return CLAUSE_NUMBER.sub("", plain_text(self.old)), CLAUSE_NUMBER.sub("", plain_text(self.new))

    @cached_property
    def quantities(self) -> tuple[tuple[list[Quantity], list[str]], tuple[list[Quantity], list[str]]]:
        """(quantities, counters) of each side as shown."""
        return quantities(self.shown[0]), quantities(self.shown[1])

    @cached_property
    def lower_words(self) -> tuple[list[str], list[str]]:
        return [w.lower() for w in word_list(self.shown[0])], [w.lower() for w in word_list(self.shown[1])]


def _found(view: _Edit | _Lone, kind: str, text: str, head: str | None = None, **extra) -> Finding:
    """A finding whose summary says ``head`` (default: ``text``) after the section's title."""
    return Finding(
        kind, text, with_section(view.unit, text if head is None else head), view.unit, view.passages, **extra
    )


# A rule returns its findings, or None when it does not apply.


def _link_only(e: _Edit) -> list[Finding] | None:
    if without_link_targets(e.old) != without_link_targets(e.new):
        return None
    text = f"link target changed in {quote(e.new, 60)}" if plain_text(e.new) else "link target changed"
    return [_found(e, "link", text)]


def _counter_only(e: _Edit) -> list[Finding] | None:
    old_counters, new_counters = quantities(plain_text(e.old))[1], quantities(plain_text(e.new))[1]
    if old_counters == new_counters or strip_counters(plain_text(e.old)) != strip_counters(plain_text(e.new)):
        return None
    text = f"counter {' '.join(old_counters) or 'none'} → {' '.join(new_counters) or 'none'}"
    return [_found(e, "counter", text)]


def _formatting_only(e: _Edit) -> list[Finding] | None:
    if e.shown[0] != e.shown[1]:
        return None
    return [_found(e, "formatting", f"formatting of {quote(e.new, 60)}")]


def _stated_date_only(e: _Edit) -> list[Finding] | None:
    """Only the page's own date changed: one "stated-date" reason says so, not each passage."""
    p_old, p_new = e.shown
    if _unstated(p_old, e.ctx.old_stated) != _unstated(p_new, e.ctx.new_stated):
        return None
    if [d for _, _, d in find_dates(p_old)] == [d for _, _, d in find_dates(p_new)]:
        return [_found(e, "whitespace", f"the page's date is written differently: {quote(e.new, 60)}")]
    return []


def _dates_changed(e: _Edit) -> list[Finding]:
    """Dates in the text, other than the page's own: due dates, effective dates, others."""
    old_dates, new_dates = _dates(e.shown[0], e.ctx.old_stated), _dates(e.shown[1], e.ctx.new_stated)
    if [d for d, _ in old_dates] == [d for d, _ in new_dates]:
        return []
    findings = []
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
        findings.append(_found(e, kind, text, effective=c[0] if c and effect and not due else None))
    return findings


def _numbers_changed(e: _Edit) -> list[Finding]:
    """Amounts, percentages, durations and other quantities added, removed or changed."""
    old, new = e.shown
    unit, hint, hint_rank, passages = e.unit, e.hint, e.hint_rank, e.passages
    (old_q, _), (new_q, _) = e.quantities
    findings: list[Finding] = []
    old_keys = Counter(q.key for q in old_q)
    new_keys = Counter(q.key for q in new_q)
    if old_keys == new_keys:
        return findings
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
    return findings


def _negation_or_modality(e: _Edit) -> list[Finding]:
    """A "not" or "never" came or went; failing that, an obligation word changed (may → must)."""
    p_old, p_new = e.shown
    lower_old, lower_new = e.lower_words
    neg_old = Counter(w for w in lower_old if w in NEGATIONS)
    neg_new = Counter(w for w in lower_new if w in NEGATIONS)
    if neg_old != neg_new:
        added = _counted(neg_new - neg_old)
        removed = _counted(neg_old - neg_new)
        what = "; ".join(p for p in (added and f"added {added}", removed and f"removed {removed}") if p)
        return [_found(e, "negation", f"{what}: {quote(e.new if added else e.old)}")]
    gone_modals, came_modals = _modal_change(p_old, p_new)
    if Counter(gone_modals) == Counter(came_modals):
        return []
    if not gone_modals:
        change = f"adds {', '.join(repr(w) for w in came_modals)}"
    elif not came_modals:
        change = f"drops {', '.join(repr(w) for w in gone_modals)}"
    else:
        change = f"{' '.join(gone_modals)} → {' '.join(came_modals)}"
    return [_found(e, "obligation", f"{change}: {quote(e.new)}", f"{change} in {quote(e.new, 60)}")]


# A clause this long added to or removed from a rule, with nothing replaced, changes what the
# rule covers ("…fixed price laws" → "…fixed price laws or the shipping regulation for New Books").
SCOPE_WORDS = 4


def _insertions(e: _Edit) -> list[tuple[str, list[str], bool]]:
    """The runs of words an edit changed, as the reader sees them: (tag, words, added), where
    tag is "insert", "delete" or "replace" (a replace gives its removed and its added run)."""
    a, b = word_list(e.shown[0]), word_list(e.shown[1])
    runs: list[tuple[str, list[str], bool]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, e.lower_words[0], e.lower_words[1], autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            runs.append((tag, a[i1:i2], False))
        if tag in ("insert", "replace"):
            runs.append((tag, b[j1:j2], True))
    return runs


def _sets_rule(text: str) -> bool:
    return _weight(text) is not None or any(_modal(w.lower()) in MODALS for w in word_list(text))


_LINK_TEXT = re.compile(r"\[([^\]]*)\]\(")


def _names(run: list[str], other: set[str], raw: str) -> list[str]:
    """Capitalised words of a run that the other side lacks (a country, a programme): not the
    passage's first word, and not the text of a link (the name of another page)."""
    linked = {w.lower() for text in _LINK_TEXT.findall(raw) for w in word_list(text)}
    first = next(iter(word_list(plain_text(raw))), "")
    return [
        w
        for w in run
        if len(w) > 2 and w[0].isupper() and not w.isupper() and w != first and w.lower() not in other | linked
    ]


def _what_a_rule_says(e: _Edit) -> list[Finding]:
    """A sanction or a right came or went in the changed words; or a rule's reach changed: a
    clause, or a name, added to or removed from a passage that sets a rule."""
    findings: list[Finding] = []
    runs = _insertions(e)
    for kind, rx in (("sanction", SANCTION), ("right", RIGHT)):
        for _, run, added in runs:
            gained, other = (e.shown[1], e.shown[0]) if added else (e.shown[0], e.shown[1])
            # The word must really come or go: "suspend" moved within the sentence is no change.
            if rx.search(" ".join(run)) and len(rx.findall(gained)) > len(rx.findall(other)):
                verb, said = ("adds" if added else "drops"), " ".join(run)
                text = f"{verb} {said!r}: {quote(e.new if added else e.old)}"
                findings.append(_found(e, kind, text, f"{verb} {shorten(said, 50)!r} in {quote(e.new, 60)}"))
                break
    if findings or not (_sets_rule(e.shown[0]) or _sets_rule(e.shown[1]) or _sets_rule(context_of(e.unit, e.ctx.new))):
        return findings
    language = language_of(e.lower_words[0] + e.lower_words[1])
    for tag, run, added in runs:
        raw = e.new if added else e.old
        names = [] if capitalises_nouns(language) else _names(run, set(e.lower_words[0 if added else 1]), raw)
        # A clause that points to another part ("as provided in Section 2") names it, and one
        # that opens an example ("such as a phone number") illustrates the rule: neither sets one.
        said = " ".join(run)
        aside = REFERENCES.search(said) or EXAMPLE.match(said)
        if tag != "replace" and (len(run) >= SCOPE_WORDS or names) and not aside:
            verb = "adds" if added else "drops"
            said = " ".join(run)
            text = f"{verb} {said!r}: {quote(e.new)}"
            findings.append(_found(e, "scope", text, f"{verb} {shorten(said, 50)!r} in {quote(e.new, 60)}"))
            break
    return findings


def _references(e: _Edit) -> list[Finding] | None:
    p_old, p_new = e.shown
    old_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_old)]
    new_refs = [" ".join(m.group(0).split()) for m in REFERENCES.finditer(p_new)]
    if old_refs == new_refs or word_list(REFERENCES.sub("#", p_old)) != word_list(REFERENCES.sub("#", p_new)):
        return None
    gone_r = [r for r in old_refs if r not in new_refs]
    came_r = [r for r in new_refs if r not in old_refs]
    text = f"cross-references renumbered: {', '.join(gone_r) or 'none'} → {', '.join(came_r) or 'none'}"
    return [_found(e, "reference", text)]


def _counters(e: _Edit) -> list[Finding] | None:
    (_, old_counters), (_, new_counters) = e.quantities
    if old_counters == new_counters or strip_counters(e.shown[0]) != strip_counters(e.shown[1]):
        return None
    text = f"counter {' '.join(old_counters) or 'none'} → {' '.join(new_counters) or 'none'}"
    return [_found(e, "counter", text)]


def _spacing(e: _Edit) -> list[Finding] | None:
    if word_list(e.shown[0]) != word_list(e.shown[1]):
        return None
    return [_found(e, "whitespace", f"punctuation or spacing in {quote(e.new, 60)}")]


def _letter_case(e: _Edit) -> list[Finding] | None:
    if e.lower_words[0] != e.lower_words[1]:
        return None
    # Letter case is typography, as quotes and dashes are: "SELLER TERMS" and "Seller Terms" read alike.
    return [_found(e, "formatting", "letter case: {!r} → {!r}".format(*_changed_span(*e.shown)))]


def _wording(e: _Edit) -> list[Finding]:
    a, b = _changed_span(*e.shown)
    spelling = _spelling_fix(*e.shown)
    text = f"spelling: {spelling[0]!r} → {spelling[1]!r}" if spelling else f"{a!r} → {b!r}"
    return [_found(e, "wording", text)]


# How the rules on an edited passage combine: the first EXCLUSIVE rule that applies decides
# alone; otherwise every ADDITIVE rule adds its findings; when they found nothing, the first
# FALLBACK rule that applies decides (the last always does).
EXCLUSIVE = (_link_only, _counter_only, _formatting_only, _stated_date_only)
ADDITIVE = (_dates_changed, _numbers_changed, _negation_or_modality, _what_a_rule_says)
FALLBACK = (_references, _counters, _spacing, _letter_case, _wording)


def _first_match(rules: tuple[Callable, ...], view: _Edit | _Lone) -> list[Finding] | None:
    return next((found for rule in rules if (found := rule(view)) is not None), None)


def _compare_text(old: str, new: str, unit: Passage, ctx: Context, hint: str = "", hint_rank: int = 0) -> list[Finding]:
    """Reasons for a passage (or a table cell) that was edited."""
    if old == new:
        return []
    edit = _Edit(old, new, unit, ctx, hint, hint_rank)
    found = _first_match(EXCLUSIVE, edit)
    if found is not None:
        return found
    return [f for rule in ADDITIVE for f in rule(edit)] or _first_match(FALLBACK, edit) or []


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
    """Reasons for a passage edited in place; a table row cell by cell, each cell read with
    its row and column as what it sets."""
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


# ---------------------------------------------------------------- an added or removed passage


@dataclass
class _Lone:
    """A passage added (or removed) without a counterpart, as the rules read it."""

    unit: Passage
    added: bool
    ctx: Context

    @property
    def passages(self) -> tuple[str, ...]:
        return (self.unit.text,)

    @property
    def verb(self) -> str:
        return "added" if self.added else "removed"

    @cached_property
    def plain(self) -> str:
        return CLAUSE_NUMBER.sub("", self.unit.plain)

    @cached_property
    def dated(self) -> list[tuple[int, int, str]]:
        return find_dates(self.plain)


def _markup(p: _Lone) -> list[Finding] | None:
    if re.search(r"\w", p.plain):
        return None
    text = f"{p.verb} {quote(p.unit.text, 40)}" if p.plain else f"{p.verb} markup"
    return [_found(p, "formatting", text)]


def _own_date_line(p: _Lone) -> list[Finding] | None:
    """The page's own date line: reported once, as the stated date."""
    stated = p.ctx.new_stated if p.added else p.ctx.old_stated
    if p.dated and len(word_list(_undated(p.plain))) <= 4 and all(iso in stated for _, _, iso in p.dated):
        return []
    return None


def _counter_line(p: _Lone) -> list[Finding] | None:
    counters = quantities(p.plain)[1]
    if not counters or re.search(r"[^\W\d]", _undated(strip_counters(p.plain)).replace("#", "")):
        return None
    return [_found(p, "counter", f"counter {p.verb}: {' '.join(counters)}")]


def _heading_or_title(p: _Lone) -> list[Finding] | None:
    heading = p.unit.kind == "heading"
    if not heading and (len(word_list(p.plain)) > _TITLE_WORDS or re.search(r"[.!?;:]\W*$", p.plain)):
        return None
    return [_found(p, "wording", f"{p.verb} {'heading' if heading else 'title'} {quote(p.unit.text, 70)}")]


def _effective_notice(p: _Lone) -> list[Finding] | None:
    """An added passage announcing when something takes effect is reported as that date; a
    removed one, as the date withdrawn."""
    effective = [(iso, effect_word(p.plain, start)) for start, _, iso in p.dated]
    effective = [(iso, word) for iso, word in effective if word and not DUE.match(word)]
    if not effective:
        return None
    iso = effective[0][0]
    if not p.added:
        text = f"removed effective date {iso}: {quote(p.unit.text)}"
        return [
            Finding("effective-date", text, with_section(p.unit, f"removed effective date {iso}"), p.unit, p.passages)
        ]
    text = f"effective {iso}: {quote(p.unit.text)}"
    lead = f"effective {iso}: {quote(p.unit.text, 80)}"
    return [Finding("effective-date", text, f"effective {iso}", p.unit, p.passages, effective=iso, lead=lead)]


def _rule_passage(p: _Lone) -> list[Finding] | None:
    """A passage that sets a rule; a question is a heading or an FAQ prompt ("How may you
    appeal a fee?"), not a rule."""
    weight = _weight(p.plain)
    # A list item says what its introducing sentence says of it: "You will not: … - fail to
    # complete delivery" is a prohibition, though the item alone names none.
    lead = "" if weight else context_of(p.unit, p.ctx.new if p.added else p.ctx.old)
    inherited = _weight(lead) if lead else None
    if not (weight or inherited) or p.unit.text.rstrip("*_ ").endswith("?"):
        return None
    if inherited:
        weight = f"{inherited} (read with {quote(lead, 50)})"
    text = f"{p.verb} {weight}: {quote(p.unit.text)}"
    where = f" in {p.unit.section.title}" if p.unit.section else ""
    head = f"{'New' if p.added else 'Removed'} {weight}{where}: {quote(p.unit.text, 70)}"
    return [Finding(f"{p.verb}-obligation", text, head, p.unit, p.passages)]


def _other_passage(p: _Lone) -> list[Finding]:
    return [_found(p, "wording", f"{p.verb} {quote(p.unit.text, 70)}")]


# The rules on an added or removed passage: the first that applies decides (the last always does).
LONE = (_markup, _own_date_line, _counter_line, _heading_or_title, _effective_notice, _rule_passage, _other_passage)


def lone_passage(unit: Passage, added: bool, ctx: Context) -> list[Finding]:
    """Reasons for a passage that was added (or removed) without a counterpart."""
    return _first_match(LONE, _Lone(unit, added, ctx)) or []


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
