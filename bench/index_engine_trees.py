"""``engine.create`` alone on the units of ``bench/index_bulk.py``, with the ``kb`` of a given
tree: run it once per tree, interleaved, to compare two trees' writers on the same units.

    python bench/index_engine_trees.py PAGES TREE

Prints the units, the CPU of the common-word count and of ``engine.create``, and the peak RSS.
"""

from __future__ import annotations

import dataclasses
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    pages, tree = int(sys.argv[1]), str(Path(sys.argv[2]).resolve())
    sys.path.insert(0, str(REPO))  # this bench's helpers
    sys.path.insert(0, tree)  # the tree's kb first
    import kb

    assert kb.__file__.startswith(tree), kb.__file__
    from bench.index_bulk import make_units
    from kb.search import COMMON_SAMPLE, common_words, engine

    units = [dataclasses.replace(u, in_force_from=u.valid_from) for u in make_units(pages)]
    sample = units[:: max(1, len(units) // COMMON_SAMPLE)]
    started = time.process_time()
    common = common_words(u.body for u in sample)
    counted = time.process_time() - started
    folder = Path(tempfile.mkdtemp())
    started = time.process_time()
    engine.create(folder, units, common)
    created = time.process_time() - started
    shutil.rmtree(folder)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{tree} units {len(units)} common_words cpu {counted:.2f} create cpu {created:.2f} peak {peak} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
