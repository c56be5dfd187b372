"""Quantified rules of one text: every threshold, deadline, fee, rate and limit it states, as a
record (``QuantifiedRule``): the subject ("late shipment rate"), the comparison ("under"), the
value and unit (4, "%"), the window it is measured over ("last 10 and 30 days"), the condition
it applies under ("if the Amazon Site is the UK Amazon Site"), and the sentence or table row it
comes from.

Pure: ``quantified_rules(markdown)`` reads a version's text and nothing else. Quantities are
found by ``diffs.numbers`` (outside dates, clause numbers and cross-references), subjects of
English sentences by ``diffs.numbers.subject_of``; the comparison words, the windows, German
number words and German subjects are read here, from the vocabularies below (data, one per
language). A table row names its subject in its first cell and its window in a column headed
"Period", "Window" or "Zeitraum"; a list item under "“X” means one of the following:" is a
value of X.

Not every number is a rule: percentages, amounts of money and durations are; a count
("3 listings") only with a comparison ("at most 3 listings"). A quantity inside a window
("over the last 30 days") is the window of the rule beside it, not a rule of its own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from diffs.dates import find_dates
from diffs.numbers import Quantity, is_deadline, quantities, subject_of
from diffs.passages import Passage, cells, passages_in, plain_text
from diffs.sections import sections

# ---------------------------------------------------------------- vocabularies (data)

# Words before a quantity that say how it bounds the subject, per language, mapped onto one
# comparison vocabulary (English), longest phrases first when matched.
COMPARISONS: dict[str, dict[str, str]] = {
    "en": {
        "under": "under", "less than": "under", "below": "under", "fewer than": "under",
        "lower than": "under", "at most": "at most", "no more than": "at most",
        "not more than": "at most", "up to": "at most", "a maximum of": "at most",
        "maximum of": "at most", "not to exceed": "at most", "not exceeding": "at most",
        "within": "within", "no later than": "within", "not later than": "within",
        "at least": "at least", "no less than": "at least", "not less than": "at least",
        "a minimum of": "at least", "minimum of": "at least", "above": "above",
        "more than": "above", "over": "above", "exceeds": "above", "exceed": "above",
        "exceeding": "above", "greater than": "above", "in excess of": "above",
        "higher than": "above", "after": "after", "every": "every", "between": "between",
    },
    "de": {
        "unter": "under", "unterhalb von": "under", "weniger als": "under",
        "niedriger als": "under", "höchstens": "at most", "maximal": "at most",
        "bis zu": "at most", "nicht mehr als": "at most", "mindestens": "at least",
        "wenigstens": "at least", "nicht weniger als": "at least", "über": "above",
        "oberhalb von": "above", "mehr als": "above", "überschreitet": "above",
        "übersteigt": "above", "innerhalb von": "within", "innerhalb": "within",
        "binnen": "within", "spätestens": "within", "spätestens binnen": "within",
        "spätestens innerhalb von": "within", "nach": "after", "alle": "every", "zwischen": "between",
    },
}  # fmt: skip
_ALL_COMPARISONS = {phrase: c for vocabulary in COMPARISONS.values() for phrase, c in vocabulary.items()}
# Words right after a quantity that bound it: "4 % or less", "30 Tage oder mehr".
_AFTER_COMPARISONS = {
    "or less": "at most", "or fewer": "at most", "or more": "at least", "or longer": "at least",
    "oder weniger": "at most", "oder mehr": "at least", "oder länger": "at least",
}  # fmt: skip
# German number words (numbers.py reads English ones), as digits.
_DE_NUMBERS = {
    "eins": 1, "einem": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13, "vierzehn": 14,
    "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19,
    "zwanzig": 20, "einundzwanzig": 21, "dreißig": 30, "vierzig": 40, "fünfzig": 50,
    "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100,
}  # fmt: skip
_DE_NUMBER = re.compile(
    r"\b(" + "|".join(sorted((w for w in _DE_NUMBERS if w != "einem"), key=len, reverse=True)) + r")\b"
    r"(\s*\(\s*\d+\s*\))?(?=\s*(?:-|\s)(?:werk|kalender|bank)?(?:tag|stunde|woche|monat|jahr|prozent))",
    re.IGNORECASE,
)
# Units as read by diffs.numbers, in one vocabulary (English, plural): "30 Tagen" is 30 days.
_UNITS = {
    "day": "days", "tag": "days", "tage": "days", "tagen": "days", "jour": "days",
    "business day": "business days", "working day": "business days", "werktag": "business days",
    "werktage": "business days", "werktagen": "business days", "banking day": "business days",
    "calendar day": "calendar days", "hour": "hours", "stunden": "hours", "stunde": "hours",
    "heure": "hours", "minute": "minutes", "week": "weeks", "wochen": "weeks", "woche": "weeks",
    "semaine": "weeks", "month": "months", "monat": "months", "monate": "months",
    "monaten": "months", "mois": "months", "year": "years", "jahr": "years", "jahre": "years",
    "jahren": "years", "an": "years", "%": "%",
}  # fmt: skip
_CURRENCY_SYMBOLS = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "cent": "USD cents", "€": "EUR",
    "eur": "EUR", "euro": "EUR", "£": "GBP", "gbp": "GBP", "pound": "GBP", "pence": "GBP pence",
    "¥": "JPY", "jpy": "JPY", "ca$": "CAD", "c$": "CAD", "cad": "CAD", "a$": "AUD", "aud": "AUD",
    "au$": "AUD", "chf": "CHF", "inr": "INR", "mxn": "MXN", "sek": "SEK", "kr": "SEK",
    "krona": "SEK", "kronor": "SEK", "pln": "PLN", "zł": "PLN", "złoty": "PLN", "zloty": "PLN",
}  # fmt: skip
# A currency named in words before the amount wins over its symbol: "Ten Thousand Canadian
# Dollars ($10,000)" is CAD, not USD.
_CURRENCY_NAMES = (
    (re.compile(r"canadian\s+dollars?", re.I), "CAD"),
    (re.compile(r"australian\s+dollars?", re.I), "AUD"),
    (re.compile(r"mexican\s+pesos?", re.I), "MXN"),
    (re.compile(r"u\.?\s?s\.?\s+dollars?|us\s+dollars?|united\s+states\s+dollars?", re.I), "USD"),
    (re.compile(r"swedish\s+kron[ao]r?", re.I), "SEK"),
    (re.compile(r"polish\s+z[łl]oty", re.I), "PLN"),
    (re.compile(r"british\s+pounds?|pounds?\s+sterling", re.I), "GBP"),
    (re.compile(r"\beuros?\b", re.I), "EUR"),
    (re.compile(r"singapore\s+dollars?", re.I), "SGD"),
    (re.compile(r"indian\s+rupees?", re.I), "INR"),
    (re.compile(r"japanese\s+yen", re.I), "JPY"),
)
_CURRENCY_NAME_REACH = 60  # characters before the amount a currency's name may stand
# Windows a rule is measured over: "over the last 30 days", "during any month", "in einem
# Zeitraum von 60 Tagen", "in den letzten 30 Tagen", "pro Monat".
_PERIOD_WORDS = r"(?:calendar\s+)?(?:day|week|month|quarter|year)|(?:kalender)?(?:tag|woche|monat|quartal|jahr)e?s?"
_WINDOWS = re.compile(
    r"\b(?:(?:over|in|during|for|across)\s+)?(?:the\s+)?(?:last|past|previous|preceding|prior|trailing|rolling)\s+"
    r"(?:(?:\d+|[a-z]+(?:\s*\(\d+\))?)(?:\s*(?:and|or|-|to)\s*\d+)?[\s-]+)?"
    r"(?:calendar\s+|business\s+)?(?:days?|weeks?|months?|years?)(?:\s+period)?"
    r"|\b(?:(?:each|every|any)\s+month\s+)?(?:over|during|in|for|within)\s+(?:any|a|each|one|the)\s+period\s+of\s+"
    r"\S+(?:\s*\(\d+\))?\s+(?:consecutive\s+)?(?:calendar\s+)?(?:days?|weeks?|months?|years?)"
    r"|\b(?:during|in|per)\s+(?:any\s+|a\s+|each\s+|one\s+|the\s+|every\s+)?(?:calendar\s+)?"
    r"(?:day|week|month|quarter|year)\b"
    r"|\bin\s+(?:einem|dem)\s+Zeitraum\s+von\s+\S+(?:\s*\(\d+\))?\s+\w+"
    r"|\b(?:in|während)\s+(?:den|der)\s+(?:letzten|vergangenen|vorangegangenen)\s+"
    r"(?:\d+(?:\s*(?:und|oder|bis)\s*\d+)?\s+)?\w+"
    r"|\b(?:pro|je|jeden|jedes|jede|im)\s+(?:" + _PERIOD_WORDS + r")\b",
    re.IGNORECASE,
)
# A word every window holds: the windows' pattern is only run over a sentence that has one.
_WINDOW_WORD = re.compile(
    r"\b(?:last|past|previous|preceding|prior|trailing|rolling|during|per|period|zeitraum|letzten|"
    r"vergangenen|vorangegangenen|pro|je|jede[ns]?|im)\b",
    re.IGNORECASE,
)
_WINDOW_HEADER = re.compile(
    r"period|window|measured|time\s*frame|timeframe|evaluation|zeitraum|messzeitraum|bewertungszeitraum",
    re.IGNORECASE,
)
# Column headers that name no quantity of their own: the row label is the whole subject.
_GENERIC_HEADER = re.compile(
    r"^(?:target|targets|value|values|limit|threshold|requirement|required|standard|rule|amount|"
    r"ziel|zielwert|wert|grenzwert|anforderung|schwellenwert|betrag)$",
    re.IGNORECASE,
)
# A list item under "“Insurance Threshold” means the applicable one of the following:" gives a
# value of the defined term.
_DEFINITION = re.compile(
    r"^\W*[\"“„']([^\"”“']{2,80})[\"”“']\s+(?:means|shall\s+mean|is|refers\s+to|bezeichnet|bedeutet|ist|sind)\b",
    re.IGNORECASE,
)
# The case a value applies in: "(if the Elected Country is Canada)", "(falls …)".
_CONDITION = re.compile(r"\((?P<c>(?:if|when|for|where|falls|wenn|für|bei)\s[^()]{3,160})\)", re.IGNORECASE)
# A line that is only a clause's (numbered) bold title: "9.   **Insurance.**", "**F-7.1 Removal**".
_CLAUSE_TITLE = re.compile(
    r"^[^\S\n]*(?:[-*+][^\S\n]+)?(?:\d+(?:\\?\.\d+)*\\?\.?[^\S\n]+)?\*\*(?P<title>[^*\n]{2,80})\*\*[^\S\n]*$", re.M
)
_EXAMPLE = re.compile(r"^\W*(?:for\s+example|example|e\.\s?g\.|zum\s+beispiel|beispiel|z\.\s?b\.)\b", re.IGNORECASE)
_EXAMPLE_SECTION = re.compile(r"^(?:worked\s+)?examples?$|^beispiele?$|^rechenbeispiel", re.IGNORECASE)
_TERM = re.compile(r"^\W*([^\W\d][^:]{1,60}):\s")  # "Term: …" opening a passage
_AFTER_NUMBER = re.compile(r"^.*\b\d[\d.,\s]*(?:usd|eur|gbp|\$|€|£|%)?\s+(?=\D*$)", re.IGNORECASE)
# Words that carry a change rather than a subject: "the late shipment rate target is lowered to".
_CHANGE_VERB = re.compile(
    r"\s+(?:(?:is|are|will\s+be|has\s+been|have\s+been|wird|werden)\s+)?"
    r"(?:lowered|raised|reduced|increased|changed|changing|extended|shortened|updated|"
    r"gesenkt|erhöht|verkürzt|verlängert|geändert)\b.*$",
    re.IGNORECASE,
)
# Subjects that only point at the one the section is about: "Keep this rate under 2.5%".
_GENERIC_SUBJECT = re.compile(
    r"^(?:(?:this|that|the|its|the\s+same)\s+)?(?:rate|fee|fees|limit|target|threshold|period|it|this|"
    r"quote|frist|gebühr|grenze)$",
    re.IGNORECASE,
)
# English nouns that name a rule's quantity ("late shipment rate", "return window").
_RULE_NOUN = re.compile(
    r"\b(?:rates?|fees?|time|window|deadline|notice|period|limits?|thresholds?|targets?|minimum|maximum|"
    r"prices?|costs?|charges?|commissions?|reserve|deposit|insurance|score|rating)\b",
    re.IGNORECASE,
)
_MODAL_TAIL = re.compile(
    r"\s+(?:(?:must|shall|should|will|may|can|has\s+to|have\s+to|needs?\s+to)(?:\s+not)?"
    r"(?:\s+(?:be|stay|remain|keep|exceed|fall|go))?|stays?|remains?|is\s+kept|falls?|goes)$",
    re.IGNORECASE,
)
_LEADING_OPERATOR = re.compile(
    r"^(?:minus|plus|less|including|excluding|zuzüglich|abzüglich)\s+(?:an?\s+|the\s+)?", re.IGNORECASE
)
_SUBJECT_TAIL = re.compile(r"\s+(?:target|targets|ziel|zielwert)$", re.IGNORECASE)
# Words that start a rule and carry no subject: "You must", "Sie müssen", …
_DE_FUNCTION_WORDS = {
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
    "ihr", "ihre", "ihren", "ihrem", "ihrer", "ihres", "sie", "wir", "uns", "unser", "unsere",
    "muss", "müssen", "soll", "sollte", "sollen", "darf", "dürfen", "kann", "können", "wird",
    "werden", "ist", "sind", "sein", "haben", "hat", "und", "oder", "wenn", "falls", "dass",
    "mit", "von", "vom", "zu", "zum", "zur", "für", "auf", "an", "am", "im", "in", "bei", "beim",
    "nur", "auch", "nicht", "jeweils", "so", "als", "es", "man",
}  # fmt: skip
# German nouns that name a rule's quantity: preferred as the subject over other nouns.
_DE_RULE_NOUN = re.compile(
    r"(?:quote|rate|frist|gebühr|gebühren|entgelt|provision|grenze|schwelle|limit|zeit|dauer|"
    r"betrag|summe|anteil|zeitraum|kündigung|kündigungsfrist|widerruf|rückgabe|erstattung|"
    r"versicherung|mindestbetrag|höchstbetrag|bearbeitungszeit|lieferzeit|antwortzeit)$",
    re.IGNORECASE,
)
# Words right before a date that make it the day a rule starts ("Effective 1 October 2026: …",
# "ab dem 1. Oktober 2026"); dates a rule ends or is due by ("until", "no later than") do not.
_DE_OF_PHRASE = (
    r"(?:\s+(?:für|der|des|zur|zum|von|vom|bei|beim)\s+(?:(?:die|den|das|der|dem|des|eine[nmrs]?|ihre[nmrs]?)\s+)?"
    r"[A-ZÄÖÜ][\wäöüß\-]+)?"
)
_STARTS_BEFORE = re.compile(
    r"(?:\beffective(?:\s+(?:date|from|as\s+of|on))?|\btakes?\s+effect(?:\s+on)?|\btaking\s+effect(?:\s+on)?|"
    r"\bwill\s+(?:apply|take\s+effect)(?:\s+(?:from|on))?|\bappl(?:y|ies)\s+(?:from|as\s+of|on|starting)|"
    r"\bcomes?\s+into\s+(?:force|effect)(?:\s+on)?|\bstarting(?:\s+on|\s+from)?|\bbeginning(?:\s+on)?|"
    r"\bas\s+of|\bfrom|\bab(?:\s+dem)?|\bgilt\s+ab(?:\s+dem)?|\bwirksam\s+ab(?:\s+dem)?|"
    r"\bmit\s+wirkung\s+(?:zum|ab|vom)|\bg[üu]ltig\s+ab(?:\s+dem)?|\bà\s+compter\s+du|\bà\s+partir\s+du)"
    r"[\s*_:,]*(?:on\s+|the\s+)?$",
    re.IGNORECASE,
)
RULE_KINDS = ("percent", "money", "duration", "count")


@dataclass(frozen=True)
class QuantifiedRule:
    """One quantified rule as one text states it."""

    section_id: str  # "" before the first heading
    section: str  # "Customer metrics › Late shipment rate"
    subject: str  # stable key, lowercase: "late shipment rate"
    subject_label: str  # as the text names it: "Late shipment rate"
    comparison: str  # "under", "at most", "within", "at least", "above", "after", "every", "is"
    value: float
    unit: str  # "%", "days", "business days", "hours", "USD", "EUR", "listings" …
    kind: str  # "percent" | "money" | "duration" | "count"
    written: str  # the quantity as written: "thirty (30) days", "4%"
    window: str  # "last 10 and 30 days", "" when none is stated
    condition: str  # "if the Elected Country is Canada", "" when the value applies always
    quote: str  # the sentence, list item or table row, as a reader sees it
    passage: str  # "sentence" | "list item" | "table row"
    language: str  # "en" | "de"
    deadline: bool  # a time limit a seller must meet (diffs.numbers.is_deadline)
    starts_on: str | None = None  # YYYY-MM-DD the text says the rule applies from
    low: float | None = None  # the lower bound of a range ("between 5 and 30 days": 5; value is 30)
    occurrences: int = 1  # passages of the text that state this same rule

    @property
    def display_value(self) -> str:
        """ "under 4 %", "within 14 days", "USD 10,000", "between 5 and 30 days"."""
        if self.low is not None:
            return f"{self.comparison} {_number(self.low)} and {amount(self)}"
        return " ".join(p for p in (self.comparison if self.comparison != "is" else "", amount(self)) if p)

    @property
    def identity(self) -> tuple[str, str, str]:
        """What stays the same when the value changes: what, in which dimension, when. Not the
        section: a rule stated first in a notice above the headings is the one in the table."""
        dimension = self.unit if self.kind in ("money", "count") else self.kind
        # the condition's words, however listed: "DE, FR or IT" is "DE, FR, IT"
        condition = " ".join(
            sorted(set(re.findall(r"\w+", self.condition.lower())) - {"or", "and", "the", "oder", "und"})
        )
        return (self.subject, dimension, condition)


def _number(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"


def amount(rule: QuantifiedRule) -> str:
    """The value and its unit as a reader writes them: "4 %", "14 days", "USD 10,000"."""
    number = _number(rule.value)
    if rule.kind == "money":
        cents = rule.value % 1 and round(rule.value, 2) == rule.value
        return f"{rule.unit} {rule.value:,.2f}" if cents else f"{rule.unit} {number}"
    if rule.kind == "count" and rule.value == 1:
        return f"{number} {rule.unit.removesuffix('s')}"
    if rule.unit in ("days", "hours", "weeks", "months", "years", "business days", "calendar days", "minutes"):
        unit = rule.unit[:-1] if rule.value == 1 else rule.unit
        return f"{number} {unit}"
    return f"{number} {rule.unit}".strip()


# ---------------------------------------------------------------- the text's language


_DE_MARKERS = re.compile(r"\b(?:[Dd]er|[Dd]ie|[Dd]as|und|nicht|werden|oder|mit|für|ist|auf|bei|Sie|Ihre?)\b")
_EN_MARKERS = re.compile(r"\b(?:[Tt]he|and|not|will|or|with|for|is|on|[Yy]ou|[Yy]our|of)\b")


def language_of(text: str) -> str:
    """ "de" or "en", by the function words of the text's first 20,000 characters (enough for a
    policy page; cheaper than a language model, and only these two vocabularies are read)."""
    sample = text[:20_000]
    return "de" if len(_DE_MARKERS.findall(sample)) > len(_EN_MARKERS.findall(sample)) else "en"


# ---------------------------------------------------------------- reading a text


def quantified_rules(text: str, language: str | None = None) -> tuple[QuantifiedRule, ...]:
    """Every quantified rule of a Markdown text, in the order the text first states each; a
    rule stated twice (a summary table and a sentence) is one record, with the window, the
    condition and the start date either passage gives."""
    return _quantified_rules(text, language or language_of(text))


@functools.lru_cache(maxsize=128)  # a store's history asks for the same texts again
def _quantified_rules(text: str, language: str) -> tuple[QuantifiedRule, ...]:
    secs = sections(text)
    titles = [(m.start(), _section_subject(plain_text(m.group("title")))) for m in _CLAUSE_TITLE.finditer(text)]
    found: list[QuantifiedRule] = []
    for passage in passages_in(text, 0, text, secs):
        if passage.kind == "heading" or (passage.section and _EXAMPLE_SECTION.match(passage.section.title)):
            continue
        if passage.kind == "table row":
            rules = _table_rules(passage, language)
        else:
            paragraph = _paragraph(text, passage.offset)
            rules = _sentence_rules(passage, language, _clause_title(titles, passage), paragraph)
        heading_date = _heading_start(passage)  # "## Changes effective 1 October 2026"
        found.extend(replace(r, starts_on=heading_date) if heading_date and not r.starts_on else r for r in rules)
    return tuple(_merge(found))


def _heading_start(passage: Passage) -> str | None:
    """The start date the headings above a passage state, the innermost first."""
    path = passage.section.path if passage.section else ()
    return next((day for day in map(_starts_on, reversed(path)) if day), None)


def _merge(found: list[QuantifiedRule]) -> list[QuantifiedRule]:
    merged: dict[tuple, QuantifiedRule] = {}
    for rule in found:
        key = (rule.subject, rule.comparison, rule.value, rule.unit, rule.condition.lower())
        first = merged.get(key)
        if first is None:
            merged[key] = rule
            continue
        merged[key] = _replace(
            first,
            window=first.window or rule.window,
            starts_on=first.starts_on or rule.starts_on,
            occurrences=first.occurrences + 1,
        )
    return list(merged.values())


def _replace(rule: QuantifiedRule, **changes) -> QuantifiedRule:
    return replace(rule, **changes)


def _section(passage: Passage) -> tuple[str, str]:
    return (passage.section.id, passage.section.label) if passage.section else ("", "")


def _table_rules(passage: Passage, language: str) -> list[QuantifiedRule]:
    if not passage.header:
        return []  # the header row itself, or a table without one
    row = [plain_text(c) for c in cells(passage.text)]
    header = list(passage.header) + [""] * max(0, len(row) - len(passage.header))
    if len(row) < 2 or not row[0]:
        return []
    window_columns = {i for i, h in enumerate(header) if i > 0 and _WINDOW_HEADER.search(h)}
    window = "; ".join(row[i] for i in sorted(window_columns) if i < len(row) and row[i] not in ("", "-", "—"))
    measured = [
        (i, q)
        for i, cell in enumerate(row[1:], start=1)
        if i not in window_columns
        for q in _cell_quantities(_german_digits(cell) if language == "de" else cell)
    ]
    columns = {i for i, _ in measured}
    section_id, section = _section(passage)
    quote = " | ".join(row)
    rules = []
    for i, q in measured:
        cell = _german_digits(row[i]) if language == "de" else row[i]
        label = row[0]
        if len(columns) > 1 and header[i] and not _GENERIC_HEADER.match(header[i].strip()):
            label = f"{row[0]} – {header[i]}"
        low, start = _range_start(cell, q)
        comparison = "between" if low is not None else _comparison_before(cell[:start], language)
        comparison = comparison or _comparison_after(cell[q.end :]) or "is"
        if q.kind == "count" and comparison == "is":
            continue
        rules.append(
            _rule(
                passage,
                section_id,
                section,
                label,
                comparison,
                q,
                cell,
                window=window,
                condition="",
                quote=quote,
                language=language,
            )
        )
    return rules


def _paragraph(text: str, offset: int) -> str:
    """The line a passage stands in, as a reader sees it: where a start date stated for the
    paragraph is read ("Ab dem 1. Oktober 2026 gilt: …" is cut into sentences after "1.")."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return _plain_line(text[start : len(text) if end < 0 else end])


