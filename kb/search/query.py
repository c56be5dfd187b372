"""The user's side of a search (pure: no Whoosh): query syntax, options, errors, hits.

``check_syntax`` refuses what Whoosh's parser would silently misread, ``check_limit`` and
``Scope.parse`` the options, before anything is opened. Every bad-query error is written
here, one line with a hint, including those the engine can only find once it has parsed the
query (``unreadable``, ``nothing_to_search``, ``no_match``). ``hit`` shapes what the engine
found into a ``Hit``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import pairwise

from kb.errors import QueryError
from kb.search.units import epoch, iso
from kb.timeutil import parse_time

TEXT_FIELDS = ("title", "section", "body")
# Field names a query may use (``title:fees``), with the names people type for them.
QUERY_FIELDS = {
    "title": "title",
    "section": "section",
    "heading": "section",
    "headings": "section",
    "body": "body",
    "text": "body",
    "doc": "doc_id",
    "doc_id": "doc_id",
    "source": "marketplace",
    "marketplace": "marketplace",
    "type": "doc_type",
    "doc_type": "doc_type",
    "class": "class",
}


# -- options ------------------------------------------------------------------------


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise QueryError(f"--limit {limit} is not a positive number", hint="give --limit 1 or more")


@dataclass(frozen=True)
class Scope:
    """Which units a search looks at; dates already in ISO form."""

    source: str | None = None
    doc: str | None = None
    doc_type: str | None = None
    since: str | None = None  # text that took effect at or after this instant
    until: str | None = None  # … and before this one
    as_of: str | None = None  # text in force at this instant (from its effective date)
    history: bool = False  # every unit, current or not
    changed: bool = False  # only units a recorded change introduced (implies history)

    @classmethod
    def parse(
        cls, *, source=None, doc=None, doc_type=None, since=None, until=None, as_of=None, history=False, changed=False
    ) -> Scope:
        if as_of is not None and history:
            raise QueryError(
                "--as-of and --history cannot be combined",
                hint="--as-of searches the text of one date, --history every version",
            )
        since_at = parse_time(since) if since else None
        until_at = _end_of(until) if until else None
        if since_at and until_at and until_at <= since_at:
            raise QueryError(
                f"--until {until} is not after --since {since}", hint="give a window whose end comes after its start"
            )
        return cls(
            source=source,
            doc=doc,
            doc_type=doc_type,
            since=since_at,
            until=until_at,
            as_of=parse_time(as_of) if as_of is not None else None,
            history=history,
            changed=changed,
        )


def _end_of(value: str) -> str:
    """A bare date as the end of a window means the end of that day."""
    moment = parse_time(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        moment = iso(epoch(moment) + 86400)
    return moment


# -- query syntax ---------------------------------------------------------------------

_FIELD = re.compile(r"(?<![\w\\])([A-Za-z_]\w*):")
_PHRASE = "\x00"  # stands for the characters of a quoted phrase while checking the syntax
_OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")
# A fuzzy word (word~N, Whoosh reads one digit): the automaton and the terms it visits grow
# steeply with N (shipment~9 took a minute on eight documents); two edits catch typos.
MAX_EDIT_DISTANCE = 2
_FUZZY = re.compile(r"(?<=[^\s\x00\\])~([0-9])")  # not after a "phrase" (that ~N is proximity)


def check_syntax(query: str) -> None:
    """Whoosh's parser accepts anything and guesses; refuse what it would silently misread."""
    if not query.strip():
        raise QueryError("empty query", hint='give words to look for, e.g. "late shipment rate"')
    outside = []  # the query with each quoted phrase replaced by a placeholder word
    quoted = False
    for char in query:
        if char == '"':
            quoted = not quoted
        outside.append(_PHRASE if quoted or char == '"' else char)
    if quoted:
        raise QueryError(f"unclosed quote in {query!r}", hint='close the phrase: "late shipment rate"')
    bare = "".join(outside)
    depth = 0
    for char in bare:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError(
            f"unbalanced parentheses in {query!r}", hint="close every group: (fees OR charges) AND referral"
        )
    for match in _FIELD.finditer(bare):
        name = match.group(1)
        if name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field '{name}' in {query!r}",
                hint="fields: title, section, body, doc, source, type, class; quote the words to search them as text",
            )
        rest = bare[match.end() :]
        if not rest[:1].strip() or rest[:1] in ")":
            raise QueryError(
                f"field '{name}' has no value in {query!r}", hint=f'write {name}:WORD or {name}:"a phrase"'
            )
    words = bare.replace("(", " ").replace(")", " ").split()
    dangling = [w for w in words[-1:] if w in _OPERATORS] + [w for w in words[:1] if w in _OPERATORS and w != "NOT"]
    if dangling:
        raise QueryError(
            f"{dangling[0]} at the edge of {query!r} has nothing to combine",
            hint="put words on both sides: fees AND referral",
        )
    for left, right in pairwise(words):
        if left in _OPERATORS and right in _OPERATORS and (right != "NOT" or left == "NOT"):
            raise QueryError(
                f"{left} {right} in {query!r} has nothing between them",
                hint="put words between operators: fees OR charges",
            )
    for fuzzy in _FUZZY.finditer(bare):
        if int(fuzzy.group(1)) > MAX_EDIT_DISTANCE:
            word = bare[: fuzzy.end()].split()[-1]
            raise QueryError(
                f"fuzzy word {word!r} asks for {fuzzy.group(1)} edits; a word allows at most {MAX_EDIT_DISTANCE} edits",
                hint=f"write e.g. shipment~{MAX_EDIT_DISTANCE} (a larger distance matches nearly every word)",
            )
    for word in words:
        term = word.split(":", 1)[-1]
        if ("*" in term or "?" in term) and len(re.split(r"[*?]", term, maxsplit=1)[0]) < 2:
            raise QueryError(
                f"wildcard {word!r} needs at least two letters before it",
                hint="e.g. ship* (a leading wildcard scans every word of the index)",
            )


