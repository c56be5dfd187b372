"""Diff speed on a 200 KB agreement, beside Python's difflib on the same input.

    python bench/bench_diff.py [--size 200000] [--edits 20 600] [--runs 7] [--json]

The agreement is real when ../shared/realdata is there (the latest Amazon US and EU Business
Solutions Agreements, normalized, cut to --size at a line end), synthetic otherwise. Each
benchmark scatters N one-word edits over the text (seeded: every run edits the same words),
then times:

- ``diffs.diff_texts``: diff-match-patch, Diff_Timeout 0, lines first then words in each
  changed hunk (the diff policywatch stores);
- difflib with the same strategy: ``SequenceMatcher`` on lines, then on word tokens inside
  each replaced run of lines (a whole-document word diff with difflib takes minutes);
- ``diffs.compare``: the diff plus the classification (reasons, summary, sections, tags).

It prints the best and median of --runs for each, their ratio, whether the targets are met
(20 edits < 20 ms, 600 edits < 300 ms for ``diff_texts``) and the sha256 of the ops of every
run: the diff is the same on every run.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from diffs import compare, diff_texts, normalize_markdown

REALDATA = REPO.parent / "shared" / "realdata" / "versions"
TARGETS_MS = {20: 20.0, 600: 300.0}
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def agreement(size: int) -> tuple[str, str]:
    """A ~``size``-character agreement and where it came from."""
    parts = []
    for slug in ("amazon-us__marketplace-sellers-conditions", "amazon-eu__marketplace-sellers-conditions"):
        files = sorted((REALDATA / slug).glob("*.md"))
        if files:
            parts.append(normalize_markdown(files[-1].read_text(encoding="utf-8")))
    source = "real Amazon US + EU Business Solutions Agreements"
    text = "\n".join(parts)
    if len(text) < size:  # no real data: a synthetic agreement with the same shape
        rng = random.Random(7)
        words = [
            "seller",
            "must",
            "may",
            "shall",
            "fee",
            "order",
            "days",
            "hours",
            "account",
            "policy",
            "the",
            "a",
            "of",
            "to",
            "within",
            "refund",
            "customer",
            "item",
            "listing",
            "shipment",
            "rate",
            "payment",
            "business",
            "notice",
        ]
        paras = [
            f"## Section {i // 12}"
            if i % 12 == 0
            else " ".join(rng.choice(words) for _ in range(rng.randint(40, 160))) + "."
            for i in range(4000)
        ]
        text, source = "\n\n".join(paras) + "\n", "synthetic agreement (no ../shared/realdata)"
    cut = text.rfind("\n", 0, size) + 1
    return text[:cut], source


def scatter_edits(text: str, count: int, seed: int) -> str:
    """Replace ``count`` words spread over the whole text (every k-th eligible word)."""
    words = list(re.finditer(r"\b[a-z]{4,}\b", text))
    rng = random.Random(seed)
    step = len(words) // count
    picks = [k * step + rng.randrange(step) for k in range(count)]
    out, last = [], 0
    for i in picks:
        m = words[i]
        out += [text[last : m.start()], m.group(0)[::-1].upper()]
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def difflib_diff(old: str, new: str) -> list[tuple[str, int, int, int, int]]:
    """difflib with policywatch's strategy: lines, then words inside replaced runs."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace":
            x, y = _TOKENS.findall("".join(a[i1:i2])), _TOKENS.findall("".join(b[j1:j2]))
            ops += difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes()
        else:
            ops.append((tag, i1, i2, j1, j2))
    return ops


def _cold() -> None:
    """Empty the classifier's caches, so that every run pays the full price."""
    from diffs.dates import _find_dates, _stated_date_spans
    from diffs.numbers import quantities
    from diffs.passages import _cached_words

    for cached in (_cached_words, _find_dates, _stated_date_spans, quantities):
        cached.cache_clear()


def timed(fn, runs: int) -> tuple[list[float], list]:
    times, results = [], []
    for _ in range(runs):
        _cold()
        start = time.perf_counter()
        results.append(fn())
        times.append((time.perf_counter() - start) * 1000)
    return times, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--edits", type=int, nargs="+", default=[20, 600])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    old, source = agreement(args.size)
    rows = []
    for edits in args.edits:
        new = scatter_edits(old, edits, seed=edits)
        dmp_ms, dmp_ops = timed(lambda: diff_texts(old, new), args.runs)  # noqa: B023
        lib_ms, _ = timed(lambda: difflib_diff(old, new), args.runs)  # noqa: B023
        cmp_ms, compared = timed(lambda: compare(old, new), max(1, args.runs // 2))  # noqa: B023
        digests = {hashlib.sha256(json.dumps(ops).encode()).hexdigest()[:16] for ops in dmp_ops}
        target = TARGETS_MS.get(edits)
        rows.append(
            {
                "edits": edits,
                "diff_texts_ms": {"best": round(min(dmp_ms), 2), "median": round(statistics.median(dmp_ms), 2)},
                "difflib_ms": {"best": round(min(lib_ms), 2), "median": round(statistics.median(lib_ms), 2)},
                "difflib_over_diff_texts": round(min(lib_ms) / min(dmp_ms), 2),
                "compare_ms": {"best": round(min(cmp_ms), 2), "median": round(statistics.median(cmp_ms), 2)},
                "target_ms": target,
                "meets_target": None if target is None else statistics.median(dmp_ms) < target,
                "same_diff_every_run": len(digests) == 1,
                "ops_sha256": sorted(digests),
                "class": compared[0].classification.label,
            }
        )
    report = {"input": source, "chars": len(old), "lines": old.count("\n"), "runs": args.runs, "results": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"input: {source}, {len(old):,} chars, {old.count(chr(10)):,} lines; {args.runs} runs each")
    print(
        f"{'edits':>6} {'diff_texts best/median':>24} {'difflib best/median':>22} {'ratio':>6} "
        f"{'compare':>9} {'target':>8}  same diff every run"
    )
    for r in rows:
        d, lib, c = r["diff_texts_ms"], r["difflib_ms"], r["compare_ms"]
        verdict = (
            "-" if r["target_ms"] is None else (f"<{r['target_ms']:.0f} {'ok' if r['meets_target'] else 'MISSED'}")
        )
        print(
            f"{r['edits']:>6} {d['best']:>11.1f} / {d['median']:>6.1f} ms {lib['best']:>9.1f} / "
            f"{lib['median']:>6.1f} ms {r['difflib_over_diff_texts']:>5.1f}x {c['median']:>6.0f} ms "
            f"{verdict:>8}  {'yes' if r['same_diff_every_run'] else 'NO'} ({r['ops_sha256'][0]})"
        )
    return 0 if all(r["meets_target"] is not False and r["same_diff_every_run"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
