"""Quantified rules over the store: what each document's versions say, value by value, and when
each value was captured and in force (``diffs.rulebook``, pure; this module reads the store).

``rules(store, …)`` answers "what are the rules": those the latest version of each document
still online states, or, with ``as_of``, those in force at that moment (by ``in_force_from``, so a value
announced for a later date is not in force before it). ``rule_history(store, subject, …)`` is
every value one subject has had.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from diffs.quantified import subject_key
from diffs.rulebook import RuleSpan, in_force_at, rule_spans
from kb.errors import QueryError
from kb.store import Store
from kb.timeline import gone_since
from kb.timeutil import parse_time


@dataclass(frozen=True)
class RulesAnswer:
    """The rules asked for, and the moment they were asked about (None: the latest texts)."""

    spans: tuple[RuleSpan, ...]
    as_of: str | None = None


def all_rule_spans(store: Store, *, source: str | None = None, doc_id: str | None = None) -> list[RuleSpan]:
    """Every value of every rule of the documents asked for, by document, then in order of
    introduction. Unknown marketplace or document: a one-line error with a hint."""
    documents = store.documents()
    if doc_id is not None:
        documents = [store.document(doc_id)]  # UnknownDocument names the id
    if source is not None:
        known = sorted({d.marketplace for d in store.documents()})
        if source not in known:
            raise QueryError(
                f"no marketplace '{source}' in the store",
                hint=f"marketplaces: {', '.join(known)}" if known else "crawl or import one first",
            )
        documents = [d for d in documents if d.marketplace == source]
    changes: dict[str, list] = {}
    for change in store.changes(doc_id, technical=True, flaps=True):
        changes.setdefault(change.doc_id, []).append(change)
    spans: list[RuleSpan] = []
    for doc in sorted(documents, key=lambda d: d.doc_id):
        gone_at = gone_since(store.checks(doc.doc_id)) if doc.status == "gone" else None
        spans.extend(rule_spans(doc, store.versions(doc.doc_id), changes.get(doc.doc_id, ()), gone_at))
    return spans


def rules(
    store: Store, *, source: str | None = None, doc_id: str | None = None, as_of: str | None = None
) -> RulesAnswer:
    """The rules the latest versions state, or with ``as_of`` (any form ``parse_time`` reads)
    those in force at that moment."""
    spans = sorted(
        all_rule_spans(store, source=source, doc_id=doc_id),
        key=lambda s: (s.doc_id, s.rule.subject, s.rule.condition, s.in_force_from),
    )
    if as_of is None:
        return RulesAnswer(tuple(s for s in spans if s.current))  # stated by the latest version, not gone
    moment = parse_time(as_of)
    return RulesAnswer(tuple(in_force_at(spans, moment)), as_of=moment)


def rule_history(store: Store, subject: str, *, source: str | None = None) -> list[RuleSpan]:
    """Every value the rules about ``subject`` have had, oldest first: the subject's key
    ("late shipment rate"), else every subject holding those words. Unknown subject: a
    one-line error naming the nearest subjects."""
    spans = all_rule_spans(store, source=source)
    wanted = subject_key(subject)
    found = [s for s in spans if s.rule.subject == wanted]
    if not found:
        words = wanted.split()
        found = [s for s in spans if all(w in s.rule.subject.split() for w in words)]
    if not found:
        subjects = sorted({s.rule.subject for s in spans})
        near = difflib.get_close_matches(wanted, subjects, n=4, cutoff=0.5)
        hint = (
            f"subjects like it: {', '.join(near)}"
            if near
            else "list the subjects with `policywatch rules`" + (f" --source {source}" if source else "")
        )
        raise QueryError(f"no rule about '{subject}'" + (f" in {source}" if source else ""), hint=hint)
    return sorted(found, key=lambda s: (s.doc_id, s.rule.subject, s.rule.condition, s.in_force_from, s.captured_at))
