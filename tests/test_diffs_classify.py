"""Classification rules, driven by golden/classify.yaml, plus stated dates and real data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diffs import classify, compare, normalize_markdown, stated_date

CASES = yaml.safe_load(
    (Path(__file__).parent / "golden" / "classify.yaml").read_text(encoding="utf-8")
)
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def test_enough_cases_covering_every_label() -> None:
    assert len(CASES) >= 25
    assert {c["label"] for c in CASES} == {"substantive", "minor", "noise"}
    kinds = {k for c in CASES for k in c["kinds"]}
    assert kinds >= {
        "number",
        "obligation",
        "negation",
        "added-obligation",
        "removed-obligation",
        "effective-date",
        "wording",
        "formatting",
        "link",
        "stated-date",
        "whitespace",
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_classification(case: dict) -> None:
    result = classify(case["old"], case["new"])
    got_kinds = sorted({r.kind for r in result.reasons})
    assert (result.label, got_kinds) == (case["label"], sorted(case["kinds"])), result.reasons
    assert case["summary"] in result.summary
    assert "\n" not in result.summary
    if "silent" in case:
        assert result.silent is case["silent"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_classification_is_deterministic_and_accepts_ops(case: dict) -> None:
    compared = compare(case["old"], case["new"])
    assert compared.classification == classify(case["old"], case["new"])
    assert compared == compare(case["old"], case["new"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Terms\n\nLast updated: 1 November 2026\n\nBody.", "2026-11-01"),
        ("**Last updated: November 1, 2026**", "2026-11-01"),
        ("Last modified 2026-11-01", "2026-11-01"),
        ("Effective date: Nov. 1, 2026", "2026-11-01"),
        ("Effective as of 1st November 2026.", "2026-11-01"),
        ("This agreement was updated on May 13, 2024, and applies to new users.", "2024-05-13"),
        ("Last updated on Dec 6, 2023", "2023-12-06"),
        ("Stand: 01.03.2026", "2026-03-01"),
        ("Last updated: 25 March 2024\u200b", "2024-03-25"),
        ('See the "Last Updated" date at the top of these Terms.', None),
        ("Last updated: 31 February 2026", None),
        ("No date here, only 2026 as a year.", None),
        ("x " * 800 + "\nThe new fees are effective from 1 March 2027 for all sellers.", None),
        ("Effective from: 15 January 2024\n\nLast updated: 2 February 2024", "2024-02-02"),
    ],
)
def test_stated_date(text: str, expected: str | None) -> None:
    assert stated_date(text) == expected


def test_silent_is_none_without_stated_date() -> None:
    result = classify("You may sell.\n", "You must sell.\n")
    assert result.silent is None and result.stated_date_old is None
    assert "silent" not in result.summary


def test_sections_are_reported() -> None:
    old = "# Policies\n\n## Returns\n\nWithin 30 days.\n\n## Fees\n\nA fee of 5 %.\n"
    new = old.replace("30 days", "14 days").replace("5 %", "6 %")
    assert classify(old, new).sections == ("Policies › Returns", "Policies › Fees")


def test_many_reasons_are_capped() -> None:
    old = "".join(f"## Item {i}\n\nThe fee is {i} %.\n\n" for i in range(30))
    new = "".join(f"## Item {i}\n\nThe fee is {i + 1} %.\n\n" for i in range(30))
    result = classify(old, new)
    assert result.label == "substantive"
    assert len(result.reasons) == 13 and result.reasons[-1].text == "+18 more reasons"
    assert result.summary.endswith("; +28 more")


def _version_pairs(slug: str, since: str = "", until: str = "~") -> list[tuple[str, str]]:
    files = [
        f for f in sorted((REALDATA / "versions" / slug).glob("*.md")) if since <= f.name <= until
    ]
    texts = [normalize_markdown(f.read_text(encoding="utf-8")) for f in files]
    return list(zip(texts, texts[1:], strict=False))


def _changed_lines(old: str, new: str) -> list[str]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    return [line for line in set(old_lines) ^ set(new_lines)]


needs_realdata = pytest.mark.skipif(
    not (REALDATA / "versions").is_dir(), reason=f"real data folder missing: {REALDATA}"
)


@pytest.mark.realdata
@needs_realdata
def test_real_view_counter_changes_are_noise() -> None:
    """TikTok Shop's terms page shows a view counter; many recorded versions differ only by it."""
    pairs = _version_pairs(
        "tiktok-shop__marketplace-sellers-conditions", "2024-01-05", "2024-01-09"
    )
    counter_only = [
        (a, b)
        for a, b in pairs
        if _changed_lines(a, b) and all(line.endswith("views") for line in _changed_lines(a, b))
    ]
    assert len(counter_only) >= 10
    for old, new in counter_only:
        result = classify(old, new)
        assert (result.label, [r.kind for r in result.reasons]) == ("noise", ["counter"]), (
            result.summary
        )


@pytest.mark.realdata
@needs_realdata
def test_real_stated_dates() -> None:
    pairs = _version_pairs("amazon-de__trackers-policy")
    assert stated_date(pairs[0][0]) == "2024-10-28"
    assert stated_date(pairs[0][1]) == "2026-03-05"


@pytest.mark.realdata
@needs_realdata
def test_real_amazon_agreement_history() -> None:
    pairs = _version_pairs("amazon-us__marketplace-sellers-conditions")
    results = [classify(a, b) for a, b in pairs]
    assert "substantive" in {r.label for r in results}
    for result in results:
        assert result.summary and "\n" not in result.summary
