"""Dates written in policy text ("1 November 2026", "November 1, 2026", "2026-11-01",
"01.11.2026"), and the page's own stated date ("Last updated: …", "Effective as of …")."""

from __future__ import annotations

import datetime as dt
import functools
import re

_MONTHS = {
    # English
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # German
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
    # French
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
}
_MONTH = "(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th|er)?\.?"
DATE = re.compile(
    r"(?<![\d-])(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|" + _DAY.format("dd") + r"\s+" + _MONTH.format("dm") + r",?\s+(?P<dy>\d{4})"
    r"|" + _MONTH.format("mm") + r"\s+" + _DAY.format("md") + r",?\s+(?P<my>\d{4})"
    r"|(?P<pd>\d{1,2})\.(?P<pm>\d{1,2})\.(?P<py>\d{4})"  # German/European day.month.year
    r"|(?P<um>\d{1,2})/(?P<ud>\d{1,2})/(?P<uy>\d{4})"  # month/day/year, or day/month/year
    r")(?!\d)",
    re.IGNORECASE,
)


def parse_date(match: re.Match[str]) -> str | None:
    """ISO ``YYYY-MM-DD`` for a ``DATE`` match, ``None`` if it is not a real calendar day."""
    g = match.groupdict()
    if g["iy"]:
        y, m, d = g["iy"], g["im"], g["id"]
    elif g["dy"]:
        y, m, d = g["dy"], _MONTHS[g["dm"].lower()], g["dd"]
    elif g["my"]:
        y, m, d = g["my"], _MONTHS[g["mm"].lower()], g["md"]
    elif g["py"]:
        y, m, d = g["py"], g["pm"], g["pd"]
    elif int(g["um"]) > 12:  # 25/03/2024 can only be day/month/year
        y, m, d = g["uy"], g["ud"], g["um"]
    else:  # ambiguous slashes read the US way: 05/01/2024 is May 1
        y, m, d = g["uy"], g["um"], g["ud"]
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


_YEAR = re.compile(r"\d{4}")
_AROUND_YEAR = (30, 12)  # every date form has a 4-digit year: look only this far around one


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, iso) of every date in ``text``."""
    return list(_find_dates(text))


@functools.lru_cache(maxsize=8192)
def _find_dates(text: str) -> tuple[tuple[int, int, str], ...]:
    # Scanning long paragraphs with the month-name pattern is slow; every form of date holds
    # a four-digit year, so only the windows around one are scanned.
    windows: list[list[int]] = []
    for year in _YEAR.finditer(text):
        start, end = max(0, year.start() - _AROUND_YEAR[0]), year.end() + _AROUND_YEAR[1]
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    found = []
    for start, end in windows:
        for match in DATE.finditer(text, start, min(end, len(text))):
            iso = parse_date(match)
            if iso and not (found and match.start() < found[-1][1]):
                found.append((match.start(), match.end(), iso))
    return tuple(found)


# Labels a page puts before its own date. "Last updated" wins over "effective" wherever they
# stand; weaker labels count only near the top of the page or at the start of a line, so that
# "the new fees are effective from 1 March" deep in the text is not taken for the page's date.
# An "effective" label states the page's date only on a line of its own ("Effective date:
# 1 June 2026"); "Effective 1 October 2026, the fee rises" announces a change instead.
_STRONG_LABEL = re.compile(
    r"last\s+(?:updated|modified|revised|changed|amended)(?:\s+on)?|date\s+of\s+last\s+revision|"
    r"zuletzt\s+(?:aktualisiert|geändert)(?:\s+am)?|letzte\s+aktualisierung|"
    r"derni[èe]re\s+mise\s+[àa]\s+jour(?:\s+le)?|\bstand\b",
    re.IGNORECASE,
)
_WEAK_LABEL = re.compile(
    r"\beffective(?:\s+date|\s+as\s+of|\s+from|\s+on)?|\b(?:was\s+)?(?:updated|revised)\s+on|"
    r"\bupdated|\bg[üu]ltig\s+ab|\ben\s+vigueur\s+(?:le|au|à\s+compter\s+du)",
    re.IGNORECASE,
)
# Labels that say when the page (rather than its last edit) takes effect.
_EFFECTIVE_LABEL = re.compile(r"\beffective|\bg[üu]ltig\s+ab|\ben\s+vigueur|\bin\s+kraft", re.IGNORECASE)
# Between label and date only markup, punctuation and short joining words may stand.
_GAP = re.compile(r"[\s*_:,\-–—()]*(?:(?:on|as\s+of|from|am|le|du)\b[\s*_:]*)?", re.IGNORECASE)
_NEAR_TOP = 1000
_LINE_START = re.compile(r"(?:^|\n)[\s>#*_\-]*$")
# A date alone on its own line near the top is the page's publication date.
_DATE_LINE = re.compile(r"^[ \t*_]*(?P<date>[^\n]{6,40}?)[ \t*_.]*$", re.MULTILINE)


def stated_date_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, iso) of every "label + date" that states the page's own date, strongest
    label kind first, then in text order."""
    return list(_stated_date_spans(text))


