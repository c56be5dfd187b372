"""The snapshot store: the only package that runs SQL (``schema``, ``verify``, ``archive``).

Its interface, as verbs (``Store``):

- documents: ``ensure_document``, ``documents``, ``document``, ``has_document``;
- evidence: ``add_response`` (a snapshot and its pending check), ``add_snapshot``, ``add_check``,
  ``snapshot``, ``snapshot_body``; snapshots are never updated or deleted;
- checks: ``pending_checks``, ``checks``, ``checks_after``, ``set_outcome``, ``previous_outcome``,
  and what the crawler's fast path and conditional requests read (``unchanged_evidence``,
  ``validators``, ``set_evidence``);
- derived records: ``add_version``, ``versions``, ``latest_version``, ``add_change``, ``changes``,
  ``delete_derived`` (before a history is derived again from the snapshots), and what the
  flapping rule reads (``version_digests``, ``recent_versions``, ``flaps``);
- notifications (``kb.notify``): ``start_subscription``, ``newest_check_time``,
  ``begin_delivery`` (recorded before the send), ``finish_delivery``, ``deliveries``,
  ``unconfirm_deliveries``, ``delivery_problems``;
- reads for the other stages: ``counts``, ``publish_input`` (with ``texts=False``: without the
  texts, read one at a time by ``version_text``), ``derived`` (values derived from texts, kept
  beside the store: ``kb.store.derived``);
- the whole store: ``open_read_only``, ``reading``, ``integrity_errors``, ``bodies``, ``rows``,
  ``insert_row``, ``add_body``, ``checkpoint`` (verify, export, restore).

Layout (SQLite, ``<home>/store.sqlite`` (``Store.FILE``), WAL journal; ``kb.store.schema``):

- ``blobs``: raw response bodies, zlib-compressed, addressed by the sha256 of the raw bytes;
- ``snapshots``: one row per stored response (URL, status, headers, fetch time, body sha256).
  Snapshots are immutable evidence: nothing updates or deletes them;
- ``checks``: every attempt to fetch a document, with its outcome once processed;
- ``versions``: extracted text derived from a snapshot (records which one);
- ``changes``: the difference between consecutive versions, its diff and classification; a
  flap (``diffs.flapping``) is a change marked ``flap``, kept out of ``changes()`` by default;
- ``subscriptions``, ``deliveries``: when each destination of each subscription of ``notify.yaml``
  was first seen, and every message sent (or tried) to it, with the changes it carried.

Every write that belongs together is one transaction, so a killed process never
leaves half a version or a change behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from kb.errors import DiskFull, StoreError, UnknownDocument
from kb.models import (
    CLASSES,
    GOOD_OUTCOMES,
    Change,
    Check,
    Delivery,
    DeliveryState,
    Document,
    Event,
    FlapPassage,
    Outcome,
    PublishInput,
    Reason,
    SectionChange,
    Snapshot,
    Version,
)
from kb.store import chain
from kb.store.derived import Derived
from kb.store.lock import make_home
from kb.store.schema import migrate, needs_migration
from kb.timeutil import compact

# The outcomes that read a response as the document, as an SQL list (defined once, in kb.models).
_GOOD = "(" + ", ".join(f"'{outcome}'" for outcome in GOOD_OUTCOMES) + ")"


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

    FILE = "store.sqlite"  # the store's file in a home: the one place that names it

    _derived: Derived | None = None

    def __init__(self, home: Path):
        self.home = Path(home)
        make_home(self.home)
        try:
            self.path = self.home / self.FILE
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            migrate(self._db)
        except (OSError, sqlite3.DatabaseError) as exc:
            if is_disk_full(exc):
                raise write_failure(exc, self.home, "open the store") from None
            raise StoreError(f"cannot open the store in {self.home}: {exc}") from None

    @classmethod
    def exists_in(cls, home: Path) -> bool:
        return (Path(home) / cls.FILE).exists()

    def close(self) -> None:
        if self._derived is not None:
            self._derived.close()
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; a full disk (or a failing one) is a ``DiskFull``/``StoreError``
        and leaves the store as it was before the transaction."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
        except (sqlite3.OperationalError, OSError) as exc:
            if not is_disk_full(exc):
                raise
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled back itself
            raise write_failure(exc, self.home, "record") from None

    # -- documents -------------------------------------------------------

    def ensure_document(
        self,
        doc_id: str,
        *,
        title: str,
        url: str,
        marketplace: str,
        doc_type: str,
        origin: str,
        seen_at: str,
        role: str | None = None,
    ) -> None:
        """Register a document, or refresh its declared title, URL and role."""
        self._db.execute(
            """INSERT INTO documents (doc_id, title, url, marketplace, doc_type, origin, first_seen, role)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(doc_id) DO UPDATE SET title=excluded.title, url=excluded.url,
                   doc_type=excluded.doc_type,
                   role=CASE WHEN excluded.origin='declared' THEN excluded.role ELSE role END,
                   origin=CASE WHEN excluded.origin='declared' THEN 'declared' ELSE origin END,
                   first_seen=MIN(first_seen, excluded.first_seen)""",
            (doc_id, title, url, marketplace, doc_type, origin, seen_at, role),
        )

    def name_marketplaces(self, names: Iterable[tuple[str, str]]) -> None:
        """Remember each marketplace's declared name (``kb.sources``: ``name:``), for the site
        and the feeds, which are published without the declarations."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO marketplaces (marketplace, name) VALUES (?, ?) "
                "ON CONFLICT(marketplace) DO UPDATE SET name=excluded.name WHERE name != excluded.name",
                list(names),
            )

    def marketplace_names(self) -> dict[str, str]:
        """marketplace → its declared name, for those a run has named (none in a store written
        before names were kept, or opened read-only before any run added the table)."""
        if not self._has_table("marketplaces"):
            return {}
        return {row[0]: row[1] for row in self._db.execute("SELECT marketplace, name FROM marketplaces")}

    def has_document(self, doc_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone() is not None

    def discovered_documents(self) -> list[tuple[str, str]]:
        """(doc_id, url) of the documents a crawl found through a hub or a sitemap."""
        rows = self._db.execute(
            "SELECT doc_id, url FROM documents WHERE origin='discovered' ORDER BY doc_id"
        ).fetchall()
        return [(row["doc_id"], row["url"]) for row in rows]

    def documents(self) -> list[Document]:
        rows = self._db.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
        return [self._document(row) for row in rows]

    def document(self, doc_id: str) -> Document:
        row = self._db.execute("SELECT * FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise UnknownDocument(f"unknown document '{doc_id}'")
        return self._document(row)

    def _document(self, row: sqlite3.Row) -> Document:
        doc_id = row["doc_id"]
        last = self._db.execute(
            f"SELECT checked_at, outcome, reason, fault FROM checks WHERE doc_id=? AND outcome!='{Outcome.PENDING}' "
            "ORDER BY checked_at DESC, id DESC LIMIT 1",
            (doc_id,),
        ).fetchone()
        good = self._db.execute(
            f"SELECT MAX(checked_at) FROM checks WHERE doc_id=? AND outcome IN {_GOOD}", (doc_id,)
        ).fetchone()[0]
        changed = self._db.execute(
            "SELECT MAX(detected_at) FROM changes WHERE doc_id=? AND flap=0", (doc_id,)
        ).fetchone()[0]
        status, failure, fault = "active", None, None
        if last is not None and last["outcome"] == Outcome.GONE:
            status, failure, fault = "gone", last["reason"], last["fault"]
        elif last is not None and last["outcome"] == Outcome.FAILED:
            status, failure, fault = "failing", last["reason"], last["fault"]
        return Document(
            doc_id=doc_id,
            title=row["title"],
            url=row["url"],
            marketplace=row["marketplace"],
            doc_type=row["doc_type"],
            status=status,
            first_seen=row["first_seen"],
            last_checked=last["checked_at"] if last else None,
            last_good_check=good,
            last_changed=changed,
            failure=failure,
            fault=fault,
            role=row["role"],
        )

    # -- snapshots and checks --------------------------------------------

    def add_snapshot(
        self,
        *,
        doc_id: str,
        url: str,
        fetched_at: str,
        http_status: int,
        headers: dict[str, str],
        body: bytes,
        origin: str = "crawl",
    ) -> tuple[int, str]:
        """Store a raw response; returns (snapshot id, sha256 of the body)."""
        digest = sha256(body)
        self._db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
            (digest, len(body), zlib.compress(body, 6)),
        )
        cursor = self._db.execute(
            "INSERT INTO snapshots (doc_id, url, fetched_at, http_status, headers, sha256, origin) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, url, fetched_at, http_status, json.dumps(headers, sort_keys=True), digest, origin),
        )
        return cursor.lastrowid, digest

    def add_check(
        self,
        *,
        doc_id: str,
        url: str,
        checked_at: str,
        http_status: int | None,
        snapshot_id: int | None,
        outcome: str = Outcome.PENDING,
        reason: str | None = None,
        body_sha256: str | None = None,
        fingerprint: str | None = None,
        fault: str | None = None,
    ) -> int:
        cursor = self._db.execute(
            "INSERT INTO checks (doc_id, url, checked_at, http_status, outcome, reason, snapshot_id, "
            "body_sha256, fingerprint, fault) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc_id,
                url,
                checked_at,
                http_status,
                str(outcome),
                reason,
                snapshot_id,
                body_sha256,
                fingerprint,
                None if fault is None else str(fault),
            ),
        )
        return cursor.lastrowid

    def add_response(
        self,
        *,
        doc_id: str,
        requested_url: str,
        url: str,
        fetched_at: str,
        http_status: int,
        headers: dict[str, str],
        body: bytes,
        origin: str = "crawl",
    ) -> int:
        """Store a response as evidence and the pending check that will process it (one call,
        so the two are never apart); returns the check id. The check names the URL that was
        asked for, the snapshot the URL that answered."""
        snapshot_id, _ = self.add_snapshot(
            doc_id=doc_id,
            url=url,
            fetched_at=fetched_at,
            http_status=http_status,
            headers=headers,
            body=body,
            origin=origin,
        )
        return self.add_check(
            doc_id=doc_id, url=requested_url, checked_at=fetched_at, http_status=http_status, snapshot_id=snapshot_id
        )

    def set_evidence(self, check_id: int, body_sha256: str, fingerprint: str | None) -> None:
        self._db.execute(
            "UPDATE checks SET body_sha256=?, fingerprint=? WHERE id=?", (body_sha256, fingerprint, check_id)
        )

    def unchanged_evidence(self) -> dict[str, tuple[str, str]]:
        """doc_id → (body sha256, fingerprint) of its latest good check: a response that
        matches either holds the current version's text, so it needs no extraction."""
        rows = self._db.execute(
            "SELECT c.doc_id, c.body_sha256, c.fingerprint FROM checks c JOIN ("
            "  SELECT doc_id, MAX(checked_at) AS at FROM checks"
            f"  WHERE outcome IN {_GOOD}"
            "  GROUP BY doc_id) last ON last.doc_id = c.doc_id AND last.at = c.checked_at "
            "WHERE c.fingerprint IS NOT NULL ORDER BY c.id"
        ).fetchall()
        return {row["doc_id"]: (row["body_sha256"], row["fingerprint"]) for row in rows}

    def pending_checks(self) -> list[Check]:
        rows = self._db.execute(
            "SELECT * FROM checks WHERE outcome=? ORDER BY checked_at, id", (Outcome.PENDING,)
        ).fetchall()
        return [_check(row) for row in rows]

    def checks(self, doc_id: str | None = None) -> list[Check]:
        if doc_id is None:
            rows = self._db.execute("SELECT * FROM checks ORDER BY checked_at, id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM checks WHERE doc_id=? ORDER BY checked_at, id", (doc_id,)).fetchall()
        return [_check(row) for row in rows]

    def checks_after(self, check_id: int) -> list[Check]:
        """Checks recorded after ``check_id`` (ids grow): what one crawl or import added."""
        rows = self._db.execute("SELECT * FROM checks WHERE id > ? ORDER BY id", (check_id,)).fetchall()
        return [_check(row) for row in rows]

    def last_check_id(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM checks").fetchone()[0]

    def validators(self) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """(doc_id, requested URL) -> (ETag, Last-Modified) of the newest response that was
        read as the document (a version or an unchanged check), for conditional requests.
        Taken from the stored headers: a wall or an error page never supplies them."""
        rows = self._db.execute(
            f"""SELECT doc_id, url, headers FROM (
                   SELECT c.doc_id, c.url, s.headers, ROW_NUMBER() OVER (
                       PARTITION BY c.doc_id, c.url ORDER BY c.checked_at DESC, c.id DESC) AS newest
                   FROM checks c JOIN snapshots s ON s.id = c.snapshot_id
                   WHERE c.outcome IN {_GOOD})
               WHERE newest = 1"""
        ).fetchall()
        found = {}
        for row in rows:
            headers = json.loads(row["headers"])
            etag, modified = headers.get("etag"), headers.get("last-modified")
            if etag or modified:
                found[(row["doc_id"], row["url"])] = (etag, modified)
        return found

    def not_modified_streaks(self) -> dict[tuple[str, str], int]:
        """(doc_id, requested URL) -> how many 304 checks came since the newest response that
        was read as the document (failed checks in between neither count nor break the run)."""
        rows = self._db.execute(
            f"""SELECT c.doc_id, c.url, COUNT(*) AS n FROM checks c
                WHERE c.http_status = 304 AND c.outcome = '{Outcome.UNCHANGED}' AND c.checked_at > COALESCE((
                    SELECT MAX(d.checked_at) FROM checks d WHERE d.doc_id = c.doc_id AND d.url = c.url
                    AND d.outcome IN {_GOOD} AND COALESCE(d.http_status, 0) != 304), '')
                GROUP BY c.doc_id, c.url"""
        ).fetchall()
        return {(row["doc_id"], row["url"]): row["n"] for row in rows}

    def previous_outcome(self, check: Check) -> str | None:
        """Outcome of the document's check just before this one."""
        row = self._db.execute(
            f"SELECT outcome FROM checks WHERE doc_id=? AND outcome!='{Outcome.PENDING}' AND "
            "(checked_at < ? OR (checked_at = ? AND id < ?)) ORDER BY checked_at DESC, id DESC LIMIT 1",
            (check.doc_id, check.checked_at, check.checked_at, check.id),
        ).fetchone()
        return row["outcome"] if row else None

    def previous_state(self, check: Check) -> str | None:
        """Outcome of the document's latest check before this one that read it or found it gone
        (failed checks say nothing about whether the page is there)."""
        states = "(" + ", ".join(f"'{o}'" for o in (*GOOD_OUTCOMES, Outcome.GONE)) + ")"
        row = self._db.execute(
            f"SELECT outcome FROM checks WHERE doc_id=? AND outcome IN {states} AND "
            "(checked_at < ? OR (checked_at = ? AND id < ?)) ORDER BY checked_at DESC, id DESC LIMIT 1",
            (check.doc_id, check.checked_at, check.checked_at, check.id),
        ).fetchone()
        return row["outcome"] if row else None

    def unrecorded_removals(self) -> list[Check]:
        """Gone checks without a response (the crawler found the page moved away) that no
        change of their time records yet and that follow a check that read the page, oldest
        first: ``kb.record`` makes them changes."""
        states = "(" + ", ".join(f"'{o}'" for o in (*GOOD_OUTCOMES, Outcome.GONE)) + ")"
        rows = self._db.execute(
            f"""SELECT c.* FROM checks c WHERE c.outcome = '{Outcome.GONE}' AND c.snapshot_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM changes x WHERE x.doc_id = c.doc_id
                    AND x.detected_at = c.checked_at AND x.event IN ('{Event.REMOVED}', '{Event.MOVED}'))
                AND (SELECT p.outcome FROM checks p WHERE p.doc_id = c.doc_id AND p.outcome IN {states}
                    AND (p.checked_at < c.checked_at OR (p.checked_at = c.checked_at AND p.id < c.id))
                    ORDER BY p.checked_at DESC, p.id DESC LIMIT 1) IN {_GOOD}
                ORDER BY c.checked_at, c.id"""
        ).fetchall()
        return [_check(row) for row in rows]

    def unrecorded_returns(self) -> list[Check]:
        """Good checks without a response of their own (a 304, or a body the crawler matched to
        the current version) that follow a gone check and that no change of their time records
        as the page back, oldest first: ``kb.record`` makes them changes."""
        states = "(" + ", ".join(f"'{o}'" for o in (*GOOD_OUTCOMES, Outcome.GONE)) + ")"
        rows = self._db.execute(
            f"""SELECT c.* FROM checks c WHERE c.outcome IN {_GOOD} AND c.snapshot_id IS NULL
                AND c.checked_at >= (SELECT MIN(g.checked_at) FROM checks g
                    WHERE g.doc_id = c.doc_id AND g.outcome = '{Outcome.GONE}')
                AND NOT EXISTS (SELECT 1 FROM changes x WHERE x.doc_id = c.doc_id
                    AND x.detected_at = c.checked_at AND x.event = '{Event.RESTORED}')
                AND (SELECT p.outcome FROM checks p WHERE p.doc_id = c.doc_id AND p.outcome IN {states}
                    AND (p.checked_at < c.checked_at OR (p.checked_at = c.checked_at AND p.id < c.id))
                    ORDER BY p.checked_at DESC, p.id DESC LIMIT 1) = '{Outcome.GONE}'
                ORDER BY c.checked_at, c.id"""
        ).fetchall()
        return [_check(row) for row in rows]

    def arrival(self, doc_id: str) -> tuple[str, str, str | None]:
        """(how the document came: 'declared' or 'discovered', when it was first seen, when its
        marketplace's first document was first seen): whether a first version is a new page."""
        row = self._db.execute(
            "SELECT d.origin, d.first_seen, (SELECT MIN(o.first_seen) FROM documents o "
            "WHERE o.marketplace = d.marketplace) AS market_first_seen FROM documents d WHERE d.doc_id=?",
            (doc_id,),
        ).fetchone()
        if row is None:
            raise UnknownDocument(f"unknown document '{doc_id}'")
        return row["origin"], row["first_seen"], row["market_first_seen"]

    def set_outcome(self, check_id: int, outcome: str, reason: str | None = None, fault: str | None = None) -> None:
        self._db.execute(
            "UPDATE checks SET outcome=?, reason=?, fault=? WHERE id=?",
            (str(outcome), reason, None if fault is None else str(fault), check_id),
        )

    def snapshot(self, snapshot_id: int) -> Snapshot:
        row = self._db.execute("SELECT * FROM snapshots WHERE id=?", (snapshot_id,)).fetchone()
        if row is None:
            raise StoreError(f"snapshot {snapshot_id} is missing from the store")
        return Snapshot(
            id=row["id"],
            doc_id=row["doc_id"],
            url=row["url"],
            fetched_at=row["fetched_at"],
            http_status=row["http_status"],
            headers=json.loads(row["headers"]),
            sha256=row["sha256"],
            origin=row["origin"],
        )

    def snapshot_body(self, snapshot_id: int) -> bytes:
        row = self._db.execute(
            "SELECT b.data FROM snapshots s JOIN blobs b ON b.sha256 = s.sha256 WHERE s.id=?", (snapshot_id,)
        ).fetchone()
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
        row = self._db.execute(sql + " ORDER BY v.captured_at DESC, v.id DESC LIMIT 1", args).fetchone()
        return _version(row) if row else None

    def versions(self, doc_id: str | None = None) -> list[Version]:
        sql = "SELECT v.*, s.sha256 AS snapshot_sha256 FROM versions v JOIN snapshots s ON s.id=v.snapshot_id"
        if doc_id is None:
            rows = self._db.execute(sql + " ORDER BY v.doc_id, v.captured_at, v.id").fetchall()
        else:
            rows = self._db.execute(sql + " WHERE v.doc_id=? ORDER BY v.captured_at, v.id", (doc_id,)).fetchall()
        return [_version(row) for row in rows]

    # -- what the search index reads: versions and changes without their texts ----

    def version_heads(self) -> list[Version]:
        """Every version without its text (``text`` is ""), in the order of ``versions()``: what
        a timeline's intervals and the index's fingerprints need, in one query; the texts of
        those the index must rewrite come from ``version_texts``."""
        return self._versions_without_text("''")

    def _versions_without_text(self, text: str = "NULL") -> list[Version]:
        """Every version in the order of ``versions()``, with the SQL value ``text`` for its
        text: ``''`` for the index's heads, ``NULL`` (None) for a publish, which reads the
        texts it needs later (``version_text``)."""
        sql = (
            "SELECT v.id, v.doc_id, v.snapshot_id, v.captured_at, v.title, v.text_sha256, s.sha256 AS snapshot_sha256, "
            f"{text} AS text FROM versions v JOIN snapshots s ON s.id=v.snapshot_id ORDER BY v.doc_id, v.captured_at, v.id"
        )
        return [_version(row) for row in self._db.execute(sql)]

    def version_texts(self, version_ids: Iterable[int]) -> dict[int, str]:
        """The texts of these versions, by id: one query per 500 ids."""
        ids = sorted(set(version_ids))
        texts: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            texts.update(self._db.execute(f"SELECT id, text FROM versions WHERE id IN ({marks})", chunk).fetchall())
        return texts

    def change_heads(self) -> list[Change]:
        """The changes ``changes(flaps=True)`` returns, in its order, with what a timeline and
        the index read (versions, class, summary, effective date, flap, return) and without
        their diff, reasons and section lists (empty here): one query."""
        rows = self._db.execute(
            "SELECT c.id, c.key, c.doc_id, c.from_version_id, c.to_version_id, c.detected_at, c.label, "
            "c.summary, c.silent, c.effective_date, c.notice_days, c.technical, c.flap, c.returns_to, "
            "r.captured_at AS returns_to_at, c.event FROM changes c "
            "LEFT JOIN versions r ON r.id = c.returns_to WHERE c.technical=0 ORDER BY c.detected_at, c.id"
        ).fetchall()
        return [_change_head(row) for row in rows]

    def add_version(
        self,
        *,
        doc_id: str,
        snapshot_id: int,
        captured_at: str,
        title: str,
        text: str,
        extractor_version: str | None = None,
    ) -> int:
        cursor = self._db.execute(
            "INSERT INTO versions (doc_id, snapshot_id, captured_at, title, text, text_sha256, "
            "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, snapshot_id, captured_at, title, text, sha256(text), extractor_version),
        )
        chain.chain_version(self._db, cursor.lastrowid)
        return cursor.lastrowid

    def add_change(
        self,
        *,
        doc_id: str,
        from_version_id: int | None,
        to_version_id: int | None,
        detected_at: str,
        label: str,
        summary: str,
        reasons: Iterable[Reason],
        silent: bool | None,
        ops: Iterable[tuple[int, str]],
        sections: Iterable[str],
        tags: Iterable[str] = (),
        effective_date: str | None = None,
        notice_days: int | None = None,
        technical: bool = False,
        section_changes: Iterable[str] = (),
        section_details: Iterable[SectionChange] = (),
        flap: bool = False,
        returns_to: int | None = None,
        flapping: Iterable[FlapPassage] = (),
        event: str = Event.EDITED,
    ) -> str:
        """Record a change; ``technical``: it comes only from new extraction rules
        (``policywatch reextract``), so it stays out of ``changes()`` and the feed; ``flap``: the
        page only switched back to a recent text, kept out the same way. ``returns_to``: the
        earlier version whose text came back (a flap, or a reported reversion). ``event``: the
        page added or back (no ``from_version_id``), removed or moved (no ``to_version_id``)."""
        key = self._free_key(f"{doc_id}/{compact(detected_at)}" + ("-technical" if technical else ""))
        self._db.execute(
            "INSERT INTO changes (key, doc_id, from_version_id, to_version_id, detected_at, label, "
            "summary, reasons, silent, ops, sections, tags, effective_date, notice_days, technical, "
            "section_changes, section_details, flap, returns_to, flapping, event) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                doc_id,
                from_version_id,
                to_version_id,
                detected_at,
                label,
                summary,
                reasons_json({"kind": r.kind, "text": r.text, "section": r.section} for r in reasons),
                None if silent is None else int(silent),
                json.dumps([[op, text] for op, text in ops], ensure_ascii=False),
                json.dumps(list(sections), ensure_ascii=False),
                json.dumps(list(tags)),
                effective_date,
                notice_days,
                int(technical),
                json.dumps(list(section_changes), ensure_ascii=False),
                json.dumps(
                    [{"id": s.id, "label": s.label, "changes": s.changes} for s in section_details], ensure_ascii=False
                ),
                int(flap),
                returns_to,
                json.dumps([vars(p) for p in flapping], ensure_ascii=False),
                str(event),
            ),
        )
        chain.chain_change(self._db, self._db.execute("SELECT id FROM changes WHERE key=?", (key,)).fetchone()[0])
        return key

    def _free_key(self, base: str) -> str:
        """``base``, or ``base-2``, ``base-3``… when changes of the same second already hold it:
        keys stay permalinks made of dates, and a history derived again in the same order
        gets the same keys."""
        taken = {
            row[0] for row in self._db.execute("SELECT key FROM changes WHERE substr(key, 1, ?) = ?", (len(base), base))
        }
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        return key

    def changes(
        self,
        doc_id: str | None = None,
        *,
        technical: bool = False,
        flaps: bool = False,
        since: str | None = None,
    ) -> list[Change]:
        """Changes in detection order; technical upgrades only with ``technical=True``, flaps
        only with ``flaps=True``; with ``since``, only those detected at or after it."""
        where = ("" if technical else " AND c.technical=0") + ("" if flaps else " AND c.flap=0")
        params: list = []
        if doc_id is not None:
            where += " AND c.doc_id=?"
            params.append(doc_id)
        if since is not None:
            where += " AND c.detected_at >= ?"
            params.append(since)
        sql = (
            "SELECT c.*, r.captured_at AS returns_to_at FROM changes c "
            "LEFT JOIN versions r ON r.id = c.returns_to WHERE 1"
        )
        rows = self._db.execute(f"{sql}{where} ORDER BY c.detected_at, c.id", params).fetchall()
        return [_change(row) for row in rows]

    def version_digests(self, doc_id: str, before: str) -> list[tuple[int, str, str]]:
        """(id, captured_at, text sha256) of a document's versions captured at or before ``before``,
        in capture order: what the flapping rule compares a new text with."""
        rows = self._db.execute(
            "SELECT id, captured_at, text_sha256 FROM versions WHERE doc_id=? AND captured_at <= ? "
            "ORDER BY captured_at, id",
            (doc_id, before),
        ).fetchall()
        return [(row["id"], row["captured_at"], row["text_sha256"]) for row in rows]

    def recent_versions(self, doc_id: str, before: str, limit: int) -> list[Version]:
        """The last ``limit`` versions captured at or before ``before``, oldest first."""
        rows = self._db.execute(
            "SELECT v.*, s.sha256 AS snapshot_sha256 FROM versions v JOIN snapshots s ON s.id=v.snapshot_id "
            "WHERE v.doc_id=? AND v.captured_at <= ? ORDER BY v.captured_at DESC, v.id DESC LIMIT ?",
            (doc_id, before, limit),
        ).fetchall()
        return [_version(row) for row in reversed(rows)]

    def flaps(self, doc_id: str | None = None) -> list[tuple[str, str, tuple[FlapPassage, ...]]]:
        """(doc_id, detected_at, passages switched) of every flap, in detection order; reads
        neither diffs nor texts."""
        sql = "SELECT doc_id, detected_at, flapping FROM changes WHERE flap=1"
        args: tuple = ()
        if doc_id is not None:
            sql += " AND doc_id=?"
            args = (doc_id,)
        rows = self._db.execute(sql + " ORDER BY detected_at, id", args).fetchall()
        return [(row["doc_id"], row["detected_at"], _flapping(row["flapping"])) for row in rows]

    def delete_derived(self, doc_id: str) -> None:
        """Drop a document's versions and changes (never its snapshots or checks), before its
        history is derived again from the snapshots; call it inside a transaction."""
        self._db.execute("DELETE FROM changes WHERE doc_id=?", (doc_id,))
        self._db.execute("DELETE FROM versions WHERE doc_id=?", (doc_id,))

    def version_extractor(self, version_id: int) -> str | None:
        """The ``diffs.EXTRACTOR_VERSION`` that made a version (None: before it was recorded)."""
        row = self._db.execute("SELECT extractor_version FROM versions WHERE id=?", (version_id,)).fetchone()
        return row[0] if row else None

    # -- notifications ---------------------------------------------------

    def newest_check_time(self, up_to_check: int | None = None) -> str:
        """``checked_at`` of the newest check (of those with an id up to ``up_to_check``); "" if none."""
        if up_to_check is None:
            row = self._db.execute("SELECT MAX(checked_at) FROM checks").fetchone()
        else:
            row = self._db.execute("SELECT MAX(checked_at) FROM checks WHERE id <= ?", (up_to_check,)).fetchone()
        return row[0] or ""

    def start_subscription(self, name: str, destination: str, *, added_at: str, starts_after: str) -> str:
        """Record a destination of a subscription the first time it is seen; its start as first recorded."""
        self._db.execute(
            "INSERT OR IGNORE INTO subscriptions (name, destination, added_at, starts_after) VALUES (?, ?, ?, ?)",
            (name, destination, added_at, starts_after),
        )
        row = self._db.execute(
            "SELECT starts_after FROM subscriptions WHERE name=? AND destination=?", (name, destination)
        ).fetchone()
        return row["starts_after"]

    def subscription_starts(self) -> dict[tuple[str, str], str]:
        """(name, destination) → starts_after, for every destination of a subscription seen so far."""
        rows = self._db.execute("SELECT name, destination, starts_after FROM subscriptions").fetchall()
        return {(row["name"], row["destination"]): row["starts_after"] for row in rows}

    def begin_delivery(
        self,
        *,
        subscription: str,
        destination: str,
        shown_as: str,
        kind: str,
        period: str | None,
        change_keys: Iterable[str],
        started_at: str,
    ) -> int:
        """Record a message as being sent, before it is sent (committed at once): if the process
        dies before ``finish_delivery``, a later run finds it and never sends it again."""
        cursor = self._db.execute(
            "INSERT INTO deliveries (subscription, destination, shown_as, kind, period, change_keys, state, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                subscription,
                destination,
                shown_as,
                kind,
                period,
                json.dumps(list(change_keys)),
                DeliveryState.SENDING,
                started_at,
            ),
        )
        return cursor.lastrowid

    def finish_delivery(self, delivery_id: int, state: str, *, error: str | None, finished_at: str) -> None:
        self._db.execute(
            "UPDATE deliveries SET state=?, error=?, finished_at=? WHERE id=?",
            (str(state), error, finished_at, delivery_id),
        )

    def unconfirm_deliveries(self, finished_at: str) -> list[Delivery]:
        """Mark every message still ``sending`` (its run stopped mid-send) ``unconfirmed``; returns them."""
        with self.transaction():
            rows = self._db.execute(
                "SELECT * FROM deliveries WHERE state=? ORDER BY id", (DeliveryState.SENDING,)
            ).fetchall()
            self._db.execute(
                "UPDATE deliveries SET state=?, finished_at=? WHERE state=?",
                (DeliveryState.UNCONFIRMED, finished_at, DeliveryState.SENDING),
            )
        return [replace(_delivery(row), state=DeliveryState.UNCONFIRMED, finished_at=finished_at) for row in rows]

    def deliveries(self, subscription: str | None = None) -> list[Delivery]:
        """Every message recorded (of one subscription), oldest first."""
        if subscription is None:
            rows = self._db.execute("SELECT * FROM deliveries ORDER BY id").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM deliveries WHERE subscription=? ORDER BY id", (subscription,)
            ).fetchall()
        return [_delivery(row) for row in rows]

    def delivery_problems(self) -> list[Delivery]:
        """The latest message to each destination, where it failed or is unconfirmed (test
        messages aside): a destination is failing until a later message to it is sent."""
        rows = self._db.execute(
            """SELECT d.* FROM deliveries d JOIN (
                   SELECT subscription, destination, MAX(id) AS latest FROM deliveries
                   WHERE kind != 'test' AND state != ? GROUP BY subscription, destination
               ) last ON d.id = last.latest
               WHERE d.state IN (?, ?) ORDER BY d.subscription, d.id""",
            (DeliveryState.SENDING, DeliveryState.FAILED, DeliveryState.UNCONFIRMED),
        ).fetchall()
        return [_delivery(row) for row in rows]

    def counts(self) -> dict[str, int]:
        q = lambda sql: self._db.execute(sql).fetchone()[0]  # noqa: E731
        counts = {
            "documents": q("SELECT COUNT(*) FROM documents"),
            "snapshots": q("SELECT COUNT(*) FROM snapshots"),
            "checks": q("SELECT COUNT(*) FROM checks"),
            "versions": q("SELECT COUNT(*) FROM versions"),
            "changes": q("SELECT COUNT(*) FROM changes WHERE technical=0 AND flap=0"),
            "technical_upgrades": q("SELECT COUNT(*) FROM changes WHERE technical=1"),
            "flaps": q("SELECT COUNT(*) FROM changes WHERE flap=1"),
            "failed_checks": q(f"SELECT COUNT(*) FROM checks WHERE outcome='{Outcome.FAILED}'"),
        }
        for label in CLASSES:
            counts[f"changes_{label}"] = self._db.execute(
                "SELECT COUNT(*) FROM changes WHERE label=? AND technical=0 AND flap=0", (label,)
            ).fetchone()[0]
        return counts

    def publish_input(self, *, texts: bool = True) -> PublishInput:
        """What a publish reads. ``texts=False``: the versions without their texts (``text``
        is None), which the publish reads from this store (``version_text``) one page at a
        time, and the values derived from texts that it keeps (``kb.store.derived``, beside
        the store); the store must stay open until the publish has written its sources."""
        versions = self.versions() if texts else self._versions_without_text()
        current: dict[str, Version] = {}
        for version in versions:  # ordered by doc, then time: the last one wins
            current[version.doc_id] = version
        generated_at = self._db.execute("SELECT MAX(checked_at) FROM checks").fetchone()[0] or ""
        return PublishInput(
            texts=None if texts else self,
            derived=None if texts else self.derived(),
            generated_at=generated_at,
            documents=tuple(self.documents()),
            current=current,
            changes=tuple(self.changes()),
            versions={v.id: v for v in versions},
            flaps=tuple(self.flaps()),
            failing_deliveries=tuple(d for d in self.delivery_problems() if d.state == DeliveryState.FAILED),
            head=self.head(),
            marketplace_names=self.marketplace_names(),
        )

    def version_text(self, version_id: int) -> str:
        """One version's text."""
        row = self._db.execute("SELECT text FROM versions WHERE id=?", (version_id,)).fetchone()
        if row is None:
            raise StoreError(f"no version {version_id} in the store", hint="run `policywatch verify`")
        return row[0]

    def derived(self) -> Derived:
        """The values derived from texts kept beside this store (``kb.store.derived``)."""
        if self._derived is None:
            self._derived = Derived(self.home)
        return self._derived

    def head(self) -> str:
        """The store's head digest (``kb.store.chain``): what publish publishes."""
        return chain.heads(self._db)[-1][1]

    def fill_chain(self) -> None:
        """Digest the versions and changes that have none (restore of an older archive)."""
        chain.fill_missing(self._db)

    # -- the whole store at once: verify, export, restore ------------------

    TABLES = (
        "documents",
        "snapshots",
        "checks",
        "versions",
        "changes",
        "subscriptions",
        "deliveries",
        "marketplaces",
    )  # bodies: see bodies()

    @classmethod
    def open_read_only(cls, home: Path) -> Store:
        """Open an existing store without changing it (``policywatch verify``, ``export``)."""
        store = cls.__new__(cls)
        store.home = Path(home)
        store.path = store.home / cls.FILE
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
                raise StoreError(
                    f"{store.path} is not a readable store: {exc}", hint="restore the home from an export"
                ) from None
            db.row_factory = sqlite3.Row
            store._db = db
            return store
        raise StoreError(f"cannot open {store.path} read-only: {problem}") from None

    @classmethod
    def open_for_reading(cls, home: Path) -> Store:
        """Read-only, unless the store predates columns its reads need (it is migrated first)."""
        store = cls.open_read_only(home)
        if not needs_migration(store._db):
            return store
        store.close()
        return cls(home)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One consistent view for a long read, even while a crawl writes (WAL); a damaged
        database file surfaces as a StoreError."""
        self._db.execute("BEGIN")
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is damaged: {exc}", hint="restore the home from an export") from None
        finally:
            try:
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError:
                pass  # nothing was written; the damage is reported above

    def integrity_errors(self) -> list[str]:
        """What SQLite's own checks find: damaged pages or indexes, dangling references."""
        try:
            problems = [row[0] for row in self._db.execute("PRAGMA integrity_check") if row[0] != "ok"]
            problems += [
                f"{row[0]} row {row[1]} points at a missing {row[2]} row"
                for row in self._db.execute("PRAGMA foreign_key_check")
            ]
        except sqlite3.DatabaseError as exc:
            problems = [f"the database file is damaged: {exc}"]
        return problems

    def bodies(self) -> Iterator[tuple[str, int, bytes | None]]:
        """Every stored body: (sha256 it is filed under, recorded size, bytes or None if unreadable)."""
        for row in self._db.execute("SELECT sha256, size, data FROM blobs ORDER BY sha256"):
            try:
                body = zlib.decompress(row["data"])
            except (zlib.error, TypeError):
                body = None
            yield row["sha256"], row["size"], body

    def rows(self, table: str) -> Iterator[dict]:
        """Every row of one of ``TABLES`` as a plain dict, in id order (export)."""
        if table not in self.TABLES:
            raise ValueError(f"unknown table {table!r}")
        order = {"documents": "doc_id", "marketplaces": "marketplace"}.get(table, "id")
        if not self._has_table(table):  # a store written before the table, opened read-only
            return
        for row in self._db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            yield dict(row)

    def _has_table(self, table: str) -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        return found is not None

    def insert_row(self, table: str, row: dict) -> None:
        """Insert an exported row exactly as it was, ids included (restore)."""
        if table not in self.TABLES:
            raise ValueError(f"unknown table {table!r}")
        columns = [info[1] for info in self._db.execute(f"PRAGMA table_info({table})")]
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise StoreError(
                f"{table} has no column {', '.join(unknown)}",
                hint="restore with the policywatch version that made the export",
            )
        names = [c for c in columns if c in row]
        try:
            self._db.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[c] for c in names],
            )
        except sqlite3.Error as exc:  # a duplicate id, a reference to nothing, a value of no SQL type
            raise StoreError(f"{table} row refused: {exc}") from None

    def required_columns(self, table: str) -> list[str]:
        """The columns a row of ``table`` must give (restore): its id and what has no default."""
        return [
            info[1]
            for info in self._db.execute(f"PRAGMA table_info({table})")
            if info[5] or (info[3] and info[4] is None)
        ]

    def checkpoint(self) -> None:
        """Write the WAL into the database file, so that the one file holds the whole store."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def add_body(self, body: bytes) -> str:
        """Store a body (once per content); returns its sha256."""
        digest = sha256(body)
        self._db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
            (digest, len(body), zlib.compress(body, 6)),
        )
        return digest


def is_disk_full(exc: BaseException) -> bool:
    """What SQLite or the system says when a write finds no space (or no working disk)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("disk is full" in text or "disk i/o error" in text)


