"""Is a change substantive, minor or noise? Readable rules, no statistics.

The two versions are compared line by line; inside each changed run of lines, sentences are
matched up (identical ones dropped, similar ones paired, the rest counted as added or removed)
and each pair or lone sentence yields reasons:

substantive
    ``number``            a number, amount, percentage or duration changed ("24 hours → 12 hours")
    ``negation``          a "not"/"no"/"never" appeared or disappeared
    ``obligation``        an obligation or permission word changed (may/must/shall/required/…)
    ``effective-date``    a date in the text changed
    ``added-obligation``  an added sentence or list item states an obligation, prohibition,
    ``removed-obligation``  deadline or fee (or a removed one did)
minor
    ``wording``           other words changed, or sentences without obligations came or went
    ``reference``         only cross-references were renumbered ("Clause 11 → Clause 13")
    ``link``              only link targets changed
    ``formatting``        only Markdown markup changed
    ``stated-date``       the page's own "Last updated" date changed (never substantive alone)
noise
    ``counter``           only a view/like counter changed
    ``whitespace``        only spacing or punctuation changed

``silent`` is True when the body changed but the stated date did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from diffs.dates import find_dates, stated_date, stated_date_spans
from diffs.diff import DELETE, EQUAL, INSERT, Op, diff_lines, diff_texts
from diffs.sections import section_at, sections, sections_touched

__all__ = ["Reason", "Classification", "classify", "stated_date"]


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str


@dataclass(frozen=True)
class Classification:
    label: str  # "substantive" | "minor" | "noise"
    reasons: tuple[Reason, ...]
    summary: str  # one line, most important reason first
    silent: bool | None  # body changed, stated date did not; None without a stated date
    sections: tuple[str, ...]
    stated_date_old: str | None
    stated_date_new: str | None


SUBSTANTIVE = (
    "number",
    "negation",
    "obligation",
    "effective-date",
    "removed-obligation",
    "added-obligation",
)
MINOR = ("wording", "reference", "link", "formatting", "stated-date")
NOISE = ("counter", "whitespace")
_RANK = {kind: i for i, kind in enumerate(SUBSTANTIVE + MINOR + NOISE)}
_MAX_REASONS = 12

# ---------------------------------------------------------------- vocabulary

_NEGATIONS = {
    "not",
    "no",
    "never",
    "none",
    "nor",
    "neither",
    "cannot",
    "nicht",
    "kein",
    "keine",
    "pas",
    "jamais",
}
_MODALS = {
    "may",
    "must",
    "shall",
    "should",
    "will",
    "can",
    "cannot",
    "might",
    "could",
    "would",
    "required",
    "require",
    "requires",
    "requirement",
    "mandatory",
    "obliged",
    "obligated",
    "prohibited",
    "prohibit",
    "prohibits",
    "forbidden",
    "permitted",
    "permit",
    "permits",
    "allowed",
    "allow",
    "allows",
    "optional",
    "only",
    "need",
    "needs",
    "entitled",
    "muss",
    "müssen",
    "darf",
    "dürfen",
    "soll",
    "sollen",
    "kann",
    "können",
    "verboten",
    "doit",
    "doivent",
    "peut",
    "peuvent",
    "interdit",
}
# What makes an added or removed sentence matter: obligations, prohibitions, deadlines, fees.
_WEIGHTY = re.compile(
    r"\b(must|shall|required?|requires|mandatory|oblig(?:ed|ated|ation)|prohibit(?:ed|s)?|forbidden|"
    r"not\s+(?:permitted|allowed)|may\s+not|must\s+not|will\s+not|cannot|can\s+not|"
    r"(?:you|we|sellers?|merchants?)\s+(?:may|will|agree|are\s+responsible|have\s+to|need\s+to)|"
    r"responsible\s+for|liable|within\s+\d+|no\s+later\s+than|deadline|at\s+least\s+\d+|"
    r"fees?|charges?|commissions?|surcharges?|penalt(?:y|ies)|refunds?|suspend\w*|terminat\w*|"
    r"muss|müssen|verpflichtet|verboten|gebühr\w*|frist\w*|doit|doivent|interdit|frais)\b"
    r"|[$€£¥]\s?\d|\d\s?%|\d\s?(?:percent|per\s+cent)\b",
    re.IGNORECASE,
)
_UNIT = (
    r"%|percent|per\s+cent|(?:business\s+|calendar\s+|working\s+)?(?:days?|hours?|minutes?|"
    r"weeks?|months?|years?)|cents?|dollars?|euros?|pounds?|usd|eur|gbp|items?|units?|orders?|"
    r"listings?|kg|km|lbs?|tage|werktage|stunden|monate|jahre|jours|heures|mois|ans"
)
_COUNTER_UNIT = (
    r"(?:[kKmM]\s?)?(?:views?|likes?|comments?|reads?|visits?|followers?|votes?|ratings?|"
    r"reviews?|downloads?|people\s+found\s+this\s+helpful|aufrufe)"
)
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|"
    r"five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred)"
)
_NUMBER = re.compile(
    # Digits glued to a counter ("05/01/2024572 views": a date then a view count) belong to it.
    rf"(?P<glued>[\d/.,]+(?:\s?(?:{_COUNTER_UNIT})\b))|"
    # "thirty (30) days": the word and the digits are one number.
    rf"(?P<spelled>\b{_NUMBER_WORD}\s*\()?"
    r"(?P<cur>(?:US\s?)?[$€£¥]|\b(?:USD|EUR|GBP)\s?)?(?P<num>\d+(?:[.,]\d+)*)(?(spelled)\))"
    rf"(?:\s?(?P<counter>{_COUNTER_UNIT})\b|\s?(?P<unit>{_UNIT})(?![\w]))?",
    re.IGNORECASE,
)
# "1. ", "2.Accepting", "15.3 ", "(a) ", "iv. ": clause numbering, structure rather than content.
_CLAUSE_NUMBER = re.compile(
    r"^\s*(?:[-*+•]\s*)?(?:\(?\d+(?:\.\d+)*[.)]\s*(?=[^\W\d_])|\d+(?:\.\d+)*\s+|"
    r"\(?[a-z]\)\s+|\(?[ivxlc]{1,5}[.)]\s+)",
    re.IGNORECASE,
)
# A number right after one of these words points at another part of the text.
_REFERENCE_WORD = re.compile(
    r"\b(?:clauses?|sections?|paragraphs?|articles?|annex(?:es)?|schedules?|appendix|appendices|"
    r"exhibits?|parts?|chapters?|items?|points?|ziffer|abschnitt|nr|no)\.?\s*$|§\s*$",
    re.IGNORECASE,
)
_LINK = re.compile(r"(!?\[[^\]]*\])\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_MARKUP = re.compile(r"[*_`#>|~]+|^\s*[-+]\s+|\\(?=[^\w\s])", re.MULTILINE)
_WORDS = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)
# A sentence ends at . ! ? ; after a word of two letters or more (or a closing bracket or quote),
# not after "1." or "e.g." or "U.S.", so numbered clauses stay with their text.
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{2}[.!?;])|(?<=[)\]\"'*][.!?;]))\s+(?=[^\s\d])")
_PAIR_MIN_SIMILARITY = 0.5
_DATE_PLACEHOLDER = "[stated date]"
_BOILERPLATE_NEGATION = re.compile(r"\b(?:but\s+)?not\s+limited\s+to\b", re.IGNORECASE)


# ---------------------------------------------------------------- text views


def _without_links(text: str) -> str:
    return _AUTOLINK.sub("<link>", _LINK.sub(r"\1()", text))


def _plain(text: str) -> str:
    """Text a reader sees: link targets and Markdown markup removed, spaces collapsed."""
    text = _LINK.sub(lambda m: m.group(1).lstrip("!")[1:-1], text)
    text = _AUTOLINK.sub("<link>", text)
    return " ".join(_MARKUP.sub("", text).split())


def _words(text: str) -> list[str]:
    text = _BOILERPLATE_NEGATION.sub("limited to", text)  # "including but not limited to"
    text = re.sub(r"\bcan't\b", "cannot", text, flags=re.IGNORECASE)
    text = re.sub(r"\bwon't\b", "will not", text, flags=re.IGNORECASE)
    text = re.sub(r"n't\b", " not", text, flags=re.IGNORECASE)
    return _WORDS.findall(text)


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentences(block: str) -> list[str]:
    out = []
    for line in block.split("\n"):
        if line.strip():
            out.extend(s.strip() for s in _SENTENCE_END.split(line.strip()) if s.strip())
    return out


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class _Finding:
    kind: str
    text: str
    section: str  # title of the innermost section, "" before the first heading
    order: int  # position in the document, to keep equal-rank reasons in reading order


def _numbers(text: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    """Number phrases (text, start, end) outside dates and clause numbers; counters apart."""
    text = _CLAUSE_NUMBER.sub(lambda m: " " * len(m.group(0)), text)
    text = _REFERENCES.sub(lambda m: " " * len(m.group(0)), text)
    for start, end, _ in find_dates(text):
        text = text[:start] + " " * (end - start) + text[end:]
    phrases, counters = [], []
    for match in _NUMBER.finditer(text):
        if match.group("counter") or match.group("glued"):
            counters.append(match.group(0))
        elif (
            match.start() > 0
            and (text[match.start() - 1].isalpha() or text[match.start() - 1] == ".")
            and not match.group("cur")
        ):
            continue  # glued to a word ("Property6.1", "Us.3.Deduction"): clause numbering
        elif not _REFERENCE_WORD.search(text[max(0, match.start() - 20) : match.start()]):
            phrases.append((" ".join(match.group(0).split()), match.start(), match.end()))
    return phrases, counters


_REF_ID = r"(?:[A-Z]{1,4}-)?\d+(?:\.\d+)*(?:\([a-z0-9]+\))*"
_REFERENCES = re.compile(
    # "Section 3", "Sections 2, 3 and 20", "§ 5", "Section F-13", "Clause 6.1(b)" ...
    r"(?:\b(?:clauses?|sections?|paragraphs?|articles?|annex(?:es)?|schedules?|appendix|"
    r"exhibits?|parts?|chapters?|ziffern?|abschnitte?)\.?|§§?)\s*"
    + _REF_ID
    + r"(?:(?:\s*(?:,|and|or|to|through|-)\s*)+"
    + _REF_ID
    + r")*"
    # ... clause ids standing alone ("S-3.3", "F-13", "API-4") and enumerators "(d)", "(iv)".
    r"|\b[A-Z]{1,4}-\d+(?:\.\d+)*\b|\((?:[a-z]|[ivx]{1,5})\)",
    re.IGNORECASE,
)


def _references(text: str) -> list[str]:
    """Cross-references such as "Clause 11" or "§ 3", whose renumbering is not a rule change."""
    return [" ".join(m.group(0).split()) for m in _REFERENCES.finditer(text)]


def _context_before(text: str, start: int, words: int = 4) -> str:
    """Up to ``words`` words before ``start`` within the same clause, as a label."""
    clause = re.split(r"[.;:!?](?:\s|$)", text[:start])[-1]
    return " ".join(_WORDS.findall(clause)[-words:])


def _changed_span(old: str, new: str) -> tuple[str, str]:
    """The part of each sentence that differs, widened to whole words plus one word each side."""
    a, b = _words(old), _words(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes:
        return _shorten(old, 60), _shorten(new, 60)
    _, i1, _, j1, _ = changes[0]
    _, _, i2, _, j2 = changes[-1]
    i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
    i2, j2 = min(i2 + 1, len(a)), min(j2 + 1, len(b))
    return _shorten(" ".join(a[i1:i2]), 60), _shorten(" ".join(b[j1:j2]), 60)


def _compare_pair(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) reasons for a sentence that was edited."""
    if old == new:
        return []
    if _without_links(old) == _without_links(new):
        where = _shorten(_plain(new), 50)
        return [("link", f"link target changed in {where!r}" if where else "link target changed")]
    # From here on, compare what a reader sees: numbers in link targets and clause numbering
    # ("1. Introduction" vs "1.Introduction", or renumbered clauses) are not rules.
    old, new = _CLAUSE_NUMBER.sub("", _plain(old)), _CLAUSE_NUMBER.sub("", _plain(new))
    if old == new:
        return [("formatting", f"formatting of {_shorten(new, 50)!r}")]

    reasons: list[tuple[str, str]] = []
    old_dates = [iso for _, _, iso in find_dates(old)]
    new_dates = [iso for _, _, iso in find_dates(new)]
    if old_dates != new_dates:
        gone = [d for d in old_dates if d not in new_dates] or ["none"]
        came = [d for d in new_dates if d not in old_dates] or ["none"]
        reasons.append(("effective-date", f"date {', '.join(gone)} → {', '.join(came)}"))

    (old_nums, old_counters), (new_nums, new_counters) = _numbers(old), _numbers(new)
    old_values = [n for n, _, _ in old_nums]
    new_values = [n for n, _, _ in new_nums]
    if old_values != new_values:
        gone = [n for n in old_nums if n[0] not in new_values]
        came = [n for n in new_nums if n[0] not in old_values]
        for k in range(max(len(gone), len(came))):
            if k < len(gone) and k < len(came):
                change = f"{_context_before(new, came[k][1])} {gone[k][0]} → {came[k][0]}"
            elif k < len(came):
                change = f"{_context_before(new, came[k][1])} {came[k][0]} (new)"
            else:
                change = f"{_context_before(old, gone[k][1])} {gone[k][0]} (removed)"
            reasons.append(("number", change.strip()))
        if not gone and not came:  # the same numbers in another order
            reasons.append(("number", f"{', '.join(old_values)} → {', '.join(new_values)}"))

    old_words, new_words = _words(old), _words(new)
    lower_old = [w.lower() for w in old_words]
    lower_new = [w.lower() for w in new_words]
    if sorted(w for w in lower_old if w in _NEGATIONS) != sorted(
        w for w in lower_new if w in _NEGATIONS
    ):
        reasons.append(("negation", "{!r} → {!r}".format(*_changed_span(old, new))))
    elif [w for w in lower_old if w in _MODALS] != [w for w in lower_new if w in _MODALS]:
        reasons.append(("obligation", "{!r} → {!r}".format(*_changed_span(old, new))))

    if reasons:
        return reasons
    old_refs, new_refs = _references(old), _references(new)
    if old_refs != new_refs and _words(_REFERENCES.sub("#", old)) == _words(
        _REFERENCES.sub("#", new)
    ):
        gone = [r for r in old_refs if r not in new_refs]
        came = [r for r in new_refs if r not in old_refs]
        return [("reference", f"{', '.join(gone) or 'none'} → {', '.join(came) or 'none'}")]
    if old_counters != new_counters and _strip_counters(old) == _strip_counters(new):
        return [("counter", f"counter {' '.join(old_counters)} → {' '.join(new_counters)}")]
    if old_words == new_words:
        return [("whitespace", f"punctuation or spacing in {_shorten(new, 50)!r}")]
    if lower_old == lower_new:
        return [("wording", "letter case: {!r} → {!r}".format(*_changed_span(old, new)))]
    return [("wording", "{!r} → {!r}".format(*_changed_span(old, new)))]