@functools.lru_cache(maxsize=256)  # the sentences of one paragraph ask for it in turn
def _plain_line(line: str) -> str:
    return plain_text(line)


def _whole_sentence(plain: str, paragraph: str) -> str:
    """``plain`` with the start of its sentence when the passages cut it after a day's
    number ("Ab dem 1." | "Oktober 2026 gilt: …")."""
    at = paragraph.find(plain)
    if at <= 0 or not re.search(r"\b\d{1,2}\.\s*$", paragraph[:at]):
        return plain
    ends = list(re.finditer(r"[^\d\s][.!?;]\s+", paragraph[: at - 1]))
    start = ends[-1].end() if ends else 0
    return paragraph[start : at + len(plain)]


def _clause_title(titles: list[tuple[int, str]], passage: Passage) -> str:
    """The title of the numbered clause a passage stands in ("9. **Insurance.**"), when that
    clause is in the passage's section."""
    start = passage.section.start if passage.section else 0
    found = ""
    for offset, title in titles:
        if offset > passage.offset:
            break
        if offset >= start:
            found = title
    return found


def _sentence_rules(
    passage: Passage, language: str, clause_title: str = "", paragraph: str = ""
) -> list[QuantifiedRule]:
    plain = passage.plain
    if _EXAMPLE.match(plain):
        return []  # a worked example applies the rules, it states none
    text = _german_digits(plain) if language == "de" else plain
    found = _rule_quantities(text)
    if not found:
        return []  # most sentences state no quantity: read nothing more of them
    windows = [(m.start(), m.end(), m.group(0)) for m in _WINDOWS.finditer(text)] if _WINDOW_WORD.search(text) else []
    window = "; ".join(dict.fromkeys(_window_text(w) for _, _, w in windows))
    section_id, section = _section(passage)
    condition_match = _CONDITION.search(text)
    condition = " ".join(condition_match.group("c").split()) if condition_match else ""
    starts_on = _starts_on(text) or _starts_on(paragraph)
    quote = _whole_sentence(plain, paragraph)
    defined = _defined_term(plain_text(passage.lead)) if passage.kind == "list item" and passage.lead else ""
    defined_paragraph = _defined_term(paragraph) if paragraph else ""
    rules = []
    for q in found:
        if any(s <= q.start and q.end <= e for s, e, _ in windows):
            continue  # the window of the rule beside it
        low, start = _range_start(text, q)
        comparison = "between" if low is not None else _comparison_before(text[:start], language)
        if language == "de":
            label = _german_subject(text, q, start)
        else:
            label, _ = subject_of(text, start, q.end)
        # '"Remittance Calculation Date" is the date that is two (2) …', and the later sentences
        # of a definition's paragraph ('"Expected Ship Date" means … (b) … two (2) business days')
        defined_here = _DEFINITION.match(text)
        if defined:
            label = defined
        elif defined_here and defined_here.end() <= start:
            label = defined_here.group(1).strip()
        elif defined_paragraph and not paragraph.startswith(plain):
            label = defined_paragraph
        elif not label and (term := _TERM.match(text)):
            label = term.group(1)  # "High-volume listing fee: 0.005 USD per month"
        elif not label and passage.kind == "list item" and passage.lead:  # "You must ship within:"
            lead = plain_text(passage.lead)
            label, _ = subject_of(lead, len(lead), len(lead))
        comparison = comparison or _comparison_after(text[q.end :]) or "is"
        if q.kind == "count" and comparison == "is":
            continue  # "1 or 2 stars", "3 listings": a count is a rule only when bounded
        label = _clean_subject(label)
        title = passage.section.title if passage.section and len(passage.section.path) > 1 else ""
        if label and language == "en" and not _RULE_NOUN.search(label) and _RULE_NOUN.search(title):
            label = _section_subject(title)  # "Return window" says what "accept returns requested" does not
        if (not label or _GENERIC_SUBJECT.match(label)) and (clause_title or passage.section):
            # "Keep this rate under 2.5%": the clause or section says which rate
            label = clause_title or _section_subject(passage.section.title) or label
        if not label:
            continue
        rules.append(
            _rule(
                passage,
                section_id,
                section,
                label,
                comparison,
                q,
                text,
                window=window,
                condition=condition,
                quote=quote,
                language=language,
                starts_on=starts_on,
                low=low,
            )
        )
    return rules