def write_failure(exc: BaseException, home: Path, what: str) -> StoreError:
    """The one line for a write that found no space: what it was, and how the next run resumes."""
    return DiskFull(f"no space left on the disk of {home}: could not {what} ({exc}); nothing stored was lost")


def reasons_json(reasons: Iterable[dict]) -> str:
    """How a change's reasons are stored (and restored): kind, text, then the section if known."""
    return json.dumps(
        [
            {"kind": r["kind"], "text": r["text"], **({"section": r["section"]} if r.get("section") else {})}
            for r in reasons
        ]
    )


def _check(row: sqlite3.Row) -> Check:
    return Check(
        id=row["id"],
        doc_id=row["doc_id"],
        url=row["url"],
        checked_at=row["checked_at"],
        http_status=row["http_status"],
        outcome=row["outcome"],
        reason=row["reason"],
        snapshot_id=row["snapshot_id"],
        fault=row["fault"],
    )


def _version(row: sqlite3.Row) -> Version:
    return Version(
        id=row["id"],
        doc_id=row["doc_id"],
        snapshot_id=row["snapshot_id"],
        snapshot_sha256=row["snapshot_sha256"],
        captured_at=row["captured_at"],
        title=row["title"],
        text=row["text"],
        text_sha256=row["text_sha256"],
    )


