"""Small ``PublishInput`` records for tests of the site's parts (pages, mkdocs.yml)."""

from __future__ import annotations

from dataclasses import replace

from kb.models import Change, Document, PublishInput, Version

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


class _Texts:
    """The store's side of a publish that reads texts when it needs them: counts the reads."""

    def __init__(self, data: PublishInput) -> None:
        self.texts = {v.id: v.text for v in (*data.versions.values(), *data.current.values())}
        self.read: list[int] = []

    def version_text(self, version_id: int) -> str:
        self.read.append(version_id)
        return self.texts[version_id]


def lazy(data: PublishInput, derived=None) -> PublishInput:
    """``data`` as ``Store.publish_input(texts=False)`` gives it: versions without their texts."""

    def bare(version: Version) -> Version:
        return replace(version, text=None)

    return replace(
        data,
        versions={k: bare(v) for k, v in data.versions.items()},
        current={k: bare(v) for k, v in data.current.items()},
        texts=_Texts(data),
        derived=derived,
    )
