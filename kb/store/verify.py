"""``policywatch verify``: prove the store is whole, without changing anything (part of the
store package: its SQL stays behind the store's boundary).

Checked, in one consistent read of a store opened read-only:

- SQLite's own integrity check and foreign keys;
- every stored body: it decompresses, its sha256 is the one it is filed under, its size too;
- every snapshot: its body exists; every check: its snapshot exists and is the same document's,
  and every snapshot is named by a check (nothing stored that no check accounts for);
- every version: its snapshot exists and is the same document's, its text matches its sha256;
- every change: the versions its event names exist (both for an edit; the first one for a page
  added, the last one for a page removed or moved, the one in force for a page back), belong to
  its document, and go forward in time;
- the chain of digests (``kb.store.chain``): every version's and change's stored digest is the
  one its row and the rows before it give; the head is reported, and compared with a published
  one when given (``--head``); ``--deep`` (``kb.record.deep``) re-extracts versions too;
- every document's history: one first version (the earliest, no change from another version leads
  to it), a change from each version to the next; a page added once, as its first version, then
  removed (or moved) and back in turn, each from or to the version in force then; no version dated after the newest check (the future), and
  change keys that are unique.

A pending check the recorder failed on (it keeps the reason) is a problem. Other checks still
pending (a crawl was stopped before recording) are reported, not counted as problems: the next crawl, ``record`` or ``import`` completes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import StoreError
from kb.models import EVENTS, OUTCOMES, Event, Outcome
from kb.store import Store, chain, sha256

MAX_LISTED = 50  # problems listed one by one; the count is always exact
# The versions each event must name: an edit both, a page added only the one it starts with, a
# page removed or moved only the one it left, a page back only the one in force (when its text
# changed too, an edit beside it joins the two versions).
ENDS = {
    Event.EDITED: ("from", "to"),
    Event.ADDED: ("to",),
    Event.REMOVED: ("from",),
    Event.MOVED: ("from",),
    Event.RESTORED: ("to",),
}


@dataclass
class VerifyReport:
    store: Path
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    pending: int = 0
    head: str = ""

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(text)

    def as_json(self) -> dict:
        return {
            "store": str(self.store),
            "ok": self.ok,
            "counts": self.counts,
            "problem_count": self.problem_count,
            "problems": self.problems,
            "pending": self.pending,
            "head": self.head,
        }


def verify(home: Path, *, head: str | None = None) -> VerifyReport:
    """``head``: a head published before (on the site, in a feed); a problem unless the store
    had it as of one of its checks."""
    with Store.open_read_only(home) as store:
        report = VerifyReport(store=store.path)
        try:
            with store.reading():
                for problem in store.integrity_errors():
                    report.problem(f"sqlite: {problem}")
                _bodies(store, report)
                _snapshots_and_checks(store, report)
                _versions(store, report)
                _changes(store, report)
                _history(store, report)
                _chain(store, report, head)
                report.counts["documents"] = store._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        except StoreError as err:  # the file itself is damaged: what was found so far, and this
            report.problem(f"sqlite: {err}")
    return report


def _bodies(store: Store, report: VerifyReport) -> None:
    count = 0
    for digest, size, body in store.bodies():
        count += 1
        if body is None:
            report.problem(f"body {digest[:12]}: stored bytes do not decompress")
        elif sha256(body) != digest:
            report.problem(f"body {digest[:12]}: bytes do not match their sha256 (now {sha256(body)[:12]})")
        elif len(body) != size:
            report.problem(f"body {digest[:12]}: {len(body)} bytes, recorded as {size}")
    report.counts["bodies"] = count


def _snapshots_and_checks(store: Store, report: VerifyReport) -> None:
    q = store._db.execute
    report.counts["snapshots"] = q("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    for row in q(
        "SELECT s.id, s.doc_id, s.sha256 FROM snapshots s LEFT JOIN blobs b ON b.sha256 = s.sha256 "
        "WHERE b.sha256 IS NULL ORDER BY s.id"
    ):
        report.problem(f"snapshot {row['id']} ({row['doc_id']}): its body {row['sha256'][:12]} is missing")
    for row in q(
        "SELECT s.id, s.doc_id FROM snapshots s WHERE NOT EXISTS "
        "(SELECT 1 FROM checks c WHERE c.snapshot_id = s.id) ORDER BY s.id"
    ):
        report.problem(f"snapshot {row['id']} ({row['doc_id']}): no check records it")
    report.counts["checks"] = q("SELECT COUNT(*) FROM checks").fetchone()[0]
    for row in q(
        "SELECT c.id, c.doc_id, c.snapshot_id, s.id AS found, s.doc_id AS snapshot_doc FROM checks c "
        "LEFT JOIN snapshots s ON s.id = c.snapshot_id WHERE c.snapshot_id IS NOT NULL "
        "AND (s.id IS NULL OR s.doc_id != c.doc_id) ORDER BY c.id"
    ):
        if row["found"] is None:
            report.problem(f"check {row['id']} ({row['doc_id']}): snapshot {row['snapshot_id']} is missing")
        else:
            report.problem(
                f"check {row['id']} ({row['doc_id']}): snapshot {row['snapshot_id']} belongs to {row['snapshot_doc']}"
            )
    marks = ", ".join("?" * len(OUTCOMES))
    for row in q(f"SELECT id, doc_id, outcome FROM checks WHERE outcome NOT IN ({marks}) ORDER BY id", OUTCOMES):
        report.problem(f"check {row['id']} ({row['doc_id']}): unknown outcome {row['outcome']!r}")
    for row in q(
        "SELECT id, doc_id FROM checks WHERE outcome = ? AND snapshot_id IS NULL ORDER BY id", (Outcome.PENDING,)
    ):
        report.problem(f"check {row['id']} ({row['doc_id']}): pending without a snapshot to process")
    for row in q(
        "SELECT id, doc_id, reason FROM checks WHERE outcome = ? AND reason IS NOT NULL ORDER BY id", (Outcome.PENDING,)
    ):
        # kb.record leaves a check it failed on pending, with why: the home is not wedged, but
        # this check (and its document's later ones) will not be recorded until that is fixed.
        report.problem(f"check {row['id']} ({row['doc_id']}): pending, {row['reason']}")
    report.pending = q("SELECT COUNT(*) FROM checks WHERE outcome = ?", (Outcome.PENDING,)).fetchone()[0]


def _versions(store: Store, report: VerifyReport) -> None:
    count = 0
    for row in store._db.execute(
        "SELECT v.id, v.doc_id, v.snapshot_id, v.text, v.text_sha256, s.id AS found, s.doc_id AS snapshot_doc "
        "FROM versions v LEFT JOIN snapshots s ON s.id = v.snapshot_id ORDER BY v.id"
    ):
        count += 1
        where = f"version {row['id']} ({row['doc_id']})"
        if row["found"] is None:
            report.problem(f"{where}: points at snapshot {row['snapshot_id']}, which is missing")
        elif row["snapshot_doc"] != row["doc_id"]:
            report.problem(f"{where}: points at snapshot {row['snapshot_id']} of {row['snapshot_doc']}")
        if sha256(row["text"]) != row["text_sha256"]:
            report.problem(f"{where}: text does not match its sha256")
    report.counts["versions"] = count


def _changes(store: Store, report: VerifyReport) -> None:
    count = 0
    event = "c.event" if "event" in {row[1] for row in store._db.execute("PRAGMA table_info(changes)")} else "'edited'"
    for row in store._db.execute(
        f"SELECT c.id, c.key, c.doc_id, c.from_version_id, c.to_version_id, {event} AS event, "
        "f.doc_id AS from_doc, f.captured_at AS from_at, t.doc_id AS to_doc, t.captured_at AS to_at "
        "FROM changes c LEFT JOIN versions f ON f.id = c.from_version_id "
        "LEFT JOIN versions t ON t.id = c.to_version_id ORDER BY c.id"
    ):
        count += 1
        where = f"change {row['key']}"
        if row["event"] not in EVENTS:
            report.problem(f"{where}: unknown event {row['event']!r}")
            continue
        needs = ENDS[row["event"]]
        for end, doc, version_id in (
            ("from", row["from_doc"], row["from_version_id"]),
            ("to", row["to_doc"], row["to_version_id"]),
        ):
            if version_id is None:
                if end in needs:
                    report.problem(f"{where}: a change {row['event']} has no '{end}' version")
                continue
            if end not in needs:  # added, back: no from; removed, moved: no to
                report.problem(f"{where}: a page {row['event']} has a '{end}' version ({version_id})")
            if doc is None:
                report.problem(f"{where}: its '{end}' version {version_id} is missing")
            elif doc != row["doc_id"]:
                report.problem(f"{where}: its '{end}' version {version_id} belongs to {doc}")
        if row["from_at"] is not None and row["to_at"] is not None and row["from_at"] > row["to_at"]:
            report.problem(
                f"{where}: goes from version {row['from_version_id']} ({row['from_at']}) "
                f"back to version {row['to_version_id']} ({row['to_at']})"
            )
    report.counts["changes"] = count


def _history(store: Store, report: VerifyReport) -> None:
    """The invariants of each document's history, which a half-done re-derivation or a
    wrong clock would break even though every row is sound on its own."""
    q = store._db.execute
    newest_check = q("SELECT MAX(checked_at) FROM checks").fetchone()[0]
    versions: dict[str, list[tuple[int, str]]] = {}
    for row in q("SELECT id, doc_id, captured_at FROM versions ORDER BY doc_id, captured_at, id"):
        versions.setdefault(row["doc_id"], []).append((row["id"], row["captured_at"]))
        if newest_check is not None and row["captured_at"] > newest_check:
            report.problem(
                f"history of {row['doc_id']}: version {row['id']} is dated {row['captured_at']}, "
                f"in the future of the newest check ({newest_check})"
            )
    # Steps join two versions (edits, and a page back with another text); a page added or back
    # with the same text leads to a version from nothing, a page removed or moved from one to nothing.
    steps = {(row[0], row[1]) for row in q("SELECT from_version_id, to_version_id FROM changes") if None not in row}
    reached = {to_id for _, to_id in steps}
    events = _events(store)
    for doc_id, line in versions.items():
        firsts = [vid for vid, _ in line if vid not in reached]
        if len(firsts) > 1:
            report.problem(
                f"history of {doc_id}: {len(firsts)} first versions ({', '.join(map(str, firsts))}); "
                "run `policywatch reextract --history` on it"
            )
        for (before, _), (after, at) in zip(line, line[1:], strict=False):
            if (before, after) not in steps:
                report.problem(
                    f"history of {doc_id}: no change from version {before} to version {after} ({at}); "
                    "run `policywatch reextract --history` on it"
                )
        _page_events(doc_id, line, events.get(doc_id, []), report)
    for row in q("SELECT key, COUNT(*) AS n FROM changes GROUP BY key HAVING n > 1"):
        report.problem(f"history: change key {row['key']} is used {row['n']} times")


def _events(store: Store) -> dict[str, list[tuple[str, str, int | None, int | None]]]:
    """(event, detected_at, from, to) of each document's changes that are not edits, in order."""
    if "event" not in {row[1] for row in store._db.execute("PRAGMA table_info(changes)")}:
        return {}
    found: dict[str, list] = {}
    for row in store._db.execute(
        "SELECT doc_id, event, detected_at, from_version_id, to_version_id FROM changes "
        f"WHERE event != '{Event.EDITED}' ORDER BY doc_id, detected_at, id"
    ):
        found.setdefault(row["doc_id"], []).append((row[1], row[2], row[3], row[4]))
    return found


