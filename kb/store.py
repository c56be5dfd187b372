"""The snapshot store: the only module that talks to the database.

Layout (SQLite, ``<home>/store.sqlite``, WAL journal):

- ``blobs``: raw response bodies, zlib-compressed, addressed by the sha256 of the raw bytes;
- ``snapshots``: one row per stored response (URL, status, headers, fetch time, body sha256).
  Snapshots are immutable evidence: nothing updates or deletes them;
- ``checks``: every attempt to fetch a document, with its outcome once processed;
- ``versions``: extracted text derived from a snapshot (records which one);
- ``changes``: the difference between consecutive versions, its diff and classification.

Every write that belongs together is one transaction, so a killed process never
leaves half a version or a change behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import StoreError, UnknownDocument
from kb.models import Change, Check, Document, PublishInput, Reason, Version

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    marketplace TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    origin TEXT NOT NULL,          -- 'declared' or 'discovered'
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL              -- zlib-compressed raw body
);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    headers TEXT NOT NULL,          -- JSON object
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    origin TEXT NOT NULL            -- 'crawl' or 'import'
);
CREATE INDEX IF NOT EXISTS snapshots_doc ON snapshots(doc_id, fetched_at);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    url TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    http_status INTEGER,
    outcome TEXT NOT NULL,          -- pending | first-version | new-version | unchanged | failed | gone
    reason TEXT,
    snapshot_id INTEGER REFERENCES snapshots(id)
);
CREATE INDEX IF NOT EXISTS checks_doc ON checks(doc_id, checked_at);
CREATE INDEX IF NOT EXISTS checks_pending ON checks(outcome) WHERE outcome = 'pending';
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    captured_at TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_doc ON versions(doc_id, captured_at);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    from_version_id INTEGER NOT NULL REFERENCES versions(id),
    to_version_id INTEGER NOT NULL REFERENCES versions(id),
    detected_at TEXT NOT NULL,
    label TEXT NOT NULL,
    summary TEXT NOT NULL,
    reasons TEXT NOT NULL,          -- JSON list of {kind, text}
    silent INTEGER,                 -- 1, 0 or NULL (no stated date found)
    ops TEXT NOT NULL,              -- JSON list of [op, text]
    sections TEXT NOT NULL          -- JSON list of section labels
);
CREATE INDEX IF NOT EXISTS changes_doc ON changes(doc_id, detected_at);
"""


