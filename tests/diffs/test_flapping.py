"""The flapping rule: flaps, reversions and changes, the window, and what status sums up."""

from __future__ import annotations

import pytest

from diffs.flapping import (
    CHANGE,
    FLAP,
    REVERSION,
    WINDOW_DAYS,
    WINDOW_VERSIONS,
    Earlier,
    flapping_passages,
    in_window,
    judge,
    text_sha256,
)
from kb.models import FlapPassage

HEAD = "# Fees\n\nThe referral fee is 15% of the sale price.\n\n"
TAIL = "Payouts are sent every 14 days.\n"
ENGLISH = HEAD + "This article applies to selling in: United Kingdom.\n\n" + TAIL
FRENCH = HEAD + "Cet article s'applique à la vente au Royaume-Uni.\n\n" + TAIL
BLOCK = HEAD + "Related articles\n\n- How fees work\n- Payout schedule\n\n" + TAIL
NO_BLOCK = HEAD + TAIL


def day(n: int, hour: int = 0) -> str:
    return f"2025-{1 + (n - 1) // 28:02d}-{1 + (n - 1) % 28:02d}T{hour:02d}:00:00Z"


def history(*texts: str, start: int = 1, step: int = 1) -> list[Earlier]:
    """Versions with these texts, captured ``step`` days apart from day ``start``."""
    return [Earlier(i + 1, day(start + i * step), text_sha256(t), t) for i, t in enumerate(texts)]


def test_the_first_switch_is_a_change_and_switching_back_a_flap():
    assert judge(history(ENGLISH), FRENCH, day(2)).kind == CHANGE
    verdict = judge(history(ENGLISH, FRENCH), ENGLISH, day(3))
    assert verdict.kind == FLAP and verdict.flap
    assert verdict.returns_to.id == 1 and verdict.number == 1 and verdict.back == 1
    (passage,) = verdict.passages
    assert passage.before == "Cet article s'applique à la vente au Royaume-Uni."
    assert passage.after == "This article applies to selling in: United Kingdom."


def test_a_passage_switching_to_a_variant_seen_recently_is_a_flap_though_the_whole_text_is_new():
    # A real edit (the fee) came while the line flapped: the French line on the new text is
    # a text never seen, but its only change is a variant the window holds.
    edited_en = ENGLISH.replace("15%", "12%")
    edited_fr = FRENCH.replace("15%", "12%")
    versions = history(ENGLISH, FRENCH, edited_en)
    verdict = judge(versions, edited_fr, day(4))
    assert verdict.kind == FLAP and verdict.returns_to is None
    assert [p.after for p in verdict.passages] == ["Cet article s'applique à la vente au Royaume-Uni."]
    # The edit and the switch at once: the edit is new, so it is a change.
    assert judge(history(ENGLISH, FRENCH), edited_en, day(3)).kind == CHANGE


def test_a_block_that_comes_and_goes_flaps_and_is_named_by_its_first_line():
    verdict = judge(history(BLOCK, NO_BLOCK, BLOCK), NO_BLOCK, day(4))
    assert verdict.kind == FLAP
    (passage,) = verdict.passages
    assert (passage.before, passage.before_lines, passage.after, passage.after_lines) == (
        "Related articles",
        3,
        "",
        0,
    )
    # The same block with other items is a variant never seen: a change.
    other = BLOCK.replace("Payout schedule", "Selling abroad")
    assert judge(history(BLOCK, NO_BLOCK), other, day(3)).kind == CHANGE


def test_a_variant_seen_elsewhere_in_the_page_is_not_a_variant_of_this_passage():
    # The English line was seen, but after another paragraph: its neighbours differ.
    moved = HEAD + TAIL + "This article applies to selling in: United Kingdom.\n"
    assert judge(history(moved, FRENCH), ENGLISH, day(3)).kind == CHANGE


