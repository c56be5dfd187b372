"""Classification rules: the golden cases (golden/classify.yaml), the rules' invariants, stated
dates, the notice period, the taxonomy, and the real histories in ../shared/realdata."""

from __future__ import annotations

import itertools
import re

import pytest

from diffs import KINDS, classify, compare, normalize_markdown, stated_date
from diffs.taxonomy import WORKFLOWS, markdown_table, tags_for
from tests.support import REALDATA, REPO
from tests.support.golden import load, run

CASES = load()


def test_enough_cases_covering_every_rule() -> None:
    assert len(CASES) >= 40
    assert {c["class"] for c in CASES} == {"substantive", "minor", "noise"}
    kinds = {r["kind"] for c in CASES for r in c["expected"]["reasons"]}
    assert kinds == set(KINDS), f"no golden case for {sorted(set(KINDS) - kinds)}"
    tags = {t for c in CASES for t in c["expected"]["tags"]}
    assert tags == {w.id for w in WORKFLOWS}, f"no golden case for {sorted({w.id for w in WORKFLOWS} - tags)}"
    assert any(c["expected"]["notice_days"] is not None and c["expected"]["notice_days"] < 15 for c in CASES)
    assert {c["expected"]["silent"] for c in CASES} == {True, False, None}
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(case: dict) -> None:
    got = run(case)
    assert got["class"] == case["class"], got["reasons"]
    assert {k: v for k, v in got.items() if k != "class"} == case["expected"]
    assert got["summary"] and "\n" not in got["summary"]
    assert "[stated date]" not in str(got)  # no placeholder ever leaks into what people read


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_classification_is_deterministic(case: dict) -> None:
    first = compare(case["old"], case["new"], detected_at=case.get("detected_at"))
    assert first == compare(case["old"], case["new"], detected_at=case.get("detected_at"))
    assert first.classification == classify(case["old"], case["new"], detected_at=case.get("detected_at"))


# ---------------------------------------------------------------- invariants of the rules

_LINK_TARGET = re.compile(r"\]\(([^)]*)\)")


def _substantive_pairs() -> list[tuple[str, str]]:
    return [(c["old"], c["new"]) for c in CASES if c["class"] == "substantive" and c["old"]]


@pytest.mark.parametrize(
    "transform",
    [
        lambda t: t.replace("\n\n", "\n\n\n").replace(". ", ".  "),  # whitespace
        lambda t: re.sub(r"^(#+) ", r"\1# ", t, flags=re.MULTILINE).replace("must", "**must**"),  # markup
        lambda t: (
            _LINK_TARGET.sub("(https://elsewhere.example/x)", t)
            + "\nSee [the help page](https://sell.example/h?ref_=1).\n"
        ),  # links
    ],
    ids=["whitespace", "formatting", "links"],
)
def test_markup_links_and_whitespace_are_never_substantive(transform) -> None:
    for old, _ in _substantive_pairs():
        result = classify(old, transform(old))
        assert result.label != "substantive", (old, result.reasons)


def test_shortened_filing_window_is_always_substantive() -> None:
    base = "## Claims\n\nYou can file a claim within {} of the order date. Keep your invoices.\n"
    for before, after in [
        ("60 days", "30 days"),
        ("sixty days", "thirty days"),
        ("sixty (60) days", "thirty (30) days"),
        ("2 months", "30 days"),
    ]:
        result = classify(base.format(before), base.format(after))
        assert result.label == "substantive"
        assert [r.kind for r in result.reasons] == ["deadline"], result.reasons
        assert result.summary.startswith("Deadline shortened: file a claim within"), result.summary
    # ... also when the sentence around it is reworded in the same edit
    reworded = "## Claims\n\nSellers may file their claims within 30 days of the order date. Keep your invoices.\n"
    result = classify(base.format("60 days"), reworded)
    assert result.label == "substantive" and "deadline" in {r.kind for r in result.reasons}


def test_the_same_change_in_a_table_and_a_sentence_is_one_reason() -> None:
    case = next(c for c in CASES if c["name"].startswith("demo threshold"))
    result = classify(case["old"], case["new"], detected_at=case["detected_at"])
    assert [r.kind for r in result.reasons].count("number") == 1
    assert result.summary == ("Late shipment rate target lowered from 4% to 3%; effective 2026-10-01 (38 days' notice)")


