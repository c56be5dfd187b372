"""Values derived from stored texts by pure functions, kept between runs: ``<home>/derived.sqlite``.

A publish reads the quantified rules of every version of every document (``diffs.quantified``);
they depend on nothing but the version's text and the code that reads it, so they are computed
once per text and kept here, keyed by the kind of value, the text's sha256 and a digest of the
code (``code``). A value kept under another code is never read: it is computed again and
replaces it, so changing the code needs no migration.

This is a cache, not evidence: it lives beside the store, not in it, so export, restore,
verify and the chain never see it; deleting the file costs only the time to compute it again,
and a file that is not a database any more is deleted and started afresh rather than
failing a publish.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

FILE = "derived.sqlite"
_BATCH = 500  # keys per SELECT: under SQLite's limit on bound parameters


class Derived:
    """Derived values by (kind, key), valid for one ``code``."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / FILE
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = self._connect()
            except sqlite3.DatabaseError:  # not a database any more: it is only a cache
                self.path.unlink(missing_ok=True)
                self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a lost write is computed again
            db.execute(
                "CREATE TABLE IF NOT EXISTS derived (kind TEXT NOT NULL, key TEXT NOT NULL, "
                "code TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, kind: str, code: str, keys: Iterable[str]) -> dict[str, str]:
        """The values kept for ``keys`` under ``code`` (missing keys are left out)."""
        db = self._open()
        wanted = sorted(set(keys))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            rows = db.execute(
                f"SELECT key, value FROM derived WHERE kind=? AND code=? AND key IN ({','.join('?' * len(batch))})",
                (kind, code, *batch),
            )
            found.update(rows)
        return found

    def put(self, kind: str, code: str, values: Mapping[str, str]) -> None:
        """Keep ``values`` (key → value) under ``code``, replacing what another code left."""
        if not values:
            return
        db = self._open()
        with db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO derived (kind, key, code, value) VALUES (?, ?, ?, ?)",
                ((kind, key, code, value) for key, value in values.items()),
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
