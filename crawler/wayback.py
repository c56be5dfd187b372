"""Past captures from a web archive: a Wayback Machine's CDX API, fetched politely.

``wayback_captures`` asks the archive for a page's captures (one per distinct body:
``collapse=digest``); ``fetch_captures`` downloads each unmodified (the ``id_`` form) as a
``kb.models.Capture`` at its capture time. Recording them is the record stage's work
(``kb.pipeline.backfill`` runs both): a change's ``detected_at`` is the capture time of the
snapshot that revealed it, as for a crawl.

A CDX client, not a crawl: sequential GETs with a named User-Agent, a pause between them and
retries that honour Retry-After. Failures are ``kb.errors.ArchiveUnavailable``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from diffs.responses import retry_after_seconds
from kb.errors import ArchiveUnavailable
from kb.models import Capture


@dataclass(frozen=True)
class ArchivedCapture:
    timestamp: str  # 14 digits, UTC: 20201006125738
    original: str  # the URL as archived
    digest: str

    @property
    def at(self) -> str:
        t = self.timestamp
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"

    def raw_url(self, base_url: str) -> str:
        # ``id_``: the body exactly as archived, without the archive's banner or rewritten links.
        return f"{base_url.rstrip('/')}/web/{self.timestamp}id_/{self.original}"


@dataclass
class ArchiveFetch:
    """What the archive held for one page, and what was downloaded."""

    found: int = 0  # distinct captures listed by the archive
    skipped: int = 0  # already in the store
    failed: list[str] = field(default_factory=list)  # captures that could not be downloaded
    captures: list[Capture] = field(default_factory=list)


class PoliteClient:
    """Sequential HTTP GETs for the archive: a named User-Agent, a pause between requests,
    and retries with backoff on 429 and 5xx that honour Retry-After (up to ``max_wait``)."""

    def __init__(
        self,
        user_agent: str,
        delay: float = 1.0,
        retries: int = 2,
        backoff: float = 5.0,
        max_wait: float = 120.0,
        timeout: float = 30.0,
    ):
        self.user_agent, self.delay, self.retries = user_agent, delay, retries
        self.backoff, self.max_wait, self.timeout = backoff, max_wait, timeout
        self._last = 0.0

    def get(self, url: str) -> bytes:
        for attempt in range(self.retries + 1):
            self._pace()
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    raise ArchiveUnavailable(f"{url}: HTTP {exc.code}") from None
                asked = retry_after_seconds(exc.headers.get("Retry-After"), datetime.now(UTC))
                if asked is not None and asked > self.max_wait:
                    raise ArchiveUnavailable(
                        f"{url}: HTTP {exc.code}, the archive asks to wait {asked} s",
                        hint="run the backfill again later",
                    ) from None
                time.sleep(asked if asked is not None else self.backoff * 2**attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise ArchiveUnavailable(
                        f"{url}: {reason}", hint="check the archive's address (--wayback-url)"
                    ) from None
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _pace(self) -> None:
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()


def wayback_captures(
    client: PoliteClient,
    base_url: str,
    url: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> list[ArchivedCapture]:
    """The archive's captures of ``url`` that answered 200, one per run of identical bodies."""
    query = {
        "url": url,
        "output": "json",
        "fl": "timestamp,original,digest",
        "filter": "statuscode:200",
        "collapse": "digest",
    }
    if since:
        query["from"] = re.sub(r"\D", "", since)[:14]
    if until:
        query["to"] = re.sub(r"\D", "", until)[:14]
    body = client.get(f"{base_url.rstrip('/')}/cdx/search/cdx?{urlencode(query)}")
    try:
        rows = json.loads(body or b"[]")
    except json.JSONDecodeError:
        raise ArchiveUnavailable(
            f"{base_url}: the CDX answer is not JSON",
            hint="check --wayback-url: it must be a Wayback Machine (CDX API) address",
        ) from None
    if not rows:
        return []
    header, *entries = rows
    index = {name: header.index(name) for name in ("timestamp", "original", "digest")}
    return [ArchivedCapture(row[index["timestamp"]], row[index["original"]], row[index["digest"]]) for row in entries]


def fetch_captures(
    client: PoliteClient,
    base_url: str,
    url: str,
    *,
    known: set[str],
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> ArchiveFetch:
    """Download the archive's captures of ``url`` that the store does not hold yet (``known``:
    capture times already checked), at most ``limit`` of them."""
    archived = wayback_captures(client, base_url, url, since=since, until=until)
    result = ArchiveFetch(found=len(archived))
    for item in archived:
        if limit is not None and len(result.captures) >= limit:
            break
        if item.at in known:
            result.skipped += 1
            continue
        try:
            body = client.get(item.raw_url(base_url))
        except ArchiveUnavailable as exc:
            result.failed.append(f"{item.at}: {exc}")
            continue
        result.captures.append(
            Capture(
                at=item.at,
                body=body,
                url=url,
                headers={"x-archive-url": item.raw_url(base_url), "x-archive-digest": item.digest},
            )
        )
    return result
