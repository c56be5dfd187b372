"""Who a change affects, against a blind expert's judgment: the workflows of each brief
(``diffs.taxonomy``) on the real histories in ../shared/realdata, compared with the ``affects``
of ``labels/change_labels.jsonl`` on the pairs labelled substantive.

The labels use the rubric's vocabulary (labels/README.md); two of its workflows have other ids
here (``RUBRIC``), and its ``other`` is no workflow. Measured on 2026-12-03 (58 pairs), with the
taxonomy tuned on these same pairs, so in-sample: mean Jaccard 0.42, micro precision 0.49,
recall 0.70 (before: 0.30, 0.42, 0.49). The floors sit a little below, so that a change to the
classification rules (which choose the passages tagged) fails here only when it costs real
agreement.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from diffs import classify, normalize_markdown
from tests.support import REALDATA

pytestmark = pytest.mark.realdata

RUBRIC = {"reimbursements-claims": "claims-disputes", "buyer-communication": "reviews-communication"}
FLOORS = {"jaccard": 0.39, "precision": 0.46, "recall": 0.66}


def agreement(labels: list[dict]) -> tuple[dict[str, float], dict[str, Counter]]:
    """Mean Jaccard and micro precision and recall of the workflows, with per-tag counts."""
    counts = {"tp": Counter(), "fp": Counter(), "fn": Counter()}
    jaccards = []
    for row in labels:
        folder = REALDATA / "versions" / row["slug"]
        old, new = (
            normalize_markdown((folder / row[side]).read_text(encoding="utf-8")) for side in ("before", "after")
        )
        found = {RUBRIC.get(tag, tag) for tag in classify(old, new).tags}
        gold = set(row["affects"]) - {"other"}
        counts["tp"].update(found & gold)
        counts["fp"].update(found - gold)
        counts["fn"].update(gold - found)
        jaccards.append(len(found & gold) / len(found | gold) if found | gold else 1.0)
    tp, fp, fn = (sum(c.values()) for c in counts.values())
    return {"jaccard": sum(jaccards) / len(jaccards), "precision": tp / (tp + fp), "recall": tp / (tp + fn)}, counts


def test_who_it_affects_agrees_with_the_experts_labels(realdata):
    rows = [json.loads(line) for line in (realdata / "labels" / "change_labels.jsonl").read_text().splitlines() if line]
    substantive = [row for row in rows if row["label"] == "substantive"]
    assert len(substantive) == 58
    scores, counts = agreement(substantive)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    per_tag = {t: (counts["tp"][t], counts["fp"][t], counts["fn"][t]) for t in sorted(set().union(*counts.values()))}
    for name, floor in FLOORS.items():
        assert scores[name] >= floor, f"{shown}; per tag (tp, fp, fn): {per_tag}"
