"""A first run's index in bulk: Whoosh's writer options, measured against the current code in
the same run, with the search results checked identical.

    python bench/index_bulk.py [--pages 300] [--repeat 1] [--variants base,procs2,...] [--json]

The units are those of the first run of ``run_daily.py``: ``--pages`` pages of ``bench/corpus.py``
(about 24 KB of rules each, in sections), one version each, as ``kb.search.units`` makes them.
Each variant writes a new index of all of them (``kb.search.engine.create`` with its options)
in a fresh child process, so that its wall time, CPU time (its own and its children's) and peak
RSS are its own. Then the same queries run on every index and their hits (keys, in order, and
scores) are compared with the first variant's.

Variants (``engine.create``'s keyword arguments):

- ``base``: what the code did before this benchmark: one writer, ``limitmb=256``, then
  ``commit(optimize=True)``, and the body analyzed twice, once for ``body`` and once for
  ``body_pairs`` (``replay: False`` turns off ``engine._ReplayBody``'s use of the body's tokens);
- ``procs2``: Whoosh's multiprocessing writer, 2 processes (``procs=2``), merged into one segment;
- ``procs2-multi``: the same, each process's segment kept (``multisegment=True``), no merge;
- ``lim64`` / ``lim128`` / ``lim512``: one writer with a smaller or a larger pool;
- ``nooptimize``: one writer, ``commit()`` without ``optimize`` (one writer makes one segment anyway);
- ``current``: ``engine.create`` with its defaults as they are now;
- ``parts2``: ``engine.create_parts``, what a rebuild of 2,000 units or more does: the first
  and the second half of the documents written in two processes, one segment each;
- ``whoosh-analysis`` / ``parts2-whoosh-analysis``: ``current`` / ``parts2`` as before
  ``engine._analyse`` and ``engine._Runs``: the text fields analysed by their analyzers
  (Whoosh's ``SegmentWriter.add_document``), and Whoosh's posting pool, which pickles each
  posting of its runs on its own;
- ``whoosh-runs`` / ``parts2-whoosh-runs``: with ``engine._analyse`` but Whoosh's pool.

Since 12c63be every single-writer variant uses ``engine._BulkWriter`` (lengths loaded once,
zlib level 1) and ``engine._Stems``: to compare with the code before those, run
``bench/index_store.py --tree OLD --tree .``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import _body  # noqa: E402

VARIANTS = {
    "base": {"procs": 1, "limitmb": 256, "optimize": True, "replay": False},
    "procs2": {"procs": 2, "limitmb": 128},
    "procs2-multi": {"procs": 2, "limitmb": 128, "multisegment": True},
    "lim64": {"procs": 1, "limitmb": 64},
    "lim128": {"procs": 1, "limitmb": 128},
    "lim512": {"procs": 1, "limitmb": 512},
    "nooptimize": {"procs": 1, "limitmb": 256, "optimize": False},
    "current": {},
    "parts2": {"parts": 2},
    "whoosh-analysis": {"fast": False, "runs": False},
    "whoosh-runs": {"runs": False},
    "parts2-whoosh-analysis": {"parts": 2, "fast": False, "runs": False},
    "parts2-whoosh-runs": {"parts": 2, "runs": False},
}
QUERIES = [
    "confirm shipment",
    '"within 24 hours"',
    "refund buyer",
    '"keep the account in good standing"',
    "late shipment rate",
    "tracking AND carrier",
    "polic*",
    "invoices NOT stock",
    '"must not accept returns"',
    "rule set 17",
]


def markdown(html: str) -> str:
    """The corpus body as Markdown, as extraction would make it (headings, paragraphs, items)."""
    text = re.sub(r"<h2>(.*?)</h2>", r"\n## \1\n", html)
    text = re.sub(r"<li>(.*?)</li>", r"- \1\n", text)
    text = re.sub(r"</?(p|ul)>", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def make_units(pages: int) -> list:
    from kb.search.units import Unit, split_sections

    rng = random.Random(7)
    out = []
    for i in range(pages):
        text = markdown(_body(rng, i, 24_000))
        for section_id, label, body in split_sections(text):
            out.append(
                Unit(
                    doc_id=f"bench/rule-{i:05d}",
                    section_id=section_id,
                    section=label,
                    title=f"Seller rule {i}",
                    body=body,
                    url=f"http://127.0.0.1/help/rule-{i:05d}",
                    marketplace="bench",
                    doc_type="policy",
                    version_id=i + 1,
                    snapshot_sha256=f"{i:064x}",
                    valid_from="2026-01-05T06:00:00Z",
                    valid_to=None,
                    in_force_from="2026-01-05T06:00:00Z",
                    current=True,
                    changed=False,
                    label="first",
                    summary="",
                )
            )
    return out


def _child(pages: int, path: str, options: dict, queue) -> None:
    from kb.search import COMMON_SAMPLE, common_words, engine

    options = dict(options)
    if not options.pop("replay", True):  # _ReplayBody then finds nothing kept: it analyzes again
        engine._KeepTokens.__call__ = lambda self, tokens: tokens
    if not options.pop("fast", True):  # the fields' analyzers, Whoosh's chains of generators
        engine._BulkWriter.add_document = engine.SegmentWriter.add_document
    if not options.pop("runs", True):  # Whoosh's pool: a pickle of each posting in its runs
        engine._BulkWriter.pool_type = engine.PostingPool
    units = make_units(pages)
    sample = units[:: max(1, len(units) // COMMON_SAMPLE)]
    common = common_words(u.body for u in sample)
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS from here on
    me0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    parts = options.pop("parts", 1)
    if parts > 1:
        docs = sorted({u.doc_id for u in units})
        first = set(docs[: len(docs) // 2])
        halves = [[u for u in units if u.doc_id in first], [u for u in units if u.doc_id not in first]]
        engine.create_parts(Path(path), halves, common, **options)
    else:
        engine.create(Path(path), units, common, **options)
    wall = time.perf_counter() - started
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(after, f) - getattr(before, f)
        for after, before in ((me, me0), (kids, kids0))
        for f in ("ru_utime", "ru_stime")
    )
    hwm = int(
        next(ln.split()[1] for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM"))
    )
    queue.put(
        {
            "units": len(units),
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "peak_rss_mb": round(max(hwm, kids.ru_maxrss) / 1024, 1),
        }
    )


def run_variant(pages: int, path: Path, options: dict) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(pages, str(path), options, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def hits(home: Path) -> list:
    from kb.search import SearchIndex

    with SearchIndex(home) as opened:
        return [
            [(h.doc_id, h.section_id, round(h.score, 4)) for h in opened.search(q, limit=20, snippets=False)]
            for q in QUERIES
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant, interleaved")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = args.variants.split(",")
    work = Path(tempfile.mkdtemp(prefix="pw-index-bulk-"))
    results: dict[str, list[dict]] = {name: [] for name in names}
    answers: dict[str, list] = {}
    try:
        for round_no in range(args.repeat):
            for name in names:
                home = work / f"{name}-{round_no}"
                (home / "index").mkdir(parents=True)
                results[name].append(run_variant(args.pages, home / "index", VARIANTS[name]))
                if round_no == 0:
                    (home / "index" / "units.json").write_text("{}")
                    answers[name] = hits(home)
                shutil.rmtree(home)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = names[0]
    summary = {}
    for name in names:
        runs = results[name]
        wall = min(r["wall_s"] for r in runs)
        summary[name] = {
            "options": VARIANTS[name],
            "units": runs[0]["units"],
            "wall_s": wall,
            "cpu_s": min(r["cpu_s"] for r in runs),
            "cpu_runs_s": [r["cpu_s"] for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "ratio_to_" + base: round(wall / min(r["wall_s"] for r in results[base]), 3),
            "same_hits_as_" + base: answers[name] == answers[base],
        }
    if args.json:
        print(json.dumps({"pages": args.pages, "repeat": args.repeat, "variants": summary}, indent=2))
    else:
        print(
            f"{args.pages} pages, {summary[base]['units']} units, best of {args.repeat}; load {os.getloadavg()[0]:.1f}"
        )
        print(f"{'variant':<14} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'ratio':>6}  same hits  cpu s of each run")
        for name, s in summary.items():
            print(
                f"{name:<14} {s['wall_s']:>8.2f} {s['cpu_s']:>8.2f} {s['peak_rss_mb']:>8.0f} "
                f"{s['ratio_to_' + base]:>6.2f}  {s['same_hits_as_' + base]!s:<9}  {s['cpu_runs_s']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
