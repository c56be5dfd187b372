"""A brief for every change: what a seller reads first, the same everywhere (pure).

``brief(change, document, marketplace_name)`` turns a recorded change into a ``Brief``: a
headline in plain words that says which way things moved ("Late shipment rate target tightened
from under 4% to under 3%, from 1 October 2026"), why it matters (sentences, no internal
labels), who it affects (the workflows of ``diffs.taxonomy``), what to do (``diffs.advice``
templates, keyed by what changed), its severity (``diffs.severity``), the effective date and
notice, and the marketplace's name. The CLI, the site, the feeds and ``--json``
(``diffs.brief.change_json``, key ``brief``) all show this one object.

A major revision (``MAJOR_REVISION`` passages or more) is headlined by the two or three changes
that matter most, never by a count of passages or by renumbering. Nothing people read is cut
mid-word: quotes and headlines are shortened at a word, with "…".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from diffs import advice
from diffs.dates import in_words
from diffs.kinds import KINDS
from diffs.points import READ_KINDS, Point, points
from diffs.severity import severity, what_to_do
from diffs.taxonomy import label_of
from kb.models import Change, Document

MAJOR_REVISION = 40  # passages touched; the classification's summary uses the same mark
P2B_MIN_NOTICE_DAYS = 15  # Regulation (EU) 2019/1150, Art. 3(2)
HEADLINE_WORDS = 30  # a headline is one line of a feed reader or a phone: at most this many words
QUOTE_WORDS = 14  # a passage quoted in a headline or a reason
MAJOR_QUOTE_WORDS = 6  # in each of the points a major revision's headline names
WHY_POINTS = 4  # reasons given a sentence each; the rest are counted
MAJOR_POINTS = 3
_RANK = {what: i for i, what in enumerate(advice.TEMPLATES)}


@dataclass(frozen=True)
class Brief:
    headline: str
    why: tuple[str, ...]
    affects: tuple[str, ...]  # diffs.taxonomy workflow ids
    actions: tuple[str, ...]  # what to do, most urgent first; empty when nothing
    severity: str  # high | medium | low
    effective_date: str | None
    notice_days: int | None
    marketplace: str  # the marketplace's declared name ("Amazon Seller Central (US)")
    source: str  # its id ("amazon-us")
    document: str  # the document's title
    major: bool = False  # a major revision: the headline names its main points

    @property
    def affects_labels(self) -> tuple[str, ...]:
        return tuple(label_of(tag) for tag in self.affects)

    @property
    def notice(self) -> str | None:
        """ "effective 1 October 2026, 38 days' notice", or None without an effective date."""
        if not self.effective_date:
            return None
        when = f"effective {in_words(self.effective_date)}"
        if self.notice_days is None:
            return when
        if self.notice_days < 0:
            return f"{when}, already in force when first seen"
        days = f"{self.notice_days} {'day' if self.notice_days == 1 else 'days'}' notice"
        short = (
            f", under the {P2B_MIN_NOTICE_DAYS} days EU law requires" if self.notice_days < P2B_MIN_NOTICE_DAYS else ""
        )
        return f"{when}, {days}{short}"

    def as_json(self) -> dict:
        return {
            "headline": self.headline,
            "why": list(self.why),
            "affects": list(self.affects),
            "affects_labels": list(self.affects_labels),
            "actions": list(self.actions),
            "severity": self.severity,
            "effective_date": self.effective_date,
            "notice_days": self.notice_days,
            "notice": self.notice,
            "marketplace": self.marketplace,
            "source": self.source,
            "document": self.document,
            "major": self.major,
        }


def brief(change: Change, document: Document | None = None, marketplace_name: str | None = None) -> Brief:
    """The brief of ``change``; ``document`` gives its title and marketplace id,
    ``marketplace_name`` the marketplace's declared name (default: its id)."""
    source = document.marketplace if document else change.doc_id.partition("/")[0]
    found = _ranked(change)
    major = change.label == "substantive" and passages_touched(change) >= MAJOR_REVISION
    return Brief(
        headline=_headline(change, found, major),
        why=_why(change, found),
        affects=tuple(change.tags),
        actions=_actions(change, found),
        severity=severity(change),
        effective_date=change.effective_date,
        notice_days=change.notice_days,
        marketplace=marketplace_name or source,
        source=source,
        document=document.title if document else change.doc_id,
        major=major,
    )