def test_a_return_after_a_long_stand_is_a_reversion_naming_the_version():
    versions = history(ENGLISH, FRENCH) + [Earlier(3, day(40), text_sha256(BLOCK), BLOCK)]
    # FRENCH stood from day 2 to day 40: ENGLISH went out of force 38 days before day 40.
    verdict = judge(versions, ENGLISH, day(41))
    assert verdict.kind == REVERSION and not verdict.flap
    assert (verdict.returns_to.id, verdict.number, verdict.back) == (1, 1, 2)
    # The current text stood longer than the window: even the version just before it is out.
    verdict = judge(history(ENGLISH, FRENCH, step=WINDOW_DAYS + 1), ENGLISH, day(2 * WINDOW_DAYS + 3))
    assert verdict.kind == REVERSION and verdict.returns_to.id == 1


def test_the_window_holds_the_last_versions_and_only_those_in_force_within_the_days():
    texts = [f"Text {i}.\n" for i in range(WINDOW_VERSIONS + 3)]
    versions = history(*texts)
    at = day(len(texts) + 1)
    window = in_window(versions, at)
    assert [v.id for v in window] == [v.id for v in versions[-WINDOW_VERSIONS:-1]]
    # The oldest text is outside the window in versions, though recent in days: a reversion.
    assert judge(versions, texts[0], at).kind == REVERSION
    assert judge(versions, texts[-WINDOW_VERSIONS], at).kind == FLAP
    # Versions far apart in days: only the one whose successor came within the window counts.
    sparse = history("A.\n", "B.\n", "C.\n", step=20)
    assert [v.id for v in in_window(sparse, day(55))] == [2]
    assert [v.id for v in in_window(sparse, day(41), window_versions=2)] == [2]


def test_verdicts_are_the_same_whatever_order_the_versions_come_in_and_need_no_old_texts():
    versions = history(ENGLISH, FRENCH, ENGLISH, FRENCH)
    shuffled = [versions[2], versions[0], versions[3], versions[1]]
    assert judge(shuffled, ENGLISH, day(5)) == judge(versions, ENGLISH, day(5))
    # Outside the window only digests are read.
    stripped = [Earlier(v.id, v.captured_at, v.text_sha256) for v in versions[:-1]] + [versions[-1]]
    assert judge(stripped, ENGLISH, day(5)).kind == FLAP
    with pytest.raises(ValueError, match="text of version"):
        judge(stripped, ENGLISH.replace("15%", "9%"), day(5))


def test_no_history_or_a_difference_in_blank_lines_only_is_a_change():
    assert judge([], ENGLISH, day(1)).kind == CHANGE
    assert judge(history(ENGLISH, FRENCH), FRENCH.replace("\n\n", "\n"), day(3)).kind == CHANGE


def passage(key: str, before: str = "A", after: str = "B") -> FlapPassage:
    return FlapPassage(key, before, after, 1, 1)


def test_status_names_passages_that_keep_flapping_since_their_run_began():
    flaps = [(day(n), (passage("line"),)) for n in (1, 2, 3)] + [(day(60), (passage("line"),))]
    flaps += [(day(60), (passage("line"), passage("once")))]
    (found,) = flapping_passages(flaps, last_check=day(61))
    # Day 60 starts a new run (more than the window after day 3): two flaps, ongoing.
    assert (found.key, found.flaps, found.since, found.last, found.ongoing) == ("line", 2, day(60), day(60), True)
    assert "this passage alternates between two texts" in found.text and f"ignored since {day(60)}" in found.text
    assert found.as_json()["variants"] == [{"text": "A", "lines": 1}, {"text": "B", "lines": 1}]
    (stopped,) = flapping_passages(flaps[:3], last_check=day(80))
    assert not stopped.ongoing and f"alternated between two texts (3 flaps, {day(1)} to {day(3)})" in stopped.text
    assert flapping_passages(flaps[:1], last_check=day(2)) == []  # one flap is not flapping yet
