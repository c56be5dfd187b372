"""The publish stage's parent side at scale: ``write_sources`` for N documents like those of
``run_daily.py``, a first publish and an incremental one, beside the code before in the same run.

    python bench/publish_scale.py --docs 2000,10000 [--changed 0.02] [--before DIR] [--build]
                                  [--keep DIR] [--json]

For each size, builds a store of N documents as a first crawl of ``bench/corpus.py``'s help
centre leaves it (one marketplace, one version each: the corpus's pages, about 24 KB of text
with some 180 quantified rules each, converted to Markdown here rather than extracted, which
would take longer than what is measured), then, for each tree (``--before DIR``: a checkout of
other code, e.g. ``git archive 89504a0 | tar -x -C DIR``; then this tree), in a fresh process
with ``PYTHONPATH`` set to the tree, as ``policywatch publish`` runs:

1. a first publish: ``write_sources`` into an empty ``site-src``;
2. a crawl one day later in which ``--changed`` of the documents changed (a threshold, a
   deadline and an added sentence, as the corpus's next state has it; diffed by ``diffs``),
   every other document checked unchanged;
3. an incremental publish of the same ``site-src``.

It prints each publish's wall time, CPU time (its own, and its children's: Pagefind's binary, the
rules' worker processes), the process's peak RSS and that of its children
(Pagefind's binary), the files written and left unchanged, and (``--build``) the time of
``build_site`` (MkDocs, in its own child) after it. Both trees' ``site-src`` must hold the same
bytes: it says whether they do.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO))  # after PYTHONPATH: the kb measured may be another tree's
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

FIRST = "2026-01-05T06:00:00Z"
NEXT = "2026-01-06T06:00:00Z"


def markdown(title: str, body: str) -> str:
    """The corpus's article HTML as the extraction writes it: headings, paragraphs, lists."""
    out = [f"# {title}", "", "Last updated: 5 January 2026", ""]
    for block in re.findall(r"<h2>.*?</h2>|<p>.*?</p>|<ul>.*?</ul>", body, flags=re.S):
        if block.startswith("<h2>"):
            out += [f"## {block[4:-5]}", ""]
        elif block.startswith("<p>"):
            out += [block[3:-4], ""]
        else:
            out += [f"- {item}" for item in re.findall(r"<li>(.*?)</li>", block)] + [""]
    return "\n".join(out)


def make_store(home: Path, docs: int, seed: int = 7) -> dict[str, str]:
    """A first crawl's store; returns each document's page HTML (for the next state)."""
    from bench.corpus import _body
    from kb.store import Store

    rng = random.Random(seed)
    bodies = {}
    with Store(home) as store, store.transaction():
        for n in range(docs):
            doc_id, title, url = f"bench/rule-{n:05d}", f"Seller rule {n}", f"http://127.0.0.1/help/rule-{n:05d}"
            body = _body(rng, n, 24_000)
            bodies[doc_id] = body
            store.ensure_document(
                doc_id, title=title, url=url, marketplace="bench", doc_type="help", origin="declared", seen_at=FIRST
            )
            snapshot, _ = store.add_snapshot(
                doc_id=doc_id, url=url, fetched_at=FIRST, http_status=200, headers={}, body=body.encode()
            )
            store.add_check(
                doc_id=doc_id,
                url=url,
                checked_at=FIRST,
                http_status=200,
                snapshot_id=snapshot,
                outcome="first-version",
            )
            store.add_version(
                doc_id=doc_id, snapshot_id=snapshot, captured_at=FIRST, title=title, text=markdown(title, body)
            )
    return bodies


def crawl(home: Path, bodies: dict[str, str], changed: float, seed: int = 7) -> int:
    """The next day's crawl: ``changed`` of the documents edited as the corpus edits them."""
    from bench.corpus import _edit
    from diffs.diff import diff_texts
    from kb.models import Reason
    from kb.store import Store

    rng = random.Random(seed + 1)
    chosen = set(rng.sample(sorted(bodies), max(1, round(len(bodies) * changed))))
    with Store(home) as store, store.transaction():
        for doc_id in sorted(bodies):
            url = f"http://127.0.0.1/help/{doc_id.split('/')[1]}"
            if doc_id not in chosen:
                store.add_check(
                    doc_id=doc_id, url=url, checked_at=NEXT, http_status=200, snapshot_id=None, outcome="unchanged"
                )
                continue
            before = store.latest_version(doc_id)
            body = _edit(bodies[doc_id], rng, 2)
            text = markdown(before.title, body)
            snapshot, _ = store.add_snapshot(
                doc_id=doc_id, url=url, fetched_at=NEXT, http_status=200, headers={}, body=body.encode()
            )
            store.add_check(
                doc_id=doc_id, url=url, checked_at=NEXT, http_status=200, snapshot_id=snapshot, outcome="new-version"
            )
            version = store.add_version(
                doc_id=doc_id, snapshot_id=snapshot, captured_at=NEXT, title=before.title, text=text
            )
            summary = "Late shipment rate target lowered; a deadline shortened; an obligation added"
            store.add_change(
                doc_id=doc_id,
                from_version_id=before.id,
                to_version_id=version,
                detected_at=NEXT,
                label="substantive",
                summary=summary,
                reasons=[Reason("number", summary)],
                silent=True,
                ops=diff_texts(before.text, text),
                sections=(),
            )
    return len(chosen)


