"""Quantities written in policy text, and what they are about.

A quantity is a number with what makes it a rule: a percentage ("4 %"), an amount ("$0.99",
"1,50 €"), a duration ("24 hours", "thirty (30) days", "sixty days") or a count ("3 listings").
``quantities`` finds them outside dates, clause numbers and cross-references; view counters
("2.2k views") are returned apart, as page noise. ``subject_of`` names what a quantity sets
("late shipment rate", "per-item fee", "confirm shipment") from the words before it, and
``describe`` turns an old and a new quantity into the words a seller reads:
"Late shipment rate target lowered from 4% to 3%".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from diffs.dates import find_dates

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100,
}  # fmt: skip
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
NUMBER_WORD = (
    rf"(?:(?:{_TENS})(?:[- ](?:{_UNITS_WORDS}))?|eleven|twelve|thirteen|fourteen|fifteen|"
    rf"sixteen|seventeen|eighteen|nineteen|ten|hundred|{_UNITS_WORDS})"
)
_DURATION = (
    r"(?:(?:consecutive\s+)?(?:business\s+|calendar\s+|working\s+|banking\s+)?"
    r"(?:days?|hours?|minutes?|weeks?|months?|years?|(?:werk)?tage?n?|stunden|wochen|monate?n?|"
    r"jahre?n?|jours?|heures?|semaines?|mois|ans?))"
)
_PERCENT = r"(?:%|percent|per\s+cent|prozent|pour\s+cent)"
_MONEY_AFTER = (
    r"(?:€|\$|£|¥|zł|eur|euros?|usd|dollars?|gbp|pounds?|cents?|pence|chf|cad|aud|inr|mxn|jpy|sek|"
    r"pln|kr|kronor|krona|złoty|zloty)"
)
_COUNT = (
    r"(?:items?|units?|orders?|listings?|products?|offers?|sales|transactions|characters|words|"
    r"images?|photos?|kg|km|lbs?|pounds?|g|cm|inches|miles|stars?|times|strikes?|accounts?)"
)
COUNTER = (
    r"(?:[kKmM]\s?)?(?:views?|likes?|comments?|reads?|visits?|followers?|votes?|ratings?|"
    r"downloads?|people\s+found\s+this\s+helpful|aufrufe)"
)
_CURRENCY_BEFORE = r"(?:(?:US|CA|AU|C|A)?\$|€|£|¥|\b(?:USD|EUR|GBP|CAD|AUD|INR|MXN|JPY|CHF|SEK|PLN|kr)\.?\s?)"
_DIGITS = r"\d+(?:[.,]\d+)*"

_QUANTITY = re.compile(
    # Every quantity starts at a digit, a stop or slash before digits, a currency sign or a word's
    # first letter ("US$" may start inside one): tested first, so other positions fail at once.
    r"(?=[\d/.,$€£¥]|\b\w|(?:US|CA|AU|C|A)\$)(?:"
    # Digits glued to a counter ("05/01/2024572 views": a date, then a view count) belong to it.
    rf"(?P<counter>[\d/.,]*\d\s?{COUNTER}\b)"
    # "thirty (30) days": the words and the digits are one number.
    rf"|(?:(?P<spelled>\b{NUMBER_WORD})\s*\(\s*)?(?P<cur>{_CURRENCY_BEFORE})?"
    rf"(?P<num>{_DIGITS})(?(spelled)\s*\))"
    rf"(?:\s?(?P<pct>{_PERCENT})|\s?(?P<money>{_MONEY_AFTER})(?![\w])|"
    rf"[\s-]?(?P<dur>{_DURATION})(?![\w])|\s(?P<count>{_COUNT})(?![\w]))?"
    # "sixty days", "two business days": number words count only with a unit.
    rf"|\b(?P<word>{NUMBER_WORD})[\s-](?:(?P<wpct>{_PERCENT})|(?P<wdur>{_DURATION})(?![\w])|"
    rf"(?P<wcount>{_COUNT})(?![\w])))",
    re.IGNORECASE,
)
# "1. ", "2.Accepting", "15.3 ", "(a) ", "iv. ": clause numbering, structure rather than content.
CLAUSE_NUMBER = re.compile(
    r"^\s*(?:[-*+•]\s*)?(?:\(?\d+(?:\.\d+)*[.)]\s*(?=[^\W\d_])|\d+(?:\.\d+)*\s+(?=\D)|"
    r"\(?[a-z]\)\s+|\(?[ivxlc]{1,5}[.)]\s+)",
    re.IGNORECASE,
)
_REF_ID = r"(?:[A-Z]{1,4}-)?\d+(?:\.\d+)*(?:\([a-z0-9]+\))*"
REFERENCES = re.compile(
    # "Section 3", "Sections 2, 3 and 20", "§ 5", "Section F-13", "Clause 6.1(b)" ...
    r"(?:\b(?:clauses?|sections?|paragraphs?|articles?|annex(?:es)?|schedules?|appendix|"
    r"exhibits?|parts?|chapters?|ziffern?|abschnitte?|items?|points?)\.?|§§?)\s*"
    + _REF_ID
    + r"(?:(?:\s*(?:,|and|or|to|through|-)\s*)+"
    + _REF_ID
    + r")*"
    # ... clause ids standing alone ("S-3.3", "F-13", "API-4") and enumerators "(d)", "(iv)".
    r"|\b[A-Z]{1,4}-\d+(?:\.\d+)*\b|\((?:[a-z]|[ivx]{1,5})\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    text: str  # as written, spaces collapsed: "$0.99", "24 hours", "thirty (30) days"
    value: float | None  # for the direction of a change; None when it cannot be read
    kind: str  # "percent" | "money" | "duration" | "count" | "plain"
    unit: str  # "%", "$", "day", "business day", "listing", "" ...
    start: int
    end: int

    @property
    def key(self) -> tuple:
        """What makes two quantities the same: value and unit, however they were written."""
        return (self.value, self.unit) if self.value is not None else (self.text.lower(), self.unit)


def _value(digits: str) -> float | None:
    """1,234.56 / 1.234,56 / 1,50 / 0.99 → float; None when ambiguous beyond repair."""
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif "," in digits:
        groups = digits.split(",")
        digits = digits.replace(",", "") if all(len(g) == 3 for g in groups[1:]) else digits.replace(",", ".")
    elif digits.count(".") > 1:
        digits = digits.replace(".", "")
    try:
        return float(digits)
    except ValueError:
        return None


def _word_value(word: str) -> float | None:
    parts = re.split(r"[- ]", word.lower())
    try:
        return float(sum(_NUMBER_WORDS[p] for p in parts))
    except KeyError:
        return None


def _unit_name(raw: str) -> str:
    unit = " ".join(raw.lower().split())
    if unit in ("%", "percent", "per cent", "prozent", "pour cent"):
        return "%"
    unit = unit.replace("consecutive ", "")
    return unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


@functools.lru_cache(maxsize=8192)
def quantities(text: str) -> tuple[tuple[Quantity, ...], tuple[str, ...]]:
    """Quantities in ``text`` outside dates, clause numbers and cross-references, and apart
    from them the view/like counters (page noise)."""
    if not re.search(r"\d|" + NUMBER_WORD, text, re.IGNORECASE):
        return (), ()
    found, counters = _quantities(text)
    return tuple(found), tuple(counters)


def _quantities(text: str) -> tuple[list[Quantity], list[str]]:
    # Counters first: "10 views" at the start of a line is not clause 10.
    counters = [" ".join(m.group(0).split()) for m in _COUNTER.finditer(text)]
    masked = _COUNTER.sub(lambda m: " " * len(m.group(0)), text)
    masked = CLAUSE_NUMBER.sub(lambda m: " " * len(m.group(0)), masked)
    masked = REFERENCES.sub(lambda m: " " * len(m.group(0)), masked)
    masked = _blank(masked, [(s, e) for s, e, _ in find_dates(masked)])
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(masked):
        written = " ".join(m.group(0).split())
        if m.group("counter"):
            counters.append(written)
            continue
        if m.group("word"):
            unit = m.group("wpct") or m.group("wdur") or m.group("wcount")
            kind = "percent" if m.group("wpct") else "duration" if m.group("wdur") else "count"
            found.append(Quantity(written, _word_value(m.group("word")), kind, _unit_name(unit), m.start(), m.end()))
            continue
        before = masked[max(0, m.start() - 1) : m.start()]
        if before and (before.isalpha() or before == ".") and not m.group("cur"):
            continue  # glued to a word ("Property6.1", "Us.3.Deduction"): clause numbering
        value = _value(m.group("num"))
        if m.group("cur") or m.group("money"):
            kind, unit = "money", _unit_name((m.group("cur") or m.group("money")).strip())
        elif m.group("pct"):
            kind, unit = "percent", "%"
        elif m.group("dur"):
            kind, unit = "duration", _unit_name(m.group("dur"))
        elif m.group("count"):
            kind, unit = "count", _unit_name(m.group("count"))
        else:
            kind, unit = "plain", ""
        found.append(Quantity(written, value, kind, unit, m.start(), m.end()))
    return found, counters


_COUNTER = re.compile(rf"[\d/.,]*\d\s?{COUNTER}\b", re.IGNORECASE)


def strip_counters(text: str) -> str:
    """``text`` with every view/like counter replaced by ``#``."""
    return _COUNTER.sub("#", text)


