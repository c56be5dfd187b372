"""diffs.severity: three levels from class, reason kinds, effective date and workflows (pure)."""

from __future__ import annotations

from dataclasses import replace

from diffs import KINDS
from diffs.brief import change_json
from diffs.severity import HIGH_KINDS, SEVERITIES, severity, what_to_do
from kb.models import Change, Reason

BASE = Change(
    id=1,
    key="m/doc/20260824T060000Z",
    doc_id="m/doc",
    from_version_id=1,
    to_version_id=2,
    detected_at="2026-08-24T06:00:00Z",
    label="substantive",
    summary="s",
    reasons=(Reason("added-obligation", "added: 'You must …'"),),
)


def test_the_kinds_it_reads_exist():
    assert HIGH_KINDS <= set(KINDS)


def test_levels():
    assert severity(BASE) == "medium"
    assert severity(replace(BASE, reasons=(Reason("deadline", "60 → 30 days"),))) == "high"
    assert severity(replace(BASE, effective_date="2026-10-01")) == "high"
    assert severity(replace(BASE, tags=("account-health",))) == "high"
    assert severity(replace(BASE, label="minor", reasons=(Reason("number", "x"),))) == "low"
    assert severity(replace(BASE, label="noise")) == "low"
    assert SEVERITIES == ("high", "medium", "low")


def test_what_to_do_needs_a_date():
    assert what_to_do(BASE) is None
    dated = replace(BASE, effective_date="2026-10-01", notice_days=38)
    assert what_to_do(dated) == "Be ready by 1 October 2026, when the change takes effect."
    late = replace(BASE, effective_date="2026-08-01", notice_days=-23)
    assert what_to_do(late).startswith("Check that you comply now: the change took effect on 1 August 2026")


def test_change_json_carries_both():
    data = change_json(replace(BASE, effective_date="2026-10-01", notice_days=38))
    assert data["severity"] == "high" and data["what_to_do"].startswith("Be ready by 1 October 2026")
