"""The MkDocs build of the published site at scale: a whole first build and an incremental one.

    python bench/mkdocs_scale.py [--docs 2000,10000] [--changed 0.02] [--work DIR]
                                 [--before TREE] [--compare]

For each size, a store of N documents (``bench_publish.make_store``, 2 changes each) and its
``site-src`` (``kb.publish.write_sources``) are made once in ``--work`` and reused by later runs.
Then, for each tree (``--before``: a checkout of the code before, then this one):

1. a whole build (``kb.publish.build_site`` on a copy of that ``site-src``, no previous site);
2. a crawl that changed ``--changed`` of the documents and checked all of them
   (``bench_publish.recrawl``), its sources written by this tree's ``write_sources``, and the
   incremental build of the site of step 1.

Each build runs in a fresh process with ``PYTHONPATH`` set to the tree; printed: its wall time,
and the CPU time and peak RSS of its children (the MkDocs child or children; the parent, which
only copies, links and swaps folders, is printed apart). ``--compare``: the sites the trees built
must be the same bytes, file by file (both builds). Wall times are noisy on a shared machine;
CPU and peak RSS less so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# Run in a fresh interpreter whose PYTHONPATH is the tree under test.
MEASURE = """
import json, resource, sys, time
from pathlib import Path
from kb.publish import build_site
src, site = Path(sys.argv[1]), Path(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
build_site(src, site)
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
children, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "child_cpu_s": children.ru_utime + children.ru_stime,
                  "child_peak_mb": children.ru_maxrss / 1024, "parent_cpu_s": cpu,
                  "parent_peak_mb": me.ru_maxrss / 1024}))
"""

# Make the store and its first sources; a crawl and its sources (with this tree's code).
PREPARE = """
import sys
sys.path.insert(0, sys.argv[1] + "/bench")
from pathlib import Path
from bench_publish import make_store, read
from kb.publish import write_sources
docs, home = int(sys.argv[2]), Path(sys.argv[3])
make_store(home, docs, 2, 8, 20261101)
write_sources(read(home), home / "site-src")
"""
RECRAWL = """
import sys
sys.path.insert(0, sys.argv[1] + "/bench")
from pathlib import Path
from bench_publish import read, recrawl
from kb.publish import write_sources
from kb.store import Store
home, count = Path(sys.argv[2]), int(sys.argv[3])
with Store(home) as store:
    ids = sorted(d.doc_id for d in store.publish_input().documents)
recrawl(home, ids, count, 20261101)
print(write_sources(read(home), home / "site-src")[0])
"""


def run(code: str, *args: str, tree: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([PYTHON, "-c", code, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"failed ({tree}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def bench(docs: int, changed: float, work: Path, trees: list[tuple[str, Path]], compare: bool) -> list[dict]:
    base = work / f"base-{docs}"
    if not (base / "site-src" / "mkdocs.yml").is_file():
        shutil.rmtree(base, ignore_errors=True)
        run(PREPARE, str(REPO), str(docs), str(base), tree=REPO)
    rows, sites = [], {}
    for name, tree in trees:
        home = work / f"run-{docs}-{name}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        shutil.copy2(base / "store.sqlite", home / "store.sqlite")
        shutil.copytree(base / "site-src", home / "site-src", symlinks=True)
        whole = json.loads(run(MEASURE, str(home / "site-src"), str(home / "site"), tree=tree))
        if compare:
            sites[name, "whole"] = digests(home / "site")
        rewritten = run(RECRAWL, str(REPO), str(home), str(round(docs * changed)), tree=tree)
        incremental = json.loads(run(MEASURE, str(home / "site-src"), str(home / "site"), tree=tree))
        if compare:
            sites[name, "incremental"] = digests(home / "site")
        for build, figures in (("whole", whole), ("incremental", incremental)):
            rows.append({"docs": docs, "tree": name, "build": build, **figures})
        rows[-1]["sources_rewritten"] = int(rewritten)
        shutil.rmtree(home, ignore_errors=True)
    if compare and len(trees) > 1:
        for build in ("whole", "incremental"):
            first, *others = (sites[name, build] for name, _ in trees)
            for other in others:
                differ = sorted(k for k in first.keys() | other.keys() if first.get(k) != other.get(k))
                print(
                    f"{docs} documents, {build}: {'same bytes' if not differ else f'{len(differ)} files differ, e.g. {differ[:5]}'}"
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="2000,10000", help="comma-separated numbers of documents")
    parser.add_argument("--changed", type=float, default=0.02, help="share of documents a crawl changes")
    parser.add_argument("--work", type=Path, help="where the stores and sources are made and kept")
    parser.add_argument("--before", type=Path, help="a tree of the code before (run first, same inputs)")
    parser.add_argument("--compare", action="store_true", help="the trees' sites must be the same bytes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pw-mkdocs-scale-"))
    trees = ([("before", args.before.resolve())] if args.before else []) + [("after", REPO)]
    rows = []
    for docs in (int(n) for n in args.docs.split(",")):
        for row in bench(docs, args.changed, work, trees, args.compare):
            rows.append(row)
            if not args.json:
                print(
                    f"{row['docs']:>6} docs {row['tree']:<7} {row['build']:<12} wall {row['wall_s']:7.2f} s  "
                    f"MkDocs child: CPU {row['child_cpu_s']:7.2f} s, peak {row['child_peak_mb']:6.0f} MB  "
                    f"parent: CPU {row['parent_cpu_s']:6.2f} s, peak {row['parent_peak_mb']:4.0f} MB",
                    flush=True,
                )
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