# -- what only the engine finds out -----------------------------------------------------


def unreadable(query: str, exc: BaseException) -> QueryError:
    """The engine's parser failed on a query ``check_syntax`` let through."""
    return QueryError(
        f"cannot read the query {query!r} ({type(exc).__name__})",
        hint='simplify it: words, "phrases", AND/OR/NOT, field:value',
    )


def nothing_to_search(query: str) -> QueryError:
    """The parsed query holds no word (only punctuation, say)."""
    return QueryError(f"nothing to search for in {query!r}", hint='give words to look for, e.g. "late shipment rate"')


def no_match(option: str, value: str, field: str, known: Iterable[str]) -> QueryError:
    """``--source``/``--doc``/``--type`` names nothing in the index; ``known``: the values it holds."""
    return QueryError(f"{option} {value!r} matches nothing in the index", hint=_known_values(field, known))


def _known_values(field: str, known: Iterable[str]) -> str:
    values = sorted(known)
    shown = ", ".join(values[:10]) + (", …" if len(values) > 10 else "")
    return f"known values: {shown}" if field != "doc_id" else ("list documents with `policywatch status`")


# -- hits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    url: str
    marketplace: str
    doc_type: str
    captured_at: str  # capture of the version that introduced this text (= valid_from)
    score: float
    snippet: str  # matched words in **bold**
    section_id: str
    section: str  # heading path; "" for the text before the first heading
    version_id: int
    snapshot_sha256: str
    valid_from: str  # the date this text took effect (was first captured)
    valid_to: str | None  # when it stopped being the text; None: still in force
    current: bool
    change_class: str  # substantive | minor | noise | first
    changed: bool
    # When the text was in force: from its effective date when the change that introduced
    # it announced one (kb.timeline.in_force_from); equal ends: replaced before it took effect.
    in_force_from: str = ""
    in_force_to: str | None = None

    @property
    def announced(self) -> bool:
        """Its text took effect after its capture."""
        return self.in_force_from > self.valid_from

    def as_json(self) -> dict:
        return asdict(self)


def hit(fields: dict, score: float, highlighted: str | None) -> Hit:
    """A hit from a unit's stored fields (``Unit.fields`` as the index keeps them).
    ``highlighted``: the text's best fragments with the matches in bold, "" when none
    matched (the snippet is then the start of the text), None when no snippet was asked."""
    snippet = "" if highlighted is None else highlighted or fields["body"][:200]
    return Hit(
        doc_id=fields["doc_id"],
        title=fields["title"],
        url=fields["url"],
        marketplace=fields["marketplace"],
        doc_type=fields["doc_type"],
        captured_at=fields["valid_from"],
        score=round(score, 4),
        snippet=" ".join(snippet.split()),
        section_id=fields["section_id"],
        section=fields["section"],
        version_id=fields["version_id"],
        snapshot_sha256=fields["snapshot_sha256"],
        valid_from=fields["valid_from"],
        valid_to=fields.get("valid_to"),
        current=fields["current"],
        change_class=fields["class"],
        changed=fields["changed"],
        in_force_from=fields["in_force_from"],
        in_force_to=fields.get("in_force_to"),
    )
