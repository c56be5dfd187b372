"""The chain of digests from snapshot to version to change, and the store's head.

A version's digest covers its snapshot's sha256, its text's sha256, the extractor version and
the previous version's digest (the document's versions in capture order); a change's digest
covers its key, class, summary, reasons and diff, the digests of the versions it joins (one of
them for a page added, removed, moved or back, and then its event too) and the previous change's digest (the document's changes in detection order). So rewriting one row
means rewriting every later digest of its document, and the head.

The head as of a time T: the sha256 of ``policywatch-head-1`` and one line per document with a
version captured at or before T, in doc_id order: ``doc_id version-digest change-digest``, the
digests of its latest version captured and latest change detected at or before T (``-`` when it
has no change yet). The store's head is its head as of its newest check (what ``publish``
publishes); docs/reliability.md says what it proves.

Runs the store's SQL on a connection it is given (it imports no SQLite itself).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

HEAD_PREFIX = "policywatch-head-1"
VERSION_COLUMNS = "id, doc_id, captured_at, title, text_sha256, extractor_version, snapshot_id"
CHANGE_COLUMNS = (
    "id, key, doc_id, from_version_id, to_version_id, detected_at, label, summary, reasons, ops, "
    "technical, flap, returns_to"
)
EDITED = "edited"  # kb.models.Event.EDITED: the event every change had before pages came and went


def _digest(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _canonical(text: str) -> str:
    """A JSON column as one canonical string, so an export and restore keeps its digest."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(text)


def version_digest(row, snapshot_sha256: str | None, previous: str | None) -> str:
    return _digest(
        [
            "version",
            previous or "",
            row["doc_id"],
            snapshot_sha256 or "",
            row["captured_at"],
            row["title"],
            row["text_sha256"],
            row["extractor_version"] or "",
        ]
    )


def change_digest(row, from_digest: str | None, to_digest: str | None, previous: str | None) -> str:
    """An edit's digest is what it was before events existed; a page added, removed, moved or
    back also covers its event (a missing end's digest is "")."""
    event = row["event"] if "event" in row.keys() else EDITED
    return _digest(
        [
            "change",
            previous or "",
            row["key"],
            row["doc_id"],
            from_digest or "",
            to_digest or "",
            row["detected_at"],
            row["label"],
            row["summary"],
            _canonical(row["reasons"]),
            _canonical(row["ops"]),
            int(row["technical"] or 0),
            int(row["flap"] or 0),
            row["returns_to"],
        ]
        + ([] if (event or EDITED) == EDITED else [event])
    )


def _change_columns(db) -> str:
    """The columns a change's digest covers, ``event`` once the store has it."""
    present = {row[1] for row in db.execute("PRAGMA table_info(changes)")}
    return CHANGE_COLUMNS + (", event" if "event" in present else "")


def compute(db, doc_id: str | None = None) -> tuple[dict[int, str], dict[int, str]]:
    """What the digests of versions and changes (of one document) should be: (by version id, by change id)."""
    where, args = ("WHERE v.doc_id = ?", (doc_id,)) if doc_id is not None else ("", ())
    versions: dict[int, str] = {}
    last: dict[str, str] = {}
    for row in db.execute(
        f"SELECT v.id, v.doc_id, v.captured_at, v.title, v.text_sha256, v.extractor_version, "
        f"s.sha256 AS snapshot_sha256 FROM versions v LEFT JOIN snapshots s ON s.id = v.snapshot_id "
        f"{where} ORDER BY v.doc_id, v.captured_at, v.id",
        args,
    ):
        versions[row["id"]] = last[row["doc_id"]] = version_digest(row, row["snapshot_sha256"], last.get(row["doc_id"]))
    changes: dict[int, str] = {}
    last = {}
    where = "WHERE doc_id = ?" if doc_id is not None else ""
    for row in db.execute(f"SELECT {_change_columns(db)} FROM changes {where} ORDER BY doc_id, detected_at, id", args):
        changes[row["id"]] = last[row["doc_id"]] = change_digest(
            row, versions.get(row["from_version_id"]), versions.get(row["to_version_id"]), last.get(row["doc_id"])
        )
    return versions, changes


def rechain(db, doc_ids: Iterable[str]) -> None:
    """Store the digests of these documents' versions and changes (inside the caller's transaction)."""
    for doc_id in doc_ids:
        versions, changes = compute(db, doc_id)
        db.executemany("UPDATE versions SET chain_digest=? WHERE id=?", [(d, i) for i, d in versions.items()])
        db.executemany("UPDATE changes SET chain_digest=? WHERE id=?", [(d, i) for i, d in changes.items()])


