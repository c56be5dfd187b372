"""Can a stored response be read as the document? Judged before any extraction (pure).

``response_fault`` names what makes a response unusable as evidence of a policy: an HTTP
error, a page that is gone, a redirect to a sign-in page, an empty or oversized body, a PDF
or other binary where HTML was expected. The recorder calls it for every pending check, on
the snapshot that was stored; content-level failures (bot walls, selectors that match
nothing, a text that suddenly shrank) are judged after extraction. A fault is recorded on the
check, with its kind, and never becomes a version.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from diffs.combine import is_combined, unpack
from kb.errors import CombinedCaptureError
from kb.models import FaultKind, Outcome

MAX_BODY_BYTES = 20 * 1024 * 1024  # a response larger than this is not a policy page
GONE_STATUSES = (404, 410)
# One "removed" answer is a failed check: a deploy or a CDN hiccup answers 404 for minutes. The
# document is gone when removed answers keep coming for this long (each check between them too).
GONE_CONFIRM_HOURS = 12
# Statuses Scrapy follows as redirects; the spider takes every other status as a response,
# so an error page is stored as evidence and a redirect is followed (and checked) first.
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
HANDLED_STATUSES = tuple(s for s in range(100, 600) if s not in REDIRECT_STATUSES)

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# A text version: a capture that is already the document's text (an imported ``.md`` file),
# read as Markdown instead of extracted (``diffs.extract.read_text_version``).
TEXT_VERSION_TYPE = "text/markdown"
# A redirect here means the page now needs a session: what answers is a login form, not the policy.
SIGN_IN_PATH = re.compile(
    r"(^|/)(ap/)?(sign[-_]?in|log[-_]?in|logon|auth|authenticate|authorize|sso|oauth2?|"
    r"session/new|servicelogin|cas/login)(/|\.|$)",
    re.IGNORECASE,
)
# A redirect here is an interstitial (a bot wall, a verification, a block notice), not a move:
# the page it reaches is judged as the wall it is, and the document is never "moved" or gone.
WALL_PATH = re.compile(
    r"captcha|/challenge|/splashui/|/cdn-cgi/|/_incapsula_|/distil_|(^|/)(ap/)?cvf(/|$)|"
    r"(^|/)(blocked|block|denied|access[-_]?denied|forbidden|unavailable|verify|verification|"
    r"verify[-_]?(you|human|humanity)|are[-_]?you[-_]?(a[-_]?)?(human|robot)|(human|bot|robot)[-_]?(check|verification)|"
    r"consent|interstitial|px[-_]?captcha|geo[-_]?block(ed)?)(/|\.|$)",
    re.IGNORECASE,
)
MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"RIFF", "a RIFF media file"),
    (b"\x00\x00\x01\x00", "an icon"),
)
UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Fault:
    """Why a stored response cannot become a version."""

    outcome: str  # Outcome.FAILED, or Outcome.GONE for a page the site removed
    kind: str  # a FaultKind: what status, the site and reports count
    reason: str  # one line for the user: what happened and what it means


def response_fault(
    *,
    status: int | None,
    headers: Mapping[str, str],
    body: bytes,
    url: str,
    requested_url: str | None = None,
    max_size: int = MAX_BODY_BYTES,
    at: str | None = None,
) -> Fault | None:
    """The fault of a response (``url``: the one that answered, after redirects), or ``None``
    when it may be read as the document. ``at``: when it was received (ISO 8601), for a
    Retry-After given as a date."""
    if status is None:
        return Fault(Outcome.FAILED, FaultKind.NO_RESPONSE, "no response was received")
    if status in GONE_STATUSES:
        return Fault(
            Outcome.GONE, FaultKind.REMOVED, f"{status_text(status)}: the page was removed; its history is kept"
        )
    if not 200 <= status < 300:
        return Fault(Outcome.FAILED, status_kind(status), status_reason(status, headers, at))
    if requested_url and url != requested_url and is_sign_in(url):
        return Fault(
            Outcome.FAILED,
            FaultKind.SIGN_IN,
            f"redirected to a sign-in page ({url}): the document is no longer "
            "public at its declared URL; check it in a browser",
        )
    if requested_url and url != requested_url and is_wall_redirect(requested_url, url):
        return Fault(
            Outcome.FAILED,
            FaultKind.BOT_WALL,
            f"redirected to a wall ({url}) instead of the document: a check that failed, "
            "not a move; retry later, slow the crawl down, or fetch it with a browser",
        )
    size = len(body)
    if max_size and size > max_size:
        return Fault(
            Outcome.FAILED,
            FaultKind.TOO_LARGE,
            f"body of {size_text(size)} is over the size limit of {size_text(max_size)}; "
            "raise DOWNLOAD_MAXSIZE if the page is really that large",
        )
    if is_combined(body):
        return _combined_fault(body, at)
    if not body.strip():
        return Fault(
            Outcome.FAILED, FaultKind.EMPTY, f"{status_text(status)} with an empty body: the server sent no page"
        )
    content_type = _header(headers, "content-type").split(";")[0].strip().lower()
    binary = binary_kind(body)
    if binary:
        declared = f" (declared as {content_type})" if content_type else ""
        return Fault(
            Outcome.FAILED, FaultKind.NOT_HTML, f"expected an HTML page, got {binary}{declared}, {size_text(size)}"
        )
    if content_type and content_type not in (*HTML_TYPES, TEXT_VERSION_TYPE) and not looks_like_html(body):
        return Fault(
            Outcome.FAILED, FaultKind.NOT_HTML, f"expected an HTML page, got {content_type} ({size_text(size)})"
        )
    return None


def _combined_fault(body: bytes, at: str | None) -> Fault | None:
    """A document made of several pages (``diffs.combine``): each page is judged on its own."""
    try:
        pages = unpack(body)
    except (CombinedCaptureError, KeyError, ValueError) as exc:
        return Fault(Outcome.FAILED, FaultKind.UNREADABLE, f"the combined capture cannot be read ({exc})")
    for number, page in enumerate(pages, 1):
        fault = response_fault(
            status=page.status,
            headers={"content-type": page.content_type},
            body=page.body,
            url=page.url,
            max_size=0,
            at=at,
        )
        if fault is not None:
            return Fault(Outcome.FAILED, fault.kind, f"page {number} of {len(pages)} ({page.url}): {fault.reason}")
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds to wait from a Retry-After header (delay in seconds, or an HTTP date, counted
    from ``now``; without ``now`` a date gives no answer: this module reads no clock)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(value)
        return max(0, int((when - now).total_seconds()))
    except (TypeError, ValueError, OverflowError):
        return None


def is_text_version(headers: Mapping[str, str]) -> bool:
    """Was this capture stored as a text version (``TEXT_VERSION_TYPE``)?"""
    return _header(headers, "content-type").split(";")[0].strip().lower() == TEXT_VERSION_TYPE


def looks_like_html(body: bytes) -> bool:
    """Does the body start the way an HTML (or XML) document does?"""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<?xml"))


def gone_confirmed(earlier: Iterable[tuple[str, str, str | None]], at: str) -> bool:
    """May a check at ``at`` that finds the page removed (404/410, or a discovered page moved)
    mark it gone? ``earlier``: the document's earlier checks as ``(checked_at, outcome, fault)``,
    newest first. Yes when it is gone already, or when every check since the first of an
    unbroken run of removed answers found it removed and that first one is at least
    ``GONE_CONFIRM_HOURS`` old; otherwise the check is a failed one."""
    first = None
    for checked_at, outcome, fault in earlier:
        if outcome == Outcome.GONE:
            return True
        if outcome != Outcome.FAILED or fault not in (FaultKind.REMOVED, FaultKind.MOVED):
            break
        first = checked_at
    if first is None:
        return False
    hours = (datetime.fromisoformat(at) - datetime.fromisoformat(first)).total_seconds() / 3600
    return hours >= GONE_CONFIRM_HOURS


def unconfirmed_gone_reason(reason: str) -> str:
    return f"{reason}; not gone until a check {GONE_CONFIRM_HOURS} h or more later confirms it"


def is_sign_in(url: str) -> bool:
    return bool(SIGN_IN_PATH.search(urlsplit(url).path))


def is_wall_redirect(requested: str, final: str) -> bool:
    """Did a redirect from ``requested`` reach an interstitial rather than another page? Its
    path says so (``/blocked``, ``/ap/cvf/…``, ``/verify-human``, a challenge), or its query
    carries the page asked for, to send the visitor back once past it (``?url=<base64>``,
    ``?return=/help/a``): a page that really moved does not point back at its old address."""
    target = urlsplit(final)
    if WALL_PATH.search(target.path):
        return True
    path = urlsplit(requested).path.rstrip("/").lower()
    if len(path) < 2:
        return False
    return any(path in text for value in parse_qs(target.query).values() for v in value for text in _readings(v))


def _readings(value: str) -> tuple[str, ...]:
    """A query value as given and, if it is one, decoded from base64 (both lower case)."""
    readings = [value.lower()]
    try:
        decoded = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
        readings.append(decoded.decode("utf-8", errors="ignore").lower())
    except (ValueError, binascii.Error):
        pass
    return tuple(readings)


def status_text(code: int) -> str:
    """``HTTP 404 Not Found``."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def status_reason(code: int, headers: Mapping[str, str], at: str | None = None) -> str:
    """One line for an HTTP status that is not a page (with the site's Retry-After, if any)."""
    now = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    wait = retry_after_seconds(_header(headers, "retry-after"), now)
    later = f"; the site asks to wait {wait} s (Retry-After), the next crawl tries again" if wait is not None else ""
    if code == 429:
        return f"{status_text(code)}: rate limited{later or '; slow the crawl down'}"
    if code >= 500:
        return f"{status_text(code)}: server error{later or ', retried; the next crawl tries again'}"
    if code in (401, 403):
        return f"{status_text(code)}: access denied (blocked, or the page needs a sign-in)"
    if 300 <= code < 400:
        return f"{status_text(code)}: not a page"
    return f"{status_text(code)}: the page was not served"


def status_kind(code: int) -> str:
    if code == 429:
        return FaultKind.RATE_LIMITED
    if code in (401, 403):
        return FaultKind.ACCESS_DENIED
    if code in GONE_STATUSES:
        return FaultKind.REMOVED
    return FaultKind.HTTP_ERROR


def size_text(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KB"
    return f"{size} bytes"


# -- helpers ----------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value or ""
    return ""


def binary_kind(body: bytes) -> str | None:
    """What a body is when it is not text (``a PNG image``, ``binary data``), else None: known
    magic bytes, a NUL, or more than one byte in 20 of the start a control character no text
    has. The crawler's check and ``compare``/``extract`` sniff with this one function."""
    for magic, kind in MAGIC:
        if body.startswith(magic):
            return kind
    head = body[:4096]
    if head.startswith(UNICODE_BOMS):
        return None
    if b"\x00" in head or len(head.translate(None, _TEXT_BYTES)) * 20 > len(head):
        return "binary data"
    return None


# Every byte but the C0 controls text never holds (tab, newlines, form feed and ESC it may) and DEL.
_TEXT_BYTES = bytes(set(range(0x20, 0x7F)) | set(range(0x80, 0x100)) | set(b"\t\n\r\f\x1b"))
