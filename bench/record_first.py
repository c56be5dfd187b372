"""The CPU cost of recording a first capture: ``kb.record.process_pending`` on a first crawl.

    python bench/record_first.py --pages 300 [--repeat 3] [--before TREE] [--profile N] [--keep DIR]

Crawls ``--pages`` pages of ``bench/corpus.py`` once (loopback, nothing recorded: every check
stays pending), then records that same store again and again, each time from a fresh copy and
in a fresh child process: with this tree's code and, with ``--before TREE``, with the code of
another tree (for example ``git archive 89504a0 | tar -x -C /tmp/before``), interleaved
``--repeat`` times. It prints the child's CPU time per page for each, and checks that every
variant leaves the same store (every table's rows, as SQL sees them). ``--profile N``: one more
recording per variant under cProfile, its N costliest functions by own time and by cumulative
time. ``--keep DIR``: the crawled store is kept there and reused by the next run with the same
``--keep`` and ``--pages``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r"""
import cProfile, io, json, pstats, sys, time
from pathlib import Path
from kb.record import RecordReport, process_pending
from kb.sources import load_sources
from kb.store import Store

home, sources_dir, profile = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
sources = load_sources(sources_dir)
with Store(home) as store:
    pages = len(store.pending_checks())
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    report = process_pending(store, sources, RecordReport())
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
out = {"pages": pages, "cpu_s": cpu, "first_versions": len(report.first_versions), "failed": len(report.failed)}
if profiler:
    for key in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(key).print_stats(profile)
        out[key] = text.getvalue()
    if len(sys.argv) > 4:
        profiler.dump_stats(sys.argv[4])
print(json.dumps(out))
"""


def crawl(work: Path, pages: int) -> tuple[Path, Path]:
    """A home whose checks of a first crawl of ``pages`` pages are all pending, and its sources."""
    home, sources_dir = work / f"home-{pages}", work / f"sources-{pages}"
    if (home / "store.sqlite").exists() and sources_dir.exists():
        return home, sources_dir
    from bench.corpus import write_corpus, write_declaration
    from bench.run_daily import free_port
    from crawler.plan import plan_from_store
    from crawler.run import FAST_SETTINGS, run_spider
    from kb.demo.server import DemoServer
    from kb.sources import load_sources
    from kb.store import Store
    from kb.timeutil import utc_now

    shutil.rmtree(home, ignore_errors=True)
    write_corpus(work / "corpus", pages, 0.02, states=1)
    with DemoServer(corpus_dir=work / "corpus", port=free_port()) as server:
        paths = list(server.corpus.pages[0])
        sources = load_sources(write_declaration(sources_dir, server.base_url, paths).parent)
        with Store(home) as store:
            plan = plan_from_store(store, sources, utc_now())
            run_spider(plan, {"POLICYWATCH_HOME": str(home), **FAST_SETTINGS})
            store.checkpoint()
    return home, sources_dir


def record(tree: Path, home: Path, sources_dir: Path, scratch: Path, profile: int = 0) -> tuple[dict, str]:
    """Record a fresh copy of ``home`` with ``tree``'s code in a child; (its figures, store digest)."""
    copy = scratch / "home"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(home, copy)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    check = f"import diffs, sys; sys.exit(diffs.__file__ != {str(tree / 'diffs' / '__init__.py')!r})"
    if subprocess.run([sys.executable, "-c", check], env=env, cwd=scratch, check=False).returncode:
        raise SystemExit(f"{tree} is not the code the child imports")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(copy), str(sources_dir), str(profile)],
        env=env,
        cwd=scratch,  # not this tree: ``-c`` puts the working folder before PYTHONPATH
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the recording with {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1]), store_digest(copy / "store.sqlite")


def store_digest(path: Path) -> str:
    """sha256 of every table's rows in a fixed order: two stores with the same content agree."""
    digest = hashlib.sha256()
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        digest.update(table.encode())
        for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(repr(row).encode())
    db.close()
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a tree with the code before (PYTHONPATH)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the crawled store here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pw-record-first-"))
    work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pw-record-first-scratch-"))
    try:
        home, sources_dir = crawl(work, args.pages)
        variants = [("before", args.before)] if args.before else []
        variants.append(("after", REPO))
        best: dict[str, float] = {}
        every: dict[str, list[float]] = {}
        digests: dict[str, set[str]] = {}
        for round_no in range(args.repeat):
            for name, tree in variants:
                figures, digest = record(tree, home, sources_dir, scratch)
                digests.setdefault(name, set()).add(digest)
                per_page = 1000 * figures["cpu_s"] / max(1, figures["pages"])
                best[name] = min(best.get(name, per_page), per_page)
                every.setdefault(name, []).append(per_page)
                print(
                    f"round {round_no + 1} {name}: {figures['pages']} pages, {figures['cpu_s']:.2f} s CPU, "
                    f"{per_page:.2f} ms per page ({figures['first_versions']} first versions, "
                    f"{figures['failed']} failed)",
                    flush=True,
                )
        for name, _ in variants:
            print(f"{name}: best {best[name]:.2f}, median {statistics.median(every[name]):.2f} ms per page")
        if args.before:
            ratio = statistics.median(every["after"]) / statistics.median(every["before"])
            print(f"after / before: best {best['after'] / best['before']:.3f}, median {ratio:.3f}")
        same = len(set().union(*digests.values())) == 1
        print("same store content in every variant and round:", same, sorted(set().union(*digests.values())))
        if args.profile:
            for name, tree in variants:
                figures, _ = record(tree, home, sources_dir, scratch, profile=args.profile)
                print(f"\n=== profile {name} ({figures['cpu_s']:.2f} s CPU under cProfile)")
                print(figures["tottime"])
                print(figures["cumulative"])
        if not same:
            raise SystemExit("the variants left different stores")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