def _page_events(doc_id: str, line: list[tuple[int, str]], events: list, report: VerifyReport) -> None:
    """A page is added once, to its first version; it is removed (or moved) from the version
    in force then, and only while it is there; it is back only after it was removed, to the
    version in force then; they alternate: added, removed, back, removed…"""
    where = f"history of {doc_id}"
    first = line[0][0] if line else None
    captured = dict(line)
    there = None  # unknown until the first event: a page watched from its marketplace's first crawl is there
    for event, at, from_id, to_id in events:
        # The capture in force then (re-extraction adds versions of the same capture later).
        in_force = next((when for _, when in reversed(line) if when <= at), None)
        if event == Event.ADDED:
            if to_id != first or there is not None:
                report.problem(f"{where}: added at {at} to version {to_id}, not as its first version")
            there = True
        elif event in (Event.REMOVED, Event.MOVED):
            if there is False:
                report.problem(f"{where}: {event} at {at} while it was already gone")
            if captured.get(from_id) != in_force:
                report.problem(f"{where}: {event} at {at} from version {from_id}, not the one in force then")
            there = False
        elif event == Event.RESTORED:
            if there is not False:
                report.problem(f"{where}: back at {at} without being removed first")
            if captured.get(to_id) != in_force:
                report.problem(f"{where}: back at {at} to version {to_id}, not the one in force then")
            there = True


def _chain(store: Store, report: VerifyReport, published: str | None) -> None:
    """Each stored digest against what its row and the rows before it give, then the head."""
    q = store._db.execute
    if "chain_digest" not in {row[1] for row in q("PRAGMA table_info(versions)")}:
        report.problem("chain: the store predates digest chains; run any writing command (e.g. `record`) once")
        return
    expected = chain.compute(store._db)
    for table, name, digests in (("versions", "version", expected[0]), ("changes", "change", expected[1])):
        for row in q(f"SELECT id, doc_id, chain_digest FROM {table} ORDER BY id"):
            if row["chain_digest"] != digests.get(row["id"]):
                stored = "none" if row["chain_digest"] is None else row["chain_digest"][:12]
                report.problem(
                    f"chain: {name} {row['id']} ({row['doc_id']}): digest {stored} does not match its row and "
                    f"the rows before it ({digests.get(row['id'], '')[:12]}); it was changed after it was recorded"
                )
    heads = chain.heads(store._db, expected)
    report.head = heads[-1][1]
    if published is not None and published.lower() not in {h for _, h in heads}:
        report.problem(
            f"head: the published head {published} is not this store's at any of its checks "
            f"(now {report.head}); its history was rewritten, or it is another store"
        )
