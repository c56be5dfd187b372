"""The whole pipeline on the demo marketplace: real Scrapy crawls against a loopback server,
the real store, diff, index, MkDocs build and feed, through the real `policywatch` command."""

from __future__ import annotations

import json

import feedparser
import pytest
import yaml

from kb.demo.server import CORPUS_DIR
from kb.models import ExitCode
from kb.store import Store
from tests.support import run_cli

pytestmark = pytest.mark.slow
EXPECTED = yaml.safe_load((CORPUS_DIR / "expected.yaml").read_text())
EVENTS = yaml.safe_load((CORPUS_DIR / "events.yaml").read_text())["events"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "home"
    result = run_cli("demo", home=home, timeout=600)
    return home, result.stdout


def test_demo_prints_counts_and_where_things_are(demo_home):
    home, out = demo_home
    assert "Documents 17, versions 21, changes 6 (substantive 5, minor 1, noise 0), failed checks 2" in out
    assert f"serve --home {home}   then open http://127.0.0.1:8000/" in out  # served: links work there
    assert "python -m" not in out  # stock Debian has python3 only: hints name the installed command
    assert f"Feed:  {home / 'site' / 'feed.xml'}" in out
    assert "policywatch search" in out


def test_every_check_has_the_expected_outcome(demo_home):
    home, _ = demo_home
    with Store(home) as store:
        checks = store.checks()
        changes = {(c.doc_id, c.detected_at): c for c in store.changes() if c.event == "edited"}
        versions = store.versions()
    by_state = {}
    for check in checks:
        by_state.setdefault(check.checked_at, {})[check.doc_id] = check
    for state in EXPECTED["states"]:
        got = by_state.pop(state["date"])
        expected_docs = {page["doc"] for page in state["pages"].values()}
        assert set(got) == expected_docs, state["name"]
        for path, page in state["pages"].items():
            check = got[page["doc"]]
            where = f"{state['name']} {path}"
            assert check.outcome == page["outcome"], f"{where}: {check.outcome} ({check.reason})"
            assert check.http_status == page["http_status"], where
            if page["outcome"] == "failed":
                assert page["reason"].replace("-", " ") in check.reason.replace("-", " "), where
                assert check.snapshot_id is not None  # the wall (or the 404 page) is kept as evidence
            if page["outcome"] == "new-version":
                change = changes[(page["doc"], state["date"])]
                assert change.label == page["class"], where
                assert change.silent is page["silent"], where
    # The final state crawled once more: nothing new, only unchanged (and the 404 confirmed: gone).
    [(_, recrawl)] = by_state.items()
    assert {c.outcome for c in recrawl.values()} == {"unchanged", "gone"}
    assert len(changes) == sum(
        1 for s in EXPECTED["states"] for p in s["pages"].values() if p["outcome"] == "new-version"
    )
    assert len(versions) == sum(
        1 for s in EXPECTED["states"] for p in s["pages"].values() if p["outcome"] in ("first-version", "new-version")
    )


def test_pages_that_come_and_go_are_changes(demo_home):
    home, _ = demo_home
    with Store(home) as store:
        found = [c for c in store.changes() if c.event != "edited"]
    assert [
        {"doc": c.doc_id, "event": c.event, "detected_at": c.detected_at, "class": c.label, "summary": c.summary}
        for c in found
    ] == EVENTS
    added, removed = found
    assert added.from_version_id is None and added.to_version_id is not None
    assert removed.from_version_id is not None and removed.to_version_id is None
    assert run_cli("verify", home=home).stdout.startswith("ok: ")


def test_bot_wall_and_removed_page_keep_history(demo_home):
    home, _ = demo_home
    with Store(home) as store:
        walled = store.versions("northwind/selling-fees")
        removed = store.document("northwind/legacy-shipping-templates")
        removed_versions = store.versions("northwind/legacy-shipping-templates")
    assert len(walled) == 1  # the wall never became a version
    assert removed.status == "gone" and "404" in removed.failure
    assert len(removed_versions) == 1  # history kept


def test_changes_json_fields(demo_home):
    home, _ = demo_home
    changes = json.loads(run_cli("changes", "--json", home=home).stdout)
    assert len(changes) == 6
    assert sorted(c["event"] for c in changes) == ["added", "edited", "edited", "edited", "edited", "removed"]
    for change in changes:
        assert {"doc_id", "detected_at", "class", "summary", "event"} <= set(change)
        assert change["class"] in ("substantive", "minor", "noise")
        assert change["summary"]
    assert [c["detected_at"] for c in changes] == sorted((c["detected_at"] for c in changes), reverse=True)
    threshold = next(c for c in changes if c["doc_id"] == "northwind/customer-service-performance")
    assert threshold["class"] == "substantive" and "3%" in threshold["summary"]
    silent = next(c for c in changes if c["doc_id"] == "northwind/code-of-conduct")
    assert silent["silent"] is True


def test_search_json_ranks_the_metrics_page_first(demo_home):
    home, _ = demo_home
    for case in EXPECTED["search"]:
        hits = json.loads(run_cli("search", case["query"], "--json", home=home).stdout)
        assert hits, case
        assert {"doc_id", "title", "url", "snippet", "score"} <= set(hits[0])
        assert hits[0]["doc_id"] == case["first"]
        assert "**" in hits[0]["snippet"]
        assert "northwind/legacy-shipping-templates" not in {h["doc_id"] for h in hits}


def test_site_and_feed(demo_home):
    home, _ = demo_home
    assert (home / "site" / "index.html").is_file()
    feed = feedparser.parse((home / "site" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    with Store(home) as store:
        non_noise = [c for c in store.changes() if c.label != "noise"]
    assert len(feed.entries) == len(non_noise)
    # titled "Marketplace · Document: headline"; each page that came or went says so in its item
    assert all(" · " in entry.title for entry in feed.entries)
    told = [entry.title + entry.summary for entry in feed.entries]
    assert [event["summary"] for event in EVENTS if not any(event["summary"] in item for item in told)] == []
    changelog = (home / "site" / "changes" / "index.html").read_text()
    assert all(event["summary"] in changelog for event in EVENTS)


def test_show_and_diff_and_status(demo_home):
    home, _ = demo_home
    shown = run_cli("show", "northwind/customer-service-performance", home=home).stdout
    assert "snapshot sha256" in shown and "under 3%" in shown
    diff = run_cli("diff", "northwind/customer-service-performance", home=home).stdout
    assert "[-4-]{+3+}" in diff
    status = json.loads(run_cli("status", "--json", home=home).stdout)
    gone = [d for d in status if d["status"] == "gone"]
    assert [d["doc_id"] for d in gone] == ["northwind/legacy-shipping-templates"]


def test_rules_of_the_demo_and_the_late_shipment_rate_history(demo_home):
    home, _ = demo_home
    rules = json.loads(run_cli("rules", "--source", "northwind", "--json", home=home).stdout)
    assert {r["marketplace"] for r in rules} == {"northwind"}
    (late,) = [r for r in rules if r["subject"] == "late shipment rate"]
    assert (late["comparison"], late["value"], late["unit"], late["window"]) == (
        "under",
        3.0,
        "%",
        "Last 10 and 30 days",
    )
    # captured with the fourth state, in force from the date the page announces
    assert (late["captured_at"], late["in_force_from"]) == ("2026-08-24T06:00:00Z", "2026-10-01T00:00:00Z")
    history = run_cli("rules", "history", "late shipment rate", home=home).stdout
    assert history.index("under 4 %") < history.index("under 3 %")
    assert "in force from 2026-08-03T06:00:00Z until 2026-10-01T00:00:00Z (changed)" in history
    assert (home / "site" / "rules" / "northwind" / "index.html").is_file()
    assert (home / "site" / "rules.csv").read_text().startswith("doc_id,source,marketplace,section")


def test_nothing_is_written_into_the_source_tree(demo_home):
    home, _ = demo_home
    from tests.support import REPO

    assert not (REPO / "site").exists()
    assert not (REPO / "kb" / "demo" / "site").exists()


def test_scrapy_crawl_entry_point_then_record(tmp_path):
    """`scrapy crawl policy` (scrapy.cfg) stores snapshots; `policywatch record` derives versions."""
    import os
    import subprocess
    import sys

    from kb.demo.run import write_sources
    from kb.demo.server import DemoServer
    from tests.support import REPO

    home = tmp_path / "home"
    home.mkdir()
    with DemoServer() as server:
        sources = write_sources(home, server.base_url)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "policy",
                "-a",
                f"home={home}",
                "-a",
                f"sources={sources}",
                "-s",
                "DOWNLOAD_DELAY=0",
            ],
            check=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            timeout=120,
        )
    with Store(home) as store:
        assert {c.outcome for c in store.checks()} == {"pending"}
    recorded = run_cli("record", "--sources", str(sources), home=home, check=False)
    assert recorded.returncode == ExitCode.CHANGES_FOUND, recorded.stderr
    assert recorded.stdout.startswith("16 new documents, 0 changed")
