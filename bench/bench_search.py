"""Search at the scale of a large history, beside SQLite FTS5 on the same data.

    python bench/bench_search.py [--units 50000] [--changed-docs 40] [--queries 200] [--json]

Builds a synthetic store (documents of ten sections, each new version rewriting two of
them, so every index unit is one section-sized version of a section), then:

1. rebuilds the Whoosh index from the store (``kb.search.rebuild``, as ``policywatch index
   --rebuild`` does) and loads the very same units into an FTS5 table (porter stemming,
   bm25 with the same field weights, title 3 > section 2 > body 1);
2. runs 1-term, 3-term and phrase queries drawn from current section texts through
   ``kb.search.search`` (parse, scope filter, ranking, highlighted snippets: what the CLI
   does after opening the index) and the equivalent FTS5 statements (``snippet()``), and
   prints median and 95th-percentile latency, for the default scope (current text) and,
   for Whoosh, ``--as-of`` and ``--history``;
3. records a new version of ``--changed-docs`` documents in the store and times the
   incremental update the crawl runs (``kb.pipeline.update_index``: read the timelines
   from the store, rewrite what moved), beside the same row changes in FTS5.

Targets: p95 under 50 ms for each query kind, incremental update under 2 s. The figures
depend on the machine: compare with the FTS5 column of the same run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kb import search as index
from kb.models import Reason
from kb.pipeline import update_index
from kb.record.history import timelines
from kb.store import Store

SECTIONS = 10  # per document: the title section and nine ## sections
REWRITTEN = 2  # sections each new version rewrites
VERSIONS = 6  # per document: 10 + 2 x 5 = 20 units
UNITS_PER_DOC = SECTIONS + REWRITTEN * (VERSIONS - 1)
TARGET_P95_MS = 50.0
TARGET_UPDATE_S = 2.0
# The commonest words of the synthetic text: English function words, then marketplace words.
COMMON = tuple(
    """
    the of and to a in you your for is that or be on with are we as by this not any an
    may must if from it at will our have can all order orders seller sellers buyer
    buyers account product products item items shipping payment fee fees policy days
    rate time return refund listing listings marketplace service services within under
    more than such other these those who which when where how use used