def _rule(
    passage: Passage,
    section_id: str,
    section: str,
    label: str,
    comparison: str,
    q: Quantity,
    context: str,
    *,
    window: str,
    condition: str,
    quote: str,
    language: str,
    starts_on: str | None = None,
    low: float | None = None,
) -> QuantifiedRule:
    label = _clean_subject(label)
    unit = _currency(context, q) if q.kind == "money" else _UNITS.get(q.unit, q.unit)
    if q.kind == "count" and not unit.endswith("s"):
        unit += "s"  # "40 items", as durations are "days"
    return QuantifiedRule(
        section_id=section_id,
        section=section,
        subject=subject_key(label),
        subject_label=label[:1].upper() + label[1:],
        comparison=comparison,
        value=_german_value(q) if language == "de" else float(q.value),
        unit=unit,
        kind=q.kind,
        written=q.text,
        window=window,
        condition=condition,
        quote=quote,
        passage=passage.kind,
        language=language,
        deadline=is_deadline("within" if comparison == "within" else comparison, q, context),
        starts_on=starts_on,
        low=low,
    )


def _cell_quantities(cell: str) -> list[Quantity]:
    """Quantities of a table cell: "0.30 USD" opening a cell is an amount, not clause 0.30."""
    return [replace(q, start=q.start - 2, end=q.end - 2) for q in _rule_quantities("= " + cell)]


