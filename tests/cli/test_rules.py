"""`policywatch rules` and `policywatch rules history`: the rules now, on a date, and a
subject's values over time, with both dates; unknown subjects and sources are one line with a hint."""

from __future__ import annotations

import json

import pytest

from kb.cli import main
from kb.models import Reason
from kb.store import Store
from tests.support.builders import document, record
from tests.support.rules import RULE_FIELDS

METRICS = "northwind/customer-service-performance"
TABLE = "| Metric | Target | Period measured |\n| --- | --- | --- |\n| Late shipment rate | Under {v}% | Last 10 and 30 days |\n"
BASELINE = (
    "# Customer service performance metrics\n\n"
    + TABLE.format(v=4)
    + "\nYou must keep your late shipment rate under 4%.\n"
)
LOWERED = (
    "# Customer service performance metrics\n\n"
    "**Effective 1 October 2026:** the late shipment rate target is lowered to under 3%.\n\n"
    + TABLE.format(v=3)
    + "\nYou must keep your late shipment rate under 3%.\n"
)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    with Store(home) as store, store.transaction():
        document(store, METRICS, "Customer service performance metrics", "northwind", "policy")
        document(store, "rival/metrics", "Metrics", "rival", "policy")
        first = record(store, METRICS, "2026-08-03T06:00:00Z", BASELINE)
        second = record(store, METRICS, "2026-08-24T06:00:00Z", LOWERED, previous=None)
        store.add_change(
            doc_id=METRICS,
            from_version_id=first,
            to_version_id=second,
            detected_at="2026-08-24T06:00:00Z",
            label="substantive",
            summary="Late shipment rate target lowered from 4% to 3%",
            reasons=[Reason("number", "4% → 3%")],
            silent=False,
            ops=(),
            sections=(),
            effective_date="2026-10-01",
        )
        record(
            store,
            "rival/metrics",
            "2026-08-05T00:00:00Z",
            "Your late shipment rate must stay below 5% over the last 30 days.\n",
        )
    return home


def run(capsys, *args):
    code = main([*args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rules_json_is_a_list_of_the_interface_fields(home, capsys):
    code, out, _ = run(capsys, "rules", "--source", "northwind", "--json", "--home", str(home))
    assert code == 0
    rows = json.loads(out)
    (late,) = [r for r in rows if r["subject"] == "late shipment rate"]
    for field in RULE_FIELDS:
        assert field in late
    assert (late["doc_id"], late["comparison"], late["value"], late["unit"]) == (METRICS, "under", 3.0, "%")
    assert late["window"] == "Last 10 and 30 days"
    assert (late["captured_at"], late["in_force_from"]) == ("2026-08-24T06:00:00Z", "2026-10-01T00:00:00Z")
    assert {r["marketplace"] for r in rows} == {"northwind"}


def test_rules_as_of_a_date_between_capture_and_effect_is_the_old_value_with_both_dates(home, capsys):
    code, out, _ = run(capsys, "rules", "--as-of", "2026-09-01", "--doc", METRICS, "--home", str(home))
    assert code == 0
    assert out.startswith("rules in force at 2026-09-01T00:00:00Z")
    assert "Late shipment rate: under 4 %" in out and "under 3 %" not in out
    assert "captured 2026-08-03T06:00:00Z, in force from 2026-08-03T06:00:00Z until 2026-10-01T00:00:00Z" in out
    _, later, _ = run(capsys, "rules", "--as-of", "2026-10-02", "--doc", METRICS, "--json", "--home", str(home))
    (row,) = [r for r in json.loads(later) if r["subject"] == "late shipment rate"]
    assert (row["value"], row["as_of"], row["captured_at"], row["in_force_from"]) == (
        3.0,
        "2026-10-02T00:00:00Z",
        "2026-08-24T06:00:00Z",
        "2026-10-01T00:00:00Z",
    )


def test_rules_history_shows_each_value_with_its_dates(home, capsys):
    code, out, _ = run(capsys, "rules", "history", "late shipment rate", "--source", "northwind", "--home", str(home))
    assert code == 0
    lines = out.splitlines()
    four = next(i for i, line in enumerate(lines) if line.strip().startswith("under 4 %"))
    three = next(i for i, line in enumerate(lines) if line.strip().startswith("under 3 %"))
    assert four < three
    assert "in force from 2026-10-01T00:00:00Z (stated in the rule)" in lines[three]
    code, out, _ = run(capsys, "rules", "history", "Late Shipment Rate", "--json", "--home", str(home))
    rows = json.loads(out)
    assert [(r["doc_id"], r["value"]) for r in rows] == [(METRICS, 4.0), (METRICS, 3.0), ("rival/metrics", 5.0)]
    assert rows[0]["valid_until"] == rows[1]["in_force_from"] == "2026-10-01T00:00:00Z"


def test_unknown_subject_and_source_are_one_line_with_a_hint(home, capsys):
    code, _, err = run(capsys, "rules", "history", "late shipmnt rate", "--home", str(home))
    assert code == 1
    assert err == "policywatch: no rule about 'late shipmnt rate' (hint: subjects like it: late shipment rate)\n"
    code, _, err = run(capsys, "rules", "--source", "nowhere", "--home", str(home))
    assert code == 1
    assert err == "policywatch: no marketplace 'nowhere' in the store (hint: marketplaces: northwind, rival)\n"
