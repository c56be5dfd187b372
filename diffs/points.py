"""What each reason of a change says, read back into plain data (pure): the input of briefs.

A recorded change keeps its reasons as ``(kind, text, section)``; the text is worded by
``diffs.rules`` ("Late shipment rate target: under 4% → 3%", "added prohibition: 'You must
not …'", "may → must: '…'"). ``points`` reads each one into a ``Point``: *what* changed, as a
key of the templates in ``diffs.advice`` ("limit tightened", "deadline shortened", "added
prohibition", …), the subject, the old and new values with their comparison words, and the
passage quoted. Directions come from the values and the comparison words: "under 4%" → "under
3%" is a tighter limit, "at least 10" → "at least 20" too, "within 60 days" → "within 30
days" a shorter deadline, a fee that goes up is raised.

A reason this module cannot read still gives a point (``what`` is the reason's kind), so a
new wording in the rules makes briefs plainer, never wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diffs.numbers import QUALIFIERS, Quantity, direction, quantities
from kb.models import Change, Reason

# Comparison words that make a number a ceiling (less is stricter) or a floor (more is stricter).
CEILINGS = frozenset({
    "under", "below", "less than", "fewer than", "no more than", "not more than", "at most",
    "up to", "a maximum of", "maximum of",
})  # fmt: skip
FLOORS = frozenset({
    "at least", "no less than", "not less than", "a minimum of", "minimum of", "more than",
    "over", "above",
})  # fmt: skip
# A subject naming money the seller pays.
_FEE = re.compile(r"\b(fees?|charges?|commissions?|surcharges?|prices?|costs?|penalt(?:y|ies)|rates? card)\b", re.I)
# A subject that names a quantity ("late shipment rate", "insurance limits") reads "X raised from
# A to B"; the words of a rule ("payouts are sent every") read "… 7 days (was 14 days)".
_NAMES_A_QUANTITY = re.compile(
    r"\b(rates?|fees?|targets?|thresholds?|limits?|prices?|costs?|charges?|commissions?|amounts?|"
    r"percentages?|minimum|maximum|periods?|windows?|deposits?|reserves?|caps?|surcharges?|notice|"
    r"ratings?|scores?|age|insurance|deductibles?|time|deadline|number|quantity|count|value|total)$",
    re.IGNORECASE,
)
_STRICT = frozenset({
    "must", "shall", "required", "require", "requires", "requirement", "mandatory", "obliged",
    "obligated", "prohibited", "prohibit", "prohibits", "forbidden", "only", "need", "needs",
    "cannot", "muss", "müssen", "verboten", "doit", "doivent", "interdit",
})  # fmt: skip
_PERMISSIVE = frozenset({
    "may", "can", "could", "might", "optional", "permitted", "permit", "permits", "allowed",
    "allow", "allows", "entitled", "darf", "dürfen", "kann", "können", "peut", "peuvent",
})  # fmt: skip
# An added passage that asks for a document, or sets a sanction, says so in these words.
DOCUMENT = re.compile(
    r"\b(invoices?|certificates?|certifications?|licen[cs]es?|permits?|proof of \w+|test reports?|"
    r"safety data sheets?|declarations? of conformity|identity documents?|identification|"
    r"id documents?|insurance certificates?|authori[sz]ation letters?|documentation|documents?)\b",
    re.IGNORECASE,
)
_ASKS_FOR = re.compile(r"\b(provide|submit|upload|send|keep|maintain|present|supply|show|hold|obtain)\b", re.I)
SANCTION = re.compile(
    r"\b(suspend\w*|suspension|terminat\w*|deactivat\w*|withh[eo]ld\w*|penalt(?:y|ies)|"
    r"remove (?:your|the) (?:listings?|offers?|account)|close (?:your|the) account|ban\w*|"
    r"fine[sd]?|sperr\w*|kündig\w*)\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_ARROW = " → "


@dataclass(frozen=True)
class Point:
    """One thing a change does, read from one reason."""

    what: str  # a key of diffs.advice.TEMPLATES ("limit tightened"), or the reason's kind
    kind: str  # the reason's kind (diffs.kinds)
    section: str = ""  # "Customer metrics › Late shipment rate", "" when unknown
    subject: str = ""  # "Late shipment rate target", "file a SAFE-T claim", "" when none
    qualifier: str = ""  # the comparison word, as written: "under", "within", ""
    old: str = ""  # as written, without the comparison word: "4%", "2026-01-01", "'may'"
    new: str = ""
    passage: str = ""  # the passage quoted, whole words only (a cut one ends with "…")
    names_quantity: bool = False  # the subject names what the number is ("… rate target")
    detail: str = ""  # the reason's own words, cut at a word: for changes that set no rule

    @property
    def key(self) -> tuple[str, str]:
        """Points with equal keys say the same thing (the same limit in four currencies)."""
        return (self.what, self.subject.lower() or self.passage.lower())


def points(change: Change) -> tuple[Point, ...]:
    """The points of a change's reasons, in the order of its reasons (most important first);
    a "+N more reasons" line gives none."""
    return tuple(p for p in (point(r) for r in change.reasons) if p is not None)


def point(reason: Reason) -> Point | None:
    text, kind, section = reason.text, reason.kind, reason.section
    if re.fullmatch(r"\+\d+ more reasons?", text):
        return None
    read = _READERS.get(kind)
    found = read(text) if read else None
    detail = _whole_words(text)
    if found is None:
        head, passage = _split_quote(text)
        return Point(kind, kind, section, passage=passage, detail=detail)
    return Point(kind=kind, section=section, detail=detail, **found)


# ---------------------------------------------------------------- readers, one per kind


def _quantity(text: str) -> tuple[str, str, Quantity | None]:
    """("under", "4%", its Quantity) from "under 4%"."""
    text = text.strip()
    lowered = text.lower()
    qualifier = ""
    for phrase in sorted(QUALIFIERS, key=len, reverse=True):
        if lowered.startswith(phrase + " "):
            qualifier, text = text[: len(phrase)], text[len(phrase) + 1 :].strip()
            break
    # a number at the start of a line reads as clause numbering ("24 hours"): give it a word before
    found, _ = quantities(f"is {text}")
    return qualifier, text, (found[0] if found else None)


def _number(text: str, deadline: bool = False) -> dict | None:
    if _ARROW not in text:
        m = re.match(r"(added|removed) '(.*)'$", text)
        if not m:
            return None
        return {"what": f"number {m.group(1)}", "passage": _whole_words(m.group(2))}
    left, _, right = text.partition(_ARROW)
    subject, colon, rest = left.rpartition(": ")
    if not colon:
        subject, rest = "", left
    if subject.lower() == "due date" or (not subject and rest.lower().startswith("due date ")):
        old = rest[len("due date ") :] if not subject else rest
        return _due_date(old.strip(), right.strip())
    qualifier, old, old_q = _quantity(rest)
    new_qualifier, new, new_q = _quantity(right)
    qualifier = qualifier or new_qualifier
    moved = direction(old_q, new_q) if old_q and new_q else "changed"
    bound = qualifier.lower()
    if deadline or moved in ("shortened", "extended") and bound in ("within", "no later than", "not later than"):
        what = f"deadline {moved}" if moved in ("shortened", "extended") else "deadline changed"
    elif moved in ("raised", "lowered") and (bound in CEILINGS or bound in FLOORS):
        stricter = (moved == "lowered") == (bound in CEILINGS)
        what = "limit tightened" if stricter else "limit loosened"
    elif moved in ("raised", "lowered") and (_FEE.search(subject) or (old_q and old_q.kind == "money" and not subject)):
        what = f"fee {moved}"
    elif moved in ("raised", "lowered", "shortened", "extended"):
        what = f"number {moved}"
    else:
        what = "number changed"
    return {
        "what": what,
        "subject": subject,
        "qualifier": qualifier,
        "old": old,
        "new": new,
        "names_quantity": bool(_NAMES_A_QUANTITY.search(subject)),
    }


def _due_date(old: str, new: str) -> dict:
    if _ISO.fullmatch(old) and _ISO.fullmatch(new):
        what = "due date brought forward" if new < old else "due date postponed"
    else:
        what = "deadline changed"
    return {"what": what, "subject": "due date", "old": old, "new": new, "names_quantity": True}


def _deadline(text: str) -> dict | None:
    return _number(text, deadline=True)


def _negation(text: str) -> dict | None:
    head, passage = _split_quote(text)
    added = re.findall(r"'([^']+)'", head.partition("removed")[0]) if head.startswith("added") else []
    removed = re.findall(r"'([^']+)'", head.partition("removed")[2])
    what = "negation added" if added and not removed else "negation removed" if removed and not added else "negation"
    quoted = ", ".join(f"'{w}'" for w in removed), ", ".join(f"'{w}'" for w in added)
    return {"what": what, "old": quoted[0], "new": quoted[1], "passage": passage}


def _obligation(text: str) -> dict | None:
    head, passage = _split_quote(text)
    words = re.findall(r"[\wäöüß]+", head.lower())
    if head.startswith("adds "):
        gone, came = [], words[1:]
    elif head.startswith("drops "):
        gone, came = words[1:], []
    elif _ARROW in head:
        left, _, right = head.partition(_ARROW)
        gone, came = left.split(), right.split()
    else:
        return None
    # Stricter only when a word of obligation came (or went) and no permission moved the other
    # way; "we may" or "you may" alone can go either way for a seller.
    strict = _count(came, _STRICT) - _count(gone, _STRICT)
    permissive = _count(came, _PERMISSIVE) - _count(gone, _PERMISSIVE)
    if strict > 0 and permissive <= 0:
        what = "obligation stricter"
    elif strict < 0 and permissive >= 0:
        what = "obligation looser"
    else:
        what = "obligation changed"
    quoted = ", ".join(f"'{w}'" for w in gone), ", ".join(f"'{w}'" for w in came)
    return {"what": what, "old": quoted[0], "new": quoted[1], "passage": passage}


def _count(words: list[str], vocabulary: frozenset[str]) -> int:
    return sum(1 for w in words if w in vocabulary)


def _effective(text: str) -> dict | None:
    head, passage = _split_quote(text)
    dates = _ISO.findall(head)
    if _ARROW in head and len(dates) == 2:
        what = "effective date postponed" if dates[1] > dates[0] else "effective date brought forward"
        return {"what": what, "old": dates[0], "new": dates[1], "passage": passage}
    if dates:
        return {"what": "effective date announced", "new": dates[0], "passage": passage}
    return None


def _lone_rule(text: str) -> dict | None:
    """ "added prohibition: '…'" (or removed), refined: a rule asking for a document, or one
    that sets a sanction, says so."""
    m = re.match(r"(added|removed) (\w+): ", text)
    if not m:
        return None
    verb, weight = m.groups()
    _, passage = _split_quote(text)
    if weight == "obligation" and DOCUMENT.search(passage) and _ASKS_FOR.search(passage):
        weight = "document"
    elif weight in ("obligation", "threshold") and SANCTION.search(passage):
        weight = "sanction"
    return {"what": f"{verb} {weight}", "passage": passage}


def _words_of_a_rule(kind: str):
    """ "adds 'or suspend your account': '…'" (or drops), for a sanction, a right or a rule's
    reach: what came or went (``new``/``old``) and the passage that now reads so."""

    def read(text: str) -> dict | None:
        m = re.match(r"(adds|drops) (['\"])(.+?)\2: ", text)
        if not m:
            return None
        verb, _, said = m.groups()
        _, passage = _split_quote(text)
        came = verb == "adds"
        what = {"scope": ("scope widened", "scope narrowed")}.get(kind, (f"{kind} added", f"{kind} removed"))
        return {"what": what[0] if came else what[1], "new" if came else "old": _whole_words(said), "passage": passage}

    return read


_READERS = {
    "sanction": _words_of_a_rule("sanction"),
    "right": _words_of_a_rule("right"),
    "scope": _words_of_a_rule("scope"),
    "deadline": _deadline,
    "number": _number,
    "negation": _negation,
    "obligation": _obligation,
    "effective-date": _effective,
    "added-obligation": _lone_rule,
    "removed-obligation": _lone_rule,
}
# The kinds whose reasons a reader reads: a point of one of them left unread (its ``what`` is its
# kind) is a reason worded in a way the readers do not know.
READ_KINDS = frozenset(_READERS)


# ---------------------------------------------------------------- quotes


def _split_quote(text: str) -> tuple[str, str]:
    """ "may → must: 'You must …'" → ("may → must", "You must …"); no quote: (text, "")."""
    head, colon, rest = text.partition(": '")
    if colon and rest.endswith("'"):
        return head, _whole_words(rest[:-1])
    if text.startswith(("added '", "removed '", "moved ")) and text.endswith("'"):
        return text.partition(" ")[0], _whole_words(text[text.index("'") + 1 : -1])
    return text, ""


def _whole_words(passage: str) -> str:
    """A quote that the rules cut at a length ends mid-word ("… describing yo…"): drop the cut
    word, so what people read never ends in half a word."""
    passage = " ".join(passage.split())
    if passage.endswith("…"):
        kept = passage[:-1].rstrip()
        if " " in kept and not passage[-2].isspace():
            kept = kept.rsplit(" ", 1)[0]
        return kept.rstrip(",;:") + " …"
    return passage
