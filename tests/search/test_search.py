"""The section index (kb/search/) through its API, on a small store: units, filters, query syntax,
ranking, incremental sync, errors, the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from kb import search as index
from kb.errors import QueryError
from kb.record.history import timeline, timelines
from kb.search import engine
from kb.store import Store
from tests.support import REPO, run_cli
from tests.support.builders import check, document, record, timelines_of

T1, T2, T3, T4 = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T12:00:00Z", "2026-04-01T00:00:00Z")
GONE = "2026-02-15T00:00:00Z"

AGREEMENT_V1 = """# Seller Agreement

These terms govern selling on Acme.

## Referral fees

The referral fee is 15% of the total sales price.

## Termination

We may terminate this agreement with 30 days notice.
"""
AGREEMENT_V2 = AGREEMENT_V1.replace("15%", "12%")
METRICS_V1 = """# Shipping performance

## Late shipment rate

You must keep your late shipment rate under 4%. Shipments confirmed late count against you.

## Valid tracking rate

Keep your valid tracking rate above 95%.
"""
METRICS_V2 = METRICS_V1.replace("under 4%", "under 3%")
RETURNS = """# Returns policy

## Return window

Buyers may return items within 30 days. Sellers must not refuse a return, and no fees are charged.
"""
FEES = """# Fees overview

## Summary

What selling costs on Acme, in one page.
"""
LEGACY = """# Legacy templates

## Migration

