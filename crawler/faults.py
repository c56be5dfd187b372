"""How a fetch that produced no response failed, in one line, with the kind of failure.

Refused, reset, timed out, truncated, cancelled for size, a redirect loop, a redirect out of
scope, robots.txt: ``describe_failure`` turns Scrapy's and Twisted's failure into the reason
recorded on the check. Responses that did arrive are judged after the store, by
``diffs.responses.response_fault``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy import exceptions as sx
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx

from diffs.responses import REDIRECT_STATUSES, size_text, status_reason, status_text
from kb.models import FaultKind


def describe_failure(failure) -> tuple[str, str]:
    """(kind, one readable line) for a fetch that produced no response (a Twisted ``Failure``);
    the kind is a ``kb.models.FaultKind``."""
    exc = failure.value
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    chain = [*meta.get("redirect_urls", []), *([request.url] if request is not None else [])]
    host = urlsplit(request.url).netloc if request is not None else "the server"

    if isinstance(exc, HttpError):  # before IgnoreRequest, its base class
        response = exc.response
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES:
            if not location:
                return FaultKind.HTTP_ERROR, (
                    f"{status_text(response.status)} without a Location header: nowhere to go"
                )
            target = location.decode("latin-1")
            return FaultKind.HTTP_ERROR, (
                f"{status_text(response.status)} to {target}: not an http(s) URL; not followed"
            )
        return FaultKind.HTTP_ERROR, status_reason(response.status, {})
    if isinstance(exc, sx.IgnoreRequest):
        text = str(exc) or "request ignored"
        if text == "max redirections reached":
            loop = "redirect loop" if len(set(chain)) < len(chain) else "too many redirects"
            return FaultKind.NO_RESPONSE, (
                f"{loop}: {' → '.join(_shorten(chain))}; gave up after {len(chain) - 1} redirects"
            )
        if "robots.txt" in text or "Forbidden by robots" in text:
            return FaultKind.ROBOTS, "forbidden by robots.txt"
        if text.startswith("out of scope") and len(chain) > 1:
            return FaultKind.OUT_OF_SCOPE, f"redirected to {request.url}, which is {text}; not followed"
        if text.startswith("out of scope"):
            return FaultKind.OUT_OF_SCOPE, text
        return FaultKind.NO_RESPONSE, text
    if isinstance(exc, (sx.DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return FaultKind.NO_RESPONSE, f"connection refused by {host}: nothing is listening there"
    if isinstance(exc, (sx.CannotResolveHostError, tx.DNSLookupError)):
        name = urlsplit(request.url).hostname if request else "the host"
        return FaultKind.NO_RESPONSE, f"DNS lookup failed for {name}"
    if isinstance(exc, (sx.DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)):
        seconds = re.search(r"longer than ([\d.]+) seconds", str(exc))
        within = f" within {float(seconds.group(1)):g} s" if seconds else ""
        return FaultKind.NO_RESPONSE, f"read timeout: {host} sent no complete answer{within}"
    if isinstance(exc, sx.ResponseDataLossError):
        reasons = getattr(exc.__cause__, "reasons", None) or []
        if any(r.check(tx.ConnectionLost) for r in reasons):
            return FaultKind.NO_RESPONSE, ("connection reset in the middle of the body: the page arrived incomplete")
        return FaultKind.NO_RESPONSE, (
            "body truncated: the server closed the connection before sending all it announced"
        )
    if isinstance(exc, sx.DownloadCancelledError):
        size = re.search(r"larger than download max size \((\d+)\)", str(exc))
        limit = f" of {size_text(int(size.group(1)))}" if size else ""
        return FaultKind.TOO_LARGE, (
            f"body over the size limit{limit}: download stopped; raise DOWNLOAD_MAXSIZE if needed"
        )
    if isinstance(exc, (tx.ConnectionLost, tx.ConnectionDone)):
        return FaultKind.NO_RESPONSE, f"connection to {host} lost before the response"
    name = type(exc).__name__
    return FaultKind.NO_RESPONSE, f"{name}: {exc}".strip().rstrip(":")[:300]


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