def _strip_counters(text: str) -> str:
    return _NUMBER.sub(
        lambda m: "#" if m.group("counter") or m.group("glued") else m.group(0), text
    )


def _lone_sentence(sentence: str, added: bool) -> tuple[str, str]:
    verb = "added" if added else "removed"
    quoted = repr(_shorten(_plain(sentence), 70))
    if re.match(r"^\s*(#{1,6}\s|\*\*[^*]+\*\*$)", sentence):
        return ("wording", f"{verb} heading {quoted}")
    # A question is a heading or an FAQ prompt ("How you may authorize other users?"), not a rule.
    if _WEIGHTY.search(_plain(sentence)) and not sentence.rstrip("*_ ").endswith("?"):
        return (f"{verb}-obligation", f"{verb} {quoted}")
    return ("wording", f"{verb} {quoted}")


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(
        None, _words(_plain(a).lower()), _words(_plain(b).lower()), autojunk=False
    )
    if (
        matcher.real_quick_ratio() < _PAIR_MIN_SIMILARITY
        or matcher.quick_ratio() < _PAIR_MIN_SIMILARITY
    ):
        return 0.0
    return matcher.ratio()


def _match(old: list[str], new: list[str]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair each old sentence with its most similar unpaired new one (first best wins);
    returns index pairs and the unpaired old and new indexes."""
    pairs: list[tuple[int, int]] = []
    free = list(range(len(new)))
    lone_old: list[int] = []
    for i, sentence in enumerate(old):
        best, best_ratio = None, _PAIR_MIN_SIMILARITY
        for j in free:
            ratio = _similarity(sentence, new[j])
            if ratio > best_ratio or (best is None and ratio >= best_ratio):
                best, best_ratio = j, ratio
        if best is None:
            lone_old.append(i)
        else:
            free.remove(best)
            pairs.append((i, best))
    return pairs, lone_old, free


def _pair_sentences(
    old: list[str], new: list[str]
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Match edited sentences: align them as lines, then pair by similarity inside each gap."""
    pairs: list[tuple[str, str]] = []
    removed: list[str] = []
    added: list[str] = []
    gap_old: list[str] = []
    gap_new: list[str] = []

    def settle() -> None:
        matched, lone_old, lone_new = _match(gap_old, gap_new)
        pairs.extend((gap_old[i], gap_new[j]) for i, j in matched)
        removed.extend(gap_old[i] for i in lone_old)
        added.extend(gap_new[j] for j in lone_new)
        gap_old.clear()
        gap_new.clear()

    old_text = "".join(s.replace("\n", " ") + "\n" for s in old)
    new_text = "".join(s.replace("\n", " ") + "\n" for s in new)
    for op, text in diff_lines(old_text, new_text) + [(EQUAL, "")]:
        lines = text.splitlines()
        if op == DELETE:
            gap_old.extend(lines)
        elif op == INSERT:
            gap_new.extend(lines)
        else:
            settle()
    return pairs, removed, added


def _mask_stated_dates(text: str) -> str:
    for start, end, _ in sorted(stated_date_spans(text), reverse=True):
        text = text[:start] + _DATE_PLACEHOLDER + text[end:]
    return text


_MAX_MOVE_COMPARISONS = 20_000  # beyond this, a page was rewritten: moves are not worth finding


def _findings(old: str, new: str) -> list[_Finding]:
    old_secs, new_secs = sections(old), sections(new)
    findings: list[_Finding] = []
    removed: list[tuple[str, str, int]] = []  # (sentence, section title, order), to pair later
    added: list[tuple[str, str, int]] = []
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
            sec = section_at(new_secs, hunk_new) if inserted else section_at(old_secs, hunk_old)
            title = sec.title if sec else ""
            pairs, gone, came = _pair_sentences(
                _sentences("".join(deleted)), _sentences("".join(inserted))
            )
            for o, n in pairs:
                findings += [_Finding(k, t, title, hunk_new) for k, t in _compare_pair(o, n)]
            removed += [(s, title, hunk_new) for s in gone]
            added += [(s, title, hunk_new) for s in came]
            if not (pairs or gone or came):  # only blank lines moved
                findings.append(_Finding("whitespace", "blank lines", title, hunk_new))
            deleted.clear()
            inserted.clear()
        old_pos += len(text)
        new_pos += len(text)
        hunk_old, hunk_new = old_pos, new_pos

    # A sentence removed in one place and added in another was moved, and maybe edited.
    if len(removed) * len(added) <= _MAX_MOVE_COMPARISONS:
        matched, lone_old, lone_new = _match([r[0] for r in removed], [a[0] for a in added])
    else:
        matched, lone_old, lone_new = [], list(range(len(removed))), list(range(len(added)))
    for i, j in matched:
        (o, _, _), (n, title, order) = removed[i], added[j]
        reasons = _compare_pair(o, n) or [("wording", f"moved {_shorten(_plain(n), 70)!r}")]
        findings += [_Finding(k, t, title, order) for k, t in reasons]
    for i in lone_old:
        findings.append(_Finding(*_lone_sentence(removed[i][0], False), *removed[i][1:]))
    for j in lone_new:
        findings.append(_Finding(*_lone_sentence(added[j][0], True), *added[j][1:]))
    return findings


# ---------------------------------------------------------------- verdict


def _label(kinds: set[str]) -> str:
    if kinds & set(SUBSTANTIVE):
        return "substantive"
    if kinds & set(MINOR):
        return "minor"
    return "noise"


def _summary(findings: list[_Finding], silent: bool | None) -> str:
    if not findings:
        return "No change"
    parts: list[str] = []
    previous_section = None
    for f in findings[:2]:
        prefix = f"{f.section}: " if f.section and f.section != previous_section else ""
        parts.append(prefix + f.text)
        previous_section = f.section
    if len(findings) > 2:
        parts.append(f"+{len(findings) - 2} more")
    if silent:
        parts.append("silent change")
    return _shorten("; ".join(parts), 200)


def classify(old: str, new: str, ops: list[Op] | None = None) -> Classification:
    """Label the change from ``old`` to ``new`` (normalized Markdown) with its reasons."""
    date_old, date_new = stated_date(old), stated_date(new)
    if old == new:
        return Classification(
            "noise", (), "No change", False if date_old else None, (), date_old, date_new
        )
    if ops is None:
        ops = diff_texts(old, new)

    findings = _findings(_mask_stated_dates(old), _mask_stated_dates(new))
    body_kinds = {f.kind for f in findings}
    if date_old and date_new and date_old != date_new:
        findings.append(_Finding("stated-date", f"stated date {date_old} → {date_new}", "", -1))
    elif date_old and not date_new or date_new and not date_old:
        findings.append(
            _Finding(
                "stated-date", f"stated date {date_old or 'none'} → {date_new or 'none'}", "", -1
            )
        )
    findings.sort(key=lambda f: (_RANK[f.kind], f.order))

    label = _label({f.kind for f in findings})
    # Silent means readers see different words under the same date; markup and link targets
    # changing without a new date is routine.
    body_changed = bool(body_kinds & (set(SUBSTANTIVE) | {"wording"}))
    silent = None if not (date_old and date_new) else body_changed and date_old == date_new

    unique: list[_Finding] = []
    seen: set[tuple[str, str]] = set()
    for f in findings:  # the same reason text twice (a repeated phrase) says nothing more
        if (f.kind, f.text) not in seen:
            seen.add((f.kind, f.text))
            unique.append(f)
    reasons = tuple(Reason(f.kind, f.text) for f in unique[:_MAX_REASONS])
    if len(unique) > _MAX_REASONS:
        reasons += (
            Reason(unique[_MAX_REASONS].kind, f"+{len(unique) - _MAX_REASONS} more reasons"),
        )
    if not unique:  # differences that vanish once the stated date is masked: none left
        unique = [_Finding("whitespace", "whitespace only", "", 0)]
        reasons = (Reason("whitespace", "whitespace only"),)
    return Classification(
        label=label,
        reasons=reasons,
        summary=_summary(unique, silent),
        silent=silent,
        sections=tuple(sections_touched(old, new, ops)),
        stated_date_old=date_old,
        stated_date_new=date_new,
    )
