"""Stores written directly, as the recorder writes them, for tests of what reads them."""

from __future__ import annotations

from pathlib import Path

from kb.models import Reason
from kb.record.history import timelines
from kb.store import Store
from kb.timeline import Timeline

DOC, OTHER = "shop/fees", "shop/returns"
T1 = "2026-01-01T00:00:00Z"


def build_store(home: Path) -> None:
    """Two documents, three snapshots (two share a body), two versions, a change, a failed check."""
    with Store(home) as store, store.transaction():
        for doc_id in (DOC, OTHER):
            store.ensure_document(
                doc_id,
                title=doc_id,
                url=f"https://shop.example/{doc_id}",
                marketplace="shop",
                doc_type="fees",
                origin="declared",
                seen_at="2026-01-01T00:00:00Z",
            )
        ids = []
        for day, body in ((1, b"<p>Fee is $1.</p>"), (2, b"<p>Fee is $2.</p>"), (3, b"<p>Fee is $2.</p>")):
            at = f"2026-01-0{day}T00:00:00Z"
            snapshot_id, _ = store.add_snapshot(
                doc_id=DOC,
                url="https://shop.example/fees",
                fetched_at=at,
                http_status=200,
                headers={"content-type": "text/html"},
                body=body,
            )
            store.add_check(
                doc_id=DOC,
                url="https://shop.example/fees",
                checked_at=at,
                http_status=200,
                snapshot_id=snapshot_id,
                outcome=("first-version", "new-version", "unchanged")[day - 1],
            )
            ids.append(snapshot_id)
        v1 = store.add_version(
            doc_id=DOC, snapshot_id=ids[0], captured_at="2026-01-01T00:00:00Z", title="Fees", text="Fee is $1.\n"
        )
        v2 = store.add_version(
            doc_id=DOC, snapshot_id=ids[1], captured_at="2026-01-02T00:00:00Z", title="Fees", text="Fee is $2.\n"
        )
        store.add_change(
            doc_id=DOC,
            from_version_id=v1,
            to_version_id=v2,
            detected_at="2026-01-02T00:00:00Z",
            label="substantive",
            summary="Fee $1 → $2",
            reasons=[Reason("number", "$1 → $2")],
            silent=None,
            ops=[(0, "Fee is $"), (-1, "1"), (1, "2"), (0, ".\n")],
            sections=[],
        )
        store.add_check(
            doc_id=OTHER,
            url="https://shop.example/returns",
            checked_at="2026-01-03T00:00:00Z",
            http_status=None,
            snapshot_id=None,
            outcome="failed",
            reason="connection refused",
        )


def record(
    store: Store,
    doc_id: str,
    at: str,
    text: str,
    *,
    previous: int | None = None,
    label: str = "substantive",
    summary: str = "changed",
    title: str | None = None,
    effective_date: str | None = None,
    notice_days: int | None = None,
) -> int:
    """A snapshot, its check, the version and (after the first) the change, as the recorder writes them."""
    url = f"https://example.test/{doc_id}"
    snapshot_id, _ = store.add_snapshot(
        doc_id=doc_id, url=url, fetched_at=at, http_status=200, headers={}, body=f"<html>{at}{text}</html>".encode()
    )
    store.add_check(
        doc_id=doc_id,
        url=url,
        checked_at=at,
        http_status=200,
        snapshot_id=snapshot_id,
        outcome="new-version" if previous else "first-version",
    )
    version_id = store.add_version(
        doc_id=doc_id, snapshot_id=snapshot_id, captured_at=at, title=title or doc_id, text=text
    )
    if previous is not None:
        store.add_change(
            doc_id=doc_id,
            from_version_id=previous,
            to_version_id=version_id,
            detected_at=at,
            label=label,
            summary=summary,
            reasons=[Reason("test", summary)],
            silent=False,
            ops=(),
            sections=(),
            effective_date=effective_date,
            notice_days=notice_days,
        )
    return version_id


def check(store: Store, doc_id: str, at: str, outcome: str, status: int = 200) -> None:
    store.add_check(
        doc_id=doc_id,
        url=f"https://example.test/{doc_id}",
        checked_at=at,
        http_status=status,
        snapshot_id=None,
        outcome=outcome,
        reason="HTTP 404: page removed" if outcome == "gone" else None,
    )


def document(store: Store, doc_id: str, title: str, marketplace: str, doc_type: str) -> None:
    store.ensure_document(
        doc_id,
        title=title,
        url=f"https://example.test/{doc_id}",
        marketplace=marketplace,
        doc_type=doc_type,
        origin="declared",
        seen_at=T1,
    )


def timelines_of(home: Path) -> list[Timeline]:
    """Every document's timeline in the store of ``home``, as the orchestrator reads them."""
    with Store(home) as store:
        return timelines(store)