Legacy shipping templates stop working on 15 August.
"""


def write_corpus(home):
    with Store(home) as store, store.transaction():
        document(store, "acme/agreement", "Seller Agreement", "acme", "agreement")
        a1 = record(store, "acme/agreement", T1, AGREEMENT_V1)
        record(
            store,
            "acme/agreement",
            T2,
            AGREEMENT_V2,
            previous=a1,
            label="substantive",
            summary="referral fee 15% → 12%",
        )
        document(store, "acme/metrics", "Shipping performance", "acme", "metrics")
        m1 = record(store, "acme/metrics", T1, METRICS_V1)
        record(store, "acme/metrics", T3, METRICS_V2, previous=m1, summary="late shipment 4% → 3%")
        document(store, "zeta/returns", "Returns policy", "zeta", "help")
        record(store, "zeta/returns", "2026-01-15T00:00:00Z", RETURNS)
        document(store, "zeta/fees", "Fees overview", "zeta", "fees")
        record(store, "zeta/fees", T1, FEES)
        document(store, "acme/legacy", "Legacy templates", "acme", "help")
        record(store, "acme/legacy", T1, LEGACY)
        check(store, "acme/legacy", GONE, "gone", status=404)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("search") / "home"
    write_corpus(home)
    report = index.sync(home, timelines_of(home))
    assert report.rebuilt and report.updated == 5
    return home


def ids(hits):
    return [(h.doc_id, h.section_id) for h in hits]


def docs(hits):
    return {h.doc_id for h in hits}


# -- units ----------------------------------------------------------------------------------


def test_each_section_text_is_one_unit_with_its_interval(home):
    with Store(home) as store:
        line = timeline(store, "acme/agreement")
    units = {(u.section_id, u.valid_from): u for u in index.units(line)}
    assert sorted(units) == [
        ("seller-agreement", T1),
        ("seller-agreement/referral-fees", T1),
        ("seller-agreement/referral-fees", T2),
        ("seller-agreement/termination", T1),
    ]  # the unchanged sections are stored once, not once per version
    old, new = units[("seller-agreement/referral-fees", T1)], units[("seller-agreement/referral-fees", T2)]
    assert (old.valid_to, old.current, old.changed, old.label) == (T2, False, False, "first")
    assert (new.valid_to, new.current, new.changed, new.label) == (None, True, True, "substantive")
    assert new.section == "Seller Agreement › Referral fees" and new.summary == "referral fee 15% → 12%"
    assert new.body == "The referral fee is 12% of the total sales price."
    assert units[("seller-agreement/termination", T1)].current


def test_a_gone_documents_units_end_when_it_was_seen_gone(home):
    with Store(home) as store:
        units = index.units(timeline(store, "acme/legacy"))
    assert {(u.valid_to, u.current) for u in units} == {(GONE, False)}


# -- scopes and filters ----------------------------------------------------------------------


def test_default_scope_is_the_current_text_of_documents_not_gone(home):
    hits = index.search(home, "referral fee")
    assert ids(hits) == [("acme/agreement", "seller-agreement/referral-fees")]
    assert hits[0].current and "12%" in hits[0].snippet and hits[0].valid_to is None
    assert index.search(home, "legacy templates") == []


def test_as_of_returns_the_text_in_force_at_that_instant(home):
    before = index.search(home, "late shipment rate", as_of="2026-03-01T11:59:59Z")
    at = index.search(home, "late shipment rate", as_of=T3)
    assert [h.valid_from for h in before] == [T1] and "under 4%" in before[0].snippet
    assert [h.valid_from for h in at] == [T3] and "under 3%" in at[0].snippet
    assert index.search(home, "late shipment rate", as_of="2025-12-31") == []  # nothing captured yet
    assert docs(index.search(home, "legacy", as_of="2026-02-14T23:59:59Z")) == {"acme/legacy"}
    assert index.search(home, "legacy", as_of=GONE) == []  # gone from that instant
    unchanged = index.search(home, "valid tracking", as_of="2026-01-20")
    assert unchanged[0].valid_from == T1 and unchanged[0].valid_to is None  # one unit for both versions


def test_history_returns_every_version_of_a_section(home):
    hits = index.search(home, "late shipment rate", history=True)
    assert sorted((h.valid_from, h.valid_to) for h in hits) == [(T1, T3), (T3, None)]
    assert docs(index.search(home, "legacy", history=True)) == {"acme/legacy"}


def test_changed_returns_only_text_a_change_introduced(home):
    hits = index.search(home, "rate OR fee", changed=True)
    assert sorted(ids(hits)) == [
        ("acme/agreement", "seller-agreement/referral-fees"),
        ("acme/metrics", "shipping-performance/late-shipment-rate"),
    ]
    assert all(h.changed and h.change_class == "substantive" for h in hits)
    window = index.search(home, "rate OR fee", changed=True, since="2026-01-15", until="2026-02-01")
    assert ids(window) == [("acme/agreement", "seller-agreement/referral-fees")]  # bare until: whole day
    assert index.search(home, "rate OR fee", changed=True, as_of="2026-02-15") == window


def test_since_and_until_bound_the_date_the_text_took_effect(home):
    assert docs(index.search(home, "rate OR fee OR return", since="2026-01-10")) == {
        "acme/agreement",
        "acme/metrics",
        "zeta/returns",
    }
    assert docs(index.search(home, "rate OR fee OR return", since="2026-02-02")) == {"acme/metrics"}
    assert docs(index.search(home, "rate OR fee OR return", until="2026-01-14")) == {
        "acme/metrics",
        "zeta/fees",
    }  # current text unchanged since T1
    assert index.search(home, "return", since="2026-01-15T00:00:00Z")  # inclusive start
    assert not index.search(home, "return", until="2026-01-15T00:00:00Z")  # exclusive end


def test_source_doc_and_type_filters(home):
    query = "fee OR fees OR rate OR return"
    assert docs(index.search(home, query, source="zeta")) == {"zeta/returns", "zeta/fees"}
    assert docs(index.search(home, query, doc="acme/metrics")) == {"acme/metrics"}
    assert docs(index.search(home, query, doc_type="agreement")) == {"acme/agreement"}
    assert docs(index.search(home, query, source="acme", doc_type="help")) == set()
    assert docs(index.search(home, "legacy", doc_type="help", history=True)) == {"acme/legacy"}


# -- query language --------------------------------------------------------------------------


def test_phrase_queries_keep_every_word(home):
    assert docs(index.search(home, '"must not refuse"')) == {"zeta/returns"}
    assert index.search(home, '"must refuse"') == []  # no stop list: "not" is never dropped
    assert index.search(home, '"late shipment rate under 4"') == []
    assert index.search(home, '"late shipment rate under 4"', history=True)


def test_phrases_of_common_words_use_adjacent_pairs_and_stay_exact(tmp_path):
    bodies = {
        "split": "The late shipment is bad. Then the shipment rate is high.",  # both pairs, apart
        "exact": "Keep the late shipment rate low.",
        "again": "A late shipment rate above 4% is too high.",
        "words": "Rate the shipment: late?",  # all the words, in another order
    }
    common = index.common_words(bodies.values())
    assert {"late", "shipment", "rate", "the", "is", "high"} <= common and "keep" not in common
    with Store(tmp_path) as store, store.transaction():
        for name, body in bodies.items():
            document(store, f"t/{name}", name, "t", "help")
            record(store, f"t/{name}", T1, f"# {name}\n\n{body}\n")
    index.rebuild(tmp_path, timelines_of(tmp_path))
    with index.SearchIndex(tmp_path) as opened:
        assert opened._common == common  # chosen at build time, kept in the index
    rewritten = engine._pair_phrase(engine.Phrase("body", ["late", "shipment", "rate"]), common)
    assert rewritten == engine.Phrase("body_pairs", ["late shipment", "shipment rate"])
    assert engine._pair_phrase(engine.Phrase("body", ["keep", "the"]), common).fieldname == "body"
    assert docs(index.search(tmp_path, '"late shipment rate"')) == {"t/exact", "t/again"}
    assert docs(index.search(tmp_path, '"shipment rate is high"')) == {"t/split"}
    assert docs(index.search(tmp_path, '"keep the late shipment"')) == {"t/exact"}  # no pair for "keep"
    assert "**late** **shipment** **rate**" in index.search(tmp_path, '"late shipment rate"')[0].snippet


def test_title_and_heading_words_match_but_no_phrase_crosses_into_the_text(home):
    assert ids(index.search(home, "overview")) == [("zeta/fees", "fees-overview/summary")]  # title only
    assert ids(index.search(home, "window")) == [("zeta/returns", "returns-policy/return-window")]
    assert index.search(home, '"return window buyers"') == []  # heading, then text: no phrase
    assert index.search(home, '"termination we may terminate"') == []
    assert docs(index.search(home, '"policy return window"')) == {"zeta/returns"}  # the heading path
    assert ids(index.search(home, '"return window"')) == [("zeta/returns", "returns-policy/return-window")]


def test_boolean_operators_and_field_queries(home):
    assert docs(index.search(home, "fees AND NOT referral")) == {"zeta/returns", "zeta/fees"}
    assert docs(index.search(home, "termination OR tracking")) == {"acme/agreement", "acme/metrics"}
    assert docs(index.search(home, "title:fees")) == {"zeta/fees"}
    assert docs(index.search(home, "section:termination")) == {"acme/agreement"}
    assert docs(index.search(home, "source:zeta type:help")) == {"zeta/returns"}
    assert docs(index.search(home, "doc:acme/metrics tracking")) == {"acme/metrics"}
    assert sorted(ids(index.search(home, "class:substantive", history=True))) == [
        ("acme/agreement", "seller-agreement/referral-fees"),
        ("acme/metrics", "shipping-performance/late-shipment-rate"),
    ]


def test_prefix_fuzzy_and_stemming(home):
    assert docs(index.search(home, "terminat*")) == {"acme/agreement"}
    assert docs(index.search(home, "shipmant~")) == {"acme/metrics"}  # one edit by default
    assert index.search(home, "shipmnet~") == []  # a transposition is two edits
    assert docs(index.search(home, "shipmnet~2")) == {"acme/metrics"}
    assert docs(index.search(home, "policy*")) == {"zeta/returns"}  # in the title "Returns policy"
    assert "**Shipments**" in index.search(home, "shipment")[0].snippet  # stemmed: shipment = shipments
    assert docs(index.search(home, "selling")) == {"acme/agreement", "zeta/fees"}  # sell, selling


def test_title_weighs_more_than_headings_and_headings_more_than_body(home):
    hits = index.search(home, "fees")
    assert ids(hits) == [
        ("zeta/fees", "fees-overview/summary"),  # in the title
        ("acme/agreement", "seller-agreement/referral-fees"),  # in a heading (and body)
        ("zeta/returns", "returns-policy/return-window"),
    ]  # only in the body
    assert hits[0].score > hits[1].score > hits[2].score


def test_hit_fields_and_json(home):
    [hit] = index.search(home, "terminate")
    data = hit.as_json()
    assert {
        "doc_id",
        "title",
        "url",
        "snippet",
        "score",
        "section",
        "section_id",
        "marketplace",
        "valid_from",
        "valid_to",
        "captured_at",
        "snapshot_sha256",
        "change_class",
    } <= set(data)
    assert data["section"] == "Seller Agreement › Termination" and data["valid_from"] == T1
    assert data["snippet"] == "We may **terminate** this agreement with 30 days notice."
    assert len(data["snapshot_sha256"]) == 64 and data["marketplace"] == "acme"
    assert data["doc_type"] == "agreement" and data["title"] == "Seller Agreement"
    assert index.search(home, "return OR fee OR rate", limit=2).__len__() == 2


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message, hint",
    [
        ("", "empty query", "give words to look for"),
        ("   ", "empty query", "give words to look for"),
        ('"late shipment', "unclosed quote in '\"late shipment'", "close the phrase"),
        ("(fees OR charges", "unbalanced parentheses in '(fees OR charges'", "close every group"),
        ("fees OR charges)", "unbalanced parentheses in 'fees OR charges)'", "close every group"),
        ("fees AND", "AND at the edge of 'fees AND' has nothing to combine", "put words on both sides"),
        ("OR fees", "OR at the edge of 'OR fees' has nothing to combine", "put words on both sides"),
        ("fees AND OR charges", "AND OR in 'fees AND OR charges' has nothing between them", "put words between"),
        ("author:smith", "unknown field 'author' in 'author:smith'", "fields: title, section, body, doc"),
        ("title: fees", "field 'title' has no value in 'title: fees'", "write title:WORD"),
        ("*ment", "wildcard '*ment' needs at least two letters before it", "e.g. ship*"),
        ("!!!", "nothing to search for in '!!!'", "give words to look for"),
    ],
)
def test_query_errors(home, query, message, hint):
    with pytest.raises(QueryError) as err:
        index.search(home, query)
    assert str(err.value) == message and hint in err.value.hint


def test_a_parser_failure_is_a_query_error(home, monkeypatch):
    class Broken:
        def parse(self, text):
            raise IndexError("list index out of range")  # as Whoosh did on "NOT NOT x"

    monkeypatch.setattr(engine, "_parser", lambda schema: Broken())
    with pytest.raises(QueryError) as err:
        index.search(home, "fees")
    assert str(err.value) == "cannot read the query 'fees' (IndexError)" and "simplify it" in err.value.hint
    monkeypatch.undo()
    with pytest.raises(QueryError, match="NOT NOT in 'NOT NOT fees' has nothing between them"):
        index.search(home, "NOT NOT fees")


def test_quoted_text_is_never_read_as_syntax(home):
    assert index.search(home, '"author: smith (AND"') == []  # a phrase, however odd
    assert docs(index.search(home, 'title:"seller agreement" AND section:"referral fees"')) == {"acme/agreement"}


@pytest.mark.parametrize(
    "options, message, hint",
    [
        ({"as_of": "someday"}, "bad date 'someday'", "use ISO 8601"),
        ({"since": "2026-13-01"}, "bad date '2026-13-01'", "use ISO 8601"),
        ({"until": "01/02/2026"}, "bad date '01/02/2026'", "use ISO 8601"),
        ({"as_of": T2, "history": True}, "--as-of and --history cannot be combined", "every version"),
        ({"since": T2, "until": T1}, f"--until {T1} is not after --since {T2}", "end comes after its start"),
        ({"doc": "acme/nope"}, "--doc 'acme/nope' matches nothing in the index", "policywatch status"),
        ({"source": "nope"}, "--source 'nope' matches nothing in the index", "known values: acme, zeta"),
        ({"doc_type": "nope"}, "--type 'nope' matches nothing in the index", "known values: agreement, fees"),
        ({"limit": 0}, "--limit 0 is not a positive number", "--limit 1 or more"),
    ],
)
def test_option_errors(home, options, message, hint):
    with pytest.raises(QueryError) as err:
        index.search(home, "fees", **options)
    assert str(err.value) == message and hint in err.value.hint


def test_no_index_empty_index_and_old_index(tmp_path, monkeypatch):
    with pytest.raises(QueryError) as missing:
        index.search(tmp_path, "fees")
    assert str(missing.value) == f"no search index in {tmp_path}" and "index --rebuild" in missing.value.hint
    with Store(tmp_path) as store:
        document(store, "acme/empty", "Empty", "acme", "help")
    index.sync(tmp_path, timelines_of(tmp_path))
    with pytest.raises(QueryError) as empty:
        index.search(tmp_path, "fees")
    assert str(empty.value) == f"the search index in {tmp_path} is empty"
    older = index.schema()
    older.remove("summary")
    monkeypatch.setattr(engine, "schema", lambda common=frozenset(): older)
    index.rebuild(tmp_path, timelines_of(tmp_path))
    monkeypatch.undo()
    with pytest.raises(QueryError) as old:
        index.search(tmp_path, "fees")
    assert "was built by an older policywatch" in str(old.value) and old.value.hint == index.REBUILD_HINT


# -- incremental updates -------------------------------------------------------------------------


def test_sync_writes_only_what_moved_and_matches_a_rebuild(tmp_path):
    home = tmp_path / "home"
    write_corpus(home)
    assert index.sync(home, timelines_of(home)).rebuilt
    unchanged = index.sync(home, timelines_of(home))
    assert (unchanged.updated, unchanged.added, unchanged.deleted, unchanged.total) == (0, 0, 0, 10)
    with Store(home) as store, store.transaction():
        latest = store.latest_version("acme/metrics")
        record(
            store,
            "acme/metrics",
            T4,
            METRICS_V2.replace("above 95%", "above 97%"),
            previous=latest.id,
            label="minor",
            summary="tracking 95% → 97%",
        )
    report = index.sync(home, timelines_of(home))
    # the new tracking text, the old one closed at T4; the open units of the other document untouched
    assert (report.updated, report.added, report.deleted, report.total, report.rebuilt) == (1, 2, 1, 11, False)
    assert [h.valid_to for h in index.search(home, "tracking", history=True)] in ([None, T4], [T4, None])
    assert "97%" in index.search(home, "tracking")[0].snippet
    everything = "rate OR fee OR return OR legacy OR terms OR terminate OR what"
    incremental = {
        (h.doc_id, h.section_id, h.valid_from, h.valid_to, h.current)
        for h in index.search(home, everything, history=True, limit=None)
    }
    manifest = json.loads((home / "index" / index.MANIFEST).read_text())
    assert index.rebuild(home, timelines_of(home)).total == 11
    rebuilt = {
        (h.doc_id, h.section_id, h.valid_from, h.valid_to, h.current)
        for h in index.search(home, everything, history=True, limit=None)
    }
    assert incremental == rebuilt and len(rebuilt) == 11
    assert json.loads((home / "index" / index.MANIFEST).read_text()) == manifest  # same units, same keys


def test_a_sync_replayed_after_a_crash_duplicates_nothing(tmp_path):
    home = tmp_path / "home"
    write_corpus(home)
    index.sync(home, timelines_of(home))
    manifest = (home / "index" / index.MANIFEST).read_text()
    with Store(home) as store, store.transaction():
        latest = store.latest_version("zeta/returns")
        record(store, "zeta/returns", T4, RETURNS.replace("30 days", "14 days"), previous=latest.id)
    index.sync(home, timelines_of(home))
    (home / "index" / index.MANIFEST).write_text(manifest)  # as if killed before the manifest
    index.sync(home, timelines_of(home))
    assert len(index.search(home, '"within 14 days"', history=True)) == 1
    assert len(index.search(home, '"within 30 days"', history=True)) == 1


def test_sync_rebuilds_an_index_of_another_format(tmp_path):
    home = tmp_path / "home"
    write_corpus(home)
    index.sync(home, timelines_of(home))
    path = home / "index" / index.MANIFEST
    path.write_text(json.dumps({"format": "policywatch-documents-0", "docs": {}}))
    assert index.sync(home, timelines_of(home)).rebuilt
    assert not (home / "index.new").exists() and not (home / "index.old").exists()


def test_pipeline_update_index_reads_the_store(tmp_path):
    from kb.pipeline import update_index

    home = tmp_path / "home"
    write_corpus(home)
    with Store(home) as store:
        report = update_index(home, store)
        assert report.total == sum(len(index.units(line)) for line in timelines(store))


# -- command line ----------------------------------------------------------------------------------


def test_search_command_text_and_json(home):
    out = run_cli("search", "late shipment rate", "--as-of", "2026-02-01", home=home).stdout
    assert out.startswith("1. Shipping performance › Late shipment rate\n")
    assert (
        f"acme/metrics#shipping-performance/late-shipment-rate  [acme, metrics]  captured {T1}; in force from {T1} until {T3}"
        in out
    )
    assert "under 4%" in out
    hits = json.loads(run_cli("search", "late shipment rate", "--json", home=home).stdout)
    assert [h["valid_from"] for h in hits] == [T3] and "under 3%" in hits[0]["snippet"]
    assert {"doc_id", "title", "url", "snippet", "score"} <= set(hits[0])
    changed = json.loads(
        run_cli("search", "rate OR fee", "--changed", "--since", "2026-02-15", "--json", home=home).stdout
    )
    assert [h["doc_id"] for h in changed] == ["acme/metrics"]
    assert run_cli("search", "nothing-like-this", home=home).stdout == "no match for 'nothing-like-this'\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (("search", "author:smith"), "policywatch: unknown field 'author' in 'author:smith' (hint: fields: "),
        (("search", "fees", "--as-of", "tomorrow"), "policywatch: bad date 'tomorrow' (hint: use ISO 8601"),
        (("search", '"late shipment'), "policywatch: unclosed quote in '\"late shipment' (hint: close the phrase"),
        (("search", "fees", "--type", "nope"), "policywatch: --type 'nope' matches nothing in the index (hint: "),
    ],
)
def test_search_command_errors_are_one_line(home, args, message):
    result = run_cli(*args, home=home, check=False)
    assert result.returncode == 1 and result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_search_command_on_a_home_without_an_index(tmp_path):
    result = run_cli("search", "fees", home=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"policywatch: no search index in {tmp_path} (hint: run `policywatch crawl` "
        "(or `policywatch demo`) first, or run `policywatch index --rebuild`)\n"
    )


def test_index_command_updates_and_rebuilds(tmp_path):
    home = tmp_path / "home"
    write_corpus(home)
    first = run_cli("index", home=home).stdout
    assert first.startswith("index rebuilt in ") and "10 sections in all" in first
    assert "0 documents rewritten" in run_cli("index", home=home).stdout
    shutil.rmtree(home / "index")
    again = run_cli("index", "--rebuild", home=home).stdout
    assert again.startswith("index rebuilt in ") and "5 documents rewritten, 10 sections written" in again
    assert json.loads(run_cli("search", "terminate", "--json", home=home).stdout)


# -- the benchmark script --------------------------------------------------------------------------


@pytest.mark.slow
def test_benchmark_runs_at_a_small_size():
    result = subprocess.run(
        [sys.executable, "bench/bench_search.py", "--units", "300", "--changed-docs", "3", "--queries", "5", "--json"],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["units"] == 300 and report["incremental"]["units_written"] == 3 * 4  # 2 new texts, 2 closed
    for kind in ("1-term", "3-term", "phrase"):
        figures = report["queries"][kind]
        assert figures["whoosh"]["p95_ms"] > 0 and figures["fts5"]["p95_ms"] > 0
        assert figures["hits_per_query"]["whoosh"] > 0


# -- the demo corpus, end to end ---------------------------------------------------------------------

THRESHOLD_CHANGE = "2026-08-24T06:00:00Z"  # customer service performance: late shipment 4% → 3%
REVIEW_RULE = "2026-08-17T06:00:00Z"  # code of conduct: the product review rule added
TARGET_IN_FORCE = "2026-10-01T00:00:00Z"  # the effective date the 3% target's page states


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-search") / "home"
    run_cli("demo", home=home, timeout=600)
    return home


@pytest.mark.slow
def test_demo_search_as_of_returns_the_old_threshold_and_when_names_the_state(demo):
    before = json.loads(run_cli("search", "late shipment rate", "--as-of", "2026-08-20", "--json", home=demo).stdout)
    now = json.loads(run_cli("search", "late shipment rate", "--json", home=demo).stdout)
    assert before[0]["doc_id"] == now[0]["doc_id"] == "northwind/customer-service-performance"
    assert "under 4%" in before[0]["snippet"] and before[0]["valid_to"] == THRESHOLD_CHANGE
    assert "under 3%" in now[0]["snippet"] and now[0]["valid_from"] == THRESHOLD_CHANGE
    assert not any("under 3%" in h["snippet"] for h in before)
    assert not any("under 4%" in h["snippet"] for h in now)
    found = json.loads(
        run_cli("when", "You must not ask a buyer to change or remove a product review", "--json", home=demo).stdout
    )
    assert [(f["doc_id"], f["first_seen"], f["present_now"]) for f in found] == [
        ("northwind/code-of-conduct", REVIEW_RULE, True)
    ]
    shown = run_cli(
        "show",
        "northwind/customer-service-performance",
        "--as-of",
        "2026-08-20",
        "--section",
        "late-shipment-rate",
        home=demo,
    ).stdout
    assert "under 4%" in shown and "snapshot sha256" in shown and f"until {TARGET_IN_FORCE}" in shown


@pytest.mark.slow
def test_demo_as_of_answers_what_was_in_force_not_what_was_captured(demo):
    """The 3% target was captured on 24 August and takes effect on 1 October (issue 15.3)."""
    mid = json.loads(run_cli("search", "late shipment rate", "--as-of", "2026-09-15", "--json", home=demo).stdout)
    assert "under 4%" in mid[0]["snippet"] and not any("under 3%" in h["snippet"] for h in mid)
    assert (mid[0]["valid_to"], mid[0]["in_force_to"]) == (THRESHOLD_CHANGE, TARGET_IN_FORCE)
    after = json.loads(run_cli("search", "late shipment rate", "--as-of", "2026-10-01", "--json", home=demo).stdout)
    assert "under 3%" in after[0]["snippet"]
    assert (after[0]["valid_from"], after[0]["in_force_from"]) == (THRESHOLD_CHANGE, TARGET_IN_FORCE)
    text = run_cli("search", "late shipment rate", "--as-of", "2026-09-15", "--limit", "1", home=demo).stdout
    assert f"in force from {TARGET_IN_FORCE}" in text and f"replaced on the page {THRESHOLD_CHANGE}" in text
    shown = run_cli(
        "show",
        "northwind/customer-service-performance",
        "--as-of",
        "2026-09-15",
        "--section",
        "late-shipment-rate",
        home=demo,
    ).stdout
    assert "under 4%" in shown and "under 3%" not in shown.split("-->\n\n")[-1]
    assert (
        f"version 1, captured 2026-08-03T06:00:00Z, in force from 2026-08-03T06:00:00Z until {TARGET_IN_FORCE}" in shown
    )
    assert (
        f"announced: version 2, captured {THRESHOLD_CHANGE}; in force from {TARGET_IN_FORCE} "
        "(Late shipment rate target lowered from 4% to 3%" in shown
    )
    assert "on 2026-09-15 the text in force read as below" in shown
    later = run_cli("show", "northwind/customer-service-performance", "--as-of", "2026-10-01", home=demo).stdout
    assert "under 3%" in later and f"captured {THRESHOLD_CHANGE}, in force from {TARGET_IN_FORCE}" in later
    assert "announced:" not in later
