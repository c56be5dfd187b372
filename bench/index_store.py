"""The search index from a store: a rebuild, then an incremental sync, with their wall time,
CPU time and peak RSS, for the code of one or more trees in the same run.

    python bench/index_store.py --docs 2000 [--changed 200] [--tree DIR ...] [--rebuild-with DIR] [--json]

Builds a store of ``--docs`` documents of ``bench/corpus.py`` (about 24 KB of rules each, in
sections, as ``bench/index_bulk.py`` makes them), one version each. Then, for each ``--tree``
(default: this one), on its own copy of that store, each step in a fresh process whose
``PYTHONPATH`` is the tree (so its peak RSS and CPU are its own):

1. ``rebuild``: ``kb.pipeline.reindex(home, rebuild=True)``, the index from nothing, as a
   first run writes it;
2. ``--changed`` documents get a second version (one section's text edited), as a crawl
   records them;
3. ``sync``: ``kb.pipeline.update_index``, what a daily run does after recording.

Then the hits of a few queries (keys and scores) are compared between the trees.

``--rebuild-with DIR``: the rebuild runs once, with that tree, and every ``--tree`` syncs a
copy of its index (the index format being the same): how the trees' syncs compare where a
rebuild by each would take too long.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

T1, T2 = "2026-01-05T06:00:00Z", "2026-01-06T06:00:00Z"

# Runs in the child, with the tree's kb first on the path: one step, then its figures.
STEP = r"""
import json, resource, sys, time
from pathlib import Path
step, home = sys.argv[1], Path(sys.argv[2])
from kb import pipeline
from kb.store import Store
def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
Path("/proc/self/clear_refs").write_text("5")
cpu0, t0 = cpu(), time.perf_counter()
if step == "rebuild":
    report = pipeline.reindex(home, rebuild=True)
else:
    with Store(home) as store:
        report = pipeline.update_index(home, store)
wall, used = time.perf_counter() - t0, cpu() - cpu0
hwm = int(next(l.split()[1] for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM")))
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(used, 2), "peak_rss_mb": round(max(hwm, kids) / 1024, 1),
                  "updated": report.updated, "added": report.added, "deleted": report.deleted, "total": report.total}))
"""

HITS = r"""
import json, sys
from kb.search import SearchIndex
with SearchIndex(sys.argv[1]) as ix:
    print(json.dumps([[(h.doc_id, h.section_id, h.score) for h in ix.search(q, limit=50, snippets=False)]
                      for q in json.loads(sys.argv[2])]))
"""
QUERIES = ["confirm shipment", '"within 24 hours"', "refund buyer", '"keep the account in good standing"', "polic*"]


def build_store(home: Path, docs: int) -> None:
    sys.path.insert(0, str(REPO))
    from bench.corpus import _body
    from bench.index_bulk import markdown
    from kb.store import Store

    rng = random.Random(7)
    home.mkdir(parents=True)
    with Store(home) as store, store.transaction():
        for i in range(docs):
            doc_id, url = f"bench/rule-{i:05d}", f"http://127.0.0.1/help/rule-{i:05d}"
            store.ensure_document(
                doc_id, title=f"Seller rule {i}", url=url, marketplace="bench", doc_type="policy",
                origin="declared", seen_at=T1,
            )  # fmt: skip
            _version(store, doc_id, url, T1, markdown(_body(rng, i, 24_000)), "first-version")


def _version(store, doc_id: str, url: str, at: str, text: str, outcome: str) -> None:
    snapshot_id, _ = store.add_snapshot(
        doc_id=doc_id, url=url, fetched_at=at, http_status=200, headers={}, body=text.encode()
    )
    store.add_check(doc_id=doc_id, url=url, checked_at=at, http_status=200, snapshot_id=snapshot_id, outcome=outcome)
    store.add_version(doc_id=doc_id, snapshot_id=snapshot_id, captured_at=at, title=doc_id, text=text)


def change_some(home: Path, docs: int, changed: int, tree: Path) -> None:
    """A second version of every (docs / changed)-th document: one paragraph reworded."""
    code = r"""
import sys
from pathlib import Path
from kb.store import Store
sys.path.insert(0, sys.argv[4])
from bench.index_store import _version
home, docs, changed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
with Store(home) as store, store.transaction():
    for i in range(0, docs, max(1, docs // changed)):
        doc_id = f"bench/rule-{i:05d}"
        text = store.latest_version(doc_id).text
        head, sep, tail = text.partition("\n\n")
        _version(store, doc_id, f"http://127.0.0.1/help/rule-{i:05d}", "2026-01-06T06:00:00Z",
                 head + sep + "Sellers must now confirm each order within 12 hours. " + tail, "new-version")
"""
    subprocess.run(
        [sys.executable, "-c", code, str(home), str(docs), str(changed), str(REPO)], check=True, env=_env(tree)
    )


def _env(tree: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(tree), "NO_MKDOCS_2_WARNING": "1"}


def step(tree: Path, name: str, home: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, name, str(home)], check=True, capture_output=True, text=True, env=_env(tree)
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def hits(tree: Path, home: Path) -> list:
    out = subprocess.run(
        [sys.executable, "-c", HITS, str(home), json.dumps(QUERIES)],
        check=True,
        capture_output=True,
        text=True,
        env=_env(tree),
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--changed", type=int, default=0, help="documents changed before the sync (default 2 %%)")
    parser.add_argument("--tree", type=Path, action="append", help="a policywatch tree (default: this one)")
    parser.add_argument("--rebuild-with", type=Path, metavar="DIR", help="rebuild once with this tree")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    trees = [t.resolve() for t in args.tree or [REPO]]
    changed = args.changed or max(1, args.docs // 50)
    work = Path(tempfile.mkdtemp(prefix="pw-index-store-"))
    results: dict[str, dict] = {}
    answers: dict[str, list] = {}
    try:
        build_store(work / "store", args.docs)
        shared = None
        if args.rebuild_with:
            shared = step(args.rebuild_with.resolve(), "rebuild", work / "store")
        for n, tree in enumerate(trees):
            home = work / f"home-{n}"
            shutil.copytree(work / "store", home)
            rebuild = shared if shared is not None else step(tree, "rebuild", home)
            change_some(home, args.docs, changed, trees[-1])
            sync = step(tree, "sync", home)
            answers[str(tree)] = hits(tree, home)
            results[str(tree)] = {"rebuild": rebuild, "sync": sync}
            shutil.rmtree(home)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = str(trees[0])
    same = {tree: answers[tree] == answers[first] for tree in results}
    if args.json:
        shared_by = str(args.rebuild_with) if args.rebuild_with else None
        print(
            json.dumps(
                {"docs": args.docs, "changed": changed, "rebuilt_by": shared_by, "trees": results, "same_hits": same},
                indent=2,
            )
        )
        return 0
    print(f"{args.docs} documents, {changed} changed before the sync; load {os.getloadavg()[0]:.1f}")
    print(f"{'tree':<28} {'step':<8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'units':>8}  same hits")
    for tree, figures in results.items():
        for name, f in figures.items():
            print(
                f"{tree[-28:]:<28} {name:<8} {f['wall_s']:>8.2f} {f['cpu_s']:>8.2f} {f['peak_rss_mb']:>8.0f} "
                f"{f['total']:>8}  {same[tree]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
