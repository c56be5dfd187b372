"""A daily run at the scale of a whole help centre, beside urlwatch on the same pages.

    python bench/run_daily.py --pages 2000 --changed 0.02 [--json] [--no-urlwatch] [--no-publish]
                            [--keep DIR] [--load] [--history 30]

Serves a synthetic help centre (bench/corpus.py) on one fixed loopback port, then:

1. first run: policywatch crawls every page (politeness delays off: they are a policy,
   not a cost), records, indexes and publishes; urlwatch (2.29, installed into its own
   virtualenv under bench/out/) runs its first check with and without CSS selection;
2. the server switches to the next state, where ``--changed`` of the pages really changed
   (and every page's noise changed, as it does on every request);
3. incremental run: the same, interleaved.

It prints, per stage (crawl, extract+diff, index, publish), wall time, CPU time and peak
memory, the store's growth, and for the incremental run both tools' wall times, their
ratio and how many changes each reported against the real number. ``--json`` adds, beside
those: ``first_run_s`` (crawl + record + index + publish of the first run, wall),
``urlwatch_first_s`` (urlwatch with CSS selection, first run), ``peak_rss_mb`` (the highest of
every policywatch stage of both runs) and ``publish_s`` (the incremental publish, wall).

``--load``: a competing CPU load for the whole benchmark, both tools alike: one busy loop per
core, in child processes that stop by themselves after an hour and are ended with the run.

``--history N``: after the incremental run, N - 1 more daily runs (each a new state with
``--changed`` of the pages changed), so that run N can be compared with run 2: the wall time
of each run's stages, the store's and the site's size after it (``history`` in the JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import REMOVE, SELECT, write_corpus, write_declaration  # noqa: E402

OUT = REPO / "bench" / "out"
URLWATCH_VERSION = "2.29"


@dataclass
class Stage:
    name: str
    wall_s: float
    cpu_s: float  # this process + children that finished during the stage
    peak_rss_mb: float  # highest resident set size seen so far (this process or a child)


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets this process's peak RSS (VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb(children_before: int) -> float:
    """Peak RSS of this process since the last reset, or of a child that ended meanwhile
    (children's ru_maxrss is the largest ever; it counts only if it grew in the stage)."""
    status = Path("/proc/self/status").read_text()
    hwm = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(hwm, kids if kids > children_before else 0) / 1024


def measure(name: str, fn):
    _reset_peak()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu0 = _cpu()
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    return Stage(name, round(wall, 3), round(_cpu() - cpu0, 3), round(_peak_mb(kids0), 1)), result


def progress(label: str, stages) -> None:
    """A line on stderr as each run ends: a long benchmark shows where it is."""
    parts = ", ".join(f"{s.name} {s.wall_s:.1f} s ({s.cpu_s:.1f} s CPU, {s.peak_rss_mb:.0f} MB)" for s in stages)
    print(f"[{time.strftime('%H:%M:%S')}] {label}: {parts}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("store.sqlite*"))


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def _spin(deadline: float) -> None:
    while time.time() < deadline:  # bounded: never outlives the benchmark by more than this
        pass


class BusyLoad:
    """One busy loop per core in child processes, for the length of a ``with`` block."""

    def __init__(self, cores: int | None = None, most_s: float = 3600.0):
        import multiprocessing

        self.cores = cores or os.cpu_count() or 2
        self.most_s = most_s
        self.context = multiprocessing.get_context("spawn")
        self.children: list = []

    def __enter__(self) -> BusyLoad:
        deadline = time.time() + self.most_s
        self.children = [self.context.Process(target=_spin, args=(deadline,), daemon=True) for _ in range(self.cores)]
        for child in self.children:
            child.start()
        return self

    def __exit__(self, *exc) -> None:
        for child in self.children:  # our own children, by their handles
            child.terminate()
        for child in self.children:
            child.join()


# -- policywatch ---------------------------------------------------------------


def policywatch_run_fresh(home: Path, sources_dir: Path, publish: bool) -> tuple[list[Stage], dict]:
    """One daily run in its own process, as `policywatch crawl` would run: its memory and
    CPU figures are this run's alone, not the benchmark's."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_worker, args=(str(home), str(sources_dir), publish, queue))
    worker.start()
    stages, facts = queue.get()
    worker.join()
    return [Stage(**s) for s in stages], facts


def _worker(home: str, sources_dir: str, publish: bool, queue) -> None:
    from kb.sources import load_sources

    stages, facts = policywatch_run(Path(home), load_sources(Path(sources_dir)), publish)
    queue.put(([asdict(s) for s in stages], facts))


def policywatch_run(home: Path, sources, publish: bool) -> tuple[list[Stage], dict]:
    from crawler.plan import plan_from_store
    from crawler.run import FAST_SETTINGS, run_spider
    from kb import pipeline
    from kb.record import RecordReport, process_pending
    from kb.record.work import RecordPool
    from kb.search import INDEX_DIR
    from kb.store import Store
    from kb.timeutil import utc_now

    stages = []
    before = store_bytes(home)
    report = RecordReport()
    recording_cpu = [0.0]

    def record():  # as kb.pipeline.crawl does: record while the child fetches, in its workers
        t = time.process_time()
        process_pending(store, sources, report, workers=workers)
        recording_cpu[0] += time.process_time() - t

    def record_and_close():  # the workers' CPU time is counted once they have ended
        record()
        workers.close()

    with Store(home) as store, RecordPool() as workers:
        plan = plan_from_store(store, sources, utc_now())
        settings = {"POLICYWATCH_HOME": str(home), **FAST_SETTINGS}
        stage, _ = measure("crawl", lambda: run_spider(plan, settings, while_running=record))
        stage.cpu_s = round(stage.cpu_s - recording_cpu[0], 3)  # recording is reported below
        stages.append(stage)
        overlapped = recording_cpu[0]
        stage, _ = measure("extract+diff", record_and_close)
        stage.cpu_s = round(stage.cpu_s + overlapped, 3)  # includes what ran during the crawl
        stages.append(stage)
        stage, sync = measure("index", lambda: pipeline.update_index(home, store))
        stages.append(stage)
    site = None
    if publish:
        stage, site = measure("publish", lambda: pipeline.publish(home))
        stages.append(stage)
    facts = {
        "new_documents": len(report.first_versions),
        "changes": len(report.new_versions),
        "failed": len(report.failed),
        "index_updated": sync.updated,
        "store_growth_bytes": store_bytes(home) - before,
        "extract_cpu_during_crawl_s": round(overlapped, 3),
        "publish_files_written": site.pages_written if site else None,
        "publish_pages_built": site.pages_built if site else None,
        "publish_pages_total": site.pages_total if site else None,
        "store_bytes": store_bytes(home),
        "index_bytes": tree_bytes(home / INDEX_DIR),
        "site_bytes": tree_bytes(home / "site"),
    }
    return stages, facts


# -- urlwatch ------------------------------------------------------------------


def urlwatch_bin() -> Path:
    venv = OUT / f"urlwatch-{URLWATCH_VERSION}-venv"
    exe = venv / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", f"urlwatch=={URLWATCH_VERSION}"], check=True)
    return exe


def urlwatch_setup(folder: Path, base_url: str, paths: list[str], with_css: bool) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for path in paths:
        filters = []
        if with_css:
            filters.append({"css": {"selector": ", ".join(SELECT), "exclude": ", ".join(REMOVE)}})
        filters.append("html2text")
        jobs.append({"name": path, "url": base_url + path, "filter": filters})
    import yaml

    (folder / "urls.yaml").write_text("---\n".join(yaml.safe_dump(j, sort_keys=False) for j in jobs))
    (folder / "urlwatch.yaml").write_text(
        yaml.safe_dump(
            {
                "display": {"new": True, "error": True, "unchanged": False},
                "report": {
                    "text": {"details": False, "footer": False, "line_length": 200, "minimal": True},
                    "stdout": {"enabled": True, "color": False},
                    "html": {"diff": "unified"},
                    "markdown": {"details": False, "footer": False, "minimal": True},
                },
            }
        )
    )
    (folder / "hooks.py").write_text("")
    return [
        str(urlwatch_bin()),
        "--urls",
        str(folder / "urls.yaml"),
        "--config",
        str(folder / "urlwatch.yaml"),
        "--hooks",
        str(folder / "hooks.py"),
        "--cache",
        str(folder / "cache.db"),
    ]


def urlwatch_run(name: str, command: list[str]) -> tuple[Stage, dict]:
    def run():
        return subprocess.run(command, capture_output=True, text=True, timeout=1800)

    stage, result = measure(name, run)
    out = result.stdout
    facts = {
        "changed": len(re.findall(r"^CHANGED: ", out, re.M)),
        "new": len(re.findall(r"^NEW: ", out, re.M)),
        "errors": len(re.findall(r"^ERROR: ", out, re.M)),
        "exit": result.returncode,
    }
    return stage, facts


def per_page_costs(server, sources, changed: list[str], paths: list[str], sample: int = 20) -> dict:
    """What the recorder spends on one page: an unchanged one (body hash, or fingerprint of
    the selected subtrees) beside a changed one (fingerprint miss, extraction, diff, classify)."""
    from urllib.request import urlopen

    from diffs import compare
    from diffs.extract import extract, fingerprint

    rules = sources.documents[0].rules
    changed = changed[:sample]
    unchanged = [p for p in paths if p not in set(changed)][:sample]
    fetch = lambda path: urlopen(server.base_url + path).read()  # noqa: E731
    server.set_state("s1")
    old_texts = {p: extract(fetch(p), rules).markdown for p in changed}
    server.set_state("s2")
    bodies = {p: fetch(p) for p in changed + unchanged}

    def per_page(fn, pages) -> float:
        t = time.perf_counter()
        for p in pages:
            fn(p)
        return round((time.perf_counter() - t) / len(pages) * 1000, 3)

    return {
        "unchanged_body_hash": per_page(lambda p: hashlib.sha256(bodies[p]).hexdigest(), unchanged),
        "unchanged_fingerprint": per_page(lambda p: fingerprint(bodies[p], rules), unchanged),
        "changed_extract_diff_classify": per_page(
            lambda p: (fingerprint(bodies[p], rules), compare(old_texts[p], extract(bodies[p], rules).markdown)),
            changed,
        ),
    }


# -- the benchmark -------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-urlwatch", action="store_true")
    parser.add_argument("--no-publish", action="store_true")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work in DIR and keep it (corpus, home, urlwatch caches) for profiling"
    )
    parser.add_argument("--load", action="store_true", help="a busy loop on every core for the whole benchmark")
    parser.add_argument("--history", type=int, default=0, metavar="N", help="N daily runs in all (N >= 2)")
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    load = BusyLoad() if args.load else contextlib.nullcontext()
    with load:
        return bench(args)


def bench(args) -> int:

    from kb.demo.server import DemoServer
    from kb.sources import load_sources

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="pw-bench-"))
    try:
        corpus = work / "corpus"
        changed_by_state = write_corpus(corpus, args.pages, args.changed, states=max(2, args.history))
        real_changes = len(changed_by_state["s2"])
        port = free_port()
        results: dict = {
            "pages": args.pages,
            "changed_fraction": args.changed,
            "real_changes": real_changes,
            "load": bool(args.load),
        }
        with DemoServer(corpus_dir=corpus, port=port) as server:
            paths = list(server.corpus.pages[0])
            sources_dir = write_declaration(work / "sources", server.base_url, paths).parent
            sources = load_sources(sources_dir)
            home = work / "home"
            uw_css = urlwatch_setup(work / "uw-css", server.base_url, paths, True) if not args.no_urlwatch else None
            uw_raw = urlwatch_setup(work / "uw-raw", server.base_url, paths, False) if not args.no_urlwatch else None
            for run, state in (("first", "s1"), ("incremental", "s2")):
                server.set_state(state)
                stages, facts = policywatch_run_fresh(home, sources_dir, publish=not args.no_publish)
                progress(f"{run} run, policywatch", stages)
                entry = {"policywatch": {"stages": [asdict(s) for s in stages], **facts}}
                if uw_css:
                    stage, uw = urlwatch_run("urlwatch (css + html2text)", uw_css)
                    entry["urlwatch_css"] = {"stage": asdict(stage), **uw}
                    progress(f"{run} run", [stage])
                    stage, uw = urlwatch_run("urlwatch (html2text only)", uw_raw)
                    entry["urlwatch_raw"] = {"stage": asdict(stage), **uw}
                    progress(f"{run} run", [stage])
                results[run] = entry
            if args.history:
                results["history"] = [history_row(2, results["incremental"]["policywatch"])]
                for number in range(3, args.history + 1):
                    server.set_state(f"s{number}")
                    stages, facts = policywatch_run_fresh(home, sources_dir, publish=not args.no_publish)
                    progress(f"run {number}", stages)
                    results["history"].append(history_row(number, {"stages": [asdict(s) for s in stages], **facts}))
            results["per_page_ms"] = per_page_costs(server, sources, changed_by_state["s2"], paths)
        inc = results["incremental"]
        pw_core = sum(s["wall_s"] for s in inc["policywatch"]["stages"] if s["name"] != "publish")
        results["policywatch_s"] = round(pw_core, 3)
        first = results["first"]
        results["first_run_s"] = round(sum(s["wall_s"] for s in first["policywatch"]["stages"]), 3)
        if "urlwatch_css" in first:
            results["urlwatch_first_s"] = first["urlwatch_css"]["stage"]["wall_s"]
        results["peak_rss_mb"] = max(
            s["peak_rss_mb"] for run in ("first", "incremental") for s in results[run]["policywatch"]["stages"]
        )
        publish_stage = [s for s in inc["policywatch"]["stages"] if s["name"] == "publish"]
        results["publish_s"] = publish_stage[0]["wall_s"] if publish_stage else None
        results["policywatch_changes"] = inc["policywatch"]["changes"]
        if "urlwatch_css" in inc:
            results["urlwatch_s"] = inc["urlwatch_css"]["stage"]["wall_s"]
            results["urlwatch_changes"] = inc["urlwatch_css"]["changed"]
            results["urlwatch_raw_changes"] = inc["urlwatch_raw"]["changed"]
            results["ratio"] = round(pw_core / results["urlwatch_s"], 3)
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            print_table(results)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def history_row(number: int, run: dict) -> dict:
    walls = {s["name"]: s["wall_s"] for s in run["stages"]}
    return {
        "run": number,
        "stages_wall_s": walls,
        "crawl_record_index_s": round(sum(w for name, w in walls.items() if name != "publish"), 3),
        "cpu_s": round(sum(s["cpu_s"] for s in run["stages"]), 3),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in run["stages"]),
        "changes": run["changes"],
        "store_bytes": run["store_bytes"],
        "index_bytes": run.get("index_bytes", 0),
        "site_bytes": run["site_bytes"],
    }


def print_table(results: dict) -> None:
    print(
        f"{results['pages']} pages, {results['changed_fraction']:.0%} changed "
        f"({results['real_changes']} real changes)\n"
    )
    print(f"{'run':<12} {'stage':<28} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for run in ("first", "incremental"):
        entry = results[run]
        for s in entry["policywatch"]["stages"]:
            print(
                f"{run:<12} {'policywatch ' + s['name']:<28} {s['wall_s']:>8.2f} {s['cpu_s']:>8.2f} {s['peak_rss_mb']:>8.0f}"
            )
        for key in ("urlwatch_css", "urlwatch_raw"):
            if key in entry:
                s = entry[key]["stage"]
                print(f"{run:<12} {s['name']:<28} {s['wall_s']:>8.2f} {s['cpu_s']:>8.2f} {s['peak_rss_mb']:>8.0f}")
        pw = entry["policywatch"]
        print(
            f"{'':<12} policywatch: {pw['changes']} changes, {pw['new_documents']} new, "
            f"{pw['failed']} failed, index +{pw['index_updated']}, store +{pw['store_growth_bytes'] / 1e6:.2f} MB"
        )
        print(
            f"{'':<12} sizes after the run: store {pw['store_bytes'] / 1e6:.1f} MB, "
            f"index {pw.get('index_bytes', 0) / 1e6:.1f} MB, site {pw['site_bytes'] / 1e6:.1f} MB"
        )
        if pw.get("publish_pages_built") is not None:
            print(
                f"{'':<12} publish: {pw['publish_files_written']} source files rewritten, "
                f"{pw['publish_pages_built']} of {pw['publish_pages_total']} pages built"
            )
        for key in ("urlwatch_css", "urlwatch_raw"):
            if key in entry:
                u = entry[key]
                print(f"{'':<12} {key}: {u['changed']} changed, {u['new']} new, {u['errors']} errors")
    costs = results.get("per_page_ms")
    if costs:
        print(
            f"\nper page: unchanged {costs['unchanged_body_hash']:.3f} ms (same bytes) or "
            f"{costs['unchanged_fingerprint']:.3f} ms (fingerprint of the selection); changed "
            f"{costs['changed_extract_diff_classify']:.1f} ms (extract, diff, classify)"
        )
    print(
        f"\nfirst run (crawl+record+index+publish) {results['first_run_s']:.1f} s"
        + (f", urlwatch css first run {results['urlwatch_first_s']:.1f} s" if "urlwatch_first_s" in results else "")
        + f"; peak RSS {results['peak_rss_mb']:.0f} MB; incremental publish "
        + (f"{results['publish_s']:.1f} s" if results["publish_s"] is not None else "skipped")
        + ("; under a busy loop on every core" if results["load"] else "")
    )
    if results.get("history"):
        print(
            f"\n{'run':>4} {'crawl+rec+idx s':>16} {'publish s':>10} {'cpu s':>8} {'peak MB':>8} {'store MB':>9} "
            f"{'index MB':>9} {'site MB':>8}"
        )
        for row in results["history"]:
            publish = row["stages_wall_s"].get("publish")
            print(
                f"{row['run']:>4} {row['crawl_record_index_s']:>16.2f} "
                f"{publish if publish is not None else float('nan'):>10.2f} {row['cpu_s']:>8.2f} "
                f"{row['peak_rss_mb']:>8.0f} {row['store_bytes'] / 1e6:>9.1f} {row['index_bytes'] / 1e6:>9.1f} "
                f"{row['site_bytes'] / 1e6:>8.1f}"
            )
    if "ratio" in results:
        print(
            f"\nincremental crawl+extract+diff+index: policywatch {results['policywatch_s']:.2f} s, "
            f"urlwatch (css) {results['urlwatch_s']:.2f} s, ratio {results['ratio']:.2f}; changes reported: "
            f"policywatch {results['policywatch_changes']}, urlwatch css {results['urlwatch_changes']}, "
            f"urlwatch raw {results['urlwatch_raw_changes']}, real {results['real_changes']}"
        )


if __name__ == "__main__":
    sys.exit(main())
