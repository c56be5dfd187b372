"""Recording a backlog serially and in worker processes: times, ratio, identical stores.

    python bench/record_parallel.py 500 [--workers 2] [--keep DIR]

Crawls N pages of ``bench/corpus.py`` once without recording (a first run's backlog: N pending
first captures; with ``--keep DIR`` the crawled home is kept in DIR and reused by the next
call), then records a copy of it serially (``RecordPool(0)``) and another with ``--workers``
worker processes (``kb.record.work.RecordPool``), alternately, twice each. It prints each
recording's wall time and CPU time (this process and its ended children: the workers), the
serial/parallel wall ratio, and checks that both stores hold the same checks and versions.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import write_corpus, write_declaration  # noqa: E402
from bench.run_daily import free_port  # noqa: E402


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def crawled(work: Path, pages: int):
    """A home holding N pending first captures, and its sources."""
    from crawler.plan import plan_from_store
    from crawler.run import FAST_SETTINGS, run_spider
    from kb.demo.server import DemoServer
    from kb.sources import load_sources
    from kb.store import Store
    from kb.timeutil import utc_now

    home = work / "home"
    if not (work / "corpus").exists():
        write_corpus(work / "corpus", pages, 0.02, states=1)
    with DemoServer(corpus_dir=work / "corpus", port=free_port()) as server:
        paths = list(server.corpus.pages[0])
        sources = load_sources(write_declaration(work / "sources", server.base_url, paths).parent)
        if not (home / Store.FILE).exists():
            with Store(home) as store:
                plan = plan_from_store(store, sources, utc_now())
                run_spider(plan, {"POLICYWATCH_HOME": str(home), **FAST_SETTINGS})
    return home, sources


def record(saved: Path, into: Path, sources, workers: int) -> tuple[float, float, list, list]:
    from kb.record import process_pending
    from kb.record.work import RecordPool
    from kb.store import Store

    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(saved, into)
    t, c = time.perf_counter(), cpu()
    with Store(into) as store:
        pending = len(store.pending_checks())
        with RecordPool(workers) as pool:
            report = process_pending(store, sources, workers=pool)
        wall, used = time.perf_counter() - t, cpu() - c
        assert len(report.first_versions) == pending, (len(report.first_versions), pending, report.failed[:3])
        return wall, used, store.checks(), store.versions()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", type=int)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pw-record-parallel-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        saved, sources = crawled(work, args.pages)
        times: dict[int, list[tuple[float, float]]] = {0: [], args.workers: []}
        stores = {}
        for workers in (0, args.workers, 0, args.workers):
            wall, used, checks, versions = record(saved, work / f"record-{workers}", sources, workers)
            times[workers].append((wall, used))
            stores.setdefault(workers, (checks, versions))
            print(f"workers={workers}: {args.pages} first captures, wall {wall:.2f} s, cpu {used:.2f} s", flush=True)
        identical = stores[0] == stores[args.workers]
        serial = min(w for w, _ in times[0])
        parallel = min(w for w, _ in times[args.workers])
        print(
            f"serial {serial:.2f} s, {args.workers} workers {parallel:.2f} s (best of 2 each): "
            f"ratio {serial / parallel:.2f}; stored checks and versions identical: {identical}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        if not identical:
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