def _german_value(q: Quantity) -> float:
    """ "1.000 €" is a thousand in German (numbers.py reads a lone "." as a decimal point)."""
    digits = re.search(r"\d[\d.,]*\d|\d", q.text)
    if digits and re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", digits.group(0)):
        return float(digits.group(0).replace(".", "").replace(",", "."))
    return float(q.value)


def _rule_quantities(text: str) -> list[Quantity]:
    found, _ = quantities(text)
    return [q for q in found if q.kind in RULE_KINDS and q.value is not None]


def subject_key(label: str) -> str:
    """The stable key of a subject: lowercase, plain spaces, no quotes ("late shipment rate")."""
    key = re.sub(r"[\"“”„'’`*_]", "", label.lower())
    return " ".join(re.sub(r"[^\w%€$£\- ]", " ", key).split())


def _clean_subject(label: str) -> str:
    label = _CHANGE_VERB.sub("", " ".join(label.split()))
    label = _MODAL_TAIL.sub("", label)  # "order defect rate must stay"
    label = _LEADING_OPERATOR.sub("", label)  # "minus a refund administration fee"
    label = _AFTER_NUMBER.sub("", label)  # "kitchen scale for 40 00 USD and the referral fee"
    label = _SUBJECT_TAIL.sub("", label)
    return label.strip(" -–,:")


