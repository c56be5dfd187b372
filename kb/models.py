"""Plain records passed between the store, the index and the publisher.

Times are ISO-8601 UTC strings with a ``Z`` suffix (``2026-11-01T00:00:00Z``):
they sort as text and read the same in JSON, SQLite and the site.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CLASSES = ("substantive", "minor", "noise")


@dataclass(frozen=True)
class Document:
    """A tracked document, identified by a stable id such as ``amazon-us/business-solutions-agreement``."""

    doc_id: str
    title: str
    url: str
    marketplace: str
    doc_type: str
    status: str = "active"  # active | failing | gone
    first_seen: str | None = None
    last_checked: str | None = None  # last check of any outcome
    last_good_check: str | None = None  # last check that produced or confirmed a version
    last_changed: str | None = None  # detected_at of the latest change
    failure: str | None = None  # reason of the current failure, if any


@dataclass(frozen=True)
class Version:
    """Extracted text of a document, derived from one snapshot."""

    id: int
    doc_id: str
    snapshot_id: int
    snapshot_sha256: str
    captured_at: str  # fetched_at of the snapshot it came from
    title: str
    text: str  # normalized Markdown
    text_sha256: str


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str


@dataclass(frozen=True)
class Change:
    """The difference between two consecutive versions of a document."""

    id: int
    key: str  # stable permalink key, e.g. "demo-market/seller-agreement/20261101T000000Z"
    doc_id: str
    from_version_id: int
    to_version_id: int
    detected_at: str  # capture time of the snapshot that revealed the change
    label: str  # one of CLASSES
    summary: str
    reasons: tuple[Reason, ...] = ()
    silent: bool | None = None
    ops: tuple[tuple[int, str], ...] = ()  # diff-match-patch ops: (-1|0|1, text)
    sections: tuple[str, ...] = ()  # labels of the sections touched ("Fees › Referral fees")
    tags: tuple[str, ...] = ()  # seller workflows touched (diffs.taxonomy ids)
    effective_date: str | None = None  # YYYY-MM-DD the text says the change takes effect
    notice_days: int | None = None  # days between detected_at and effective_date
    technical: bool = False  # only the extraction rules changed: kept out of changelog and feed
    section_changes: tuple[str, ...] = ()  # "Fees › Referral fees: 1 sentence changed"


@dataclass(frozen=True)
class Check:
    """One attempt to fetch a document, whatever its outcome."""

    id: int
    doc_id: str
    url: str
    checked_at: str
    http_status: int | None
    outcome: str  # first-version | new-version | unchanged | failed | gone
    reason: str | None = None
    snapshot_id: int | None = None


@dataclass(frozen=True)
class PublishInput:
    """Everything the publisher needs, read from the store in one go."""

    generated_at: str  # time of the newest check: keeps output reproducible
    documents: tuple[Document, ...]
    current: dict[str, Version] = field(default_factory=dict)  # doc_id -> latest version
    changes: tuple[Change, ...] = ()  # all recorded changes, any order
    versions: dict[int, Version] = field(default_factory=dict)  # id -> version, for before/after links