def test_notice_needs_the_detection_time() -> None:
    case = next(c for c in CASES if c["name"].startswith("demo threshold"))
    without = classify(case["old"], case["new"])
    assert without.effective_date == "2026-10-01" and without.notice_days is None
    assert without.summary.endswith("; effective 2026-10-01")
    late = classify(case["old"], case["new"], detected_at="2026-09-28T00:00:00Z")
    assert late.notice_days == 3 and "under the 15 days the EU P2B Regulation requires" in late.summary


def test_moved_blocks_are_moves_in_the_diff_too() -> None:
    case = next(c for c in CASES if c["name"] == "moved paragraph, unchanged")
    compared = compare(case["old"], case["new"])
    assert len(compared.moves) == 1
    assert compared.as_json()["stats"]["moved_words"] == 9


def test_silent_is_none_without_stated_date() -> None:
    result = classify("You may sell.\n", "You must sell.\n")
    assert result.silent is None and result.stated_date_old is None
    assert "silent" not in result.summary


def test_sections_are_reported_with_ids() -> None:
    old = "# Policies\n\n## Returns\n\nWithin 30 days.\n\n## Fees\n\nA fee of 5 %.\n"
    new = old.replace("30 days", "14 days").replace("5 %", "6 %")
    result = classify(old, new)
    assert result.sections == ("Policies › Returns", "Policies › Fees")
    assert [(s.id, s.text) for s in result.section_changes] == [
        ("policies/returns", "Policies › Returns: 1 sentence changed"),
        ("policies/fees", "Policies › Fees: 1 sentence changed"),
    ]


def test_many_reasons_are_capped() -> None:
    old = "".join(f"## Item {i}\n\nThe fee is {i} %.\n\n" for i in range(45))
    new = "".join(f"## Item {i}\n\nThe fee is {i + 1} %.\n\n" for i in range(45))
    result = classify(old, new)
    assert result.label == "substantive"
    assert len(result.reasons) == 13 and result.reasons[-1].text == "+33 more reasons"
    assert result.summary.startswith("Major revision: 45 passages in 45 sections; ")
    assert result.summary.endswith("more")


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
        # An announcement is not the page's date: it is reported as an effective date.
        ("**Effective 1 October 2026:** the late shipment rate target is lowered.", None),
    ],
)
def test_stated_date(text: str, expected: str | None) -> None:
    assert stated_date(text) == expected


# ---------------------------------------------------------------- taxonomy


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Buyers may return items within 30 days for a full refund.", ("returns-refunds",)),
        ("File an A-to-z Guarantee claim.", ("reimbursements-claims",)),
        ("SAFE-T claims are reviewed in 5 days.", ("reimbursements-claims",)),
        ("Relationship of the parties", ()),  # "ship" inside a word is not shipping
        ("Keep your order defect rate under 1%.", ("account-health",)),
        ("Report trademark infringement.", ("intellectual-property",)),
    ],
)
def test_tags_for(text: str, tags: tuple[str, ...]) -> None:
    assert tags_for([text]) == tags