def _section_subject(title: str) -> str:
    """A section's title as a subject: "S-4 Compensation." reads "Compensation"."""
    title = re.sub(r"^(?:§\s*)?(?:[A-Z]{1,4}-)?\d+(?:[.-]\d+)*\.?\s+", "", title)
    return _clean_subject(title.rstrip("."))


# The words of one language are no other's: all are read, the longest phrases first.
_COMPARISON_WORDS = sorted(
    ((phrase.split(), comparison) for phrase, comparison in _ALL_COMPARISONS.items()), key=lambda p: -len(p[0])
)
_WORDS_BEFORE = re.compile(r"[\wäöüß]+")


def _comparison_before(before: str, language: str) -> str:
    words = _WORDS_BEFORE.findall(before[-80:].lower()[-40:])
    for parts, comparison in _COMPARISON_WORDS:
        if words[-len(parts) :] == parts:
            return comparison
    return ""


def _comparison_after(after: str) -> str:
    head = " ".join(after.lower().split()[:2])
    for phrase, comparison in _AFTER_COMPARISONS.items():
        if head.startswith(phrase):
            return comparison
    return ""


def _currency(context: str, q: Quantity) -> str:
    before = context[max(0, q.start - _CURRENCY_NAME_REACH) : q.start]
    named = [(m.end(), code) for pattern, code in _CURRENCY_NAMES for m in pattern.finditer(before)]
    if named:
        return max(named)[1]
    return _CURRENCY_SYMBOLS.get(q.unit.lower().rstrip("."), q.unit.upper())