@functools.lru_cache(maxsize=64)  # a classification asks several times about the same two texts
def _stated_date_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    spans: list[tuple[int, int, str]] = []
    for label, strong in ((_STRONG_LABEL, True), (_WEAK_LABEL, False)):
        for match in label.finditer(text):
            start = match.start()
            if not strong and start > _NEAR_TOP and not _LINE_START.search(text[max(0, start - 40) : start]):
                continue
            gap = _GAP.match(text, match.end())
            date = DATE.match(text, gap.end() if gap else match.end())
            iso = parse_date(date) if date else None
            if date and _EFFECTIVE_LABEL.match(text, start) and not _is_dateline(text, start, date.end()):
                continue
            if date and iso and not any(s <= start < e for s, e, _ in spans):
                spans.append((start, date.end(), iso))
    for line in _DATE_LINE.finditer(text, 0, _NEAR_TOP):
        date = DATE.fullmatch(line.group("date"))
        iso = parse_date(date) if date else None
        if iso and not any(s <= line.start("date") < e for s, e, _ in spans):
            spans.append((line.start("date"), line.end("date"), iso))
    return tuple(spans)


def _is_dateline(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` (a label and its date) is all its line says, give or
    take markup and a few words ("Effective date: 1 June 2026 (UTC)")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[line_start:start]
    after = text[end : len(text) if line_end < 0 else line_end]
    return not re.search(r"\w", before) and len(re.findall(r"\w+", after)) <= 3


def stated_date(text: str) -> str | None:
    """The page's own "Last updated" / "Last modified" / "Effective (date|as of|from)" /
    "Updated on" date as ISO ``YYYY-MM-DD``, or ``None``."""
    spans = stated_date_spans(text)
    return spans[0][2] if spans else None


def stated_dates(text: str) -> tuple[str, ...]:
    """Every date the page states as its own (updated, effective...), distinct, in order: the
    body changed "silently" when this set did not change."""
    return tuple(dict.fromkeys(iso for _, _, iso in stated_date_spans(text)))


def stated_effective_date(text: str) -> str | None:
    """The page's own "Effective …" date (not its "Last updated" date), or ``None``."""
    for start, _, iso in stated_date_spans(text):
        if _EFFECTIVE_LABEL.match(text, start):
            return iso
    return None


# Words before a date in the same sentence that make it the day a rule starts, ends or is due.
_EFFECT = re.compile(
    r"\b(effective(?:\s+(?:date|from|as\s+of|on))?|takes?\s+effect(?:\s+on)?|taking\s+effect|"
    r"will\s+(?:apply|take\s+effect)|appl(?:y|ies)\s+(?:from|as\s+of|on|starting)|"
    r"comes?\s+into\s+(?:force|effect)|in\s+force|starting(?:\s+on|\s+from)?|beginning(?:\s+on)?|"
    r"as\s+of|from|until|through|no\s+later\s+than|by|before|after|deadline|expires?(?:\s+on)?|"
    r"ab|bis|gilt\s+ab|wirksam\s+ab|g[üu]ltig\s+ab|à\s+compter\s+du|à\s+partir\s+du|jusqu'au)"
    r"[\s*_:,]*(?:on\s+|the\s+)?$",
    re.IGNORECASE,
)
_EFFECT_WINDOW = 40


def effect_word(text: str, date_start: int) -> str | None:
    """The phrase right before the date at ``date_start`` that says what the date does
    ("effective", "takes effect on", "no later than"), or ``None`` for a date in passing."""
    window = text[max(0, date_start - _EFFECT_WINDOW) : date_start]
    window = re.split(r"[.;!?]\s", window)[-1]
    match = _EFFECT.search(window)
    return " ".join(match.group(1).split()).lower() if match else None


_STATED_LABEL_BEFORE = re.compile(
    r"(?:" + _STRONG_LABEL.pattern + "|" + _WEAK_LABEL.pattern + r")" + _GAP.pattern + "$",
    re.IGNORECASE,
)


def is_stated_label_before(text: str, date_start: int) -> bool:
    """True when the date at ``date_start`` follows a "Last updated"/"Effective" label."""
    return bool(_STATED_LABEL_BEFORE.search(text[max(0, date_start - 50) : date_start]))


def in_words(day: str) -> str:
    """``2026-10-01`` → ``1 October 2026`` (as written, if it is not such a date)."""
    try:
        moment = dt.date.fromisoformat(day[:10])
    except ValueError:
        return day
    return f"{moment.day} {moment:%B %Y}"
