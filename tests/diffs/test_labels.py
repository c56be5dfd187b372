"""The classification against an expert: the blind labels of ``../shared/realdata/labels/``.

Every labelled pair of consecutive versions (149 pairs of real seller agreements, in English
and German) is classified, and the confusion matrix is printed (``pytest -s``, or in the
message of a failed assertion). The thresholds are those of issue 14: substantive recall at
least 0.95 and precision at least 0.90; no pair the expert calls noise or artefact (an error
page, a stale or truncated capture, a block of unrelated content) called substantive; at most
10 % of the noise pairs reported as changes at all. A rule change that loses real changes, or
that starts raising alarms on page noise, fails here. Minor changes must stay reported as
changes too, so that the noise figure cannot be bought by calling everything noise.

A pair whose older capture is an error page is compared, as the recorder compares it, with
the last capture that is the document (the error page never becomes a version); the labels
judge it the same way. Classified alone, such a pair says that no change can be read from it.

The labels are a judgment, not an oracle (their README says so); low-confidence rows are
counted, and also shown apart.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from diffs import classify, normalize_markdown
from diffs.notices import notice
from kb.timeutil import capture_time

EXPERT = ("substantive", "minor", "noise", "artefact")
OURS = ("substantive", "minor", "noise")
MIN_RECALL = 0.95
MIN_PRECISION = 0.90
MAX_NOISE_REPORTED = 0.10
MIN_MINOR_REPORTED = 0.80  # minor changes reported as changes (minor or substantive)


def _text(path: Path) -> str:
    return normalize_markdown(path.read_text(encoding="utf-8"))


def _last_good(folder: Path, before: str) -> str:
    """The text a new version is compared with: ``before``, or when that capture is an error
    page or another notice (``diffs.notices``; the recorder never makes one a version), the
    latest earlier capture that is the document. The labels judge such pairs the same way."""
    for path in sorted((p for p in folder.glob("*.md") if p.name <= before), reverse=True):
        text = _text(path)
        if notice(text) is None:
            return text
    return _text(folder / before)


def _classified(realdata: Path) -> list[tuple[dict, str, str]]:
    """(label row, our class, our summary) for every labelled pair."""
    labels = realdata / "labels" / "change_labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"expert labels not found at {labels}")
    out = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        folder = realdata / "versions" / row["slug"]
        c = classify(
            _last_good(folder, row["before"]),
            _text(folder / row["after"]),
            detected_at=capture_time(folder / row["after"]),
        )
        out.append((row, c.label, c.summary))
    return out


def _figures(results: list[tuple[dict, str, str]]) -> dict:
    matrix = Counter((row["label"], ours) for row, ours, _ in results)
    tp = matrix[("substantive", "substantive")]
    called = sum(matrix[(e, "substantive")] for e in EXPERT)
    real = sum(matrix[("substantive", o)] for o in OURS)
    noise = sum(matrix[("noise", o)] for o in OURS)
    minor = sum(matrix[("minor", o)] for o in OURS)
    return {
        "matrix": matrix,
        "pairs": len(results),
        "recall": tp / real if real else 1.0,
        "precision": tp / called if called else 1.0,
        "noise_reported": (noise - matrix[("noise", "noise")]) / noise if noise else 0.0,
        "noise_count": (noise - matrix[("noise", "noise")], noise),
        "minor_reported": (minor - matrix[("minor", "noise")]) / minor if minor else 1.0,
        "false_alarms": [
            (row["pair"], row["label"], summary)
            for row, ours, summary in results
            if ours == "substantive" and row["label"] in ("noise", "artefact")
        ],
        "missed": [
            (row["pair"], ours, summary)
            for row, ours, summary in results
            if row["label"] == "substantive" and ours != "substantive"
        ],
    }


def _report(name: str, figures: dict) -> str:
    m = figures["matrix"]
    lines = [f"{name}: {figures['pairs']} pairs; expert \\ ours  " + "  ".join(f"{o:>11}" for o in OURS)]
    for e in EXPERT:
        lines.append(f"  {e:<11}" + "  ".join(f"{m[(e, o)]:>11}" for o in OURS))
    lines.append(
        f"  substantive recall {figures['recall']:.3f}, precision {figures['precision']:.3f}; noise reported "
        f"{figures['noise_count'][0]}/{figures['noise_count'][1]} ({figures['noise_reported']:.1%}); minor "
        f"reported as changes {figures['minor_reported']:.1%}"
    )
    lines += [f"  missed: {pair} → {ours}: {summary[:110]}" for pair, ours, summary in figures["missed"]]
    lines += [f"  false alarm: {pair} ({label}): {summary[:110]}" for pair, label, summary in figures["false_alarms"]]
    return "\n".join(lines)


@pytest.mark.realdata
def test_classification_agrees_with_the_expert_labels(realdata: Path) -> None:
    results = _classified(realdata)
    every = _figures(results)
    sure = _figures([r for r in results if r[0]["confidence"] != "low"])
    report = "\n".join(
        [_report("all labelled pairs", every), _report("without the low-confidence rows", sure)]
        + [
            _report(f"documents of {family}", _figures([r for r in results if r[0]["slug"].startswith(family)]))
            for family in ("amazon", "ebay", "tiktok-shop")
        ]
        + [
            _report(
                "other documents (AbeBooks, Etsy, Kleinanzeigen, Otto, Wish)",
                _figures([r for r in results if not r[0]["slug"].startswith(("amazon", "ebay", "tiktok-shop"))]),
            )
        ]
    )
    print("\n" + report)
    assert every["recall"] >= MIN_RECALL, report
    assert every["precision"] >= MIN_PRECISION, report
    assert not every["false_alarms"], report
    assert every["noise_reported"] <= MAX_NOISE_REPORTED, report
    assert every["minor_reported"] >= MIN_MINOR_REPORTED, report
