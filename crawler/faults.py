"""What makes a response unusable as evidence of a policy, and how a fetch failed, in one line.

The rule "a failure never becomes a version" lives here and in ``kb.record``:

- ``response_fault`` judges a stored response before any extraction: HTTP errors, a page that
  is gone, a redirect to a sign-in page, an empty or oversized body, a PDF or other binary where
  HTML was expected. The recorder calls it for every pending check; content-level failures
  (bot walls, selectors that match nothing, a text that suddenly shrank) are judged after
  extraction, in the recorder.
- ``describe_failure`` turns a fetch that produced no response (refused, reset, timed out,
  truncated, cancelled for size, a redirect loop, a redirect out of scope) into the reason
  recorded on the check.

Retries that honour Retry-After are ``crawler.middlewares.PoliteRetry``'s job. One crawler
component here keeps faults from leaving orphans:

- ``ParentWatch`` (extension): a crawl child whose parent was killed stops at once instead of
  writing to a home that a new run may already hold.

Nothing here imports Scrapy at module level: the recorder uses this module without a crawler.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from crawler.settings import DOWNLOAD_MAXSIZE
from diffs.combine import CombinedCaptureError, is_combined, unpack

GONE_STATUSES = (404, 410)
# Statuses Scrapy follows as redirects; the spider takes every other status as a response,
# so an error page is stored as evidence and a redirect is followed (and checked) first.
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
HANDLED_STATUSES = tuple(s for s in range(100, 600) if s not in REDIRECT_STATUSES)

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# A redirect here means the page now needs a session: what answers is a login form, not the policy.
SIGN_IN_PATH = re.compile(
    r"(^|/)(ap/)?(sign[-_]?in|log[-_]?in|logon|auth|authenticate|authorize|sso|oauth2?|"
    r"session/new|servicelogin|cas/login)(/|\.|$)",
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

    outcome: str  # "failed", or "gone" for a page the site removed
    reason: str  # one line for the user: what happened and what it means


def response_fault(*, status: int | None, headers: Mapping[str, str], body: bytes, url: str,
                   requested_url: str | None = None, max_size: int = DOWNLOAD_MAXSIZE) -> Fault | None:
    """The fault of a response (``url``: the one that answered, after redirects), or ``None``
    when it may be read as the document."""
    if status is None:
        return Fault("failed", "no response was received")
    if status in GONE_STATUSES:
        return Fault("gone", f"{_status(status)}: the page was removed; its history is kept")
    if not 200 <= status < 300:
        return Fault("failed", _status_reason(status, headers))
    if requested_url and url != requested_url and _is_sign_in(url):
        return Fault("failed", f"redirected to a sign-in page ({url}): the document is no longer "
                               "public at its declared URL; check it in a browser")
    size = len(body)
    if max_size and size > max_size:
        return Fault("failed", f"body of {_size(size)} is over the size limit of {_size(max_size)}; "
                               "raise DOWNLOAD_MAXSIZE if the page is really that large")
    if is_combined(body):
        return _combined_fault(body)
    if not body.strip():
        return Fault("failed", f"{_status(status)} with an empty body: the server sent no page")
    content_type = _header(headers, "content-type").split(";")[0].strip().lower()
    binary = _binary_kind(body)
    if binary:
        declared = f" (declared as {content_type})" if content_type else ""
        return Fault("failed", f"expected an HTML page, got {binary}{declared}, {_size(size)}")
    if content_type and content_type not in HTML_TYPES and not _looks_like_html(body):
        return Fault("failed", f"expected an HTML page, got {content_type} ({_size(size)})")
    return None


def _combined_fault(body: bytes) -> Fault | None:
    """A document made of several pages (``diffs.combine``): each page is judged on its own."""
    try:
        pages = unpack(body)
    except (CombinedCaptureError, KeyError, ValueError) as exc:
        return Fault("failed", f"the combined capture cannot be read ({exc})")
    for number, page in enumerate(pages, 1):
        fault = response_fault(status=page.status, headers={"content-type": page.content_type},
                               body=page.body, url=page.url, max_size=0)
        if fault is not None:
            return Fault("failed", f"page {number} of {len(pages)} ({page.url}): {fault.reason}")
    return None


def retry_after_seconds(value: str | None) -> int | None:
    """Seconds to wait from a Retry-After header (delay in seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        from datetime import datetime, timezone

        when = parsedate_to_datetime(value)
        return max(0, int((when - datetime.now(timezone.utc)).total_seconds()))
    except (TypeError, ValueError, OverflowError):
        return None


def describe_failure(failure) -> str:
    """One readable line for a fetch that produced no response (a Twisted ``Failure``)."""
    from scrapy import exceptions as sx
    from twisted.internet import error as tx

    exc = failure.value
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    chain = [*meta.get("redirect_urls", []), *([request.url] if request is not None else [])]
    host = urlsplit(request.url).netloc if request is not None else "the server"

    if _is_http_error(exc):  # before IgnoreRequest, its base class
        response = exc.response
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES:
            if not location:
                return f"{_status(response.status)} without a Location header: nowhere to go"
            target = location.decode("latin-1")
            return f"{_status(response.status)} to {target}: not an http(s) URL; not followed"
        return _status_reason(response.status, {})
    if isinstance(exc, sx.IgnoreRequest):
        text = str(exc) or "request ignored"
        if text == "max redirections reached":
            kind = "redirect loop" if len(set(chain)) < len(chain) else "too many redirects"
            return f"{kind}: {' → '.join(_shorten(chain))}; gave up after {len(chain) - 1} redirects"
        if "robots.txt" in text or "Forbidden by robots" in text:
            return "forbidden by robots.txt"
        if text.startswith("out of scope") and len(chain) > 1:
            return f"redirected to {request.url}, which is {text}; not followed"
        return text
    if isinstance(exc, (sx.DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return f"connection refused by {host}: nothing is listening there"
    if isinstance(exc, (sx.CannotResolveHostError, tx.DNSLookupError)):
        return f"DNS lookup failed for {urlsplit(request.url).hostname if request else 'the host'}"
    if isinstance(exc, (sx.DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)):
        seconds = re.search(r"longer than ([\d.]+) seconds", str(exc))
        within = f" within {float(seconds.group(1)):g} s" if seconds else ""
        return f"read timeout: {host} sent no complete answer{within}"
    if isinstance(exc, sx.ResponseDataLossError):
        reasons = getattr(exc.__cause__, "reasons", None) or []
        if any(r.check(tx.ConnectionLost) for r in reasons):
            return "connection reset in the middle of the body: the page arrived incomplete"
        return "body truncated: the server closed the connection before sending all it announced"
    if isinstance(exc, sx.DownloadCancelledError):
        size = re.search(r"larger than download max size \((\d+)\)", str(exc))
        limit = f" of {_size(int(size.group(1)))}" if size else ""
        return f"body over the size limit{limit}: download stopped; raise DOWNLOAD_MAXSIZE if needed"
    if isinstance(exc, (tx.ConnectionLost, tx.ConnectionDone)):
        return f"connection to {host} lost before the response"
    name = type(exc).__name__
    return f"{name}: {exc}".strip().rstrip(":")[:300]


# -- crawler components ---------------------------------------------------------------------

class ParentWatch:
    """Extension: when the crawl runs in a child process (``kb.pipeline.run_spider``) and its
    parent dies (SIGKILL, OOM), exit at once. Snapshots already written are committed and stay
    pending for the next run; nothing keeps writing to a home another run may now hold."""

    def __init__(self, sentinel: int):
        import threading

        self._thread = threading.Thread(target=self._watch, args=(sentinel,), daemon=True,
                                        name="policywatch-parent-watch")
        self._thread.start()

    @classmethod
    def from_crawler(cls, crawler):
        import multiprocessing

        from scrapy.exceptions import NotConfigured

        parent = multiprocessing.parent_process()
        if parent is None or parent.sentinel is None:
            raise NotConfigured("not running under a policywatch parent process")
        return cls(parent.sentinel)

    @staticmethod
    def _watch(sentinel: int) -> None:
        import os
        from multiprocessing.connection import wait

        wait([sentinel])  # readable once the parent's end of the pipe closes, i.e. it died
        os._exit(75)  # SQLite transactions are atomic: an abrupt exit loses nothing committed


# -- helpers ----------------------------------------------------------------------------------

def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _status_reason(code: int, headers: Mapping[str, str]) -> str:
    wait = retry_after_seconds(_header(headers, "retry-after"))
    later = f"; the site asks to wait {wait} s (Retry-After), the next crawl tries again" \
        if wait is not None else ""
    if code == 429:
        return f"{_status(code)}: rate limited{later or '; slow the crawl down'}"
    if code >= 500:
        return f"{_status(code)}: server error{later or ', retried; the next crawl tries again'}"
    if code in (401, 403):
        return f"{_status(code)}: access denied (blocked, or the page needs a sign-in)"
    if 300 <= code < 400:
        return f"{_status(code)}: not a page"
    return f"{_status(code)}: the page was not served"


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value or ""
    return ""


def _is_sign_in(url: str) -> bool:
    return bool(SIGN_IN_PATH.search(urlsplit(url).path))


def _binary_kind(body: bytes) -> str | None:
    for magic, kind in MAGIC:
        if body.startswith(magic):
            return kind
    head = body[:4096]
    if b"\x00" in head and not head.startswith(UNICODE_BOMS):
        return "binary data"
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<?xml"))


def _size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KB"
    return f"{size} bytes"


def _shorten(urls: list[str]) -> list[str]:
    """A redirect chain for one line: the first URL in full, the next ones by path."""
    if not urls:
        return []
    first = urlsplit(urls[0])
    out = [urls[0]]
    for url in urls[1:]:
        parts = urlsplit(url)
        out.append(parts.path or "/" if parts.netloc == first.netloc else url)
    return out


def _is_http_error(exc) -> bool:
    from scrapy.spidermiddlewares.httperror import HttpError

    return isinstance(exc, HttpError)