def passages_touched(change: Change) -> int:
    """How many passages a change touched, from its sections ("2 sentences changed, 1 list item
    added" is 3)."""
    counts = (text.rpartition(": ")[2] for text in change.section_changes)  # after the section's label
    return sum(int(n) for text in counts for n in re.findall(r"(\d+) [a-z ]+", text))


# ---------------------------------------------------------------- choosing what to say


def _ranked(change: Change) -> list[Point]:
    """The points of the change's own class, most important first, each thing said once."""
    own = [p for p in points(change) if KINDS.get(p.kind, ("",))[0] == change.label] or list(points(change))
    if change.notice_days is not None and change.notice_days < 0:  # announced for a day already past
        own = [
            replace(p, what="effective date already in force")
            if p.what == "effective date announced" and p.new == change.effective_date
            else p
            for p in own
        ]
    ordered = sorted(enumerate(own), key=lambda ip: (_RANK.get(ip[1].what, len(_RANK)), ip[0]))
    seen: set[tuple[str, str]] = set()
    kept = []
    for _, p in ordered:
        if p.key not in seen:
            seen.add(p.key)
            kept.append(p)
    return kept


def _headline(change: Change, found: list[Point], major: bool) -> str:
    if change.event != "edited":  # a page that came or went: its summary names it (diffs.events)
        return clip(" ".join(change.summary.split()), HEADLINE_WORDS)
    if not found:
        # no reason to read: the classification's own summary, shortened at a word
        said = " ".join(change.summary.split())
        return clip(said, HEADLINE_WORDS) if said else ("No change" if change.label == "noise" else "The text changed")
    if major:
        # the two or three points that matter most, with shorter quotes; minor reasons (a
        # renumbering, a reworded heading) and counts of passages are never among them
        heads = []
        for p in _varied(found, MAJOR_POINTS):
            head = _say(p, "headline", quote_words=MAJOR_QUOTE_WORDS)
            heads.append(head[0].lower() + head[1:] if heads else head)
        text = advice.MAJOR.format(points="; ".join(heads))
    elif found[0].kind in READ_KINDS and found[0].what == found[0].kind and change.summary.strip():
        # a reason the readers could not read ("A figure in a rule changed" says less than the
        # classification's own summary): the summary, shortened at a word
        text = " ".join(change.summary.split())
    else:
        text = _say(found[0], "headline")
    if change.label == "substantive" and change.effective_date and not found[0].what.startswith("effective date"):
        when = in_words(change.effective_date)
        past = change.notice_days is not None and change.notice_days < 0
        text += f", in force since {when}" if past else f", from {when}"
    return clip(text, HEADLINE_WORDS)


def _varied(found: list[Point], n: int) -> list[Point]:
    """The first ``n`` points, each of another kind of change while there are others: three new
    prohibitions in one section say less than a prohibition, a fee and a deadline."""
    first = {}
    for p in found:
        first.setdefault(p.what, p)
    chosen = list(first.values())[:n]
    chosen += [p for p in found if p not in chosen][: n - len(chosen)]
    return sorted(chosen, key=found.index)


def _why(change: Change, found: list[Point]) -> tuple[str, ...]:
    sentences = []
    for p in found[:WHY_POINTS]:
        sentence = _say(p, "why")
        if sentence not in sentences:
            sentences.append(sentence)
    rest = len(found) - WHY_POINTS
    if rest > 0 and change.label == "substantive":
        sentences.append(advice.MORE.format(count=rest, rules="rule" if rest == 1 else "rules"))
    if change.label == "substantive" and change.effective_date:
        when = in_words(change.effective_date)
        days = change.notice_days
        if days is not None and days < 0:
            sentences.append(advice.IN_FORCE_SINCE.format(date=when))
        elif days is not None:
            sentences.append(advice.EFFECTIVE_ON.format(date=when, days=f"{days} {'day' if days == 1 else 'days'}"))
            if days < P2B_MIN_NOTICE_DAYS:
                sentences.append(advice.SHORT_NOTICE.format(minimum=P2B_MIN_NOTICE_DAYS))
    if change.silent and change.label != "noise":
        sentences.append(advice.SILENT)
    return tuple(sentences)


