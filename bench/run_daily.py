"""A daily run at the scale of a whole help centre, beside urlwatch on the same pages.

    python bench/run_daily.py --pages 2000 --changed 0.02 [--json] [--no-urlwatch] [--no-publish]

Serves a synthetic help centre (bench/corpus.py) on one fixed loopback port, then:

1. first run: policywatch crawls every page (politeness delays off: they are a policy,
   not a cost), records, indexes and publishes; urlwatch (2.29, installed into its own
   virtualenv under bench/out/) runs its first check with and without CSS selection;
2. the server switches to the next state, where ``--changed`` of the pages really changed
   (and every page's noise changed, as it does on every request);
3. incremental run: the same, interleaved.

It prints, per stage (crawl, extract+diff, index, publish), wall time, CPU time and peak
memory, the store's growth, and for the incremental run both tools' wall times, their
ratio and how many changes each reported against the real number.
"""
from __future__ import annotations

import argparse
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


def _rusage():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return cpu, max(me.ru_maxrss, kids.ru_maxrss) / 1024


def measure(name: str, fn):
    cpu0, _ = _rusage()
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    cpu1, peak = _rusage()
    return Stage(name, round(wall, 3), round(cpu1 - cpu0, 3), round(peak, 1)), result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("store.sqlite*"))


# -- policywatch ---------------------------------------------------------------

def policywatch_run(home: Path, sources, publish: bool) -> tuple[list[Stage], dict]:
    from kb import pipeline
    from kb.recorder import process_pending
    from kb.store import Store

    stages = []
    before = store_bytes(home)
    with Store(home) as store:
        plan = pipeline._plan(store, sources, pipeline.utc_now())
    settings = {"POLICYWATCH_HOME": str(home), **pipeline.FAST_SETTINGS}
    stage, _ = measure("crawl", lambda: pipeline.run_spider(plan, settings))
    stages.append(stage)
    with Store(home) as store:
        stage, report = measure("extract+diff", lambda: process_pending(store, sources))
        stages.append(stage)
        stage, sync = measure("index", lambda: pipeline.update_index(home, store))
        stages.append(stage)
    if publish:
        stage, site = measure("publish", lambda: pipeline.publish(home))
        stages.append(stage)
    facts = {
        "new_documents": len(report.first_versions),
        "changes": len(report.new_versions),
        "failed": len(report.failed),
        "index_updated": sync.updated,
        "store_growth_bytes": store_bytes(home) - before,
    }
    return stages, facts


# -- urlwatch ------------------------------------------------------------------

def urlwatch_bin() -> Path:
    venv = OUT / f"urlwatch-{URLWATCH_VERSION}-venv"
    exe = venv / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        f"urlwatch=={URLWATCH_VERSION}"], check=True)
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
    (folder / "urlwatch.yaml").write_text(yaml.safe_dump({
        "display": {"new": True, "error": True, "unchanged": False},
        "report": {"text": {"details": False, "footer": False, "line_length": 200, "minimal": True},
                   "stdout": {"enabled": True, "color": False},
                   "html": {"diff": "unified"}, "markdown": {"details": False, "footer": False, "minimal": True}},
    }))
    (folder / "hooks.py").write_text("")
    return [str(urlwatch_bin()), "--urls", str(folder / "urls.yaml"), "--config",
            str(folder / "urlwatch.yaml"), "--hooks", str(folder / "hooks.py"),
            "--cache", str(folder / "cache.db")]


def urlwatch_run(name: str, command: list[str]) -> tuple[Stage, dict]:
    def run():
        return subprocess.run(command, capture_output=True, text=True, timeout=1800)

    stage, result = measure(name, run)
    out = result.stdout
    facts = {"changed": len(re.findall(r"^CHANGED: ", out, re.M)),
             "new": len(re.findall(r"^NEW: ", out, re.M)),
             "errors": len(re.findall(r"^ERROR: ", out, re.M)),
             "exit": result.returncode}
    return stage, facts


# -- the benchmark -------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-urlwatch", action="store_true")
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

    from kb.demo.server import DemoServer
    from kb.sources import load_sources

    work = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    try:
        corpus = work / "corpus"
        changed_by_state = write_corpus(corpus, args.pages, args.changed, states=2)
        real_changes = len(changed_by_state["s2"])
        port = free_port()
        results: dict = {"pages": args.pages, "changed_fraction": args.changed, "real_changes": real_changes}
        with DemoServer(corpus_dir=corpus, port=port) as server:
            paths = list(server.corpus.pages[0])
            sources = load_sources(write_declaration(work / "sources", server.base_url, paths).parent)
            home = work / "home"
            uw_css = urlwatch_setup(work / "uw-css", server.base_url, paths, True) if not args.no_urlwatch else None
            uw_raw = urlwatch_setup(work / "uw-raw", server.base_url, paths, False) if not args.no_urlwatch else None
            for run, state in (("first", "s1"), ("incremental", "s2")):
                server.set_state(state)
                stages, facts = policywatch_run(home, sources, publish=not args.no_publish)
                entry = {"policywatch": {"stages": [asdict(s) for s in stages], **facts}}
                if uw_css:
                    stage, uw = urlwatch_run("urlwatch (css + html2text)", uw_css)
                    entry["urlwatch_css"] = {"stage": asdict(stage), **uw}
                    stage, uw = urlwatch_run("urlwatch (html2text only)", uw_raw)
                    entry["urlwatch_raw"] = {"stage": asdict(stage), **uw}
                results[run] = entry
        inc = results["incremental"]
        pw_core = sum(s["wall_s"] for s in inc["policywatch"]["stages"] if s["name"] != "publish")
        results["policywatch_s"] = round(pw_core, 3)
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
        shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(results: dict) -> None:
    print(f"{results['pages']} pages, {results['changed_fraction']:.0%} changed "
          f"({results['real_changes']} real changes)\n")
    print(f"{'run':<12} {'stage':<28} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for run in ("first", "incremental"):
        entry = results[run]
        for s in entry["policywatch"]["stages"]:
            print(f"{run:<12} {'policywatch ' + s['name']:<28} {s['wall_s']:>8.2f} {s['cpu_s']:>8.2f} {s['peak_rss_mb']:>8.0f}")
        for key in ("urlwatch_css", "urlwatch_raw"):
            if key in entry:
                s = entry[key]["stage"]
                print(f"{run:<12} {s['name']:<28} {s['wall_s']:>8.2f} {s['cpu_s']:>8.2f} {s['peak_rss_mb']:>8.0f}")
        pw = entry["policywatch"]
        print(f"{'':<12} policywatch: {pw['changes']} changes, {pw['new_documents']} new, "
              f"{pw['failed']} failed, index +{pw['index_updated']}, store +{pw['store_growth_bytes'] / 1e6:.2f} MB")
        for key in ("urlwatch_css", "urlwatch_raw"):
            if key in entry:
                u = entry[key]
                print(f"{'':<12} {key}: {u['changed']} changed, {u['new']} new, {u['errors']} errors")
    if "ratio" in results:
        print(f"\nincremental crawl+extract+diff+index: policywatch {results['policywatch_s']:.2f} s, "
              f"urlwatch (css) {results['urlwatch_s']:.2f} s, ratio {results['ratio']:.2f}; changes reported: "
              f"policywatch {results['policywatch_changes']}, urlwatch css {results['urlwatch_changes']}, "
              f"urlwatch raw {results['urlwatch_raw_changes']}, real {results['real_changes']}")


if __name__ == "__main__":
    sys.exit(main())
