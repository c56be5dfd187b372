"""The history's invariants survive hostile timing (issue 16): captures within one second
(2q), a failure in the middle of a late capture's re-derivation (4c), a clock set back (6f),
a capture dated in the future (6g); and ``verify`` sees a history that breaks them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import kb.record
from kb.models import Capture, Outcome
from kb.record import process_pending
from kb.record.intake import record_captures
from kb.sources import open_sources
from kb.store import Store
from kb.store.verify import verify

DOC = "shop/fees"


def page(fee: str) -> bytes:
    return (
        "<html><head><title>Selling fees</title></head><body><main id='content'><h1>Selling fees</h1>"
        f"<p>A per-item fee of {fee} applies to every seller of the shop.</p>"
        "<p>Fees are charged when the item sells, and shown in the seller's report.</p></main></body></html>"
    ).encode()


def declare(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "shop.yaml").write_text(
        "marketplace: shop\nname: Test shop\ndefaults:\n  select: ['#content']\n"
        "documents:\n  - id: fees\n    title: Selling fees\n"
        "    url: https://shop.example/help/fees\n    type: fees\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def sources(tmp_path: Path):
    return open_sources(declare(tmp_path / "sources"))


def capture(at: str, fee: str) -> Capture:
    return Capture(at=at, body=page(fee), url="https://shop.example/help/fees", status=200, headers={})


def history_problems(home: Path) -> list[str]:
    return [p for p in verify(home).problems if "history" in p or "key" in p]


def test_three_captures_within_one_second_each_make_a_change(tmp_path, sources):
    """2q: change keys were doc/second, so the third capture of a second crashed the recorder
    and every later record with it."""
    home = tmp_path / "home"
    with Store(home) as store:
        ats = ["2026-03-01T10:00:00.1Z", "2026-03-01T10:00:00.2Z", "2026-03-01T10:00:00.3Z"]
        record_captures(
            store, sources, DOC, [capture(at, fee) for at, fee in zip(ats, ["$1", "$2", "$3"], strict=True)]
        )
        assert [c.outcome for c in store.checks(DOC)] == [
            Outcome.FIRST_VERSION,
            Outcome.NEW_VERSION,
            Outcome.NEW_VERSION,
        ]
        keys = [c.key for c in store.changes(DOC)]
        assert len(keys) == 2 and len(set(keys)) == 2
        # the home is not wedged: a later capture records
        record_captures(store, sources, DOC, [capture("2026-03-02T10:00:00Z", "$4")])
        assert store.checks(DOC)[-1].outcome == Outcome.NEW_VERSION
    assert verify(home).ok


def test_keys_are_the_same_when_the_history_is_derived_again(tmp_path, sources):
    home = tmp_path / "home"
    with Store(home) as store:
        ats = ["2026-03-01T10:00:00.1Z", "2026-03-01T10:00:00.2Z", "2026-03-01T10:00:00.3Z"]
        record_captures(
            store, sources, DOC, [capture(at, fee) for at, fee in zip(ats, ["$1", "$2", "$3"], strict=True)]
        )
        before = [c.key for c in store.changes(DOC)]
        kb.record.rebuild_history(store, sources, DOC, kb.record.RecordReport())
        assert [c.key for c in store.changes(DOC)] == before


def late_capture_home(tmp_path: Path, sources) -> Path:
    home = tmp_path / "home"
    with Store(home) as store:
        record_captures(
            store,
            sources,
            DOC,
            [capture("2026-03-01T00:00:00Z", "$1"), capture("2026-03-08T00:00:00Z", "$2")],
        )
    return home


def test_a_failure_inside_the_late_capture_rebuild_leaves_the_previous_history(tmp_path, sources, monkeypatch):
    """4c: the late capture was committed on its own, and the re-derivation it needed was
    remembered only in memory: a kill between the two left two first versions, for good."""
    home = late_capture_home(tmp_path, sources)
    real = kb.record._process
    calls = {"n": 0}

    def fail_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")  # what a SIGKILL inside the rebuild leaves: no commit
        return real(*args, **kwargs)

    with Store(home) as store:
        store.add_response(
            doc_id=DOC,
            requested_url="https://shop.example/help/fees",
            url="https://shop.example/help/fees",
            fetched_at="2026-02-01T00:00:00Z",
            http_status=200,
            headers={},
            body=page("$0.50"),
            origin="import",
        )
        monkeypatch.setattr(kb.record, "_process", fail_on_second)
        process_pending(store, sources)
        monkeypatch.setattr(kb.record, "_process", real)
        assert [c.outcome for c in store.checks(DOC)][0] == Outcome.PENDING  # left for the next run
        process_pending(store, sources)  # the next run resumes
        versions = store.versions(DOC)
        assert [v.captured_at for v in versions] == [
            "2026-02-01T00:00:00Z",
            "2026-03-01T00:00:00Z",
            "2026-03-08T00:00:00Z",
        ]
        assert len(store.changes(DOC)) == 2
    assert verify(home).ok


def break_store(home: Path, sql: str) -> None:
    db = sqlite3.connect(home / Store.FILE)
    db.execute("PRAGMA foreign_keys=OFF")
    db.executescript(sql)
    db.commit()
    db.close()


def test_verify_finds_two_first_versions_and_a_missing_change(tmp_path, sources):
    home = late_capture_home(tmp_path, sources)
    assert verify(home).ok
    break_store(home, "DELETE FROM changes;")
    problems = history_problems(home)
    assert any("no change" in p for p in problems), problems


def test_verify_finds_a_version_dated_after_the_newest_check(tmp_path, sources):
    home = late_capture_home(tmp_path, sources)
    break_store(
        home, "UPDATE versions SET captured_at = '2099-01-01T00:00:00Z' WHERE id = (SELECT MAX(id) FROM versions);"
    )
    problems = history_problems(home)
    assert any("future" in p for p in problems), problems


def test_verify_finds_a_change_that_skips_a_version(tmp_path, sources):
    home = late_capture_home(tmp_path, sources)
    with Store(home) as store:
        record_captures(store, sources, DOC, [capture("2026-03-15T00:00:00Z", "$3")])
    v1 = "(SELECT MIN(id) FROM versions)"
    break_store(home, f"UPDATE changes SET from_version_id = {v1} WHERE id = (SELECT MAX(id) FROM changes);")
    problems = history_problems(home)
    assert problems, verify(home).problems


def crawled(store: Store, at: str, fee: str) -> None:
    store.ensure_document(
        DOC,
        title="Selling fees",
        url="https://shop.example/help/fees",
        marketplace="shop",
        doc_type="fees",
        origin="declared",
        seen_at=at,
    )
    store.add_response(
        doc_id=DOC,
        requested_url="https://shop.example/help/fees",
        url="https://shop.example/help/fees",
        fetched_at=at,
        http_status=200,
        headers={},
        body=page(fee),
    )


def test_a_crawl_with_the_clock_set_back_is_refused_not_filed_in_the_past(tmp_path, sources):
    """6f: a crawl dated a year before the latest version rewrote the history around it."""
    home = tmp_path / "home"
    with Store(home) as store:
        crawled(store, "2026-06-01T00:00:00Z", "$1")
        process_pending(store, sources)
        crawled(store, "2025-06-01T00:00:00Z", "$2")  # this machine's clock is a year behind
        process_pending(store, sources)
        late = store.checks(DOC)[0]
        assert late.outcome == Outcome.FAILED
        assert "clock" in late.reason and "2026-06-01T00:00:00Z" in late.reason, late.reason
        assert [v.captured_at for v in store.versions(DOC)] == ["2026-06-01T00:00:00Z"]
        assert store.changes(DOC) == []
        crawled(store, "2026-06-02T00:00:00Z", "$2")
        process_pending(store, sources)
        assert len(store.changes(DOC)) == 1
    assert verify(home).ok


def test_a_capture_dated_in_the_future_is_refused(tmp_path, sources):
    """6g: an import dated 2099 became the current text for good."""
    from kb.errors import UsageError

    home = tmp_path / "home"
    with Store(home) as store:
        with pytest.raises(UsageError, match="future"):
            record_captures(store, sources, DOC, [capture("2099-01-01T00:00:00Z", "$1")])
        assert store.checks(DOC) == [] and store.versions(DOC) == []


def test_a_check_the_recorder_fails_on_does_not_wedge_the_home_and_verify_says_so(tmp_path, sources, monkeypatch):
    """2q, the class: one check the recorder crashed on stopped every later crawl and record,
    and verify said ok. Now it stays pending with the reason, the rest is recorded, verify
    reports it, and the next run (the bug fixed) completes it."""
    home = tmp_path / "home"
    with Store(home) as store:
        record_captures(store, sources, DOC, [capture("2026-03-01T00:00:00Z", "$1")])
        real = Store.add_change

        def broken(self, **fields):
            raise sqlite3.IntegrityError("UNIQUE constraint failed: changes.key")

        monkeypatch.setattr(Store, "add_change", broken)
        report = record_captures(
            store, sources, DOC, [capture("2026-03-02T00:00:00Z", "$2"), capture("2026-03-03T00:00:00Z", "$3")]
        )
        assert [c.outcome for c in store.checks(DOC)] == [Outcome.FIRST_VERSION, Outcome.PENDING, Outcome.PENDING]
        assert "IntegrityError" in report.failed[0][1]
    problems = verify(home).problems
    assert any("could not be recorded" in p and "IntegrityError" in p for p in problems), problems
    monkeypatch.setattr(Store, "add_change", real)
    with Store(home) as store:
        process_pending(store, sources)
        assert [c.outcome for c in store.checks(DOC)][1:] == [Outcome.NEW_VERSION, Outcome.NEW_VERSION]
    assert verify(home).ok
