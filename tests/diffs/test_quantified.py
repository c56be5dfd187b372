"""Quantified rules read from a text: the golden cases (golden/quantified.yaml: the demo, verbatim
excerpts of the real Amazon, Kleinanzeigen and Otto texts, English and German), and the
pieces a reader relies on (comparison vocabulary, windows, ranges, start dates, purity)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diffs.quantified import COMPARISONS, amount, language_of, quantified_rules, subject_key

GOLDEN = Path(__file__).parent.parent / "golden" / "quantified.yaml"
CASES = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["cases"]


def _matches(rule, wanted: dict) -> bool:
    return all(getattr(rule, key) == value for key, value in wanted.items())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(case: dict) -> None:
    found = quantified_rules(case["text"], case.get("language"))
    shown = "\n".join(
        f"  {r.subject!r} {r.comparison} {r.value} {r.unit} w={r.window!r} c={r.condition!r}" for r in found
    )
    for wanted in case["rules"]:
        assert any(_matches(r, wanted) for r in found), f"{wanted} not among:\n{shown}"
    if "count" in case:
        assert len(found) == case["count"], shown


def test_golden_cases_cover_both_languages_and_the_real_agreements() -> None:
    languages = {r.get("language") or language_of(c["text"]) for c in CASES for r in c["rules"]}
    assert languages == {"en", "de"}
    sources = " ".join(c["source"] for c in CASES)
    for needed in ("amazon-us__", "amazon-eu__", "kleinanzeigen-de__", "otto-de__", "kb/demo/corpus"):
        assert needed in sources


def test_values_are_numbers_and_read_the_same_however_written() -> None:
    spelled = quantified_rules("You must ship within thirty (30) days of the order.")
    digits = quantified_rules("You must ship within 30 days of the order.")
    assert [(r.subject, r.comparison, r.value, r.unit) for r in spelled] == [("ship", "within", 30.0, "days")]
    assert [(r.subject, r.comparison, r.value, r.unit) for r in digits] == [("ship", "within", 30.0, "days")]
    assert isinstance(spelled[0].value, float)


@pytest.mark.parametrize(
    ("sentence", "comparison"),
    [
        ("Your late shipment rate must be below 4%.", "under"),
        ("Your late shipment rate must be less than 4%.", "under"),
        ("Your late shipment rate must be no more than 4%.", "at most"),
        ("Your valid tracking rate must be at least 95%.", "at least"),
        ("Your valid tracking rate must be more than 95%.", "above"),
        ("Your late shipment rate must be 4% or less.", "at most"),
        ("Ihre Verspätungsquote muss unter 4 % liegen.", "under"),
        ("Ihre Verspätungsquote darf höchstens 4 % betragen.", "at most"),
        ("Ihre Quote muss mindestens 95 % betragen.", "at least"),
        ("Die Bearbeitungszeit beträgt binnen 2 Werktagen.", "within"),
    ],
)
def test_comparison_vocabulary(sentence: str, comparison: str) -> None:
    (rule,) = quantified_rules(sentence)
    assert rule.comparison == comparison
    assert rule.comparison in set(COMPARISONS["en"].values()) | {"is"}


def test_a_window_is_the_rules_and_not_a_rule_of_its_own() -> None:
    (rule,) = quantified_rules("Your order defect rate must stay under 1% over the last 60 days.")
    assert (rule.subject, rule.value, rule.unit, rule.window) == ("order defect rate", 1.0, "%", "last 60 days")


def test_a_range_keeps_both_bounds() -> None:
    (rule,) = quantified_rules("Request a review between 5 and 30 days after delivery.")
    assert (rule.comparison, rule.low, rule.value, rule.unit) == ("between", 5.0, 30.0, "days")
    assert rule.display_value == "between 5 and 30 days"


def test_counts_need_a_bound_and_examples_state_no_rule() -> None:
    assert quantified_rules("Buyers rate an order with 1 or 2 stars.") == ()
    assert [r.value for r in quantified_rules("You may list at most 3 listings per product.")] == [3.0]
    assert quantified_rules("For example, a 40.00 USD item pays 6.00 USD.") == ()


def test_a_start_date_counts_only_when_it_starts_the_rule() -> None:
    (starts,) = quantified_rules("From 1 November 2026, the referral fee is 12%.")
    (until,) = quantified_rules("Until 1 November 2026, the referral fee is 15%.")
    assert starts.starts_on == "2026-11-01"
    assert until.starts_on is None


def test_display_and_keys() -> None:
    (fee,) = quantified_rules("The monthly subscription fee is $39.99.")
    assert (fee.unit, amount(fee), fee.display_value) == ("USD", "USD 39.99", "USD 39.99")
    assert subject_key("“Insurance  Threshold”") == "insurance threshold"


def test_pure_and_deterministic() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    assert quantified_rules(text) == quantified_rules(text + "")
    assert language_of("Die Frist beträgt 14 Tage und ist nicht verlängerbar, wenn Sie die Ware") == "de"
    assert language_of("The deadline is 14 days and you may not extend it") == "en"


def test_german_thousands_and_decimals() -> None:
    (limit,) = quantified_rules("Die Versicherungssumme beträgt mindestens 1.000.000 € je Schadensfall.", "de")
    (fee,) = quantified_rules("Die Verkaufsgebühr beträgt 1,50 € pro Artikel.", "de")
    assert (limit.comparison, limit.value, limit.unit) == ("at least", 1_000_000.0, "EUR")
    assert (fee.value, fee.unit, fee.display_value) == (1.5, "EUR", "EUR 1.50")


def test_a_start_date_in_a_heading_holds_for_the_rules_under_it() -> None:
    text = "# Upcoming changes\n\n## Changes effective 1 October 2026\n\nYour late shipment rate must be under 3%.\n\n## Now\n\nThe referral fee is 15%.\n"
    late, fee = quantified_rules(text)
    assert (late.subject, late.starts_on) == ("late shipment rate", "2026-10-01")
    assert (fee.subject, fee.starts_on) == ("referral fee", None)
