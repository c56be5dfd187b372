"""Small ``PublishInput`` records for tests of the site's parts (pages, mkdocs.yml)."""

from __future__ import annotations

from kb.models import Change, Document, PublishInput

CHECKED = "2026-11-10T06:00:00Z"


def doc(doc_id: str, title: str = "", **fields) -> Document:
    """A document of the marketplace its id starts with, checked at ``CHECKED``."""
    marketplace = doc_id.split("/")[0]
    fields = {"last_checked": CHECKED, "first_seen": "2026-10-01T06:00:00Z"} | fields
    return Document(doc_id, title or doc_id, f"https://{marketplace}.example/{doc_id}", marketplace, "policy", **fields)


def change(doc_id: str, detected_at: str, label: str = "minor", **fields) -> Change:
    key = f"{doc_id}/{detected_at.replace('-', '').replace(':', '')}"
    return Change(1, key, doc_id, 1, 2, detected_at, label, f"{label} change", **fields)


def site_data(*documents: Document, changes: tuple[Change, ...] = ()) -> PublishInput:
    return PublishInput(generated_at=CHECKED, documents=documents, changes=changes)