def _actions(change: Change, found: list[Point]) -> tuple[str, ...]:
    if change.label != "substantive":
        return (advice.NOTHING_TO_DO[change.label],) if change.label in advice.NOTHING_TO_DO else ()
    actions = []
    dated = what_to_do(change)  # "Be ready by 1 October 2026, …": the date first
    if dated:
        actions.append(dated)
    for p in found[:WHY_POINTS]:
        if _restated(p, found):
            continue
        do = _say(p, "do")
        if do and do not in actions:
            actions.append(do)
    return tuple(actions)


# A passage removed where a value of its kind changed is that value's old wording, most often:
# "Keep your rate under 4%." gone while the rate went from 4% to 3%. Its why stays; its "check
# whether it moved" does not.
_RESTATES = {"removed threshold": "limit", "removed deadline": "deadline", "removed fee": "fee"}


def _restated(p: Point, found: list[Point]) -> bool:
    family = _RESTATES.get(p.what)
    return bool(family) and any(q.what.startswith(family) and q.old and q.new for q in found)


# ---------------------------------------------------------------- filling a template


def _say(p: Point, part: str, *, quote_words: int = QUOTE_WORDS) -> str:
    template = advice.TEMPLATES.get(p.what) or advice.TEMPLATES.get(p.kind) or advice.TEMPLATES["wording"]
    pattern = getattr(template, part)
    if part == "headline" and template.phrased and p.subject and not p.names_quantity:
        pattern = template.phrased
    if not pattern:
        return ""
    text = pattern.format_map(_fields(p, quote_words))
    text = re.sub(r"\s+([,.:;])", r"\1", " ".join(text.split()))
    text = re.sub(r"([.!?…])'\.$", r"\1'", text.replace(": .", ".").rstrip(":"))
    return text[0].upper() + text[1:] if text else text


def _fields(p: Point, quote_words: int) -> dict[str, str]:
    old, new = _value(p.old), _value(p.new)
    with_old = f"{p.qualifier} {old}" if p.qualifier and old else old
    with_new = f"{p.qualifier} {new}" if p.qualifier and new else new
    section = _last_part(p.section)
    topic = _topic(p)
    subject = _lower_first(p.subject)
    now = f"{subject} {with_new}" if p.subject and not p.names_quantity else f"{topic} is now {with_new}"
    if p.old and p.new:
        words = f"says {p.new} instead of {p.old}"
    elif p.new:
        words = f"now says {p.new}"
    else:
        words = f"no longer says {p.old}"
    return {
        "Topic": topic[:1].upper() + topic[1:],
        "topic": topic,
        "Subject": p.subject[:1].upper() + p.subject[1:],
        "subject": subject,
        "Now": now[:1].upper() + now[1:],
        "now": now,
        "old": with_old,
        "new": with_new,
        "old_value": old,
        "new_value": new,
        "quote": f"'{clip(p.passage, quote_words)}'" if p.passage else "",
        "in_section": f" in {section}" if section else "",
        "words": words,
        "detail": clip(p.detail, quote_words * 2),
    }


def _lower_first(text: str) -> str:
    """ "Refunds are issued" → "refunds are issued"; "SAFE-T claims" stays as it is."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _topic(p: Point) -> str:
    """What a number or a deadline is: its subject when that names it ("late shipment rate
    target"), else a phrase around the rule's words."""
    subject = _lower_first(p.subject)
    if p.what.startswith("deadline"):
        if not subject:
            return "the deadline"
        if subject.lower() == "due date":
            return "the due date"
        return subject if p.names_quantity else f"the deadline to {subject}"
    if not subject:
        section = _last_part(p.section)
        return f"a figure in {section}" if section else "a figure"
    return subject if p.names_quantity else f"the figure in '{subject} …'"


def _value(text: str) -> str:
    return in_words(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text


def _last_part(section: str) -> str:
    """ "Customer metrics › Late shipment rate" → "Late shipment rate" (clause numbers kept)."""
    last = section.split(" › ")[-1].strip()
    return clip(last, 8)


def clip(text: str, words: int) -> str:
    """``text`` on one line, at most ``words`` words, cut at a word with "…"; never mid-word."""
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    kept = " ".join(parts[:words]).rstrip(",;:–-")
    return kept if kept.endswith("…") else kept + " …"