def _window_text(raw: str) -> str:
    text = " ".join(raw.split())
    return re.sub(r"^(?:over|in|during|for|across)\s+(?:the\s+)?(?=last|past|previous|preceding)", "", text, flags=re.I)


def _starts_on(text: str) -> str | None:
    """The date a sentence says its rule applies from ("Effective 1 October 2026: …", "ab dem
    1. Oktober 2026"), or None; dates a rule ends or is due by do not count."""
    for start, _, iso in find_dates(text):
        before = re.split(r"[.;!?]\s", text[max(0, start - 40) : start])[-1]
        if _STARTS_BEFORE.search(before):
            return iso
    return None


def _defined_term(plain_lead: str) -> str:
    match = _DEFINITION.match(plain_lead)
    return match.group(1).strip() if match else ""


def _german_digits(text: str) -> str:
    """German number words before a unit as digits, padded to the same length so offsets
    hold: "binnen vierzehn Tagen" reads "binnen       14 Tagen" (numbers.py reads English words)."""

    def digits(match: re.Match[str]) -> str:
        value = _DE_NUMBERS[match.group(1).lower()]
        if match.group(2):
            value = int(re.sub(r"\D", "", match.group(2)))
        return str(value).rjust(len(match.group(0)))

    return _DE_NUMBER.sub(digits, text)


