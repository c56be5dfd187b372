"""How a first run's index grows with the pages: ``engine.create_parts`` at several sizes, by CPU,
with each writer's time split into adding the documents and its commit, and the runs its
posting pool wrote.

    python bench/index_scale.py [--pages 1000,2000,4000] [--limitmb 128] [--whoosh] [--json]

The units are ``bench/index_bulk.py``'s (``--pages`` pages of ``bench/corpus.py``). Each size
runs in a fresh child process; its CPU is its own and its writers' (``RUSAGE_CHILDREN``), from
the call of ``create_parts`` to its return; ``common_words`` on the sample is timed apart. Each
writer (a forked child of that process) reports the CPU it spent until its commit began, in
its commit, the runs its pool wrote and the postings it held. ``--whoosh``: Whoosh's analysis
and posting pool (``engine._BulkWriter`` as before ``engine._analyse`` and ``engine._Runs``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.index_bulk import make_units  # noqa: E402


def _child(pages: int, limitmb: int, whoosh: bool, queue) -> None:
    from kb.search import COMMON_SAMPLE, common_words, engine

    if whoosh:
        engine._BulkWriter.add_document = engine.SegmentWriter.add_document
        engine._BulkWriter.pool_type = engine.PostingPool
    reports = Path(tempfile.mkstemp(prefix="pw-index-scale-")[1])
    finalize, save = engine._BulkWriter._finalize_segment, engine.PostingPool.save
    counts = {"runs": 0}  # in each writer's process: its own

    def counting_save(pool):
        if pool.current:
            counts["runs"] += 1
        save(pool)

    def timed_finalize(writer):
        started = time.process_time()
        held = len(writer.pool.current)  # postings in memory when the commit begins
        segment = finalize(writer)
        with reports.open("a") as out:  # one line per writer, from its own process
            out.write(
                json.dumps(
                    {
                        "docs": writer.docnum,
                        "add_cpu_s": round(started, 3),
                        "commit_cpu_s": round(time.process_time() - started, 3),
                        "runs": counts["runs"],
                        "held_at_commit": held,
                    }
                )
                + "\n"
            )
        return segment

    engine.PostingPool.save = counting_save
    engine._BulkWriter._finalize_segment = timed_finalize
    units = make_units(pages)
    sample = units[:: max(1, len(units) // COMMON_SAMPLE)]
    started = time.process_time()
    common = common_words(u.body for u in sample)
    common_s = time.process_time() - started
    docs = sorted({u.doc_id for u in units})
    first = set(docs[: len(docs) // 2])
    halves = [[u for u in units if u.doc_id in first], [u for u in units if u.doc_id not in first]]
    me0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pw-index-scale-") as path:
        engine.create_parts(Path(path), halves, common, limitmb=limitmb)
        wall = time.perf_counter() - wall0
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    writers = [json.loads(line) for line in reports.read_text().splitlines()]
    reports.unlink()

    def cpu(after, before):
        return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    queue.put(
        {
            "pages": pages,
            "units": len(units),
            "common_words_cpu_s": round(common_s, 3),
            "create_parts_cpu_s": round(cpu(me, me0) + cpu(kids, kids0), 3),
            "parent_cpu_s": round(cpu(me, me0), 3),
            "wall_s": round(wall, 3),
            "writers": writers,
        }
    )


def measure(pages: int, limitmb: int, whoosh: bool) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(pages, limitmb, whoosh, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="1000,2000,4000")
    parser.add_argument("--limitmb", type=int, default=128)
    parser.add_argument("--whoosh", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [measure(int(p), args.limitmb, args.whoosh) for p in args.pages.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"limitmb {args.limitmb}, {'Whoosh analysis and pool' if args.whoosh else 'current'}; load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'pages':>6} {'units':>7} {'cpu s':>8} {'per page ms':>11} {'parent s':>8} {'common s':>8}  writers: add s / commit s / runs"
    )
    for r in results:
        writers = "  ".join(f"{w['add_cpu_s']:.1f}/{w['commit_cpu_s']:.1f}/{w['runs']}" for w in r["writers"])
        print(
            f"{r['pages']:>6} {r['units']:>7} {r['create_parts_cpu_s']:>8.1f} "
            f"{1000 * r['create_parts_cpu_s'] / r['pages']:>11.1f} {r['parent_cpu_s']:>8.1f} "
            f"{r['common_words_cpu_s']:>8.2f}  {writers}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
