"""Does recording during the crawl make the crawl wait? Crawl wall time with and without it.

    python bench/record_during_crawl.py 300 [--load]

The crawl child and the parent that records what it stores write the same SQLite store, one
write transaction at a time. Four crawls of N pages of ``bench/corpus.py`` (states s1..s4, 2 %
changed each): the first run and s2 record during the crawl (as ``policywatch crawl`` does),
s3 records after it, s4 during it again. It prints each crawl's wall time, with the recording,
and the CPU time of both processes. ``--load``: under a busy loop on every core
(``run_daily.BusyLoad``).
"""

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import write_corpus, write_declaration
from bench.run_daily import BusyLoad, free_port


def cpu():
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def main():
    work = Path(tempfile.mkdtemp(prefix="pw-record-during-crawl-"))
    try:
        if "--load" in sys.argv[2:]:
            with BusyLoad():
                run(work, int(sys.argv[1]))
        else:
            run(work, int(sys.argv[1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, pages: int) -> None:
    from crawler.plan import plan_from_store
    from crawler.run import FAST_SETTINGS, run_spider
    from kb.demo.server import DemoServer
    from kb.record import RecordReport, process_pending
    from kb.sources import load_sources
    from kb.store import Store
    from kb.timeutil import utc_now

    write_corpus(work / "corpus", pages, 0.02, states=4)
    with DemoServer(corpus_dir=work / "corpus", port=free_port()) as server:
        paths = list(server.corpus.pages[0])
        sources = load_sources(write_declaration(work / "sources", server.base_url, paths).parent)
        for mode, state in (("first-during", "s1"), ("during", "s2"), ("after", "s3"), ("during", "s4")):
            server.set_state(state)
            home = work / "home"
            with Store(home) as store:
                plan = plan_from_store(store, sources, utc_now())
                rec = (lambda: process_pending(store, sources, RecordReport())) if mode != "after" else None
                t = time.perf_counter()
                c = cpu()
                run_spider(plan, {"POLICYWATCH_HOME": str(home), **FAST_SETTINGS}, while_running=rec)
                crawl_wall = time.perf_counter() - t
                process_pending(store, sources, RecordReport())
                print(
                    mode,
                    state,
                    "crawl wall",
                    round(crawl_wall, 2),
                    "crawl+record wall",
                    round(time.perf_counter() - t, 2),
                    "cpu",
                    round(cpu() - c, 2),
                    "load",
                    os.getloadavg()[0],
                    flush=True,
                )


if __name__ == "__main__":
    main()
