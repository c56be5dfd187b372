"""How ``diffs.compare`` scales with the number of passages (issue 16, 2t).

    python bench/bench_compare_scale.py [--paragraphs 2000 4000] [--seed 1]

Two different texts of N paragraphs each (seeded random sentences over a small vocabulary,
a heading every 50 paragraphs, as the probe's ``scale_compare.py`` built them) are compared,
diff and classification both, in a fresh process state for each N. It prints the seconds for
each N and the ratio of the last to the first: about 2 for twice the paragraphs is linear,
about 4 quadratic. It also checks that the ops rebuild both texts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from diffs import compare  # noqa: E402
from diffs.diff import DELETE, INSERT  # noqa: E402

WORDS = (
    "seller fee order refund days shipping account policy must may within business return item buyer payment"
).split()


def texts(paragraphs: int, seed: int) -> tuple[str, str]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[2000, 4000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seconds = []
    for n in args.paragraphs:
        old, new = texts(n, args.seed)
        started = time.perf_counter()
        comparison = compare(old, new, detected_at="2026-01-01T00:00:00Z")
        seconds.append(time.perf_counter() - started)
        ops = comparison.ops
        assert "".join(t for op, t in ops if op != INSERT) == old and "".join(t for op, t in ops if op != DELETE) == new
        print(f"{n:>6} paragraphs ({len(old) // 1000} KB): {seconds[-1]:.2f} s, {comparison.classification.label}")
    if len(seconds) > 1:
        print(f"ratio {args.paragraphs[-1]} / {args.paragraphs[0]} paragraphs: {seconds[-1] / seconds[0]:.2f}")


if __name__ == "__main__":
    main()
