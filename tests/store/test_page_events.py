"""Changes without a from-version or a to-version (a page added, removed, moved, back): stored,
chained, verified, and stores from before them migrated without losing a row or a digest."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from kb.models import Event, Reason
from kb.store import Store, chain
from kb.store.verify import verify
from tests.support.builders import DOC, build_store

GONE_AT = "2026-01-05T00:00:00Z"


def event(store: Store, kind: str, at: str, *, from_id: int | None = None, to_id: int | None = None) -> str:
    return store.add_change(
        doc_id=DOC,
        from_version_id=from_id,
        to_version_id=to_id,
        detected_at=at,
        label="substantive",
        summary=f"Page {kind}",
        reasons=[Reason(f"page-{kind}", kind)],
        silent=None,
        ops=(),
        sections=(),
        event=kind,
    )


def versions(store: Store) -> list[int]:
    return [v.id for v in store.versions(DOC)]


@pytest.fixture
def home(tmp_path) -> Path:
    build_store(tmp_path)  # DOC: versions 1 and 2, one edit between them
    with Store(tmp_path) as store, store.transaction():
        store.add_check(
            doc_id=DOC,
            url="https://shop.example/fees",
            checked_at=GONE_AT.replace("05", "06"),
            http_status=None,
            snapshot_id=None,
            outcome="gone",
            reason="HTTP 404 Not Found: the page was removed",
        )
    return tmp_path


def problems(home: Path) -> list[str]:
    return verify(home).problems


def test_a_removed_page_and_its_return_keep_the_history_whole(home):
    with Store(home) as store, store.transaction():
        v1, v2 = versions(store)
        event(store, Event.REMOVED, GONE_AT, from_id=v2)
        event(store, Event.RESTORED, GONE_AT.replace("05", "06"), to_id=v2)
    with Store(home) as store:
        removed, back = store.changes()[1:]
    assert (removed.from_version_id, removed.to_version_id, removed.event) == (v2, None, "removed")
    assert (back.from_version_id, back.to_version_id, back.event) == (None, v2, "restored")
    assert problems(home) == []


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda s, v1, v2: event(s, Event.REMOVED, GONE_AT, from_id=v2, to_id=v2), "a page removed has a 'to' version"),
        (lambda s, v1, v2: event(s, Event.REMOVED, GONE_AT), "a change removed has no 'from' version"),
        (lambda s, v1, v2: event(s, Event.ADDED, GONE_AT, from_id=v1, to_id=v2), "a page added has a 'from' version"),
        (lambda s, v1, v2: event(s, Event.ADDED, GONE_AT, to_id=v2), "not as its first version"),
        (lambda s, v1, v2: event(s, Event.REMOVED, GONE_AT, from_id=v1), "not the one in force then"),
        (lambda s, v1, v2: event(s, Event.RESTORED, GONE_AT, to_id=v2), "without being removed first"),
        (lambda s, v1, v2: event(s, "vanished", GONE_AT, to_id=v2), "unknown event 'vanished'"),
        (
            lambda s, v1, v2: [
                event(s, Event.REMOVED, GONE_AT, from_id=v2),
                event(s, Event.MOVED, GONE_AT, from_id=v2),
            ],
            "moved at 2026-01-05T00:00:00Z while it was already gone",
        ),
        (
            lambda s, v1, v2: s._db.execute("UPDATE changes SET from_version_id = NULL WHERE event = 'edited'"),
            "a change edited has no 'from' version",
        ),
    ],
)
def test_events_that_break_the_history_are_named(home, make, problem):
    with Store(home) as store, store.transaction():
        make(store, *versions(store))
        chain.rechain(store._db, [DOC])  # sound digests: the history itself is what is wrong
    found = problems(home)
    assert any(problem in p for p in found), found


def test_an_edits_digest_is_the_one_it_had_before_events_and_an_events_covers_it(home):
    with Store(home) as store:
        [edit] = store._db.execute("SELECT id, chain_digest FROM changes").fetchall()
        assert chain.compute(store._db, DOC)[1][edit[0]] == edit[1]
        with store.transaction():
            key = event(store, Event.REMOVED, GONE_AT, from_id=versions(store)[1])
        row = store._db.execute(f"SELECT {chain.CHANGE_COLUMNS}, event FROM changes WHERE key = ?", (key,)).fetchone()
        stored = store._db.execute("SELECT chain_digest FROM changes WHERE key = ?", (key,)).fetchone()[0]
        as_edit = chain.change_digest({**dict(row), "event": "edited"}, *_ends(store, row, edit[1]))
    assert stored != as_edit  # the event is part of what the digest proves


def _ends(store: Store, row, previous: str) -> tuple[str | None, str | None, str]:
    digests = dict(store._db.execute("SELECT id, chain_digest FROM versions").fetchall())
    return digests.get(row["from_version_id"]), digests.get(row["to_version_id"]), previous


def make_old(home: Path) -> None:
    """The store as releases before events wrote it: version ends NOT NULL, no event column."""
    db = sqlite3.connect(home / "store.sqlite")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'changes'").fetchone()[0]
    for column in ("from_version_id", "to_version_id"):
        sql = re.sub(rf"{column} INTEGER REFERENCES", f"{column} INTEGER NOT NULL REFERENCES", sql)
    sql = sql.replace("CREATE TABLE changes", "CREATE TABLE changes_old", 1)
    db.execute("ALTER TABLE changes DROP COLUMN event")
    db.execute(sql.replace(", event TEXT NOT NULL DEFAULT 'edited'", ""))
    db.execute("INSERT INTO changes_old SELECT * FROM changes")
    db.execute("DROP TABLE changes")
    db.execute("ALTER TABLE changes_old RENAME TO changes")
    db.execute("CREATE INDEX changes_doc ON changes(doc_id, detected_at)")
    db.commit()
    db.close()


def not_null(home: Path) -> dict[str, int]:
    db = sqlite3.connect(home / "store.sqlite")
    try:
        return {row[1]: row[3] for row in db.execute("PRAGMA table_info(changes)")}
    finally:
        db.close()


def test_an_old_store_is_verified_as_it_is_then_migrated_keeping_every_row_and_digest(home):
    with Store(home) as store:
        before = [dict(row) for row in store._db.execute("SELECT * FROM changes ORDER BY id")]
        head = store.head()
    make_old(home)
    assert not_null(home)["from_version_id"] == 1 and "event" not in not_null(home)
    report = verify(home)  # read-only: the old store is read as it is
    assert report.ok, report.problems
    assert report.head == head
    with Store(home) as store:
        after = [dict(row) for row in store._db.execute("SELECT * FROM changes ORDER BY id")]
        assert store.head() == head
        assert [c.event for c in store.changes()] == ["edited"]
        with store.transaction():
            event(store, Event.REMOVED, GONE_AT, from_id=versions(store)[1])
    assert after == [{**row, "event": "edited"} for row in before]
    columns = not_null(home)
    assert columns["from_version_id"] == 0 and columns["to_version_id"] == 0
    with Store(home) as store:  # and the index is there again
        assert store._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'changes_doc'").fetchone()
    assert problems(home) == []
