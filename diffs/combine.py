"""Documents made of several pages (Open Terms Archive's ``combine``).

The crawler stores such a document's pages as ONE snapshot: a MIME
``multipart/related`` file (the MHTML layout browsers use to save a page with its
parts) whose parts are the raw responses, byte for byte, each with its URL, status
and content type. Every part carries a ``Content-Length``, so reading it back never
depends on scanning for the boundary. Extraction applies each page's own rules and
joins the texts in declaration order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kb.errors import CombinedCaptureError

MAGIC = b"MIME-Version: 1.0\r\nContent-Type: multipart/related;"
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class CapturedPage:
    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def charset(self) -> str | None:
        match = _CHARSET.search(self.content_type or "")
        return match.group(1) if match else None


def is_combined(body: bytes | str) -> bool:
    return isinstance(body, bytes) and body.startswith(MAGIC)


def pack(pages: list[CapturedPage]) -> bytes:
    """One byte-exact container for the pages of a combined document."""
    boundary = "policywatch-" + hashlib.sha256(b"".join(p.body for p in pages)).hexdigest()[:32]
    out = [
        MAGIC + f' boundary="{boundary}"; type="text/html"\r\n'.encode(),
        f"X-Policywatch-Pages: {len(pages)}\r\n\r\n".encode(),
    ]
    for page in pages:
        head = (
            f"--{boundary}\r\nContent-Location: {page.url}\r\n"
            f"Content-Type: {page.content_type or 'application/octet-stream'}\r\n"
            f"X-Http-Status: {page.status}\r\nContent-Length: {len(page.body)}\r\n\r\n"
        )
        out += [head.encode("utf-8"), page.body, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def unpack(body: bytes) -> list[CapturedPage]:
    if not is_combined(body):
        raise CombinedCaptureError("not a combined capture (no multipart/related header)")
    head, _, rest = body.partition(b"\r\n\r\n")
    match = re.search(rb'boundary="([^"]+)"', head)
    if not match:
        raise CombinedCaptureError("combined capture without a boundary")
    delimiter = b"--" + match.group(1) + b"\r\n"
    pages = []
    position = 0
    while rest.startswith(delimiter, position):
        header_end = rest.index(b"\r\n\r\n", position)
        fields = dict(
            line.split(": ", 1) for line in rest[position + len(delimiter) : header_end].decode("utf-8").split("\r\n")
        )
        start = header_end + 4
        end = start + int(fields["Content-Length"])
        pages.append(
            CapturedPage(
                url=fields["Content-Location"],
                status=int(fields["X-Http-Status"]),
                content_type=fields["Content-Type"],
                body=rest[start:end],
            )
        )
        position = end + 2  # the CRLF after each part
    if not pages:
        raise CombinedCaptureError("combined capture holds no page")
    return pages


def combined_status(pages: list[CapturedPage]) -> int:
    """The document answers with its first failing page's status, else 200-ish of the first."""
    return next((p.status for p in pages if not 200 <= p.status < 300), pages[0].status)


def extract_combined(body: bytes, parts: tuple[Any, ...], extract_page: Callable[..., Any], url: str = "") -> Any:
    """Extract every page with its own rules (``parts``) and join the texts in order."""
    try:
        pages = unpack(body)
    except (CombinedCaptureError, KeyError, ValueError) as exc:
        raise CombinedCaptureError(f"{url or 'this capture'} should combine {len(parts)} pages: {exc}") from None
    if len(pages) != len(parts):
        raise CombinedCaptureError(
            f"{url or 'this capture'} holds {len(pages)} pages but the declaration combines "
            f"{len(parts)}; crawl it again after changing the declaration"
        )
    extracted = [
        extract_page(page.body, rules, url=page.url, encoding=page.charset)
        for page, rules in zip(pages, parts, strict=True)
    ]
    markdown = "\n\n".join(e.markdown.rstrip("\n") for e in extracted) + "\n"
    return dataclasses.replace(extracted[0], markdown=markdown)
