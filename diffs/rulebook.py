"""The history of a document's quantified rules: each value of each rule, from the version that
first states it to the one that changes or drops it, with the dates it was captured and in force.

Pure, over the store's records: ``rule_spans(document, versions, changes)`` reads the rules of
every version (``diffs.quantified``) and follows each rule (``QuantifiedRule.identity``: its
section, subject, dimension and condition) from version to version. A span's value holds from
``in_force_from``:

- the date the rule's own sentence says it applies from ("Effective 1 October 2026: …"), when
  it is later than the capture;
- else the ``effective_date`` the classification found for the change that introduced the
  value, when later than the capture;
- else the capture time of the first version that states it;

until the ``in_force_from`` of the value that replaces it, or until the version that drops
the rule takes effect (``valid_until``; ``None`` while it holds). ``in_force_basis`` says
which of the three dates it is. Dates are ISO 8601 UTC (an effective day is its midnight).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from diffs.quantified import QuantifiedRule, quantified_rules
from kb.models import Change, Document, Version
from kb.timeline import in_force_from

CAPTURED = "captured"
CHANGE_EFFECTIVE = "effective date of the change"
STATED = "stated in the rule"


@dataclass(frozen=True)
class RuleSpan:
    """One value of one rule of one document, over the versions that state it."""

    doc_id: str
    marketplace: str
    rule: QuantifiedRule  # as the first version of the span states it
    version_id: int  # that version
    captured_at: str  # its capture time: since when the text says so
    last_version_id: int  # the last version of the span
    in_force_from: str
    in_force_basis: str  # CAPTURED | CHANGE_EFFECTIVE | STATED
    valid_until: str | None = None  # when the next value or the rule's removal takes effect
    ended: str | None = None  # "changed" | "removed" | "gone" (the document) | None while it holds
    previous: QuantifiedRule | None = None  # the value it replaced
    current: bool = False  # stated by the document's latest version (and the document is not gone)

    def in_force(self, moment: str) -> bool:
        return self.in_force_from <= moment and (self.valid_until is None or moment < self.valid_until)

    def as_json(self) -> dict:
        rule = self.rule
        return {
            "doc_id": self.doc_id,
            "source": self.marketplace,
            "marketplace": self.marketplace,
            "section": rule.section,
            "section_id": rule.section_id,
            "subject": rule.subject,
            "subject_label": rule.subject_label,
            "comparison": rule.comparison,
            "value": rule.value,
            "low": rule.low,
            "unit": rule.unit,
            "kind": rule.kind,
            "display_value": rule.display_value,
            "written": rule.written,
            "window": rule.window,
            "condition": rule.condition,
            "deadline": rule.deadline,
            "quote": rule.quote,
            "passage": rule.passage,
            "language": rule.language,
            "captured_at": self.captured_at,
            "in_force_from": self.in_force_from,
            "in_force_basis": self.in_force_basis,
            "valid_until": self.valid_until,
            "ended": self.ended,
            "current": self.current,
            "version_id": self.version_id,
            "last_version_id": self.last_version_id,
            "previous": None
            if self.previous is None
            else {
                "comparison": self.previous.comparison,
                "value": self.previous.value,
                "unit": self.previous.unit,
                "display_value": self.previous.display_value,
            },
        }


def _midnight(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


def _start(rule: QuantifiedRule, version: Version, change: Change | None) -> tuple[str, str]:
    captured = version.captured_at
    stated = _midnight(rule.starts_on)
    if stated and stated > captured:
        return stated, STATED
    effective = _takes_effect(version, change)
    return (effective, CHANGE_EFFECTIVE) if effective != captured else (captured, CAPTURED)


def _takes_effect(version: Version, change: Change | None) -> str:
    """When the version's text takes effect: the rule ``show`` and ``search --as-of`` use."""
    return in_force_from(version.captured_at, change.effective_date if change else None)


def _numbered(rules: Iterable[QuantifiedRule]) -> dict[tuple, QuantifiedRule]:
    """Rules by identity and, for a subject stated with several values, their order."""
    seen: dict[tuple, int] = {}
    out = {}
    for rule in rules:
        n = seen.get(rule.identity, 0)
        seen[rule.identity] = n + 1
        out[(*rule.identity, n)] = rule
    return out


def _same_value(a: QuantifiedRule, b: QuantifiedRule) -> bool:
    return (a.comparison, a.value, a.unit) == (b.comparison, b.value, b.unit)


def rule_spans(
    document: Document,
    versions: Sequence[Version],
    changes: Iterable[Change] = (),
    gone_at: str | None = None,
    *,
    rules_of: Callable[[Version], Sequence[QuantifiedRule]] | None = None,
) -> list[RuleSpan]:
    """Every value of every quantified rule of ``document`` over its ``versions`` (any order),
    oldest first by the version that introduced it. A gone document's rules end when it was
    first seen gone (``gone_at``, as ``kb.timeline`` has it), when that is known.

    ``rules_of``: a version's quantified rules, for a caller that keeps them (they are a pure
    function of the text: ``quantified_rules(version.text)``, the default)."""
    ordered = sorted(versions, key=lambda v: (v.captured_at, v.id))
    by_target = {c.to_version_id: c for c in changes}
    open_spans: dict[tuple, RuleSpan] = {}
    closed: list[RuleSpan] = []
    for version in ordered:
        change = by_target.get(version.id)
        rules = _numbered(rules_of(version) if rules_of is not None else quantified_rules(version.text))
        for key in list(open_spans):
            span = open_spans[key]
            rule = rules.get(key)
            if rule is not None and _same_value(span.rule, rule):
                open_spans[key] = _with(span, last_version_id=version.id)
                continue
            if rule is None:  # the rule is gone from the text
                closed.append(_with(span, valid_until=_takes_effect(version, change), ended="removed"))
                del open_spans[key]
        for key, rule in rules.items():
            span = open_spans.get(key)
            if span is not None and _same_value(span.rule, rule):
                continue
            start, basis = _start(rule, version, change)
            if span is not None:  # a new value of the same rule
                closed.append(_with(span, valid_until=start, ended="changed"))
            open_spans[key] = RuleSpan(
                doc_id=document.doc_id,
                marketplace=document.marketplace,
                rule=rule,
                version_id=version.id,
                captured_at=version.captured_at,
                last_version_id=version.id,
                in_force_from=start,
                in_force_basis=basis,
                previous=span.rule if span is not None else None,
            )
    if document.status == "gone":
        ending = {"valid_until": gone_at, "ended": "gone"} if gone_at else {}
        current = [_with(span, **ending) for span in open_spans.values()]
    else:
        current = [_with(span, current=True) for span in open_spans.values()]
    return sorted([*closed, *current], key=lambda s: (s.captured_at, s.version_id, s.rule.subject, s.in_force_from))


def _with(span: RuleSpan, **changes) -> RuleSpan:
    return RuleSpan(**{**vars(span), **changes})


def in_force_at(spans: Iterable[RuleSpan], moment: str) -> list[RuleSpan]:
    """The spans whose value was in force at ``moment`` (ISO 8601 UTC), by ``in_force_from``."""
    return [s for s in spans if s.in_force(moment)]


def describe(span: RuleSpan) -> str:
    """One line a reader reads: "Late shipment rate: under 3 % (last 10 and 30 days)"."""
    rule = span.rule
    window = f" ({rule.window})" if rule.window else ""
    condition = f" [{rule.condition}]" if rule.condition else ""
    return f"{rule.subject_label}: {rule.display_value}{window}{condition}"
