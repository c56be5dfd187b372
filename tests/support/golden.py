"""The golden classification cases (tests/golden/classify.yaml): load, run, regenerate.

Each case is a pair of texts with the class a person expects (``class``, written by hand and
never regenerated) and the output recorded the last time the rules were reviewed (``expected``:
summary, reasons, silent, tags, effective date, notice, sections). After a deliberate change
to the rules, regenerate with ``POLICYWATCH_REGEN_GOLDEN=1 pytest tests/diffs/test_classify.py``
and review the diff of the YAML file like code: regeneration refuses to record a class that
differs from the hand-written one.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from diffs import compare, normalize_markdown

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "classify.yaml"
REGEN = os.environ.get("POLICYWATCH_REGEN_GOLDEN") == "1"
HEADER = """\
# Classification golden cases, read by tests/diffs/test_classify.py.
#
# name, covers (the rule it exercises), class (a person's judgement: written by hand, never
# regenerated), optional detected_at (when the change was first seen, for the notice period)
# and normalize (run normalize_markdown on both texts first), old and new (Markdown).
# expected: the recorded output. Regenerate it after a deliberate rule change with
#   POLICYWATCH_REGEN_GOLDEN=1 pytest tests/diffs/test_classify.py
# and review the diff.
"""


def run(case: dict) -> dict:
    """What the classifier says about a case, in the shape of its ``expected`` block."""
    old, new = case["old"], case["new"]
    if case.get("normalize"):
        old, new = normalize_markdown(old), normalize_markdown(new)
    c = compare(old, new, detected_at=case.get("detected_at")).classification
    return {
        "class": c.label,
        "summary": c.summary,
        "silent": c.silent,
        "tags": list(c.tags),
        "effective_date": c.effective_date,
        "notice_days": c.notice_days,
        "reasons": [{"kind": r.kind, "text": r.text} for r in c.reasons],
        "sections": [s.text for s in c.section_changes],
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith(" \n") and "\t" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def regenerate(cases: list[dict]) -> None:
    for case in cases:
        got = run(case)
        if got["class"] != case["class"]:
            raise AssertionError(
                f"golden case {case['name']!r}: the rules now say {got['class']}, the case says "
                f"{case['class']}; fix the rules, or change the case's class by hand"
            )
        case["expected"] = {k: v for k, v in got.items() if k != "class"}
    body = yaml.dump(cases, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    GOLDEN.write_text(HEADER + "\n" + body.replace("\n- name:", "\n\n- name:"), encoding="utf-8")


def load() -> list[dict]:
    cases = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    if REGEN:
        regenerate(cases)
        cases = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    return cases