# ----------------------------------------------------------------------------- one publish, in a child


def child(home: Path, build: bool) -> dict:
    """What ``kb.pipeline.publish`` does before MkDocs, with the tree on ``PYTHONPATH``."""
    import inspect

    from kb.publish import build_site, write_sources
    from kb.store import Store

    wall, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
    with Store(home) as store:
        if "texts" in inspect.signature(store.publish_input).parameters:  # reads texts when it needs them
            with store.reading():
                written, unchanged = write_sources(store.publish_input(texts=False), home / "site-src")
        else:
            written, unchanged = write_sources(store.publish_input(), home / "site-src")
    out = {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "children_cpu_s": round(_children_cpu() - kids, 2),  # Pagefind, the rules' workers
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "written": written,
        "unchanged": unchanged,
    }
    if build:
        started = time.perf_counter()
        build_site(home / "site-src", home / "site")
        out["build_s"] = round(time.perf_counter() - started, 2)
    return out


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def publish_in(tree: Path, home: Path, build: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    args = [sys.executable, __file__, "--child", str(home)] + (["--build"] if build else [])
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"publish with {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_tree(a: Path, b: Path) -> bool:
    left = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and not p.name.startswith(".policywatch")}
    right = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and not p.name.startswith(".policywatch")}
    return left == right and all(filecmp.cmp(a / p, b / p, shallow=False) for p in left)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="2000", help="comma-separated numbers of documents (default: 2000)")
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--before", type=Path, help="a tree of the code before, measured first")
    parser.add_argument("--build", action="store_true", help="also run build_site (MkDocs) after each publish")
    parser.add_argument("--keep", type=Path, help="work here and keep the homes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.build)))
        return 0
    trees = ([("before", args.before.resolve())] if args.before else []) + [("after", REPO)]
    work = args.keep or Path(tempfile.mkdtemp(prefix="pw-publish-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for docs in [int(n) for n in args.docs.split(",")]:
            base = work / f"store-{docs}"
            shutil.rmtree(base, ignore_errors=True)
            started = time.perf_counter()
            bodies = make_store(base, docs)
            made = time.perf_counter() - started
            homes = {}
            for name, tree in trees:
                home = work / f"{name}-{docs}"
                shutil.rmtree(home, ignore_errors=True)
                shutil.copytree(base, home)
                homes[name] = home
                first = publish_in(tree, home, args.build)
                changed = crawl(home, bodies, args.changed)
                incremental = publish_in(tree, home, args.build)
                results.append(
                    {"docs": docs, "code": name, "changed": changed, "first": first, "incremental": incremental}
                )
                if not args.json:
                    print(f"{docs:>6} documents (store made in {made:.0f} s), {name}:", flush=True)
                    for label, run in (("first", first), (f"incremental, {changed} changed", incremental)):
                        build = f", build_site {run['build_s']:.1f} s" if "build_s" in run else ""
                        print(
                            f"    {label:<28} wall {run['wall_s']:7.1f} s  cpu {run['cpu_s']:7.1f} s "
                            f"+ children {run.get('children_cpu_s', 0):.1f} s  "
                            f"peak RSS {run['peak_rss_mb']:5d} MB (children {run['children_peak_rss_mb']} MB)  "
                            f"{run['written']} written, {run['unchanged']} unchanged{build}",
                            flush=True,
                        )
            if len(homes) == 2:
                same = same_tree(homes["before"] / "site-src", homes["after"] / "site-src")
                results.append({"docs": docs, "same_sources": same})
                if not args.json:
                    print(f"    site-src of both trees the same, byte for byte: {same}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