def fill_missing(db) -> None:
    """Chain the documents that have a version or a change without a digest (an older store or archive)."""
    rows = db.execute(
        "SELECT doc_id FROM versions WHERE chain_digest IS NULL UNION SELECT doc_id FROM changes WHERE chain_digest IS NULL"
    ).fetchall()
    rechain(db, sorted(row[0] for row in rows))


def _neighbours(db, table: str, time_column: str, doc_id: str, at: str, row_id: int) -> tuple[bool, str | None]:
    """(whether a later row of the document exists, the previous row's digest) for a row just
    added to ``table`` (``versions`` or ``changes``, ordered by ``time_column`` then id)."""
    order = f"({time_column} {{}} ? OR ({time_column} = ? AND id {{}} ?))"
    later = db.execute(
        f"SELECT 1 FROM {table} WHERE doc_id = ? AND {order.format('>', '>')} LIMIT 1", (doc_id, at, at, row_id)
    ).fetchone()
    if later is not None:
        return True, None
    previous = db.execute(
        f"SELECT chain_digest FROM {table} WHERE doc_id = ? AND {order.format('<', '<')} "
        f"ORDER BY {time_column} DESC, id DESC LIMIT 1",
        (doc_id, at, at, row_id),
    ).fetchone()
    return False, previous[0] if previous else None


def chain_version(db, version_id: int) -> None:
    """Digest a version just added: from the previous one, or the whole document again when it
    was not added last (an older capture imported later)."""
    row = db.execute(
        "SELECT v.*, s.sha256 AS snapshot_sha256 FROM versions v LEFT JOIN snapshots s ON s.id = v.snapshot_id "
        "WHERE v.id = ?",
        (version_id,),
    ).fetchone()
    later, previous = _neighbours(db, "versions", "captured_at", row["doc_id"], row["captured_at"], version_id)
    if later:
        rechain(db, [row["doc_id"]])
        return
    digest = version_digest(row, row["snapshot_sha256"], previous)
    db.execute("UPDATE versions SET chain_digest=? WHERE id=?", (digest, version_id))


def chain_change(db, change_id: int) -> None:
    """Digest a change just added, like ``chain_version``."""
    row = db.execute(f"SELECT {_change_columns(db)} FROM changes WHERE id = ?", (change_id,)).fetchone()
    later, previous = _neighbours(db, "changes", "detected_at", row["doc_id"], row["detected_at"], change_id)
    if later:
        rechain(db, [row["doc_id"]])
        return
    ends = dict(
        db.execute(
            "SELECT id, chain_digest FROM versions WHERE id IN (?, ?)", (row["from_version_id"], row["to_version_id"])
        ).fetchall()
    )
    digest = change_digest(row, ends.get(row["from_version_id"]), ends.get(row["to_version_id"]), previous)
    db.execute("UPDATE changes SET chain_digest=? WHERE id=?", (digest, change_id))


def head_of(latest: dict[str, tuple[str, str | None]]) -> str:
    """The head over each document's (latest version digest, latest change digest or None)."""
    lines = [HEAD_PREFIX] + [f"{doc} {v} {c or '-'}" for doc, (v, c) in sorted(latest.items())]
    return hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest()


def heads(db, digests: tuple[dict[int, str], dict[int, str]] | None = None) -> list[tuple[str, str]]:
    """(as of, head) at every check time, oldest first, the last one the store's head: from the
    digests given (what they should be, for verify) or those stored."""
    if digests is None:
        versions = dict(db.execute("SELECT id, chain_digest FROM versions").fetchall())
        changes = dict(db.execute("SELECT id, chain_digest FROM changes").fetchall())
    else:
        versions, changes = digests
    events = [
        (row["captured_at"], 0, row["id"], row["doc_id"])
        for row in db.execute("SELECT id, doc_id, captured_at FROM versions")
    ] + [
        (row["detected_at"], 1, row["id"], row["doc_id"])
        for row in db.execute("SELECT id, doc_id, detected_at FROM changes")
    ]
    events.sort()
    times = [row[0] for row in db.execute("SELECT DISTINCT checked_at FROM checks ORDER BY checked_at")]
    latest: dict[str, list] = {}
    found: list[tuple[str, str]] = []
    i = 0
    for at in times:
        while i < len(events) and events[i][0] <= at:
            _, kind, row_id, doc = events[i]
            slot = latest.setdefault(doc, [None, None])
            slot[kind] = (versions if kind == 0 else changes).get(row_id) or ""
            i += 1
        found.append((at, head_of({d: (v, c) for d, (v, c) in latest.items() if v is not None})))
    if not found:
        found.append(("", head_of({})))
    return found
