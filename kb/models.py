"""Plain records passed between the store, the index and the publisher.

Times are ISO-8601 UTC strings with a ``Z`` suffix (``2026-11-01T00:00:00Z``):
they sort as text and read the same in JSON, SQLite and the site.

Names: a change's class is ``label`` in code and ``class`` at the edges (JSON, ``--class``,
the index); a reason's type is its ``kind``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Protocol

CLASSES = ("substantive", "minor", "noise")


class Event(StrEnum):
    """What a change is to the page itself (``event`` in JSON): its text edited, or the page
    added, removed, moved away or back again (docs/changes.md, "Pages that come and go")."""

    EDITED = "edited"  # between two versions: the text changed
    ADDED = "added"  # a new page, found after its marketplace's first crawl: no from-version
    REMOVED = "removed"  # confirmed gone (404, 410): no to-version
    MOVED = "moved"  # confirmed gone by a redirect to another address: no to-version
    RESTORED = "restored"  # back after being gone: no from-version (its text, if changed, is an edit beside it)


EVENTS = tuple(Event)


class Outcome(StrEnum):
    """What one check (one attempt to fetch a document) came to."""

    PENDING = "pending"  # stored, not processed yet: the next crawl, record or import does it
    FIRST_VERSION = "first-version"
    NEW_VERSION = "new-version"
    UNCHANGED = "unchanged"
    FLAP = "flap"  # the text of a recent version again: kept as a version, never reported (diffs.flapping)
    FAILED = "failed"  # nothing usable: the reason (and its kind) say why; never a version
    GONE = "gone"  # the site removed the page; its history is kept


OUTCOMES = tuple(Outcome)
GOOD_OUTCOMES = (Outcome.FIRST_VERSION, Outcome.NEW_VERSION, Outcome.UNCHANGED, Outcome.FLAP)  # read as the document


class ExitCode(IntEnum):
    """The exit status of a command, for schedulers (docs/cli.md, "Exit status"). 0 and the
    change code follow diff(1) and git: success is 0, and news is not an error. Which one a
    crawl gets is decided in one place, ``kb.pipeline.exit_code``."""

    NOTHING_CHANGED = 0  # the run worked and found nothing new (also: any command that succeeded)
    RUN_FAILED = 1  # the run itself failed: a known error, said in one line on stderr
    USAGE = 2  # the command line cannot be parsed (argparse)
    CHANGES_FOUND = 3  # new, changed or gone documents, and every check succeeded
    CHECKS_FAILED = 4  # some checks failed (with or without changes: this code wins)


class FaultKind(StrEnum):
    """Why a check failed, as a kind that status, the site and reports can count
    (the check's ``reason`` is the sentence for people)."""

    NO_RESPONSE = "no-response"  # refused, reset, timed out, DNS, too many redirects
    ROBOTS = "robots"  # robots.txt forbids the page
    OUT_OF_SCOPE = "out-of-scope"  # a redirect off the declared hosts, or to a private address
    HTTP_ERROR = "http-error"  # 4xx (but 404/410) and 5xx
    RATE_LIMITED = "rate-limited"  # 429
    ACCESS_DENIED = "access-denied"  # 401, 403
    REMOVED = "removed"  # 404, 410: the outcome is gone
    MOVED = "moved"  # a redirect to another page
    SIGN_IN = "sign-in"  # a sign-in page instead of the document
    BOT_WALL = "bot-wall"  # a robot check, captcha or challenge page
    SELECTOR_MISSED = "selector-missed"  # the declaration's selectors matched nothing
    INVALID_SELECTOR = "invalid-selector"  # a selector does not parse
    EMPTY = "empty"  # an empty body or no text
    TOO_LARGE = "too-large"
    NOT_HTML = "not-html"  # a PDF, an image, binary data
    SHRANK = "shrank"  # the text lost most of its length at once
    UNREADABLE = "unreadable"  # the page could not be parsed
    NEEDS_BROWSER = "needs-browser"  # render: browser, and no Chromium here
    UNDECLARED = "undeclared"  # no declaration covers the document any more
    CLOCK = "clock"  # a crawl dated before the document's latest capture: this machine's clock went back
    # The page answered, but not with the document it claims to be (diffs.expect):
    WRONG_LANGUAGE = "wrong-language"  # another language than the declared or URL's one
    WRONG_MARKETPLACE = "wrong-marketplace"  # another marketplace's page ("applies to selling in: France")
    MISSING_TEXT = "missing-text"  # a text the declaration expects is not there
    TOO_SHORT = "too-short"  # less text than the declaration's min_chars
    JS_SHELL = "js-shell"  # a JavaScript application's shell, without the text
    BLOCK_PAGE = "block-page"  # a notice in the site's template: consent, maintenance, region, not found


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
    fault: str | None = None  # its kind (a FaultKind)
    role: str | None = None  # "announcements": a page of upcoming changes (kb.sources.ROLES)

    def as_json(self) -> dict:
        return dict(vars(self))


@dataclass(frozen=True)
class Snapshot:
    """A stored response exactly as it was received: the evidence everything else derives from.
    Immutable: nothing updates or deletes a snapshot (its body is kept by sha256)."""

    id: int
    doc_id: str
    url: str  # the URL that answered, after redirects
    fetched_at: str
    http_status: int
    headers: dict[str, str]  # lower-case names
    sha256: str  # of the body
    origin: str  # 'crawl' or 'import'


@dataclass(frozen=True)
class Capture:
    """A response saved elsewhere (a file, a web archive) and when it was taken."""

    at: str  # capture time, ISO 8601 UTC: the check's time, and a change's detected_at
    body: bytes
    url: str | None = None  # the page's URL (default: the document's); links resolve against it
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # provenance, e.g. the archive URL


@dataclass(frozen=True)
class Version:
    """Extracted text of a document, derived from one snapshot."""

    id: int
    doc_id: str
    snapshot_id: int
    snapshot_sha256: str
    captured_at: str  # fetched_at of the snapshot it came from
    title: str
    text: str  # normalized Markdown (None in a PublishInput that reads texts when it needs them)
    text_sha256: str


@dataclass(frozen=True)
class Reason:
    """Why a change got its class: a kind (``diffs.kinds.KINDS``) and a sentence."""

    kind: str
    text: str
    section: str = ""  # label of the section it was found in, when known


@dataclass(frozen=True)
class SectionChange:
    """What changed in one section of a document."""

    id: str  # stable slug path, "" before the first heading
    label: str  # "Customer metrics › Late shipment rate", "" before the first heading
    changes: str  # "1 sentence changed, 2 sentences added"

    @property
    def text(self) -> str:
        return f"{self.label or 'Top of the page'}: {self.changes}"


@dataclass(frozen=True)
class FlapPassage:
    """A run of lines a flap switched (``diffs.flapping``): how it read before and after."""

    key: str  # names the pair of texts, whichever way the passage switches
    before: str  # its first line before ("" when the passage was absent), shortened
    after: str  # its first line after
    before_lines: int = 0
    after_lines: int = 0


@dataclass(frozen=True)
class Change:
    """The difference between two consecutive versions of a document, or the page itself
    coming or going (``event``): an added or restored page has no from-version, a removed or
    moved one no to-version."""

    id: int
    key: str  # stable permalink key, e.g. "demo-market/seller-agreement/20261101T000000Z"
    doc_id: str
    from_version_id: int | None
    to_version_id: int | None
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
    section_details: tuple[SectionChange, ...] = ()  # the same, with section ids (empty in old stores)
    flap: bool = False  # the page only switched back to a recent text: kept, never reported
    returns_to: int | None = None  # id of the earlier version whose text came back (flap or reversion)
    returns_to_at: str | None = None  # that version's capture time
    flapping: tuple[FlapPassage, ...] = ()  # what a flap switched
    event: str = Event.EDITED  # an Event: edited, added, removed, moved, restored


@dataclass(frozen=True)
class Check:
    """One attempt to fetch a document, whatever its outcome."""

    id: int
    doc_id: str
    url: str
    checked_at: str
    http_status: int | None
    outcome: str  # an Outcome
    reason: str | None = None
    snapshot_id: int | None = None
    fault: str | None = None  # a FaultKind, for failed and gone checks


class DeliveryState(StrEnum):
    """Where one notification message stands (``kb.notify``)."""

    SENDING = "sending"  # recorded before the send: found again on a later run, it becomes unconfirmed
    SENT = "sent"
    FAILED = "failed"  # the destination refused it or could not be reached: its changes are due again
    UNCONFIRMED = "unconfirmed"  # the run stopped while sending: perhaps delivered, never resent


@dataclass(frozen=True)
class Delivery:
    """One message to one destination of a subscription, and the changes it carries."""

    id: int
    subscription: str
    destination: str  # sha256 of the Apprise URL without its password
    shown_as: str  # the URL with its secrets masked
    kind: str  # each | daily | weekly | test
    period: str | None  # a digest's day or ISO week
    change_keys: tuple[str, ...]
    state: str  # a DeliveryState
    error: str | None
    started_at: str
    finished_at: str | None

    def as_json(self) -> dict:
        return {**vars(self), "change_keys": list(self.change_keys)}


class VersionTexts(Protocol):
    """Where a publish reads the texts it was not given (``PublishInput.texts``): the store."""

    def version_text(self, version_id: int) -> str: ...


class DerivedValues(Protocol):
    """Values derived from texts by pure functions, kept between publishes
    (``PublishInput.derived``: ``kb.store.derived``)."""

    def get(self, kind: str, code: str, keys: Iterable[str]) -> dict[str, str]: ...

    def put(self, kind: str, code: str, values: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class PublishInput:
    """Everything the publisher needs, read from the store in one go, texts aside: with
    ``texts``, the versions carry ``text=None`` and a page reads the texts it shows from there
    when it is rendered (one document at a time), so a publish never holds every text."""

    generated_at: str  # time of the newest check: keeps output reproducible
    documents: tuple[Document, ...]
    current: dict[str, Version] = field(default_factory=dict)  # doc_id -> latest version
    changes: tuple[Change, ...] = ()  # all recorded changes, any order
    versions: dict[int, Version] = field(default_factory=dict)  # id -> version, for before/after links
    # (doc_id, detected_at, passages) of every flap, for the passages that keep flapping
    # (diffs.flapping.flapping_passages); flaps are not in ``changes``
    flaps: tuple[tuple[str, str, tuple[FlapPassage, ...]], ...] = ()
    failing_deliveries: tuple[Delivery, ...] = ()  # the latest message to each failing destination
    head: str = ""  # the store's head digest (kb.store.chain), published on the site and in the feeds
    marketplace_names: dict[str, str] = field(default_factory=dict)  # marketplace → declared name
    texts: VersionTexts | None = None  # None: every version carries its text
    derived: DerivedValues | None = None  # None: derived values are computed on every publish

    def text(self, version: Version) -> str:
        """A version's text, from the version or else from ``texts``."""
        if version.text is not None or self.texts is None:
            return version.text
        return self.texts.version_text(version.id)
