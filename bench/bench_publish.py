"""Publishing at scale: the site and feeds of N documents with 10 changes each.

    python bench/bench_publish.py [--docs 500,1000,2000] [--changes 10] [--marketplaces 8]
                                  [--recrawl 20] [--keep DIR] [--json]

For each size, builds a synthetic store (documents of about 5 KB in 8 sections, spread over
``--marketplaces`` marketplaces, each with ``--changes`` changes over two years: a third
substantive, half minor, the rest noise), then times what ``policywatch publish`` does, step by
step:

1. ``read``: ``Store.publish_input`` (every document, version and change);
2. ``write``: ``kb.publish.write_sources`` (pages, version texts, feeds, mkdocs.yml);
3. ``mkdocs build``: ``kb.publish.build_site`` (the whole MkDocs-material build and swap);
4. a second publish with no new data (nothing may be rewritten), and one after a crawl that
   changed ``--recrawl`` documents and checked all of them (only their pages, the indexes
   and the feeds may be rewritten).

It prints the times, the built site's size by part (HTML pages, version texts, feeds, search
index, the rest), its biggest page, and the bytes each added document adds between sizes: the
site must grow linearly with the number of pages (MkDocs repeats the navigation in every page;
``kb.publish.mkdocs_config.NAV_DOCUMENTS`` and Material's ``navigation.prune`` keep it bounded). Targets:
publish + build of 2,000 documents under 120 s on a 2-core machine, linear size, nothing
rewritten by a publish without new data. Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from kb.models import Reason
from kb.publish import build_site, write_sources
from kb.store import Store

TARGET_SECONDS = 120.0
SECTIONS = 8
START = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
SPAN_DAYS = 730
WORDS = [
    "seller",
    "sellers",
    "buyer",
    "buyers",
    "order",
    "orders",
    "account",
    "listing",
    "listings",
    "product",
    "products",
    "shipment",
    "tracking",
    "refund",
    "return",
    "fee",
    "fees",
    "payment",
    "payout",
    "policy",
    "rate",
    "defect",
    "late",
    "valid",
    "cancel",
    "response",
    "time",
    "days",
    "hours",
    "within",
    "must",
    "may",
    "should",
    "not",
    "every",
    "each",
    "your",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "on",
    "with",
    "by",
    "from",
    "under",
    "above",
    "target",
    "metric",
    "review",
    "appeal",
    "suspension",
    "deactivation",
    "notice",
    "marketplace",
    "service",
    "delivery",
    "carrier",
    "invoice",
    "tax",
]
SUBJECTS = ("Sellers", "You", "Your account", "Each listing", "Every order", "The seller")
RULES = (
    "must confirm shipment within {n} days",
    "must answer buyer messages within {n} hours",
    "may be charged a fee of {n}%",
    "must keep the order defect rate under {n}%",
    "must refund the buyer within {n} days",
    "should provide valid tracking for {n}% of orders",
)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sentence(rng: random.Random) -> str:
    rule = rng.choice(RULES).format(n=rng.choice((1, 2, 3, 4, 7, 14, 24, 30, 48, 90)))
    filler = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
    return f"{rng.choice(SUBJECTS)} {rule} {filler}."


def document_text(rng: random.Random, title: str) -> str:
    parts = [f"# {title}", "", "Last updated: 1 January 2025", ""]
    for number in range(1, SECTIONS + 1):
        parts += [f"## {number}. {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}", ""]
        for _ in range(2):
            parts += [" ".join(sentence(rng) for _ in range(rng.randint(2, 4))), ""]
    return "\n".join(parts)


def edit(rng: random.Random, text: str) -> tuple[str, tuple[tuple[int, str], ...], str]:
    """Change one number of one rule: (new text, diff ops, summary)."""
    while True:
        start = rng.randrange(len(text) - 40)
        digits = next((i for i in range(start, len(text)) if text[i].isdigit()), None)
        if digits is None:
            continue
        end = digits
        while end < len(text) and text[end].isdigit():
            end += 1
        old = text[digits:end]
        new = str(int(old) + rng.randint(1, 9))
        ops = ((0, text[:digits]), (-1, old), (1, new), (0, text[end:]))
        return text[:digits] + new + text[end:], ops, f"A limit changed from {old} to {new}"


@dataclass
class Run:
    docs: int
    changes: int
    setup_s: float
    read_s: float
    write_s: float
    build_s: float
    files_written: int
    republish_write_s: float
    republish_rewritten: int
    recrawl_rewritten: int
    recrawl_expected_max: int
    site_bytes: int
    site_files: int
    parts: dict[str, int]  # bytes: HTML pages, version texts, feeds, search index, the rest
    html_pages: int
    biggest_page_bytes: int
    search_index_bytes: int

    @property
    def publish_s(self) -> float:
        return self.read_s + self.write_s

    @property
    def total_s(self) -> float:
        return self.publish_s + self.build_s


def make_store(home: Path, docs: int, changes: int, marketplaces: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    labels = ["substantive"] * 3 + ["minor"] * 5 + ["noise"] * 2
    doc_ids = []
    with Store(home) as store, store.transaction():
        for n in range(docs):
            market = f"market-{n % marketplaces}"
            doc_id = f"{market}/policy-{n:05d}"
            doc_ids.append(doc_id)
            title = f"Policy {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
            url = f"https://{market}.example/help/policy-{n:05d}"
            days = sorted(rng.sample(range(SPAN_DAYS), changes + 1))
            store.ensure_document(
                doc_id,
                title=title,
                url=url,
                marketplace=market,
                doc_type="policy",
                origin="declared",
                seen_at=iso(START),
            )
            text = document_text(rng, title)
            previous = None
            for k, day in enumerate(days):
                at = iso(START + timedelta(days=day))
                ops = ()
                if k:
                    text, ops, summary = edit(rng, text)
                snapshot, _ = store.add_snapshot(
                    doc_id=doc_id, url=url, fetched_at=at, http_status=200, headers={}, body=text.encode()
                )
                store.add_check(
                    doc_id=doc_id,
                    url=url,
                    checked_at=at,
                    http_status=200,
                    snapshot_id=snapshot,
                    outcome="new-version" if k else "first-version",
                )
                version = store.add_version(doc_id=doc_id, snapshot_id=snapshot, captured_at=at, title=title, text=text)
                if previous is not None:
                    label = rng.choice(labels)
                    store.add_change(
                        doc_id=doc_id,
                        from_version_id=previous,
                        to_version_id=version,
                        detected_at=at,
                        label=label,
                        summary=summary,
                        reasons=[Reason("number", summary)],
                        silent=rng.random() < 0.3,
                        ops=ops,
                        sections=(),
                    )
                previous = version
        last = iso(START + timedelta(days=SPAN_DAYS))
        for doc_id in doc_ids:  # a last crawl that found everything unchanged
            store.add_check(
                doc_id=doc_id, url="", checked_at=last, http_status=200, snapshot_id=None, outcome="unchanged"
            )
    return doc_ids


def recrawl(home: Path, doc_ids: list[str], count: int, seed: int) -> None:
    """A crawl one day later: every document checked, ``count`` of them changed."""
    rng = random.Random(seed + 1)
    at = iso(START + timedelta(days=SPAN_DAYS + 1))
    changed = set(rng.sample(doc_ids, count))
    with Store(home) as store, store.transaction():
        for doc_id in doc_ids:
            if doc_id not in changed:
                store.add_check(
                    doc_id=doc_id, url="", checked_at=at, http_status=200, snapshot_id=None, outcome="unchanged"
                )
                continue
            before = store.latest_version(doc_id)
            text, ops, summary = edit(rng, before.text)
            snapshot, _ = store.add_snapshot(
                doc_id=doc_id, url="", fetched_at=at, http_status=200, headers={}, body=text.encode()
            )
            store.add_check(
                doc_id=doc_id, url="", checked_at=at, http_status=200, snapshot_id=snapshot, outcome="new-version"
            )
            version = store.add_version(
                doc_id=doc_id, snapshot_id=snapshot, captured_at=at, title=before.title, text=text
            )
            store.add_change(
                doc_id=doc_id,
                from_version_id=before.id,
                to_version_id=version,
                detected_at=at,
                label="substantive",
                summary=summary,
                reasons=[Reason("number", summary)],
                silent=False,
                ops=ops,
                sections=(),
            )


def read(home: Path):
    with Store(home) as store:
        return store.publish_input()


def tree_size(root: Path) -> tuple[int, int, dict[str, int]]:
    files = [p for p in root.rglob("*") if p.is_file()]
    parts = dict.fromkeys(("pages", "versions", "feeds", "search", "rest"), 0)
    for path in files:
        rel = path.relative_to(root).as_posix()
        part = (
            "pages"
            if path.suffix == ".html"
            else "versions"
            if path.suffix == ".txt"
            else "feeds"
            if rel.startswith(("feed.", "feeds/"))
            else "search"
            if rel.startswith("search/")
            else "rest"
        )
        parts[part] += path.stat().st_size
    return sum(parts.values()), len(files), parts


def bench(docs: int, changes: int, marketplaces: int, recrawl_docs: int, workdir: Path, seed: int) -> Run:
    home = workdir / f"home-{docs}"
    started = time.perf_counter()
    doc_ids = make_store(home, docs, changes, marketplaces, seed)
    setup = time.perf_counter() - started

    started = time.perf_counter()
    data = read(home)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    written, _ = write_sources(data, home / "site-src")
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    build_site(home / "site-src", home / "site")
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    rewritten, _ = write_sources(read(home), home / "site-src")
    republish_s = time.perf_counter() - started

    recrawl(home, doc_ids, recrawl_docs, seed)
    after, _ = write_sources(read(home), home / "site-src")
    # Per changed document: its page, its new version's text and 3 feeds; then the indexes
    # (home, 2 changelogs and their months, its marketplace page and 3 feeds, the global and
    # substantive feeds), mkdocs.yml and last-checked.json.
    expected_max = recrawl_docs * 5 + 5 + min(recrawl_docs, marketplaces) * 4 + 6 + 2

    site = home / "site"
    size, count, parts = tree_size(site)
    pages = list(site.rglob("*.html"))
    return Run(
        docs=docs,
        changes=docs * changes,
        setup_s=setup,
        read_s=read_s,
        write_s=write_s,
        build_s=build_s,
        files_written=written,
        republish_write_s=republish_s,
        republish_rewritten=rewritten,
        recrawl_rewritten=after,
        recrawl_expected_max=expected_max,
        site_bytes=size,
        site_files=count,
        parts=parts,
        html_pages=len(pages),
        biggest_page_bytes=max(p.stat().st_size for p in pages),
        search_index_bytes=(site / "search" / "search_index.json").stat().st_size,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", default="500,1000,2000", help="comma-separated numbers of documents (default: 500,1000,2000)"
    )
    parser.add_argument("--changes", type=int, default=10, help="changes per document")
    parser.add_argument("--marketplaces", type=int, default=8)
    parser.add_argument(
        "--recrawl", type=int, default=20, help="documents changed by the crawl after the first publish"
    )
    parser.add_argument("--keep", type=Path, help="build here and keep the homes")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    sizes = [int(n) for n in args.docs.split(",")]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="pw-bench-publish-"))
    workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    try:
        for docs in sizes:
            run = bench(docs, args.changes, args.marketplaces, args.recrawl, workdir, args.seed)
            runs.append(run)
            if not args.json:
                print(f"{docs:>5} documents, {run.changes} changes (store made in {run.setup_s:.1f} s)")
                print(
                    f"      publish {run.publish_s:6.1f} s  (read {run.read_s:.1f} s, "
                    f"write {run.write_s:.1f} s: {run.files_written} files)"
                )
                print(f"      mkdocs build {run.build_s:6.1f} s   total {run.total_s:6.1f} s")
                print(
                    f"      site {run.site_bytes / 1e6:7.1f} MB in {run.site_files} files, "
                    f"{run.html_pages} pages; biggest page {run.biggest_page_bytes / 1e3:.0f} "
                    f"KB; search index {run.search_index_bytes / 1e6:.1f} MB"
                )
                print(
                    "      "
                    + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in run.parts.items())
                    + f"; {run.site_bytes / docs / 1e3:.1f} KB per document, HTML "
                    f"{run.parts['pages'] / run.html_pages / 1e3:.1f} KB per page"
                )
                print(
                    f"      publish again: {run.republish_rewritten} files rewritten in "
                    f"{run.republish_write_s:.1f} s; after a crawl changing {args.recrawl}: "
                    f"{run.recrawl_rewritten} rewritten (at most "
                    f"{run.recrawl_expected_max} expected)",
                    flush=True,
                )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    # Linear: each added document adds the same number of bytes (the theme's assets are a
    # fixed cost, so bytes per document fall a little as N grows; the slope must not rise).
    slopes = [
        {"docs": f"{a.docs}-{b.docs}", "bytes_per_added_doc": round((b.site_bytes - a.site_bytes) / (b.docs - a.docs))}
        for a, b in pairwise(runs)
    ]
    values = [s["bytes_per_added_doc"] for s in slopes]
    linear = not values or max(values) <= 1.15 * min(values)
    biggest = runs[-1]
    ok = (
        (biggest.total_s < TARGET_SECONDS or biggest.docs < 2000)
        and linear
        and all(r.republish_rewritten == 0 and r.recrawl_rewritten <= r.recrawl_expected_max for r in runs)
    )
    if args.json:
        print(
            json.dumps(
                {
                    "runs": [asdict(r) | {"publish_s": r.publish_s, "total_s": r.total_s} for r in runs],
                    "linearity": slopes,
                    "ok": ok,
                },
                indent=2,
            )
        )
    else:
        print()
        print(
            "bytes per added document: "
            + ", ".join(f"{s['docs']}: {s['bytes_per_added_doc'] / 1e3:.1f} KB" for s in slopes)
            + (" (linear)" if linear else " (NOT linear)")
        )
        print(
            f"target: publish + build of 2,000 documents under {TARGET_SECONDS:.0f} s "
            f"on 2 cores, linear size, incremental publishing: "
            f"{'met' if ok else 'NOT met'} on this run"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