# ---------------------------------------------------------------- subjects

_WORD = re.compile(r"[^\W_][\w'\-]*", re.UNICODE)
# Words between a subject and its number that say how the number applies; kept for display.
QUALIFIERS = (
    "no later than", "not later than", "no more than", "no less than", "not more than",
    "not less than", "at least", "at most", "up to", "more than", "less than", "fewer than",
    "a maximum of", "a minimum of", "maximum of", "minimum of", "within", "under", "below",
    "above", "over", "exceeding", "after", "before", "every",
)  # fmt: skip
_QUALIFIER_WORDS = sorted(((q, q.split()) for q in QUALIFIERS), key=lambda q: -len(q[1]))  # longest first
DEADLINE_QUALIFIERS = ("within", "no later than", "not later than", "before", "up to")
# Joining words dropped from the end of a subject ("a fee of", "rate is").
_TRAILING = {
    "of", "is", "are", "be", "been", "was", "to", "for", "by", "from", "in", "at", "on", "with",
    "equal", "set", "the", "a", "an", "per", "than", "and", "or", "your", "our", "its", "their",
}  # fmt: skip
# Words dropped from the start of a subject: pronouns, modals, verbs that only carry the rule.
_LEADING = {
    "you", "your", "we", "our", "us", "they", "their", "it", "its", "the", "a", "an", "must",
    "shall", "should", "will", "may", "can", "could", "would", "keep", "maintain", "be", "is",
    "are", "was", "been", "have", "has", "need", "needs", "to", "that", "which", "who", "and",
    "or", "if", "then", "also", "please", "all", "any", "each", "this", "these", "those", "there",
    "such", "only", "do", "does", "so", "as", "but", "when", "where", "for", "of", "in", "on",
    "with", "by", "from", "at",
}  # fmt: skip
_MAX_SUBJECT_WORDS = 6
_POSSESSIVE_AFTER = re.compile(
    r"^['’]s?\s+((?:advance|prior|written)\s+)?(notice|grace\s+period|warning)\b", re.IGNORECASE
)