_RANGE = re.compile(
    r"(?:\b(?:between|from|zwischen|von)\s+)?(?P<low>\d+(?:[.,]\d+)?)\s*(?:to|and|-|–|bis|und)\s*$", re.IGNORECASE
)


def _range_start(text: str, q: Quantity) -> tuple[float | None, int]:
    """For "between 5 and 30 days" (and "3 to 5 business days", "3–5 Tage"): the lower bound
    and where the range starts; else (None, the quantity's start)."""
    match = _RANGE.search(text, max(0, q.start - 30), q.start)
    if not match or match.end() != q.start:
        return None, q.start
    low = float(match.group("low").replace(",", "."))
    return (low, match.start()) if q.value is not None and low < q.value else (None, q.start)


def _german_subject(text: str, q: Quantity, start: int | None = None) -> str:
    """The noun a German rule is about: a rule noun ("Verspätungsquote", "Frist") before the
    quantity in its clause, else the last noun there, else the first nouns after it."""
    clause = re.split(r"[.;:!?()]\s|[;:!?()]|,\s", text[: q.start if start is None else start])[-1]
    nouns = [w for w in re.findall(r"\b[A-ZÄÖÜ][\wäöüß\-]+", clause) if w.lower() not in _DE_FUNCTION_WORDS]
    preferred = [w for w in nouns if _DE_RULE_NOUN.search(w)]
    if preferred:
        # with what it is of: "Frist für die Rücksendung", "Gebühr des Angebots"
        phrase = re.search(re.escape(preferred[-1]) + _DE_OF_PHRASE, clause)
        return phrase.group(0) if phrase else preferred[-1]
    if nouns and not clause.lstrip().startswith(nouns[-1]):  # a sentence's first word is no evidence
        return nouns[-1]
    after = re.split(r"[.;:!?()]\s|[;:!?()]|,\s", text[q.end :])[0]
    words = re.findall(r"[\wäöüß\-]+", after)[:4]
    nouns_after = [w for w in words if w[:1].isupper()]
    if nouns_after:
        start = words.index(nouns_after[0])
        return " ".join(words[start : start + 3])
    return nouns[-1] if nouns else ""
