"""Stores with changes at chosen times, marketplaces and classes, for the notification tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.models import Reason
from kb.store import Store

FIRST_CAPTURE = "2026-08-03T06:00:00Z"


@dataclass(frozen=True)
class Made:
    """One change to record: ``doc_id`` is ``<marketplace>/<id>``."""

    doc_id: str
    at: str
    label: str = "substantive"
    summary: str = "Late shipment rate target lowered from 4% to 3%"
    kind: str = "number"
    tags: tuple[str, ...] = ()
    effective_date: str | None = None


def add_changes(home: Path, changes: list[Made], *, checked_at: str | None = None) -> list[str]:
    """Record each change as the recorder does (a first version when the document is new); a last
    check at ``checked_at`` if given. Returns the change keys, in order."""
    keys = []
    with Store(home) as store, store.transaction():
        for made in changes:
            if not store.has_document(made.doc_id):
                store.ensure_document(
                    made.doc_id,
                    title=made.doc_id.split("/")[1].replace("-", " ").capitalize(),
                    url=f"https://{made.doc_id.split('/')[0]}.example/{made.doc_id.split('/')[1]}",
                    marketplace=made.doc_id.split("/")[0],
                    doc_type="policy",
                    origin="declared",
                    seen_at=FIRST_CAPTURE,
                )
                _version(store, made.doc_id, FIRST_CAPTURE, "first text")
            previous = store.latest_version(made.doc_id)
            to_version = _version(store, made.doc_id, made.at, f"text of {made.at}")
            keys.append(
                store.add_change(
                    doc_id=made.doc_id,
                    from_version_id=previous.id,
                    to_version_id=to_version,
                    detected_at=made.at,
                    label=made.label,
                    summary=made.summary,
                    reasons=[Reason(made.kind, made.summary, "Targets")],
                    silent=False,
                    ops=(),
                    sections=("Targets",),
                    tags=made.tags,
                    effective_date=made.effective_date,
                    notice_days=38 if made.effective_date else None,
                )
            )
        if checked_at:
            for doc_id in {m.doc_id for m in changes}:
                store.add_check(
                    doc_id=doc_id,
                    url="https://example.test/",
                    checked_at=checked_at,
                    http_status=200,
                    snapshot_id=None,
                    outcome="unchanged",
                )
    return keys


def _version(store: Store, doc_id: str, at: str, text: str) -> int:
    snapshot_id, _ = store.add_snapshot(
        doc_id=doc_id, url="https://example.test/", fetched_at=at, http_status=200, headers={}, body=text.encode()
    )
    store.add_check(
        doc_id=doc_id,
        url="https://example.test/",
        checked_at=at,
        http_status=200,
        snapshot_id=snapshot_id,
        outcome="new-version",
    )
    return store.add_version(doc_id=doc_id, snapshot_id=snapshot_id, captured_at=at, title=doc_id, text=text)


def write_notify(home: Path, text: str) -> Path:
    path = Path(home) / "notify.yaml"
    path.write_text(text, encoding="utf-8")
    return path
