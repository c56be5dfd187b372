"""How ``diffs.extract`` scales with the nesting depth of a page (issue 16, 3e).

    python bench/bench_extract_depth.py [--levels 1000 2000 4000 8000]

The page is N unclosed ``<div>``s, each with a clause of text (as a page of unclosed tags or a
hostile one arrives), extracted whole. It prints the seconds for each N and the ratio of the
last to the first: about 8 for eight times the levels is linear, about 64 quadratic.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from diffs import Rules, extract  # noqa: E402


def page(levels: int) -> bytes:
    return (
        "<html><body><main>" + "<div>Sellers must ship within two days. " * levels + "</main></body></html>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    args = parser.parse_args()
    extract(page(10), Rules(select=("main",)))  # imports and selector compilation, not timed
    seconds = []
    for levels in args.levels:
        body = page(levels)
        started = time.perf_counter()
        markdown = extract(body, Rules(select=("main",))).markdown
        seconds.append(time.perf_counter() - started)
        assert markdown.count("Sellers must ship") == levels
        print(f"{levels:>6} levels ({len(body) // 1000} KB): {seconds[-1]:.2f} s")
    if len(seconds) > 1:
        print(f"ratio {args.levels[-1]} / {args.levels[0]} levels: {seconds[-1] / seconds[0]:.2f}")


if __name__ == "__main__":
    main()