def _change_head(row: sqlite3.Row) -> Change:
    """A change without its diff, reasons and section lists (``change_heads``)."""
    silent = row["silent"]
    return Change(
        id=row["id"],
        key=row["key"],
        doc_id=row["doc_id"],
        from_version_id=row["from_version_id"],
        to_version_id=row["to_version_id"],
        detected_at=row["detected_at"],
        label=row["label"],
        summary=row["summary"],
        silent=None if silent is None else bool(silent),
        effective_date=row["effective_date"],
        notice_days=row["notice_days"],
        technical=bool(row["technical"]),
        flap=bool(row["flap"]),
        returns_to=row["returns_to"],
        returns_to_at=row["returns_to_at"],
        event=row["event"] if "event" in row.keys() else Event.EDITED,  # a store opened read-only before its migration
    )


def _change(row: sqlite3.Row) -> Change:
    return replace(
        _change_head(row),
        reasons=tuple(Reason(r["kind"], r["text"], r.get("section", "")) for r in json.loads(row["reasons"])),
        ops=tuple((op, text) for op, text in json.loads(row["ops"])),
        sections=tuple(json.loads(row["sections"])),
        tags=tuple(json.loads(row["tags"])),
        section_changes=tuple(json.loads(row["section_changes"])),
        section_details=tuple(
            SectionChange(s["id"], s["label"], s["changes"]) for s in json.loads(row["section_details"])
        ),
        flapping=_flapping(row["flapping"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        subscription=row["subscription"],
        destination=row["destination"],
        shown_as=row["shown_as"],
        kind=row["kind"],
        period=row["period"],
        change_keys=tuple(json.loads(row["change_keys"])),
        state=row["state"],
        error=row["error"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _flapping(data: str) -> tuple[FlapPassage, ...]:
    return tuple(FlapPassage(**p) for p in json.loads(data))