def test_docs_show_the_taxonomy_and_every_kind() -> None:
    doc = (REPO / "docs" / "changes.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "docs/changes.md must show diffs.taxonomy.markdown_table()"
    for kind in KINDS:
        assert f"`{kind}`" in doc, f"docs/changes.md does not explain the reason kind {kind}"


# ---------------------------------------------------------------- real histories

needs_realdata = pytest.mark.skipif(
    not (REALDATA / "versions").is_dir(), reason=f"real data folder missing: {REALDATA}"
)


def _versions(slug: str) -> list[tuple[str, str]]:
    """(capture time, normalized text) of each recorded version."""
    files = sorted((REALDATA / "versions" / slug).glob("*.md"))
    return [(f.stem[:10], normalize_markdown(f.read_text(encoding="utf-8"))) for f in files]


def _pair(slug: str, stem: str) -> tuple[str, str, str]:
    versions = _versions(slug)
    files = sorted((REALDATA / "versions" / slug).glob("*.md"))
    k = next(i for i, f in enumerate(files) if f.stem.startswith(stem))
    return versions[k - 1][1], versions[k][1], versions[k][0]


@pytest.mark.realdata
@needs_realdata
def test_real_view_counter_changes_are_noise() -> None:
    """TikTok Shop's terms page shows a view counter; many recorded versions differ only by it."""
    texts = [t for _, t in _versions("tiktok-shop__marketplace-sellers-conditions")]
    counter_only = []
    for old, new in itertools.pairwise(texts):
        changed = set(old.splitlines()) ^ set(new.splitlines())
        if changed and all(line.endswith("views") for line in changed):
            counter_only.append((old, new))
    assert len(counter_only) >= 10
    for old, new in counter_only:
        result = classify(old, new)
        assert (result.label, [r.kind for r in result.reasons]) == ("noise", ["counter"]), result.summary


@pytest.mark.realdata
@needs_realdata
@pytest.mark.parametrize(
    ("slug", "stem", "kind", "words"),
    [
        # FBA: units left after termination are disposed of after 14 days instead of 30.
        (
            "amazon-us__marketplace-sellers-conditions",
            "2023-12-28",
            "deadline",
            "return or dispose of the Units: within thirty (30) days → fourteen (14) days",
        ),
        # Insurance limits cut from €500,000 to €5,000 (and back a week later).
        ("amazon-eu__marketplace-sellers-conditions", "2022-10-18", "number", "Insurance Limits: €500,000 → €5,000"),
        ("amazon-eu__marketplace-sellers-conditions", "2022-10-24", "number", "Insurance Limits: €5,000 → €500,000"),
        # The insurance trigger no longer waits for three consecutive months.
        (
            "amazon-eu__marketplace-sellers-conditions",
            "2024-05-28",
            "number",
            "removed 'Threshold during each month over any period of three (3) consecutive months'",
        ),
        # New VAT Calculation Service fee terms; a new fee base definition.
        ("amazon-eu__marketplace-sellers-conditions", "2023-07-03", "added-obligation", "added fee"),
        ("amazon-eu__marketplace-sellers-conditions", "2024-02-01", "added-obligation", "Fee Base Amount"),
        # New obligations on sellers.
        (
            "amazon-eu__marketplace-sellers-conditions",
            "2022-09-15",
            "added-obligation",
            "Sellers are responsible for setting their own prices",
        ),
        # New Use of Agents section (the "must" once found in "****To be eligible…" → "**To be
        # eligible…" was markup, not an obligation).
        (
            "amazon-us__marketplace-sellers-conditions",
            "2026-03-05",
            "added-obligation",
            "All Agents must clearly identify themselves",
        ),
    ],
)
def test_real_amazon_agreement_changes_are_substantive_with_reasons(
    slug: str, stem: str, kind: str, words: str
) -> None:
    old, new, seen = _pair(slug, stem)
    result = classify(old, new, detected_at=seen)
    assert result.label == "substantive"
    assert any(r.kind == kind and words in r.text for r in result.reasons), result.reasons
    if kind == "deadline":
        assert "Deadline shortened: return or dispose of the Units" in result.summary


@pytest.mark.realdata
@needs_realdata
def test_real_link_only_amazon_versions_are_not_substantive() -> None:
    for stem in ("2026-04-30", "2026-06-18"):
        old, new, _ = _pair("amazon-us__marketplace-sellers-conditions", stem)
        assert classify(old, new).label in ("minor", "noise")


@pytest.mark.realdata
@needs_realdata
def test_real_stated_dates() -> None:
    versions = _versions("amazon-de__trackers-policy")
    assert stated_date(versions[0][1]) == "2024-10-28"
    assert stated_date(versions[1][1]) == "2026-03-05"


def test_same_answers_in_any_process() -> None:
    """No hash seed, locale or cache changes an answer: every golden case, in fresh interpreters."""
    import hashlib
    import json
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, json; from tests.support.golden import load, run; "
        "print(hashlib.sha256(json.dumps([run(c) for c in load()], sort_keys=True).encode()).hexdigest())"
    )
    local = hashlib.sha256(json.dumps([run(c) for c in CASES], sort_keys=True).encode()).hexdigest()
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        env.pop("POLICYWATCH_REGEN_GOLDEN", None)
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env, cwd=REPO
        )
        assert out.stdout.strip() == local
