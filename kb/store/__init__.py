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
# Columns added after the first release: (table, column, declaration). Added to a store that
# lacks them when it is opened, so old homes keep working.
ADDED_COLUMNS = (
    ("checks", "body_sha256", "TEXT"),  # sha256 of the body this check received, stored or not
    ("checks", "fingerprint", "TEXT"),  # diffs.extract.fingerprint of that body, when computed
    ("versions", "extractor_version", "TEXT"),  # diffs.EXTRACTOR_VERSION that made the text
    ("changes", "technical", "INTEGER NOT NULL DEFAULT 0"),  # 1: only the extraction rules changed
    ("changes", "tags", "TEXT NOT NULL DEFAULT '[]'"),  # JSON list of workflow ids
    ("changes", "effective_date", "TEXT"),  # YYYY-MM-DD the text gives, or NULL
    ("changes", "notice_days", "INTEGER"),  # days from detected_at to effective_date, or NULL
    ("changes", "section_changes", "TEXT NOT NULL DEFAULT '[]'"),  # JSON list of strings
)


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
            self._add_columns()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"cannot open the store in {self.home}: {exc}") from None

    def _add_columns(self) -> None:
        for table, column, declaration in ADDED_COLUMNS:
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

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
                  snapshot_id: int | None, outcome: str = "pending", reason: str | None = None,
                  body_sha256: str | None = None, fingerprint: str | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO checks (doc_id, url, checked_at, http_status, outcome, reason, snapshot_id, "
            "body_sha256, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, url, checked_at, http_status, outcome, reason, snapshot_id, body_sha256,
             fingerprint),
        )
        return cursor.lastrowid

    def set_evidence(self, check_id: int, body_sha256: str, fingerprint: str | None) -> None:
        self.db.execute("UPDATE checks SET body_sha256=?, fingerprint=? WHERE id=?",
                        (body_sha256, fingerprint, check_id))

    def unchanged_evidence(self) -> dict[str, tuple[str, str]]:
        """doc_id → (body sha256, fingerprint) of its latest good check: a response that
        matches either holds the current version's text, so it needs no extraction."""
        rows = self.db.execute(
            "SELECT c.doc_id, c.body_sha256, c.fingerprint FROM checks c JOIN ("
            "  SELECT doc_id, MAX(checked_at) AS at FROM checks"
            "  WHERE outcome IN ('first-version','new-version','unchanged')"
            "  GROUP BY doc_id) last ON last.doc_id = c.doc_id AND last.at = c.checked_at "
            "WHERE c.fingerprint IS NOT NULL ORDER BY c.id").fetchall()
        return {row["doc_id"]: (row["body_sha256"], row["fingerprint"]) for row in rows}

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

    def checks_after(self, check_id: int) -> list[Check]:
        """Checks recorded after ``check_id`` (ids grow): what one crawl or import added."""
        rows = self.db.execute("SELECT * FROM checks WHERE id > ? ORDER BY id", (check_id,)).fetchall()
        return [_check(row) for row in rows]

    def last_check_id(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM checks").fetchone()[0]

    def validators(self) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(doc_id, requested URL) -> (ETag, Last-Modified) of the newest response that was
        read as the document (a version or an unchanged check), for conditional requests.
        Taken from the stored headers: a wall or an error page never supplies them."""
        rows = self.db.execute(
            """SELECT doc_id, url, headers FROM (
                   SELECT c.doc_id, c.url, s.headers, ROW_NUMBER() OVER (
                       PARTITION BY c.doc_id, c.url ORDER BY c.checked_at DESC, c.id DESC) AS newest
                   FROM checks c JOIN snapshots s ON s.id = c.snapshot_id
                   WHERE c.outcome IN ('first-version', 'new-version', 'unchanged'))
               WHERE newest = 1""").fetchall()
        found = {}
        for row in rows:
            headers = json.loads(row["headers"])
            etag, modified = headers.get("etag"), headers.get("last-modified")
            if etag or modified:
                found[(row["doc_id"], row["url"])] = (etag, modified)
        return found

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
                    text: str, extractor_version: str | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO versions (doc_id, snapshot_id, captured_at, title, text, text_sha256, "
            "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, snapshot_id, captured_at, title, text, sha256(text), extractor_version),
        )
        return cursor.lastrowid

    def add_change(self, *, doc_id: str, from_version_id: int, to_version_id: int, detected_at: str,
                   label: str, summary: str, reasons: Iterable[Reason], silent: bool | None,
                   ops: Iterable[tuple[int, str]], sections: Iterable[str],
                   tags: Iterable[str] = (), effective_date: str | None = None,
                   notice_days: int | None = None, technical: bool = False,
                   section_changes: Iterable[str] = ()) -> str:
        """Record a change; ``technical``: it comes only from new extraction rules
        (``policywatch reextract``), so it stays out of ``changes()`` and the feed."""
        key = f"{doc_id}/{compact_time(detected_at)}" + ("-technical" if technical else "")
        self.db.execute(
            "INSERT INTO changes (key, doc_id, from_version_id, to_version_id, detected_at, label, "
            "summary, reasons, silent, ops, sections, tags, effective_date, notice_days, technical, "
            "section_changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, doc_id, from_version_id, to_version_id, detected_at, label, summary,
             json.dumps([{"kind": r.kind, "text": r.text} for r in reasons]),
             None if silent is None else int(silent),
             json.dumps([[op, text] for op, text in ops], ensure_ascii=False),
             json.dumps(list(sections), ensure_ascii=False),
             json.dumps(list(tags)), effective_date, notice_days, int(technical),
             json.dumps(list(section_changes), ensure_ascii=False)),
        )
        return key

    def changes(self, doc_id: str | None = None, *, technical: bool = False) -> list[Change]:
        """Changes in detection order; technical upgrades only with ``technical=True``."""
        where = "" if technical else " AND technical=0"
        if doc_id is None:
            rows = self.db.execute(f"SELECT * FROM changes WHERE 1{where} ORDER BY detected_at, id").fetchall()
        else:
            rows = self.db.execute(f"SELECT * FROM changes WHERE doc_id=?{where} ORDER BY detected_at, id",
                                   (doc_id,)).fetchall()
        return [_change(row) for row in rows]

    def version_extractor(self, version_id: int) -> str | None:
        """The ``diffs.EXTRACTOR_VERSION`` that made a version (None: before it was recorded)."""
        row = self.db.execute("SELECT extractor_version FROM versions WHERE id=?", (version_id,)).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        q = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        counts = {
            "documents": q("SELECT COUNT(*) FROM documents"),
            "snapshots": q("SELECT COUNT(*) FROM snapshots"),
            "checks": q("SELECT COUNT(*) FROM checks"),
            "versions": q("SELECT COUNT(*) FROM versions"),
            "changes": q("SELECT COUNT(*) FROM changes WHERE technical=0"),
            "technical_upgrades": q("SELECT COUNT(*) FROM changes WHERE technical=1"),
            "failed_checks": q("SELECT COUNT(*) FROM checks WHERE outcome='failed'"),
        }
        for label in ("substantive", "minor", "noise"):
            counts[f"changes_{label}"] = self.db.execute(
                "SELECT COUNT(*) FROM changes WHERE label=? AND technical=0", (label,)).fetchone()[0]
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

    # -- the whole store at once: verify, export, restore ------------------

    TABLES = ("documents", "snapshots", "checks", "versions", "changes")  # bodies: see bodies()

    @classmethod
    def open_read_only(cls, home: Path) -> Store:
        """Open an existing store without changing it (``policywatch verify``, ``export``)."""
        store = cls.__new__(cls)
        store.home = Path(home)
        store.path = store.home / "store.sqlite"
        if not store.path.is_file():
            raise StoreError(f"no store in {store.home}", hint="pass the --home of an existing store")
        problem: Exception | None = None
        for mode in ("mode=ro", "immutable=1"):  # immutable: a home on read-only media
            db = sqlite3.connect(f"{store.path.as_uri()}?{mode}", uri=True, timeout=30)
            try:
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError as exc:
                db.close()
                problem = exc
                continue
            except sqlite3.DatabaseError as exc:
                db.close()
                raise StoreError(f"{store.path} is not a readable store: {exc}",
                                 hint="restore the home from an export") from None
            db.row_factory = sqlite3.Row
            store.db = db
            return store
        raise StoreError(f"cannot open {store.path} read-only: {problem}") from None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One consistent view for a long read, even while a crawl writes (WAL); a damaged
        database file surfaces as a StoreError."""
        self.db.execute("BEGIN")
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is damaged: {exc}", hint="restore the home from an export") from None
        finally:
            try:
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError:
                pass  # nothing was written; the damage is reported above

    def integrity_errors(self) -> list[str]:
        """What SQLite's own checks find: damaged pages or indexes, dangling references."""
        try:
            problems = [row[0] for row in self.db.execute("PRAGMA integrity_check") if row[0] != "ok"]
            problems += [f"{row[0]} row {row[1]} points at a missing {row[2]} row"
                         for row in self.db.execute("PRAGMA foreign_key_check")]
        except sqlite3.DatabaseError as exc:
            problems = [f"the database file is damaged: {exc}"]
        return problems

    def bodies(self) -> Iterator[tuple[str, int, bytes | None]]:
        """Every stored body: (sha256 it is filed under, recorded size, bytes or None if unreadable)."""
        for row in self.db.execute("SELECT sha256, size, data FROM blobs ORDER BY sha256"):
            try:
                body = zlib.decompress(row["data"])
            except (zlib.error, TypeError):
                body = None
            yield row["sha256"], row["size"], body

    def rows(self, table: str) -> Iterator[dict]:
        """Every row of one of ``TABLES`` as a plain dict, in id order (export)."""
        if table not in self.TABLES:
            raise ValueError(f"unknown table {table!r}")
        order = "doc_id" if table == "documents" else "id"
        for row in self.db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            yield dict(row)

    def insert_row(self, table: str, row: dict) -> None:
        """Insert an exported row exactly as it was, ids included (restore)."""
        if table not in self.TABLES:
            raise ValueError(f"unknown table {table!r}")
        columns = [info[1] for info in self.db.execute(f"PRAGMA table_info({table})")]
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise StoreError(f"{table} has no column {', '.join(unknown)}",
                             hint="restore with the policywatch version that made the export")
        names = [c for c in columns if c in row]
        self.db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                        [row[c] for c in names])

    def add_body(self, body: bytes) -> str:
        """Store a body (once per content); returns its sha256."""
        digest = sha256(body)
        self.db.execute("INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
                        (digest, len(body), zlib.compress(body, 6)))
        return digest


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
        tags=tuple(json.loads(row["tags"])), effective_date=row["effective_date"],
        notice_days=row["notice_days"], technical=bool(row["technical"]),
        section_changes=tuple(json.loads(row["section_changes"])),
    )