def subject_of(text: str, start: int, end: int) -> tuple[str, str]:
    """(subject, qualifier) for the quantity at ``text[start:end]``: "30 days' notice" →
    ("notice", ""); "You must keep your late shipment rate under 4%" → ("late shipment rate",
    "under"); "A per-item fee of $0.99" → ("per-item fee", "")."""
    after = _POSSESSIVE_AFTER.match(text[end:])
    clause = re.split(r"[.;:!?()\[\]|]\s|[;:!?()\[\]|]|,\s", text[:start])[-1]
    words = _WORD.findall(clause)
    qualifier = ""
    lowered = [w.lower() for w in words]
    for phrase, parts in _QUALIFIER_WORDS:
        n = len(parts)
        if lowered[-n:] == parts:
            qualifier = phrase
            words, lowered = words[:-n], lowered[:-n]
            break
    if after:
        return " ".join(after.group(0).lstrip("'’s ").split()), qualifier
    while words and lowered[-1] in _TRAILING:
        words, lowered = words[:-1], lowered[:-1]
    words, lowered = words[-_MAX_SUBJECT_WORDS:], lowered[-_MAX_SUBJECT_WORDS:]
    while words and lowered[0] in _LEADING:
        words, lowered = words[1:], lowered[1:]
    return " ".join(words), qualifier


