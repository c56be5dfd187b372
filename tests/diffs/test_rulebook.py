"""A document's quantified rules over its versions (diffs.rulebook): each value from the version
that introduces it, in force from the date its text or its change gives, until the next value."""

from __future__ import annotations

from diffs.rulebook import CAPTURED, CHANGE_EFFECTIVE, STATED, in_force_at, rule_spans
from kb.models import Change, Document, Version
from tests.support.rules import RULE_FIELDS

DOC = Document("northwind/metrics", "Metrics", "https://example.test/m", "northwind", "policy")
TABLE = "| Metric | Target | Period measured |\n| --- | --- | --- |\n| Late shipment rate | Under {v}% | Last 10 and 30 days |\n"


def version(vid: int, at: str, text: str) -> Version:
    return Version(vid, DOC.doc_id, vid, "sha", at, "Metrics", text, f"t{vid}")


def change(to: int, effective: str | None) -> Change:
    return Change(
        to, f"k{to}", DOC.doc_id, to - 1, to, "2026-08-24T06:00:00Z", "substantive", "", effective_date=effective
    )


def late(spans):
    return [s for s in spans if s.rule.subject == "late shipment rate"]


def test_a_new_value_announced_for_later_holds_from_that_date_and_the_old_one_until_then():
    v1 = version(1, "2026-08-03T06:00:00Z", "# Metrics\n\n" + TABLE.format(v=4))
    v2 = version(
        2,
        "2026-08-24T06:00:00Z",
        "# Metrics\n\n**Effective 1 October 2026:** the late shipment rate target is lowered to under 3%.\n\n"
        + TABLE.format(v=3),
    )
    old, new = late(rule_spans(DOC, [v2, v1], [change(2, "2026-10-01")]))
    assert (old.rule.value, old.captured_at, old.in_force_from, old.in_force_basis) == (
        4.0,
        "2026-08-03T06:00:00Z",
        "2026-08-03T06:00:00Z",
        CAPTURED,
    )
    assert (old.valid_until, old.ended, old.current) == ("2026-10-01T00:00:00Z", "changed", False)
    assert (new.rule.value, new.captured_at, new.in_force_from, new.in_force_basis) == (
        3.0,
        "2026-08-24T06:00:00Z",
        "2026-10-01T00:00:00Z",
        STATED,
    )
    assert new.previous is not None and new.previous.value == 4.0 and new.current and new.valid_until is None
    assert new.rule.window == "Last 10 and 30 days"
    # Captured on 24 August, the new target was not in force before 1 October.
    assert [s.rule.value for s in late(in_force_at([old, new], "2026-09-01T00:00:00Z"))] == [4.0]
    assert [s.rule.value for s in late(in_force_at([old, new], "2026-10-02T00:00:00Z"))] == [3.0]


def test_the_changes_effective_date_when_the_rule_states_none():
    v1 = version(1, "2026-08-03T06:00:00Z", TABLE.format(v=4))
    v2 = version(2, "2026-08-24T06:00:00Z", TABLE.format(v=3))
    _, new = late(rule_spans(DOC, [v1, v2], [change(2, "2026-10-01")]))
    assert (new.in_force_from, new.in_force_basis) == ("2026-10-01T00:00:00Z", CHANGE_EFFECTIVE)
    _, same_day = late(rule_spans(DOC, [v1, v2], [change(2, "2026-08-01")]))  # a date already past: the capture
    assert (same_day.in_force_from, same_day.in_force_basis) == ("2026-08-24T06:00:00Z", CAPTURED)


def test_an_unchanged_value_is_one_span_and_a_dropped_rule_ends():
    v1 = version(1, "2026-08-03T06:00:00Z", TABLE.format(v=4))
    v2 = version(2, "2026-08-10T06:00:00Z", TABLE.format(v=4) + "\nSomething else.\n")
    v3 = version(3, "2026-08-17T06:00:00Z", "No metrics any more.\n")
    (span,) = late(rule_spans(DOC, [v1, v2, v3]))
    assert (span.version_id, span.last_version_id) == (1, 2)
    assert (span.valid_until, span.ended, span.current) == ("2026-08-17T06:00:00Z", "removed", False)


def test_json_has_the_interface_fields():
    (span,) = late(rule_spans(DOC, [version(1, "2026-08-03T06:00:00Z", TABLE.format(v=4))]))
    row = span.as_json()
    for field in RULE_FIELDS:
        assert field in row
    assert isinstance(row["value"], float) and row["unit"] == "%" and row["comparison"] == "under"
    assert row["quote"] == "Late shipment rate | Under 4% | Last 10 and 30 days"


def test_a_gone_documents_rules_end_when_it_was_first_seen_gone():
    gone = Document(DOC.doc_id, "Metrics", DOC.url, DOC.marketplace, "policy", status="gone")
    (span,) = late(
        rule_spans(gone, [version(1, "2026-08-03T06:00:00Z", TABLE.format(v=4))], gone_at="2026-08-25T06:00:00Z")
    )
    assert (span.current, span.valid_until, span.ended) == (False, "2026-08-25T06:00:00Z", "gone")
    assert in_force_at([span], "2026-08-26T00:00:00Z") == []
