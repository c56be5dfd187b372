"""Quantified rules over the real history of the Amazon Business Solutions Agreements, as Open
Terms Archive recorded it (../shared/realdata/versions): the removal deadline after termination
goes from thirty (30) to fourteen (14) days in the US agreement on 2023-12-28 (it stays 30 in
the EU one), the insurance thresholds and limits per country, Mexico's dropped in 2026-03, and
the EU limits that read as the thresholds for six days in October 2022."""

from __future__ import annotations

import pytest

from diffs.rulebook import rule_spans
from kb.models import Document, Version
from kb.timeutil import capture_name_time

pytestmark = pytest.mark.realdata
US = "amazon-us__marketplace-sellers-conditions"
EU = "amazon-eu__marketplace-sellers-conditions"


def history(realdata, slug: str, marketplace: str):
    folder = realdata / "versions" / slug
    versions = [
        Version(
            i,
            f"{marketplace}/business-solutions-agreement",
            i,
            "",
            capture_name_time(p.stem),
            p.stem,
            p.read_text(encoding="utf-8"),
            "",
        )
        for i, p in enumerate(sorted(folder.glob("*.md")), 1)
    ]
    doc = Document(
        f"{marketplace}/business-solutions-agreement", "BSA", "https://example.test/", marketplace, "agreement"
    )
    return rule_spans(doc, versions)


def values(spans, subject: str, condition: str = "") -> list[tuple[float, str, str, str | None]]:
    return [
        (s.rule.value, s.rule.unit, s.in_force_from, s.valid_until)
        for s in spans
        if s.rule.subject == subject and condition in s.rule.condition
    ]


def test_us_removal_deadline_after_termination_goes_from_30_to_14_days(realdata):
    spans = history(realdata, US, "amazon-us")
    assert values(spans, "return or dispose of the units") == [
        (30.0, "days", "2023-08-29T00:46:48Z", "2023-12-28T18:30:58Z"),
        (14.0, "days", "2023-12-28T18:30:58Z", None),
    ]
    (now,) = [s for s in spans if s.rule.subject == "return or dispose of the units" and s.current]
    assert (now.rule.comparison, now.rule.written, now.previous.value) == ("within", "fourteen (14) days", 30.0)
    assert "F-13" in now.rule.section


def test_eu_removal_deadline_stays_30_days(realdata):
    spans = history(realdata, EU, "amazon-eu")
    assert [v[:2] for v in values(spans, "return or dispose of the units")] == [(30.0, "days")]


def test_us_insurance_thresholds_per_country_and_mexico_dropped(realdata):
    spans = history(realdata, US, "amazon-us")
    assert values(spans, "insurance threshold", "Canada") == [(10000.0, "CAD", "2023-08-29T00:46:48Z", None)]
    assert values(spans, "insurance threshold", "United States") == [(10000.0, "USD", "2023-08-29T00:46:48Z", None)]
    assert values(spans, "insurance threshold", "Mexico") == [
        (100000.0, "MXN", "2023-08-29T00:46:48Z", "2026-03-05T00:33:11Z")
    ]
    assert values(spans, "insurance limits", "United States") == [(1000000.0, "USD", "2023-08-29T00:46:48Z", None)]


def test_eu_insurance_limits_read_as_the_thresholds_for_six_days(realdata):
    spans = history(realdata, EU, "amazon-eu")
    uk = values(spans, "insurance limits", "UK Amazon Site")
    assert [v[:2] for v in uk] == [(400000.0, "GBP"), (4000.0, "GBP"), (400000.0, "GBP")]
    assert [v[2] for v in uk[1:]] == ["2022-10-18T18:31:40Z", "2022-10-24T06:31:38Z"]
    assert [v[:2] for v in values(spans, "insurance threshold", "UK Amazon Site")] == [(4000.0, "GBP")]
    assert [v[:2] for v in values(spans, "insurance threshold", "SE Amazon Site")] == [(50000.0, "SEK")]