# ---------------------------------------------------------------- wording a change


def direction(old: Quantity, new: Quantity) -> str:
    """ "shortened"/"extended" for durations, "lowered"/"raised" otherwise, "changed" when the
    values cannot be compared (different units, unreadable numbers)."""
    if old.value is None or new.value is None or old.value == new.value:
        return "changed"
    if old.unit != new.unit and not (old.kind == new.kind == "duration"):
        return "changed"
    if old.kind == new.kind == "duration" and old.unit != new.unit:
        return _duration_direction(old, new)
    if old.kind == "duration":
        return "shortened" if new.value < old.value else "extended"
    return "lowered" if new.value < old.value else "raised"


_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24, "business day": 24, "calendar day": 24,
          "working day": 24, "week": 168, "month": 730, "year": 8760}  # fmt: skip


def _duration_direction(old: Quantity, new: Quantity) -> str:
    a, b = _HOURS.get(old.unit), _HOURS.get(new.unit)
    if a is None or b is None or old.value is None or new.value is None:
        return "changed"
    return "shortened" if new.value * b < old.value * a else "extended"


def is_deadline(qualifier: str, quantity: Quantity, context: str) -> bool:
    """A time limit a seller must meet: "within 30 days", "no later than 3 days", "a 60-day
    window", "30 days' notice"."""
    if quantity.kind != "duration":
        return False
    if qualifier.lower() in DEADLINE_QUALIFIERS:
        return True
    return bool(re.search(r"\b(deadline|window|notice|grace period|time limit|frist)\b", context, re.IGNORECASE))


def arrow(subject: str, qualifier: str, old: Quantity, new: Quantity) -> str:
    """Reason text: "late shipment rate target: under 4% → 3%"."""
    lead = f"{subject}: " if subject else ""
    q = f"{qualifier} " if qualifier else ""
    return f"{lead}{q}{old.text} → {new.text}"


# A subject ending in one of these names a quantity ("late shipment rate", "per-item fee"):
# "<subject> lowered from 4% to 3%" reads well. Other subjects are the words of a rule
# ("payouts are sent every"): "<subject> <qualifier> 7 days (was 14 days)" reads better.
_NAMES_A_QUANTITY = re.compile(
    r"\b(rates?|fees?|targets?|thresholds?|limits?|prices?|costs?|charges?|commissions?|"
    r"amounts?|percentages?|minimum|maximum|periods?|windows?|deposits?|reserves?|caps?|"
    r"surcharges?|notice|ratings?|scores?|age|insurance|deductibles?)$",
    re.IGNORECASE,
)


def headline(subject: str, qualifier: str, old: Quantity, new: Quantity, deadline: bool, named: bool = False) -> str:
    """Summary text: "Late shipment rate target lowered from 4% to 3%", "Deadline shortened:
    confirm shipment within 12 hours (was 24 hours)", "Payouts are sent every 7 days (was 14
    days)". ``named``: the subject is a name given by the page (a table's row and column)."""
    verb = direction(old, new)
    if deadline:
        if len(subject) > 1 and subject[1].islower():  # "Refunds are issued" reads on after a colon
            subject = subject[0].lower() + subject[1:]
        what = " ".join(p for p in (subject, qualifier, new.text) if p)
        title = "Deadline" if verb == "changed" else f"Deadline {verb}"
        return f"{title}: {what} (was {old.text})"
    if not subject:
        return f"{old.text} → {new.text}"
    subject = subject[0].upper() + subject[1:]
    if named or _NAMES_A_QUANTITY.search(subject):
        return f"{subject} {verb} from {old.text} to {new.text}"
    return " ".join(p for p in (subject, qualifier, new.text) if p) + f" (was {old.text})"