def resolve_home(home: str | os.PathLike | None) -> Path:
    """``--home``, else ``$POLICYWATCH_HOME``, else ``~/.policywatch``."""
    value = home or os.environ.get("POLICYWATCH_HOME")
    if not value:
        return Path.home() / ".policywatch"
    return Path(value).expanduser().resolve()


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class Store:
    """Open (and create if needed) the store of a home folder."""

    def __init__(self, home: Path):
        self.home = Path(home)
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.path = self.home / "store.sqlite"
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"cannot open the store in {self.home}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- documents -------------------------------------------------------

    def ensure_document(self, doc_id: str, *, title: str, url: str, marketplace: str,
                        doc_type: str, origin: str, seen_at: str) -> None:
        """Register a document, or refresh its declared title and URL."""
        self.db.execute(
            """INSERT INTO documents (doc_id, title, url, marketplace, doc_type, origin, first_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(doc_id) DO UPDATE SET title=excluded.title, url=excluded.url,
                   doc_type=excluded.doc_type,
                   origin=CASE WHEN excluded.origin='declared' THEN 'declared' ELSE origin END,
                   first_seen=MIN(first_seen, excluded.first_seen)""",
            (doc_id, title, url, marketplace, doc_type, origin, seen_at),
        )

    def has_document(self, doc_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone() is not None

    def discovered_documents(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM documents WHERE origin='discovered' ORDER BY doc_id").fetchall()

    def documents(self) -> list[Document]:
        rows = self.db.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
        return [self._document(row) for row in rows]

    def document(self, doc_id: str) -> Document:
        row = self.db.execute("SELECT * FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise UnknownDocument(f"unknown document '{doc_id}'")
        return self._document(row)

    def _document(self, row: sqlite3.Row) -> Document:
        doc_id = row["doc_id"]
        last = self.db.execute(
            "SELECT checked_at, outcome, reason FROM checks WHERE doc_id=? AND outcome!='pending' "
            "ORDER BY checked_at DESC, id DESC LIMIT 1", (doc_id,)).fetchone()
        good = self.db.execute(
            "SELECT MAX(checked_at) FROM checks WHERE doc_id=? AND outcome IN "
            "('first-version','new-version','unchanged')", (doc_id,)).fetchone()[0]
        changed = self.db.execute(
            "SELECT MAX(detected_at) FROM changes WHERE doc_id=?", (doc_id,)).fetchone()[0]
        status, failure = "active", None
        if last is not None and last["outcome"] == "gone":
            status, failure = "gone", last["reason"]
        elif last is not None and last["outcome"] == "failed":
            status, failure = "failing", last["reason"]
        return Document(
            doc_id=doc_id, title=row["title"], url=row["url"], marketplace=row["marketplace"],
            doc_type=row["doc_type"], status=status, first_seen=row["first_seen"],
            last_checked=last["checked_at"] if last else None, last_good_check=good,
            last_changed=changed, failure=failure,
        )

    # -- snapshots and checks --------------------------------------------

    def add_snapshot(self, *, doc_id: str, url: str, fetched_at: str, http_status: int,
                     headers: dict[str, str], body: bytes, origin: str = "crawl") -> tuple[int, str]:
        """Store a raw response; returns (snapshot id, sha256 of the body)."""
        digest = sha256(body)
        self.db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
            (digest, len(body), zlib.compress(body, 6)),
        )
        cursor = self.db.execute(
            "INSERT INTO snapshots (doc_id, url, fetched_at, http_status, headers, sha256, origin) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, url, fetched_at, http_status, json.dumps(headers, sort_keys=True), digest, origin),
        )
        return cursor.lastrowid, digest

    def add_check(self, *, doc_id: str, url: str, checked_at: str, http_status: int | None,
                  snapshot_id: int | None, outcome: str = "pending", reason: str | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO checks (doc_id, url, checked_at, http_status, outcome, reason, snapshot_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, url, checked_at, http_status, outcome, reason, snapshot_id),
        )
        return cursor.lastrowid

    def pending_checks(self) -> list[Check]:
        rows = self.db.execute(
            "SELECT * FROM checks WHERE outcome='pending' ORDER BY checked_at, id").fetchall()
        return [_check(row) for row in rows]

    def checks(self, doc_id: str | None = None) -> list[Check]:
        if doc_id is None:
            rows = self.db.execute("SELECT * FROM checks ORDER BY checked_at, id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM checks WHERE doc_id=? ORDER BY checked_at, id",
                                   (doc_id,)).fetchall()
        return [_check(row) for row in rows]

    def previous_outcome(self, check: Check) -> str | None:
        """Outcome of the document's check just before this one."""
        row = self.db.execute(
            "SELECT outcome FROM checks WHERE doc_id=? AND outcome!='pending' AND "
            "(checked_at < ? OR (checked_at = ? AND id < ?)) ORDER BY checked_at DESC, id DESC LIMIT 1",
            (check.doc_id, check.checked_at, check.checked_at, check.id)).fetchone()
        return row["outcome"] if row else None

    def set_outcome(self, check_id: int, outcome: str, reason: str | None = None) -> None:
        self.db.execute("UPDATE checks SET outcome=?, reason=? WHERE id=?", (outcome, reason, check_id))

    def snapshot(self, snapshot_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM snapshots WHERE id=?", (snapshot_id,)).fetchone()
        if row is None:
            raise StoreError(f"snapshot {snapshot_id} is missing from the store")
        return row

    def snapshot_body(self, snapshot_id: int) -> bytes:
        row = self.db.execute(
            "SELECT b.data FROM snapshots s JOIN blobs b ON b.sha256 = s.sha256 WHERE s.id=?",
            (snapshot_id,)).fetchone()
        if row is None:
            raise StoreError(f"snapshot {snapshot_id} has no stored body")
        return zlib.decompress(row["data"])

    # -- versions and changes --------------------------------------------

    def latest_version(self, doc_id: str, before: str | None = None) -> Version | None:
        sql = "SELECT v.*, s.sha256 AS snapshot_sha256 FROM versions v JOIN snapshots s ON s.id=v.snapshot_id WHERE v.doc_id=?"
        args: tuple = (doc_id,)
        if before is not None:
            sql += " AND v.captured_at <= ?"
            args += (before,)
        row = self.db.execute(sql + " ORDER BY v.captured_at DESC, v.id DESC LIMIT 1", args).fetchone()
        return _version(row) if row else None

    def versions(self, doc_id: str | None = None) -> list[Version]:
        sql = "SELECT v.*, s.sha256 AS snapshot_sha256 FROM versions v JOIN snapshots s ON s.id=v.snapshot_id"
        if doc_id is None:
            rows = self.db.execute(sql + " ORDER BY v.doc_id, v.captured_at, v.id").fetchall()
        else:
            rows = self.db.execute(sql + " WHERE v.doc_id=? ORDER BY v.captured_at, v.id", (doc_id,)).fetchall()
        return [_version(row) for row in rows]

    def add_version(self, *, doc_id: str, snapshot_id: int, captured_at: str, title: str,
                    text: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO versions (doc_id, snapshot_id, captured_at, title, text, text_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (doc_id, snapshot_id, captured_at, title, text, sha256(text)),
        )
        return cursor.lastrowid

    def add_change(self, *, doc_id: str, from_version_id: int, to_version_id: int, detected_at: str,
                   label: str, summary: str, reasons: Iterable[Reason], silent: bool | None,
                   ops: Iterable[tuple[int, str]], sections: Iterable[str]) -> str:
        key = f"{doc_id}/{compact_time(detected_at)}"
        self.db.execute(
            "INSERT INTO changes (key, doc_id, from_version_id, to_version_id, detected_at, label, "
            "summary, reasons, silent, ops, sections) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, doc_id, from_version_id, to_version_id, detected_at, label, summary,
             json.dumps([{"kind": r.kind, "text": r.text} for r in reasons]),
             None if silent is None else int(silent),
             json.dumps([[op, text] for op, text in ops], ensure_ascii=False),
             json.dumps(list(sections), ensure_ascii=False)),
        )
        return key

    def changes(self, doc_id: str | None = None) -> list[Change]:
        if doc_id is None:
            rows = self.db.execute("SELECT * FROM changes ORDER BY detected_at, id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM changes WHERE doc_id=? ORDER BY detected_at, id",
                                   (doc_id,)).fetchall()
        return [_change(row) for row in rows]

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        counts = {
            "documents": q("SELECT COUNT(*) FROM documents"),
            "snapshots": q("SELECT COUNT(*) FROM snapshots"),
            "checks": q("SELECT COUNT(*) FROM checks"),
            "versions": q("SELECT COUNT(*) FROM versions"),
            "changes": q("SELECT COUNT(*) FROM changes"),
            "failed_checks": q("SELECT COUNT(*) FROM checks WHERE outcome='failed'"),
        }
        for label in ("substantive", "minor", "noise"):
            counts[f"changes_{label}"] = self.db.execute(
                "SELECT COUNT(*) FROM changes WHERE label=?", (label,)).fetchone()[0]
        return counts

    def publish_input(self) -> PublishInput:
        versions = self.versions()
        current: dict[str, Version] = {}
        for version in versions:  # ordered by doc, then time: the last one wins
            current[version.doc_id] = version
        generated_at = self.db.execute("SELECT MAX(checked_at) FROM checks").fetchone()[0] or ""
        return PublishInput(
            generated_at=generated_at,
            documents=tuple(self.documents()),
            current=current,
            changes=tuple(self.changes()),
            versions={v.id: v for v in versions},
        )


def compact_time(iso: str) -> str:
    """``2026-11-01T06:00:00Z`` → ``20261101T060000Z``: a permalink-safe key part."""
    return iso.replace("-", "").replace(":", "").split(".")[0].rstrip("Z") + "Z"


def _check(row: sqlite3.Row) -> Check:
    return Check(id=row["id"], doc_id=row["doc_id"], url=row["url"], checked_at=row["checked_at"],
                 http_status=row["http_status"], outcome=row["outcome"], reason=row["reason"],
                 snapshot_id=row["snapshot_id"])


def _version(row: sqlite3.Row) -> Version:
    return Version(id=row["id"], doc_id=row["doc_id"], snapshot_id=row["snapshot_id"],
                   snapshot_sha256=row["snapshot_sha256"], captured_at=row["captured_at"],
                   title=row["title"], text=row["text"], text_sha256=row["text_sha256"])


def _change(row: sqlite3.Row) -> Change:
    silent = row["silent"]
    return Change(
        id=row["id"], key=row["key"], doc_id=row["doc_id"], from_version_id=row["from_version_id"],
        to_version_id=row["to_version_id"], detected_at=row["detected_at"], label=row["label"],
        summary=row["summary"],
        reasons=tuple(Reason(r["kind"], r["text"]) for r in json.loads(row["reasons"])),
        silent=None if silent is None else bool(silent),
        ops=tuple((op, text) for op, text in json.loads(row["ops"])),
        sections=tuple(json.loads(row["sections"])),
    )
