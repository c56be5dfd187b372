"""Comparing two rewritten documents stays near-linear in their passages (issue 16, 2t: 4,000
paragraphs took 214 s). Not timed: Myers' O(N·D) core must never be handed a pair whose cost
passes the budget, and the diff must still rebuild both texts. The timing is
``bench/bench_compare_scale.py``."""

from __future__ import annotations

import random

import pytest
from diff_match_patch import diff_match_patch

from diffs import compare
from diffs import diff as diff_module
from diffs.diff import DELETE, INSERT

WORDS = "seller fee order refund days shipping account policy must may within business return item".split()


def rewritten(paragraphs: int, seed: int = 1) -> tuple[str, str]:
    rnd = random.Random(seed)
    old: list[str] = []
    new: list[str] = []
    for i in range(paragraphs):
        if i % 50 == 0:
            old.append(f"## Section {i // 50}")
            new.append(f"## Section {i // 50}")
        for side in (old, new):
            side.append(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 25))) + ".")
    return "\n\n".join(old) + "\n", "\n\n".join(new) + "\n"


@pytest.fixture
def myers_within_budget(monkeypatch):
    """Fail at once when Myers is given a pair over the budget (today's main ran it for minutes)."""
    real = diff_match_patch.diff_main
    budget = getattr(diff_module, "_MAX_UNIT_DIFF_COST", 10_000_000)

    def guarded(self, text1, text2, checklines=True, deadline=None):
        n = len(text1) + len(text2)
        shared = sum(min(text1.count(c), text2.count(c)) for c in set(text1)) if n * n > budget else n / 2
        assert n * (n - 2 * shared) <= budget, f"Myers on {len(text1)} × {len(text2)} units"
        return real(self, text1, text2, checklines, deadline)

    monkeypatch.setattr(diff_match_patch, "diff_main", guarded)


def test_a_rewritten_document_of_4000_paragraphs_is_compared_within_the_budget(myers_within_budget):
    old, new = rewritten(4000)
    comparison = compare(old, new, detected_at="2026-01-01T00:00:00Z")
    ops = comparison.ops
    assert "".join(t for op, t in ops if op != INSERT) == old
    assert "".join(t for op, t in ops if op != DELETE) == new
    assert comparison.classification.label == "substantive"


def test_an_ordinary_change_keeps_myers_own_diff():
    """Under the budget nothing changes: one edited paragraph of 400 is one small hunk."""
    old, _ = rewritten(400)
    new = old.replace("## Section 3\n\n", "## Section 3\n\nA new fee of 5 % applies.\n\n", 1)
    comparison = compare(old, new, detected_at="2026-01-01T00:00:00Z")
    assert [(op, t) for op, t in comparison.ops if op != 0] == [(INSERT, "A new fee of 5 % applies.\n\n")]