""".split()
)


# -- synthetic corpus -------------------------------------------------------------------


class Words:
    """A Zipf-distributed vocabulary: common English words first, then invented ones."""

    def __init__(self, rng: random.Random, size: int = 20000):
        invented = set()
        syllables = [
            "ka",
            "lo",
            "mer",
            "tin",
            "sa",
            "ve",
            "dor",
            "qui",
            "pel",
            "ran",
            "su",
            "tho",
            "gar",
            "ne",
            "bi",
            "lux",
            "fen",
            "or",
            "ta",
            "wim",
            "cre",
            "dal",
            "po",
            "zen",
        ]
        while len(invented) < size - len(COMMON):
            invented.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
        self.words = list(COMMON) + sorted(invented)
        rng.shuffle(self.words[len(COMMON) :])
        self.rank = {w: i for i, w in enumerate(self.words)}
        weights = [1.0 / (i + 2.7) for i in range(len(self.words))]
        total = 0.0
        self.cumulative = []
        for w in weights:
            total += w
            self.cumulative.append(total)
        self.rng = rng

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def paragraph(self) -> str:
        sentences = []
        for _ in range(self.rng.randint(3, 9)):
            sentence = self.text(self.rng.randint(8, 26))
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        return " ".join(sentences)


@dataclass
class SynthDoc:
    doc_id: str
    title: str
    marketplace: str
    doc_type: str
    headings: list[str]
    bodies: list[str]
    gone: bool = False

    def markdown(self) -> str:
        parts = [f"# {self.title}\n\n{self.bodies[0]}\n"]
        parts += [f"## {h}\n\n{b}\n" for h, b in zip(self.headings[1:], self.bodies[1:], strict=False)]
        return "\n".join(parts)


def iso(week: int, doc: int = 0) -> str:
    """A weekly crawl; the documents of one crawl are captured over a few days."""
    moment = datetime(2025, 1, 6, 6, tzinfo=UTC) + timedelta(weeks=week, days=doc % 3)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_store(home: Path, units: int, seed: int = 7) -> tuple[list[SynthDoc], Words]:
    rng = random.Random(seed)
    words = Words(rng)
    count = max(1, units // UNITS_PER_DOC)
    docs = []
    with Store(home) as store, store.transaction():
        for d in range(count):
            title = words.text(rng.randint(2, 5)).capitalize()
            doc = SynthDoc(
                doc_id=f"synth-{d % 8}/doc-{d:05d}",
                title=title,
                marketplace=f"synth-{d % 8}",
                doc_type=("agreement", "help", "fees", "metrics", "prohibited", "ip")[d % 6],
                headings=[title] + [words.text(rng.randint(2, 5)).capitalize() for _ in range(SECTIONS - 1)],
                bodies=[words.paragraph() for _ in range(SECTIONS)],
            )
            store.ensure_document(
                doc.doc_id,
                title=title,
                url=f"https://synth.example/{d}",
                marketplace=doc.marketplace,
                doc_type=doc.doc_type,
                origin="declared",
                seen_at=iso(0),
            )
            weeks = sorted(rng.sample(range(44), VERSIONS))
            previous = None
            for n, week in enumerate(weeks):
                if n:
                    for i in rng.sample(range(SECTIONS), REWRITTEN):
                        doc.bodies[i] = words.paragraph()
                previous = record_version(store, doc, iso(week, d), previous, rng)
            if d % 100 == 99:  # one document in a hundred is removed
                doc.gone = True
                store.add_check(
                    doc_id=doc.doc_id,
                    url=f"https://synth.example/{d}",
                    checked_at=iso(46, d),
                    http_status=404,
                    snapshot_id=None,
                    outcome="gone",
                    reason="HTTP 404",
                )
            docs.append(doc)
    return docs, words


def record_version(store: Store, doc: SynthDoc, at: str, previous: int | None, rng: random.Random) -> int:
    text = doc.markdown()
    url = f"https://synth.example/{doc.doc_id.rsplit('-', 1)[-1]}"
    snapshot_id, _ = store.add_snapshot(
        doc_id=doc.doc_id, url=url, fetched_at=at, http_status=200, headers={}, body=text.encode()
    )
    store.add_check(
        doc_id=doc.doc_id,
        url=url,
        checked_at=at,
        http_status=200,
        snapshot_id=snapshot_id,
        outcome="new-version" if previous else "first-version",
    )
    version_id = store.add_version(
        doc_id=doc.doc_id, snapshot_id=snapshot_id, captured_at=at, title=doc.title, text=text
    )
    if previous is not None:
        label = rng.choice(("substantive", "minor", "noise"))
        store.add_change(
            doc_id=doc.doc_id,
            from_version_id=previous,
            to_version_id=version_id,
            detected_at=at,
            label=label,
            summary=f"{label} rewrite of two sections",
            reasons=[Reason("synthetic", "two sections rewritten")],
            silent=None,
            ops=(),
            sections=(),
        )
    return version_id


# -- queries -------------------------------------------------------------------------------


def make_queries(current_bodies: list[str], words: Words, count: int, rng: random.Random) -> dict:
    """Content words (not the 30 commonest), taken from current section texts, so every
    query has hits; phrases are runs of 2-4 consecutive words starting and ending on one."""

    def content(w: str) -> bool:
        return words.rank.get(w, 0) >= 30

    tokens = [[w.strip(".").lower() for w in body.split()] for body in current_bodies]
    one, three, phrase = [], [], []
    while len(one) < count or len(three) < count or len(phrase) < count:
        toks = rng.choice(tokens)
        good = [w for w in toks if content(w)]
        if len(set(good)) < 3:
            continue
        if len(one) < count:
            one.append(rng.choice(good))
        if len(three) < count:
            three.append(" ".join(rng.sample(sorted(set(good)), 3)))
        if len(phrase) < count:
            size = rng.randint(2, 4)
            starts = [i for i in range(len(toks) - size) if content(toks[i]) and content(toks[i + size - 1])]
            if starts:
                i = rng.choice(starts)
                phrase.append('"' + " ".join(toks[i : i + size]) + '"')
    return {"1-term": one, "3-term": three, "phrase": phrase}


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
    return {"median_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def time_whoosh(opened: index.SearchIndex, queries: list[str], **scope) -> tuple[dict, float]:
    samples, hits = [], 0
    for q in queries:
        started = time.perf_counter()
        found = opened.search(q, limit=10, **scope)
        samples.append(time.perf_counter() - started)
        hits += len(found)
        assert all(h.snippet for h in found)
    return percentiles(samples), hits / len(queries)


def time_one_shot(home: Path, queries: list[str]) -> dict:
    """``kb.search.search``: opens the index for each query, as one CLI command does."""
    samples = []
    for q in queries:
        started = time.perf_counter()
        index.search(home, q, limit=10)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


# -- FTS5 baseline ---------------------------------------------------------------------------

FTS_SQL = (
    "SELECT doc_id, section, snippet(units, 2, '**', '**', ' … ', 24), bm25(units, 3.0, 2.0, 1.0) AS s "
    "FROM units WHERE units MATCH ? AND current = 1 ORDER BY s LIMIT 10"
)


_ROWIDS = itertools.count(1)
FTS_INSERT = (
    "INSERT INTO units (rowid, title, section, body, key, doc_id, current, valid_from, valid_to) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def fts_build(db: sqlite3.Connection, all_units: list[index.Unit], rowids: dict[str, int]) -> float:
    """The same units in one FTS5 table; ``rowids`` maps each unit's key to its row, as the
    manifest maps keys for Whoosh, so updates delete by rowid."""
    db.execute(
        "CREATE VIRTUAL TABLE units USING fts5(title, section, body, key UNINDEXED, "
        "doc_id UNINDEXED, current UNINDEXED, valid_from UNINDEXED, valid_to UNINDEXED, "
        "tokenize='porter unicode61')"
    )
    started = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(FTS_INSERT, (_row(u, rowids) for u in all_units))
    db.execute("COMMIT")
    return time.perf_counter() - started


def _row(u: index.Unit, rowids: dict[str, int]) -> tuple:
    rowids[u.key] = rowid = next(_ROWIDS)
    return (rowid, u.title, u.section, u.body, u.key, u.doc_id, int(u.current), u.valid_from, u.valid_to)


def time_fts(db: sqlite3.Connection, queries: list[str]) -> tuple[dict, float]:
    samples, hits = [], 0
    for q in queries:
        started = time.perf_counter()
        rows = db.execute(FTS_SQL, (q,)).fetchall()
        samples.append(time.perf_counter() - started)
        hits += len(rows)
    return percentiles(samples), hits / len(queries)


# -- run ----------------------------------------------------------------------------------------


def run(units: int, changed_docs: int, queries: int, workdir: Path) -> dict:
    home = workdir / "home"
    report: dict = {"units_requested": units}

    started = time.perf_counter()
    docs, words = build_store(home, units)
    report["store_seconds"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    with Store(home) as store:
        lines = timelines(store)
    report["timelines_seconds"] = round(time.perf_counter() - started, 2)
    started, cpu = time.perf_counter(), time.process_time()
    built = index.rebuild(home, lines)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    report["units"] = built.total
    report["whoosh_index"] = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "units_per_s": round(built.total / seconds),
    }

    all_units = [u for line in lines for u in index.units(line)]
    db = sqlite3.connect(workdir / "fts.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    cpu = time.process_time()
    rowids: dict[str, int] = {}
    fts_seconds = fts_build(db, all_units, rowids)
    report["fts5_index"] = {
        "seconds": round(fts_seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "units_per_s": round(len(all_units) / fts_seconds),
    }

    rng = random.Random(11)
    current = [u.body for u in all_units if u.current]
    kinds = make_queries(current, words, queries, rng)
    as_of = lines[len(lines) // 2].versions[len(lines[0].versions) // 2].valid_from
    report["one_shot_1_term"] = time_one_shot(home, kinds["1-term"][: max(5, queries // 4)])
    opened = index.SearchIndex(home)
    started = time.perf_counter()
    opened.search("warm", limit=1)
    opened.search("warm", limit=1, as_of=as_of)
    report["first_query_seconds"] = round(time.perf_counter() - started, 3)  # filters computed once
    report["queries"] = {}
    for kind, qs in kinds.items():
        whoosh, whoosh_hits = time_whoosh(opened, qs)
        as_of_t, _ = time_whoosh(opened, qs, as_of=as_of)
        history_t, _ = time_whoosh(opened, qs, history=True)
        fts, fts_hits = time_fts(db, qs)
        report["queries"][kind] = {
            "whoosh": whoosh,
            "whoosh_as_of": as_of_t,
            "whoosh_history": history_t,
            "fts5": fts,
            "hits_per_query": {"whoosh": round(whoosh_hits, 1), "fts5": round(fts_hits, 1)},
            "p95_ratio_vs_fts5": round(whoosh["p95_ms"] / max(fts["p95_ms"], 0.001), 1),
        }

    opened.close()
    # Incremental: a new version of some documents, as one crawl would record it.
    later = iso(47)
    changed = [d for d in docs if not d.gone][:changed_docs]
    with Store(home) as store, store.transaction():
        for doc in changed:
            last = store.latest_version(doc.doc_id)
            for i in rng.sample(range(SECTIONS), REWRITTEN):
                doc.bodies[i] = words.paragraph()
            record_version(store, doc, later, last.id, rng)
    with Store(home) as store:
        started = time.perf_counter()
        sync = update_index(home, store)
        update_seconds = time.perf_counter() - started
        started = time.perf_counter()
        fresh_lines = {line.document.doc_id: line for line in timelines(store)}
        timelines_seconds = time.perf_counter() - started
    before = {u.key for u in all_units if u.doc_id in {d.doc_id for d in changed}}
    after = [u for d in changed for u in index.units(fresh_lines[d.doc_id])]
    started = time.perf_counter()
    db.execute("BEGIN")
    db.executemany("DELETE FROM units WHERE rowid = ?", ((rowids.pop(k),) for k in before - {u.key for u in after}))
    db.executemany(FTS_INSERT, (_row(u, rowids) for u in after if u.key not in before))
    db.execute("COMMIT")
    fts_update = time.perf_counter() - started
    report["incremental"] = {
        "documents": len(changed),
        "units_written": sync.added,
        "units_deleted": sync.deleted,
        "whoosh_update_index_seconds": round(update_seconds, 3),
        "of_which_reading_timelines_seconds": round(timelines_seconds, 3),
        "fts5_same_rows_seconds": round(fts_update, 3),
    }
    # The update is visible: the new text of a changed section is found, current only.
    probe = after[-1] if after[-1].changed else next(u for u in after if u.changed and u.current)
    phrase = '"' + " ".join(probe.body.split()[:6]).replace(".", " ") + '"'
    hits = index.search(home, phrase, doc=probe.doc_id, limit=3)
    assert hits and hits[0].valid_from == later, (phrase, hits)
    db.close()
    return report


def print_report(r: dict) -> None:
    print(
        f"units: {r['units']} section-sized versions ({UNITS_PER_DOC} per document: {SECTIONS} sections, "
        f"{VERSIONS} versions, {REWRITTEN} sections rewritten each time)"
    )
    print(f"synthetic store written in {r['store_seconds']} s; timelines read in {r['timelines_seconds']} s")
    w, f = r["whoosh_index"], r["fts5_index"]
    print(
        f"indexing:  Whoosh {w['units_per_s']} units/s ({w['seconds']} s, {w['cpu_seconds']} s CPU)   "
        f"FTS5 {f['units_per_s']} units/s ({f['seconds']} s, {f['cpu_seconds']} s CPU)   "
        f"ratio {f['units_per_s'] / w['units_per_s']:.0f}x"
    )
    o = r["one_shot_1_term"]
    print(
        f"\nopen index and search once (kb.search.search, as one CLI command): median {o['median_ms']} ms, "
        f"p95 {o['p95_ms']} ms; an open SearchIndex's first query (scope filters built) "
        f"{r['first_query_seconds'] * 1000:.0f} ms; then, warm:"
    )
    print(
        f"{'query (10 hits, highlighted)':<30}{'median ms':>10}{'p95 ms':>9}   {'FTS5 med':>8}{'FTS5 p95':>9}"
        f"{'ratio':>7}   {'as-of p95':>9}{'history p95':>12}  target p95 < {TARGET_P95_MS:.0f} ms"
    )
    for kind, q in r["queries"].items():
        w, f = q["whoosh"], q["fts5"]
        ok = (
            "ok"
            if max(w["p95_ms"], q["whoosh_as_of"]["p95_ms"], q["whoosh_history"]["p95_ms"]) < TARGET_P95_MS
            else "MISSED"
        )
        print(
            f"{kind + ' (current text)':<30}{w['median_ms']:>10.1f}{w['p95_ms']:>9.1f}   {f['median_ms']:>8.2f}"
            f"{f['p95_ms']:>9.2f}{q['p95_ratio_vs_fts5']:>6.0f}x   {q['whoosh_as_of']['p95_ms']:>9.1f}"
            f"{q['whoosh_history']['p95_ms']:>12.1f}  {ok}   (hits/query {q['hits_per_query']['whoosh']} vs "
            f"{q['hits_per_query']['fts5']})"
        )
    i = r["incremental"]
    ok = "ok" if i["whoosh_update_index_seconds"] < TARGET_UPDATE_S else "MISSED"
    print(
        f"\nincremental update after {i['documents']} changed documents: {i['whoosh_update_index_seconds']} s "
        f"(reading timelines {i['of_which_reading_timelines_seconds']} s; {i['units_written']} units written, "
        f"{i['units_deleted']} deleted)   FTS5 same rows {i['fts5_same_rows_seconds']} s   "
        f"target < {TARGET_UPDATE_S:.0f} s: {ok}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=50_000, help="index units to build (default 50000)")
    parser.add_argument("--changed-docs", type=int, default=40, help="documents changed for the incremental update")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="pw-bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args.units, args.changed_docs, args.queries, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
