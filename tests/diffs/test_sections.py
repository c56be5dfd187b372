"""diffs.sections.diff_by_section: a diff cut at the headings of the new text, for pages that
show a change section by section."""

from __future__ import annotations

from diffs.diff import diff_texts
from diffs.sections import diff_by_section


def _shown(groups, kind: int) -> str:
    return "".join(text for _, group in groups for op, text in group if op == kind)


def test_diff_by_section_cuts_at_the_headings_of_the_new_text():
    old = "Intro.\n\n## Fees\n\nFee is 5.\n\n## Payments\n\nPaid weekly.\n"
    new = "Intro!\n\n## Fees\n\nFee is 6.\n\n## Payments\n\nPaid weekly.\n\n## Appeals\n\nAsk.\n"
    ops = [
        (0, "Intro"),
        (-1, "."),
        (1, "!"),
        (0, "\n\n## Fees\n\nFee is "),
        (-1, "5"),
        (1, "6"),
        (0, ".\n\n## Payments\n\nPaid weekly.\n"),
        (1, "\n## Appeals\n\nAsk.\n"),
    ]
    assert "".join(t for op, t in ops if op != -1) == new
    assert "".join(t for op, t in ops if op != 1) == old
    groups = diff_by_section(ops, new)
    assert [label for label, _ in groups] == ["", "Fees", "Appeals"]
    assert groups[1][1] == [(0, "## Fees\n\nFee is "), (-1, "5"), (1, "6"), (0, ".\n\n")]
    assert groups[2][1] == [(1, "\n## Appeals\n\nAsk.\n")]
    for kind in (-1, 1):  # every change is shown, once
        assert _shown(groups, kind) == "".join(t for op, t in ops if op == kind)
    assert diff_by_section([(0, "same")], "same") == []
    assert diff_by_section([(1, "all new")], "all new") == [("", [(1, "all new")])]


def test_sections_without_a_change_are_left_out_and_labels_are_paths():
    old = "# Policy\n\n## Fees\n\n### Referral\n\nIs 8%.\n\n## Returns\n\nWithin 30 days.\n"
    new = old.replace("Is 8%.", "Is 9%.")
    groups = diff_by_section(diff_texts(old, new), new)
    assert [label for label, _ in groups] == ["Policy › Fees › Referral"]
    assert _shown(groups, -1) == "8" and _shown(groups, 1) == "9"


def test_a_deleted_section_stays_with_the_text_it_followed():
    old = "## Fees\n\nFee is 5.\n\n## Gone\n\nOld rule.\n\n## Payments\n\nWeekly.\n"
    new = "## Fees\n\nFee is 5.\n\n## Payments\n\nWeekly.\n"
    groups = diff_by_section(diff_texts(old, new), new)
    assert [label for label, _ in groups] == ["Fees"]  # "Gone" is not a heading of the new text
    assert "## Gone\n\nOld rule." in _shown(groups, -1)
