"""The MkDocs build of the published site at scale: a whole first build and an incremental one.

    python bench/mkdocs_scale.py [--docs 2000,10000] [--changed 0.02] [--work DIR]
                                 [--before TREE] [--after TREE] [--compare] [--keep]
                                 [--simulated-crawl]

For each size, a store of N documents (``bench_publish.make_store``, 2 changes each) and its
``site-src`` (``kb.publish.write_sources``) are made once in ``--work`` and reused by later runs.
Then, for each tree (``--before``: a checkout of the code before, then this one):

1. a whole build (``kb.publish.build_site`` on a copy of that ``site-src``, no previous site);
2. a crawl that changed ``--changed`` of the documents and checked all of them
   (``bench_publish.recrawl``), its sources written by this tree's ``write_sources``, and the
   incremental build of the site of step 1. ``--simulated-crawl``: instead, site-src is edited
   as such a crawl would leave it (``SIMULATE``): the MkDocs side alone, without re-rendering
   every source in the parent (minutes at 10,000 documents).

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

# Instead of RECRAWL (--simulated-crawl): what a crawl does to site-src, without the parent's
# rendering of the sources: every document's check time moves (checks.json), and ``count``
# document pages and the home page are rewritten and listed as pending, as write_sources does.
SIMULATE = """
import json, sys
from pathlib import Path
src, count = Path(sys.argv[2]), int(sys.argv[3])
pages = sorted((src / "docs" / "documents").rglob("*.md"))
changed = pages[:: max(1, len(pages) // count)][:count] + [src / "docs" / "index.md"]
checks = json.loads((src / "checks.json").read_text())
checks["as_of"] = "2027-01-02 06:00 UTC"
checks["last_checked"] = dict.fromkeys(checks["last_checked"], "2027-01-02 06:00 UTC")
(src / "checks.json").write_text(json.dumps(checks, indent=1, sort_keys=True) + "\\n")
with open(src / ".policywatch-pending", "a") as pending:
    for path in changed:
        path.write_text(path.read_text() + "\\nChanged by the simulated crawl.\\n")
        pending.write(path.relative_to(src).as_posix() + "\\n")
    pending.write("checks.json\\n")
print(len(changed) + 1)
"""


def run(code: str, *args: str, tree: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    # In the tree: `python -c` puts the working folder first on sys.path, before PYTHONPATH.
    done = subprocess.run([PYTHON, "-c", code, *args], env=env, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"failed ({tree}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def bench(
    docs: int,
    changed: float,
    work: Path,
    trees: list[tuple[str, Path]],
    *,
    compare: bool,
    keep: bool,
    simulate: bool,
    quiet: bool,
) -> list[dict]:
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
        target = home / "site-src" if simulate else home
        rewritten = run(
            SIMULATE if simulate else RECRAWL, str(REPO), str(target), str(round(docs * changed)), tree=tree
        )
        incremental = json.loads(run(MEASURE, str(home / "site-src"), str(home / "site"), tree=tree))
        if compare:
            sites[name, "incremental"] = digests(home / "site")
        for build, figures in (("whole", whole), ("incremental", incremental)):
            rows.append({"docs": docs, "tree": name, "build": build, **figures})
            if not quiet:
                show(rows[-1])
        rows[-1]["sources_rewritten"] = int(rewritten)
        if not keep:
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


def show(row: dict) -> None:
    print(
        f"{row['docs']:>6} docs {row['tree']:<9} {row['build']:<12} wall {row['wall_s']:7.2f} s  "
        f"MkDocs children: CPU {row['child_cpu_s']:7.2f} s, peak {row['child_peak_mb']:6.0f} MB  "
        f"parent: CPU {row['parent_cpu_s']:6.2f} s, peak {row['parent_peak_mb']:4.0f} MB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="2000,10000", help="comma-separated numbers of documents")
    parser.add_argument("--changed", type=float, default=0.02, help="share of documents a crawl changes")
    parser.add_argument("--work", type=Path, help="where the stores and sources are made and kept")
    parser.add_argument("--before", type=Path, help="a tree of the code before (run first, same inputs)")
    parser.add_argument("--compare", action="store_true", help="the trees' sites must be the same bytes")
    parser.add_argument("--after", type=Path, default=REPO, help="the tree of the code after (default: this one)")
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH: one more tree, run after --after")
    parser.add_argument("--keep", action="store_true", help="keep each tree's home (run-N-TREE) in --work")
    parser.add_argument(
        "--simulated-crawl", action="store_true", help="edit site-src as a crawl would (SIMULATE), not re-render it"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pw-mkdocs-scale-"))
    trees = ([("before", args.before.resolve())] if args.before else []) + [("after", args.after.resolve())]
    trees += [(name, Path(path).resolve()) for name, _, path in (t.partition("=") for t in args.tree)]
    rows = []
    for docs in (int(n) for n in args.docs.split(",")):
        options = {"compare": args.compare, "keep": args.keep, "simulate": args.simulated_crawl, "quiet": args.json}
        rows += bench(docs, args.changed, work, trees, **options)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
