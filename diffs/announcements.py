"""Announcements: the dated entries of a page of upcoming changes, and the changes that carry
them out (pure).

A marketplace may publish its coming rule changes on a page of their own (Amazon's "Upcoming
changes to program policies", declared with ``role: announcements``). Each entry there is a
heading, then text that gives its effective date ("Effective as of 7 August 2026, we're
updating…", "Mit Wirkung zum 27. Juli 2026 passen wir…"). ``parse`` reads them from a version's
normalized Markdown; ``history`` gathers them over every version of the page, with the time
each was first listed.

``link`` ties an announcement to a change in another document of the same marketplace when the
change takes effect on the same day (its stated ``effective_date``; or, when it states none,
when it was detected near that day) and the two texts share terms: numbers, capitalized words,
words of four letters or more, without stop words. The link says which terms matched. Then:

- a substantive change of a marketplace that has such a page, and no link, is *unannounced*
  (``announced`` false); a marketplace without such a page leaves it unknown (``None``);
- an announcement whose effective date has passed (before ``now``) with no linked change is
  *announced, not seen*.

No I/O and no clock here: the caller gives the documents, versions, changes and ``now``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from diffs.dates import find_dates
from diffs.sections import sections
from kb.models import CLASSES, Change, Document, Version

ROLE = "announcements"  # kb.sources.ROLES: the declaration's mark of such a page

CARRIED_OUT = "carried out"
NOT_SEEN = "announced, not seen"
UPCOMING = "upcoming"

MIN_SHARED_TERMS = 2
# A change whose text states no effective date may still be the announced one when it was seen
# around that date (pages are often edited on the day itself, without saying so).
NEAR_BEFORE, NEAR_AFTER = dt.timedelta(days=7), dt.timedelta(days=30)
_LINKED_CLASSES = CLASSES[:2]  # substantive, minor: noise carries nothing out

# Words that say when, not what: the date they precede is the effective one.
_CUE = re.compile(
    r"(?:effective|starting|beginning|from|as of|on|by|after|"
    r"ab|am|zum|zur|mit wirkung|g[üu]ltig|seit|"
    r"[àa] compter du|[àa] partir du|d[èe]s le|le)\W*(?:der|dem|den|the)?\W*$",
    re.IGNORECASE,
)
# The page's own date ("Last updated: 3 August 2026") announces nothing.
_OWN_DATE = re.compile(
    r"(?:last\s+(?:updated|modified|revised|changed)|zuletzt\s+(?:aktualisiert|ge[äa]ndert)|"
    r"letzte\s+aktualisierung|\bstand|derni[èe]re\s+mise\s+[àa]\s+jour)\W*(?:on|am|le)?\W*$",
    re.IGNORECASE,
)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#>|]+|\\(?=[^\w\s])")
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_][\w'’-]*", re.UNICODE)
_YEAR = re.compile(r"(?:19|20)\d\d")
# Four letters, not five: "late", "rate", "fees" and "Tage" say what a rule is about.
_LONG = 4
_STOP = frozenset(
    """
    the and for are but not you your our ours with from this that these those then than they them
    their there where which while would could should shall will have has had been being about above
    after again against along among before below between during other under until upon within without
    into onto over through since still also only more most such some each every very just what when
    who whom whose why how all any both can may must its it's we we're we'll you'll here
    does make made take need used goes come same like well back many much even ever next
    date dates days last first time times
    dies sind oder aber auch noch nach beim über wenn dass kann muss alle gilt haben hier
    effective starting beginning update updates updated updating change changes changing changed
    policy policies program programs programme programmes please information learn page pages
    include includes including following listed below upcoming current
    der die das den dem des ein eine einer eines einen einem und oder aber nicht auch nur noch mit
    von vom zum zur bei auf aus für über unter nach vor seit bis wir sie ihr ihre ihren ihrer ihres
    unser unsere unserer unseren unseres diese dieser dieses diesen wird werden wurde wurden kann
    können müssen sollten sowie durch dass wenn weitere weiteren informationen finden bitte
    aktualisieren aktualisierung aktualisiert änderung änderungen richtlinie richtlinien programm
    wirkung folgenden bevorstehenden aktuelle
    """.split()
)


@dataclass(frozen=True)
class Announcement:
    """One entry of a page of upcoming changes."""

    title: str
    effective_date: str | None  # YYYY-MM-DD the entry gives for the change
    text: str  # the entry's text, markup removed
    section: str  # id of its section on the page (diffs.sections)
    doc_id: str = ""  # the page it is listed on
    first_seen: str = ""  # capture time of the first version that listed it

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc_id, self.section)


@dataclass(frozen=True)
class Link:
    """An announcement and a change that carries it out, and why they were matched."""

    announcement: Announcement
    change_key: str
    terms: tuple[str, ...]  # the shared terms, sorted
    by: str  # "effective date" (the change states it) or "detected near the effective date"


@dataclass(frozen=True)
class Linkage:
    """Every announcement of the marketplaces that publish them, linked to the changes."""

    announcements: tuple[Announcement, ...]
    links: tuple[Link, ...]
    announcing: frozenset[str]  # marketplaces with a page of announcements
    pages: frozenset[str]  # doc ids of those pages
    now: str
    listed: dict[int, frozenset[str]] = field(default_factory=dict)  # page version id -> sections listed

    def link_of(self, change: Change) -> Link | None:
        """The announcement a change carries out (the one sharing most terms), if any."""
        found = [link for link in self.links if link.change_key == change.key]
        return max(found, key=lambda link: len(link.terms)) if found else None

    def announced(self, change: Change) -> bool | None:
        """True: linked; False: its marketplace announces changes and none matches; None:
        unknown (no page of announcements there) or the change is on such a page."""
        if change.doc_id in self.pages or _marketplace(change.doc_id) not in self.announcing:
            return None
        return self.link_of(change) is not None

    def status(self, announcement: Announcement) -> str:
        if any(link.announcement.key == announcement.key for link in self.links):
            return CARRIED_OUT
        date = announcement.effective_date
        if date is not None and date < self.now[:10]:
            return NOT_SEEN
        return UPCOMING

    def not_seen(self) -> tuple[Announcement, ...]:
        """The announcements whose date passed with no change carrying them out, newest date
        first: each an event of its own (the day a rule should have changed and did not), even
        when the page listed it from its first version, which no change reports."""
        found = [a for a in self.announcements if self.status(a) == NOT_SEEN]
        return tuple(sorted(found, key=lambda a: (a.effective_date or "", a.doc_id, a.section), reverse=True))

    def changes_of(self, announcement: Announcement) -> tuple[str, ...]:
        return tuple(link.change_key for link in self.links if link.announcement.key == announcement.key)

    def added_by(self, change: Change) -> tuple[Announcement, ...]:
        """The announcements a change of a page of announcements put on it."""
        if change.doc_id not in self.pages:
            return ()
        new = self.listed.get(change.to_version_id, frozenset()) - self.listed.get(change.from_version_id, frozenset())
        return tuple(a for a in self.announcements if a.doc_id == change.doc_id and a.section in new)


# -- parsing ---------------------------------------------------------------------------------


def parse(md: str) -> list[Announcement]:
    """The dated entries of a page of upcoming changes: each section whose text holds a date
    (a year's heading with only "Listed below are…" under it holds none, and is no entry; the
    page's own "Last updated" date does not count)."""
    found = []
    for section in sections(md):
        body = plain(md[_body_start(md, section.start) : section.end])
        dates = [d for d in find_dates(body) if not _OWN_DATE.search(body[max(0, d[0] - 40) : d[0]])]
        dates = dates or find_dates(section.title)
        if not body or not dates:
            continue
        found.append(Announcement(section.title, _effective(body, dates), body, section.id))
    return found


def history(versions: Iterable[Version]) -> list[Announcement]:
    """The announcements of a page over its versions (in capture order): each once, in its
    latest wording, with the capture time of the first version that listed it."""
    return _history(versions)[0]


def _history(versions: Iterable[Version]) -> tuple[list[Announcement], dict[int, frozenset[str]]]:
    first: dict[tuple[str, str], str] = {}
    latest: dict[tuple[str, str], Announcement] = {}
    listed: dict[int, frozenset[str]] = {}
    for version in sorted(versions, key=lambda v: (v.captured_at, v.id)):
        entries = parse(version.text)
        listed[version.id] = frozenset(e.section for e in entries)
        for entry in entries:
            key = (version.doc_id, entry.section)
            first.setdefault(key, version.captured_at)
            latest[key] = entry
    found = [
        Announcement(a.title, a.effective_date, a.text, a.section, key[0], first[key]) for key, a in latest.items()
    ]
    return found, listed


def plain(markdown: str) -> str:
    """Text without links' targets and emphasis, on one line."""
    return " ".join(_MARKUP.sub("", _LINK.sub(lambda m: m.group(1), markdown)).split())


def _body_start(md: str, heading_start: int) -> int:
    end = md.find("\n", heading_start)
    if end < 0:
        return len(md)
    following = md[end + 1 : md.find("\n", end + 1) if md.find("\n", end + 1) >= 0 else len(md)]
    if re.fullmatch(r" {0,3}(=+|-+)[ \t]*", following):  # a setext heading's underline
        return end + 1 + len(following)
    return end + 1


def _effective(text: str, dates: list[tuple[int, int, str]]) -> str:
    """The date a cue word introduces ("effective", "starting", "ab dem", "am"), else the first."""
    for start, _, iso in dates:
        if _CUE.search(text[max(0, start - 40) : start]):
            return iso
    return dates[0][2]


# -- terms and links -------------------------------------------------------------------------


def terms(text: str) -> frozenset[str]:
    """What a text is about, comparable across texts: numbers ("4", "2.5"), capitalized words
    ("LSR", "FBA"), and words of four letters or more, lower-cased, without stop words and
    without the dates (every announcement has one; the date is matched on its own)."""
    cut = list(text)
    for start, end, _ in find_dates(text):
        cut[start:end] = " " * (end - start)
    found = set()
    for match in _WORD.finditer(plain("".join(cut))):
        word = match.group(0).strip("'’-")
        if word[:1].isdigit():
            number = word.replace(",", ".")
            if not _YEAR.fullmatch(number):
                found.add(number)
            continue
        lower = word.lower()
        if lower in _STOP or len(word) < 3:
            continue
        if len(word) >= _LONG or word[0].isupper():
            found.add(lower)
    return frozenset(found)


def change_text(change: Change) -> str:
    """What a change is about: the lines its edits touch (before and after) and its sections."""
    old, new, spans_old, spans_new = [], [], [], []
    for op, text in change.ops:
        if op <= 0:
            if op < 0:
                spans_old.append((sum(map(len, old)), sum(map(len, old)) + len(text)))
            old.append(text)
        if op >= 0:
            if op > 0:
                spans_new.append((sum(map(len, new)), sum(map(len, new)) + len(text)))
            new.append(text)
    lines = [*_lines_at("".join(old), spans_old), *_lines_at("".join(new), spans_new)]
    return "\n".join([*change.sections, *lines])


def _lines_at(text: str, spans: list[tuple[int, int]]) -> list[str]:
    found: dict[int, str] = {}
    for start, end in spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        found[line_start] = text[line_start : line_end if line_end >= 0 else len(text)]
    return list(found.values())


def link(announcements: Sequence[Announcement], changes: Sequence[Change]) -> list[Link]:
    """Each pair of an announcement and a change of another document of its marketplace that
    takes effect on its date and shares at least ``MIN_SHARED_TERMS`` terms with it."""
    dated = [a for a in announcements if a.effective_date]
    if not dated:
        return []
    wanted = {a.key: terms(f"{a.title}\n{a.text}") for a in dated}
    found = []
    for change in changes:
        if change.technical or change.flap or change.label not in _LINKED_CLASSES:
            continue
        candidates = [
            (a, by)
            for a in dated
            if a.doc_id != change.doc_id and _marketplace(a.doc_id) == _marketplace(change.doc_id)
            for by in [_date_match(a.effective_date, change)]
            if by
        ]
        if not candidates:
            continue
        about = terms(change_text(change))
        for announcement, by in candidates:
            shared = wanted[announcement.key] & about
            if len(shared) >= MIN_SHARED_TERMS:
                found.append(Link(announcement, change.key, tuple(sorted(shared)), by))
    return found


def _date_match(date: str, change: Change) -> str | None:
    if change.effective_date is not None:
        return "effective date" if change.effective_date == date else None
    seen = dt.date.fromisoformat(change.detected_at[:10])
    day = dt.date.fromisoformat(date)
    return "detected near the effective date" if day - NEAR_BEFORE <= seen <= day + NEAR_AFTER else None


def linkage(documents: Iterable[Document], versions: Iterable[Version], changes: Sequence[Change], now: str) -> Linkage:
    """Announcements of every page with ``role: announcements``, linked to ``changes``."""
    pages = {d.doc_id: d for d in documents if d.role == ROLE}
    found, listed = _history(v for v in versions if v.doc_id in pages)
    return Linkage(
        announcements=tuple(found),
        links=tuple(link(found, changes)),
        announcing=frozenset(d.marketplace for d in pages.values()),
        pages=frozenset(pages),
        now=now,
        listed=listed,
    )


# -- the shape in JSON -------------------------------------------------------------------------


def change_keys(change: Change, found: Linkage | None) -> dict:
    """The keys a change gets in ``change_json``: ``announcement`` (the one it carries out, or
    None), ``announced`` (True, False: unannounced, None: unknown) and ``announces`` (on a page
    of announcements: what this change put on it, with each one's status)."""
    if found is None:
        return {"announcement": None, "announced": None, "announces": []}
    linked = found.link_of(change)
    return {
        "announcement": None if linked is None else {**announcement_json(linked.announcement), **_why(linked)},
        "announced": found.announced(change),
        "announces": [
            {**announcement_json(a), "status": found.status(a), "changes": list(found.changes_of(a))}
            for a in found.added_by(change)
        ],
    }


def announcement_json(announcement: Announcement) -> dict:
    return {
        "doc_id": announcement.doc_id,
        "title": announcement.title,
        "effective_date": announcement.effective_date,
        "section": announcement.section,
        "first_seen": announcement.first_seen,
    }


def _why(found: Link) -> dict:
    return {"matched_by": found.by, "terms": list(found.terms)}


def _marketplace(doc_id: str) -> str:
    return doc_id.split("/", 1)[0]


def not_seen_note(announcement: Announcement, now: str) -> str:
    """One sentence for people about an announcement that is *announced, not seen*."""
    return (
        f'"{announcement.title}" (effective {announcement.effective_date}, listed since '
        f"{announcement.first_seen[:10]}): no change carried it out by the newest check ({now[:10]})."
    )


def note(change: Change, found: Linkage | None) -> str:
    """One sentence for people (the feeds, ``changes``): what the announcement keys say, or ""."""
    if found is None:
        return ""
    linked = found.link_of(change)
    if linked is not None:
        a = linked.announcement
        return (
            f'Announced on {a.doc_id} ("{a.title}", effective {a.effective_date}, listed since '
            f"{a.first_seen[:10]}); matched by {linked.by} and the terms {', '.join(linked.terms)}."
        )
    if found.announced(change) is False and change.label == CLASSES[0]:
        return f"Unannounced: no announcement on {_marketplace(change.doc_id)}'s page of upcoming changes matches it."
    added = found.added_by(change)
    if added:
        return (
            "Announces: "
            + "; ".join(f'"{a.title}" (effective {a.effective_date or "undated"}): {found.status(a)}' for a in added)
            + "."
        )
    return ""
