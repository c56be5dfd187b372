"""The rules at a glance on the site (kb.publish.rules_pages): a page per marketplace, the
comparison page, rules.csv and rules.json, the navigation; one real MkDocs build."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import lxml.html
import pytest
import yaml

from kb.models import Change, Document, PublishInput, Version
from kb.publish import publish, render_sources, rules_pages
from kb.store.derived import Derived
from kb.workers import WorkerPool
from tests.support.rules import RULE_FIELDS
from tests.support.site_data import lazy

SITE_URL = "https://policies.example.org/watch/"
TABLE = "| Metric | Target | Period measured |\n| --- | --- | --- |\n| Late shipment rate | Under {v}% | Last 10 and 30 days |\n"
METRICS = Document(
    "northwind/metrics", "Metrics", "https://n.example/m", "northwind", "policy", first_seen="2026-08-03T06:00:00Z"
)
RIVAL = Document(
    "rival/metrics", "Rival metrics", "https://r.example/m", "rival", "policy", first_seen="2026-08-03T06:00:00Z"
)
HOSTILE = 'Your late shipment rate must stay below 5% <script>alert("q")</script> over the last 30 days.\n'


def _version(vid: int, doc: Document, at: str, text: str) -> Version:
    return Version(vid, doc.doc_id, vid, f"{vid:064x}", at, doc.title, text, f"{vid:064x}")


V1 = _version(1, METRICS, "2026-08-03T06:00:00Z", "# Metrics\n\n" + TABLE.format(v=4))
V2 = _version(
    2,
    METRICS,
    "2026-08-24T06:00:00Z",
    "# Metrics\n\n**Effective 1 October 2026:** the late shipment rate target is lowered to under 3%.\n\n"
    + TABLE.format(v=3),
)
V3 = _version(3, RIVAL, "2026-08-05T00:00:00Z", "# Rival metrics\n\n" + HOSTILE)
CHANGE = Change(
    1,
    "northwind/metrics/20260824T060000Z",
    METRICS.doc_id,
    1,
    2,
    V2.captured_at,
    "substantive",
    "4% → 3%",
    effective_date="2026-10-01",
)
DATA = PublishInput(
    generated_at="2026-08-25T00:00:00Z",
    documents=(METRICS, RIVAL),
    current={METRICS.doc_id: V2, RIVAL.doc_id: V3},
    changes=(CHANGE,),
    versions={v.id: v for v in (V1, V2, V3)},
)


@pytest.fixture(scope="module")
def sources() -> dict[str, bytes]:
    return render_sources(DATA, SITE_URL)


def test_pages_and_downloads_are_written_and_in_the_navigation(sources):
    for path in (
        "docs/rules/index.md",
        "docs/rules/northwind.md",
        "docs/rules/rival.md",
        "docs/rules.csv",
        "docs/rules.json",
    ):
        assert path in sources
    nav = yaml.safe_load(sources["mkdocs.yml"].decode())["nav"]
    assert {
        "Rules": [{"At a glance": "rules/index.md"}, {"northwind": "rules/northwind.md"}, {"rival": "rules/rival.md"}]
    } in nav


def test_comparison_page_has_a_row_per_subject_and_a_column_per_marketplace(sources):
    page = sources["docs/rules/index.md"].decode()
    root = lxml.html.fromstring(page[page.index("<div") :])
    headers = [th.text_content() for th in root.iter("th")]
    assert headers == ["Subject", "northwind", "rival"]
    (row,) = [tr for tr in root.iter("tr") if tr.findtext("td") == "Late shipment rate"]
    cells = [td.text_content() for td in row.findall("td")]
    assert cells == ["Late shipment rate", "under 3 % (Last 10 and 30 days)", "under 5 % (last 30 days)"]
    assert row.findall("td")[1].find("a").get("href") == "northwind/#history-late-shipment-rate"


def test_marketplace_page_lists_value_window_quote_since_and_history(sources):
    page = sources["docs/rules/northwind.md"].decode()
    assert "<strong>under 3 %</strong>" in page and "(Last 10 and 30 days)" in page
    assert "<q>Effective 1 October 2026: the late shipment rate target is lowered to under 3%.</q>" in page
    assert "2026-10-01 00:00 UTC <small>(stated in the rule; captured 2026-08-24 06:00 UTC)</small>" in page
    history = page[page.index('id="history-late-shipment-rate"') :]
    assert history.index("under 4 %") < history.index("under 3 %")
    assert "2026-10-01 00:00 UTC (changed)" in history
    rival = sources["docs/rules/rival.md"].decode()
    assert "<script" not in rival and "&lt;script" in rival  # crawled text is escaped


def test_downloads_hold_every_value_with_the_interface_fields(sources):
    rows = list(csv.DictReader(io.StringIO(sources["docs/rules.csv"].decode())))
    late = [r for r in rows if r["subject"] == "late shipment rate"]
    assert [(r["doc_id"], r["value"], r["in_force_from"]) for r in late] == [
        ("northwind/metrics", "4.0", "2026-08-03T06:00:00Z"),
        ("northwind/metrics", "3.0", "2026-10-01T00:00:00Z"),
        ("rival/metrics", "5.0", "2026-08-05T00:00:00Z"),
    ]
    data = json.loads(sources["docs/rules.json"])
    assert len(data) == len(rows)
    for field in RULE_FIELDS:
        assert field in data[0]


def test_the_built_site_serves_the_pages_and_the_downloads(tmp_path):
    result = publish(DATA, tmp_path / "home", site_url=SITE_URL)
    site = result.site_dir
    page = lxml.html.fromstring((site / "rules" / "northwind" / "index.html").read_bytes())
    assert page.get_element_by_id("history-late-shipment-rate") is not None
    assert [a.text_content() for a in page.iter("a") if a.get("href", "").endswith("rules.csv")] == ["rules.csv"]
    assert (site / "rules.csv").read_bytes() == render_sources(DATA, SITE_URL)["docs/rules.csv"]
    assert json.loads((site / "rules.json").read_bytes())[0]["doc_id"] == "northwind/metrics"
    assert (site / "rules" / "index.html").is_file()


def test_rules_are_computed_once_per_text_and_kept_with_the_same_bytes(tmp_path, monkeypatch):
    whole = render_sources(DATA, SITE_URL)
    first = lazy(DATA, Derived(tmp_path))
    assert render_sources(first, SITE_URL) == whole
    assert {1, 2, 3} <= set(first.texts.read)
    monkeypatch.setattr(rules_pages, "quantified_rules", _never)  # kept: read back, not computed
    second = lazy(DATA, Derived(tmp_path))
    assert render_sources(second, SITE_URL) == whole


def test_kept_rules_of_another_code_are_computed_again(tmp_path, monkeypatch):
    whole = render_sources(DATA, SITE_URL)
    render_sources(lazy(DATA, Derived(tmp_path)), SITE_URL)
    monkeypatch.setattr(rules_pages, "rules_code", lambda: "another code")
    computed = []
    real = rules_pages.quantified_rules
    monkeypatch.setattr(rules_pages, "quantified_rules", lambda text: computed.append(text) or real(text))
    assert render_sources(lazy(DATA, Derived(tmp_path)), SITE_URL) == whole
    assert len(computed) == 3


def test_rules_code_follows_the_code_that_reads_rules():
    assert rules_pages.rules_code() == rules_pages.rules_code()
    assert len(rules_pages.rules_code()) == 64


def _never(text: str):
    raise AssertionError("rules computed again for a text whose rules are kept")


def test_rules_kept_with_other_fields_are_computed_again():
    rules = rules_pages.quantified_rules(V2.text)
    assert rules and rules_pages._unkept(rules_pages._kept(rules)) == rules
    assert rules_pages._unkept('[["subject","value"],["late shipment rate",3]]') is None


def _many(docs: int, values: int) -> PublishInput:
    """``docs`` documents of one marketplace stating a late shipment rate: document n states
    ``values`` different values in turn (n % values), and every one changed once (from 50 %)."""
    documents, versions, changes, current = [], {}, [], {}
    for n in range(docs):
        doc = Document(f"big/doc-{n:04d}", f"Doc {n}", f"https://b.example/{n}", "big", "policy")
        first = _version(2 * n + 1, doc, "2026-08-03T06:00:00Z", "# Metrics\n\n" + TABLE.format(v=50))
        later = _version(2 * n + 2, doc, "2026-08-24T06:00:00Z", "# Metrics\n\n" + TABLE.format(v=n % values + 1))
        documents.append(doc)
        versions.update({first.id: first, later.id: later})
        current[doc.doc_id] = later
        changes.append(
            Change(n + 1, f"{doc.doc_id}/1", doc.doc_id, first.id, later.id, later.captured_at, "substantive", "x")
        )
    return PublishInput("2026-08-25T00:00:00Z", tuple(documents), current, tuple(changes), versions)


def test_pages_show_values_by_number_of_documents_not_a_row_per_document():
    data = _many(docs=60, values=3)
    sources = render_sources(data, SITE_URL)
    page = sources["docs/rules/big.md"].decode()
    table = lxml.html.fromstring(page[page.index("<div") : page.index("## History")])
    rows = [[td.text_content() for td in tr.findall("td")] for tr in table.iter("tr") if tr.findall("td")]
    assert [r[1] for r in rows] == [f"under {v} % (Last 10 and 30 days)20 documents" for v in (1, 2, 3)]
    assert "Also stated by doc-0003, doc-0006, doc-0009, doc-0012, doc-0015 and 14 other documents" in rows[0][2]
    assert "the earliest of 20 documents" in rows[0][3]
    compare = sources["docs/rules/index.md"].decode()
    assert (
        '<strong>under 1 %</strong> <span class="pw-rule-window">(Last 10 and 30 days)</span> <small>· 20 documents</small>'
        in compare
    )
    # Every value is still in the downloads: the 60 current ones and the 60 they replaced.
    assert len(json.loads(sources["docs/rules.json"])) == 120


def test_pages_stay_bounded_however_many_documents_and_values():
    data = _many(docs=400, values=40)
    sources = render_sources(data, SITE_URL)
    page = sources["docs/rules/big.md"].decode()
    current = page[: page.index("## History")]
    assert current.count("<tr><td>") == rules_pages.VALUES_SHOWN + 1  # and a row for the rest
    assert "30 other values (300 statements): every one is in the downloads" in current
    history = page[page.index('id="history-late-shipment-rate"') :]
    assert history.count("<tr><td>") == rules_pages.HISTORY_SHOWN
    assert f"The latest {rules_pages.HISTORY_SHOWN} of 800; 770 earlier values in the downloads." in history
    compare = sources["docs/rules/index.md"].decode()
    assert "+ 37 other values" in compare
    assert len(page) < 40_000  # 800 values, a page of the same size as for 60
    assert len(json.loads(sources["docs/rules.json"])) == 800


def test_a_documents_part_of_the_files_is_kept_and_computed_again_when_it_changes(tmp_path, monkeypatch):
    data = _many(docs=30, values=3)
    whole = render_sources(data, SITE_URL)
    assert render_sources(lazy(data, Derived(tmp_path)), SITE_URL) == whole
    computed = []
    real = rules_pages.rule_spans
    monkeypatch.setattr(
        rules_pages, "rule_spans", lambda doc, *a, **k: computed.append(doc.doc_id) or real(doc, *a, **k)
    )
    assert render_sources(lazy(data, Derived(tmp_path)), SITE_URL) == whole
    assert computed == ["big/doc-0000", "big/doc-0001", "big/doc-0002"]  # the three values quoted, no more
    # A new version of one document: its part is computed again, the others are read.
    doc = data.documents[7]
    newer = _version(1000, doc, "2026-08-25T06:00:00Z", "# Metrics\n\n" + TABLE.format(v=9))
    later = dataclasses.replace(
        data, versions={**data.versions, newer.id: newer}, current={**data.current, doc.doc_id: newer}
    )
    fresh = render_sources(later, SITE_URL)
    computed.clear()
    assert render_sources(lazy(later, Derived(tmp_path)), SITE_URL) == fresh
    assert sorted(computed) == ["big/doc-0000", "big/doc-0001", "big/doc-0002", "big/doc-0007", "big/doc-0007"]
    assert "<strong>under 9 %</strong>" in fresh["docs/rules/big.md"].decode()


def test_rules_computed_in_worker_processes_are_those_computed_here(tmp_path, monkeypatch):
    data = _many(docs=30, values=3)  # 30 documents to compute in one batch: the workers start
    monkeypatch.setattr(rules_pages, "WorkerPool", lambda: WorkerPool(0))
    (tmp_path / "here").mkdir()
    (tmp_path / "workers").mkdir()
    here = render_sources(lazy(data, Derived(tmp_path / "here")), SITE_URL)
    started = []

    class Counted(WorkerPool):
        def start(self, function, /, *args):
            started.append(super().start(function, *args))
            return started[-1]

    monkeypatch.setattr(rules_pages, "WorkerPool", lambda: Counted(2))
    assert render_sources(lazy(data, Derived(tmp_path / "workers")), SITE_URL) == here
    assert len(started) == len({v.text_sha256 for v in data.versions.values()})  # each text in a worker
    assert None not in started


def test_rules_a_worker_lost_are_computed_here(tmp_path, monkeypatch):
    data = _many(docs=30, values=3)
    here = render_sources(data, SITE_URL)
    pools = []

    class Lost(WorkerPool):
        def start(self, function, /, *args):
            lost = Future()
            lost.set_exception(BrokenProcessPool("a worker died"))
            return lost

    monkeypatch.setattr(rules_pages, "WorkerPool", lambda: pools.append(Lost(2)) or pools[-1])
    assert render_sources(lazy(data, Derived(tmp_path)), SITE_URL) == here
    assert pools[0].broken  # serial from the first loss on
