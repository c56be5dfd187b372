"""The store's tables (SQLite) and the columns added since the first release.

Only the store package runs SQL; this module holds its data definition.
"""

from __future__ import annotations

import re
import sqlite3

from kb.store import chain

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
    outcome TEXT NOT NULL,          -- pending | first-version | new-version | unchanged | flap | failed | gone
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
    from_version_id INTEGER REFERENCES versions(id),   -- NULL: a page added or back again
    to_version_id INTEGER REFERENCES versions(id),     -- NULL: a page removed or moved
    detected_at TEXT NOT NULL,
    label TEXT NOT NULL,
    summary TEXT NOT NULL,
    reasons TEXT NOT NULL,          -- JSON list of {kind, text}
    silent INTEGER,                 -- 1, 0 or NULL (no stated date found)
    ops TEXT NOT NULL,              -- JSON list of [op, text]
    sections TEXT NOT NULL          -- JSON list of section labels
);
CREATE INDEX IF NOT EXISTS changes_doc ON changes(doc_id, detected_at);
CREATE TABLE IF NOT EXISTS subscriptions (   -- each destination of notify.yaml's subscriptions, as first seen
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    destination TEXT NOT NULL,      -- as in deliveries
    added_at TEXT NOT NULL,         -- clock time of the run that first saw it
    starts_after TEXT NOT NULL,     -- newest check then: only changes detected later are due ('' = all)
    UNIQUE (name, destination)
);
CREATE TABLE IF NOT EXISTS deliveries (      -- one message to one destination of a subscription
    id INTEGER PRIMARY KEY,
    subscription TEXT NOT NULL,
    destination TEXT NOT NULL,      -- sha256 of the Apprise URL without its password (kb.notify)
    shown_as TEXT NOT NULL,         -- the URL with its secrets masked
    kind TEXT NOT NULL,             -- each | daily | weekly | test
    period TEXT,                    -- a digest's day (2026-08-24) or ISO week (2026-W35)
    change_keys TEXT NOT NULL,      -- JSON list of the keys of the changes it carries
    state TEXT NOT NULL,            -- sending | sent | failed | unconfirmed
    error TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_to ON deliveries(subscription, destination);
CREATE TABLE IF NOT EXISTS marketplaces (    -- each marketplace's declared name, as of the latest run
    marketplace TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
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
    ("checks", "fault", "TEXT"),  # kb.models.FaultKind of a failed or gone check
    ("changes", "section_details", "TEXT NOT NULL DEFAULT '[]'"),  # JSON list of {id, label, changes}
    ("changes", "flap", "INTEGER NOT NULL DEFAULT 0"),  # 1: back to a recent text (diffs.flapping), not reported
    ("changes", "returns_to", "INTEGER REFERENCES versions(id)"),  # the earlier version whose text came back
    ("changes", "flapping", "TEXT NOT NULL DEFAULT '[]'"),  # JSON list of {key, before, after, …} a flap switched
    ("versions", "chain_digest", "TEXT"),  # kb.store.chain: over its snapshot, its text, the previous version
    ("changes", "chain_digest", "TEXT"),  # kb.store.chain: over its versions, its content, the previous change
    ("documents", "role", "TEXT"),  # kb.sources.ROLES as declared ("announcements"), or NULL
    ("changes", "event", "TEXT NOT NULL DEFAULT 'edited'"),  # kb.models.Event: edited, added, removed, …
)
# Constraints dropped since: (table, column) that were NOT NULL in older stores.
NULLABLE_SINCE = (("changes", "from_version_id"), ("changes", "to_version_id"))


def migrate(db: sqlite3.Connection) -> None:
    """Create what is missing: the tables of a new store, the added columns of an old one."""
    db.executescript(SCHEMA)
    chained = True
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            chained = chained and column != "chain_digest"
    if not chained:  # a store older than the chain: its rows are digested once, as they are now
        chain.fill_missing(db)
    if _not_null(db):
        _drop_not_null(db)


def _not_null(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """The columns of ``NULLABLE_SINCE`` that this store still declares NOT NULL."""
    found = []
    for table, column in NULLABLE_SINCE:
        if any(row[1] == column and row[3] for row in db.execute(f"PRAGMA table_info({table})")):
            found.append((table, column))
    return found


def _drop_not_null(db: sqlite3.Connection) -> None:
    """Drop those NOT NULL constraints: SQLite cannot alter a column, so the table is made
    again from its own declaration (its added columns included) less the constraint, its rows
    copied in the same order and ids, and its indexes made again; one transaction, so a killed
    process leaves the old table. Nothing references ``changes``, so no other table moves."""
    for table in sorted({table for table, _ in _not_null(db)}):
        columns = {column for t, column in NULLABLE_SINCE if t == table}
        sql = db.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()[0]
        for column in columns:
            sql, found = re.subn(rf"(\b{column}\s+INTEGER)\s+NOT\s+NULL\b", r"\1", sql, flags=re.IGNORECASE)
            if not found:
                raise sqlite3.DatabaseError(f"cannot read the declaration of {table}.{column} to migrate it")
        indexes = [
            row[0]
            for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL", (table,)
            )
        ]
        new = f"{table}_migrating"
        body = re.sub(
            rf'^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?"?{table}"?',
            f"CREATE TABLE {new}",
            sql,
            count=1,
            flags=re.IGNORECASE,
        )
        names = ", ".join(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
        in_transaction = db.in_transaction
        if not in_transaction:
            db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"DROP TABLE IF EXISTS {new}")
            db.execute(body)
            db.execute(f"INSERT INTO {new} ({names}) SELECT {names} FROM {table}")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE {new} RENAME TO {table}")
            for index in indexes:
                db.execute(index)
        except BaseException:
            if not in_transaction:
                db.execute("ROLLBACK")
            raise
        if not in_transaction:
            db.execute("COMMIT")


def needs_migration(db: sqlite3.Connection) -> bool:
    """Whether ``migrate`` would change anything (a read-only open can serve the store as is)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"documents", "blobs", "snapshots", "checks", "versions", "changes"} <= tables:
        return True
    for table, column, _ in ADDED_COLUMNS:
        if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            return True
    return bool(_not_null(db))
