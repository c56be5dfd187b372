"""Start a document's history before its first crawl: saved captures and web archives.

- A folder of captures named by their UTC capture time (``2025-12-04T12-30-02Z.html``,
  the layout Open Terms Archive and ``../shared/realdata`` use) is imported in one go.
- ``backfill_wayback`` asks a Wayback Machine CDX endpoint for a document's past
  captures (one per distinct body: ``collapse=digest``), downloads each unmodified
  (the ``id_`` form), and records it at its capture time.

Either way the captures go through ``kb.pipeline.record_captures``: the recorder
processes them in capture order, and a change's ``detected_at`` is the capture time
of the snapshot that revealed it, as for a crawl.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from crawler.faults import retry_after_seconds
from kb.errors import PolicywatchError, StoreError
from kb.pipeline import Capture, record_captures
from kb.record import RecordReport
from kb.sources import Sources
from kb.store import Store
from kb.timeutil import parse_time

CAPTURE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})(?:\.\d+)?Z$")
CAPTURE_SUFFIXES = (".html", ".htm")


def capture_time(path: Path) -> str:
    """``2025-12-04T12-30-02Z.html`` → ``2025-12-04T12:30:02Z``."""
    match = CAPTURE_NAME.match(path.stem)
    if not match:
        raise StoreError(
            f"{path.name}: not named by its capture time",
            hint="name captures like 2025-12-04T12-30-02Z.html (UTC, '-' for ':')",
        )
    return parse_time(match.group(1) + "Z")


def folder_captures(folder: Path, url: str | None = None) -> list[Capture]:
    if not folder.is_dir():
        raise StoreError(f"{folder}: no such folder", hint="give a folder of saved captures")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in CAPTURE_SUFFIXES)
    if not files:
        raise StoreError(
            f"{folder}: no .html captures in it",
            hint="name captures like 2025-12-04T12-30-02Z.html",
        )
    return [Capture(at=capture_time(p), body=p.read_bytes(), url=url) for p in files]


def import_folder(
    home: Path, sources: Sources, doc_id: str, folder: Path, url: str | None = None
) -> tuple[int, RecordReport]:
    captures = folder_captures(Path(folder), url)
    return len(captures), record_captures(home, sources, doc_id, captures)


# -- Wayback Machine -------------------------------------------------------------------------


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
class BackfillResult:
    doc_id: str
    found: int = 0  # distinct captures listed by the archive
    imported: int = 0  # new ones downloaded and recorded
    skipped: int = 0  # already in the store
    failed: list[str] = field(default_factory=list)  # captures that could not be downloaded
    record: RecordReport | None = None
    note: str = ""  # why a document was not backfilled


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
                    raise PolicywatchError(f"{url}: HTTP {exc.code}") from None
                asked = retry_after_seconds(exc.headers.get("Retry-After"))
                if asked is not None and asked > self.max_wait:
                    raise PolicywatchError(
                        f"{url}: HTTP {exc.code}, the archive asks to wait {asked} s",
                        hint="run the backfill again later",
                    ) from None
                time.sleep(asked if asked is not None else self.backoff * 2**attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise PolicywatchError(
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
        raise PolicywatchError(
            f"{base_url}: the CDX answer is not JSON",
            hint="check --wayback-url: it must be a Wayback Machine (CDX API) address",
        ) from None
    if not rows:
        return []
    header, *entries = rows
    index = {name: header.index(name) for name in ("timestamp", "original", "digest")}
    return [
        ArchivedCapture(row[index["timestamp"]], row[index["original"]], row[index["digest"]])
        for row in entries
    ]


def backfill_wayback(
    home: Path,
    sources: Sources,
    doc_ids: list[str],
    *,
    base_url: str,
    client: PoliteClient,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> list[BackfillResult]:
    results = []
    for doc_id in doc_ids:
        declared = sources.get(doc_id)
        result = BackfillResult(doc_id)
        results.append(result)
        if declared is None:
            raise PolicywatchError(
                f"unknown document '{doc_id}'", hint="see `policywatch sources list`"
            )
        if len(declared.pages) > 1:
            result.note = "combines several pages: an archive holds them apart, not backfilled"
            continue
        archived = wayback_captures(client, base_url, declared.url, since=since, until=until)
        result.found = len(archived)
        with Store(home) as store:
            known = (
                {c.checked_at for c in store.checks(doc_id)}
                if store.has_document(doc_id)
                else set()
            )
        captures = []
        for item in archived:
            if limit is not None and len(captures) >= limit:
                break
            if item.at in known:
                result.skipped += 1
                continue
            try:
                body = client.get(item.raw_url(base_url))
            except PolicywatchError as exc:
                result.failed.append(f"{item.at}: {exc}")
                continue
            captures.append(
                Capture(
                    at=item.at,
                    body=body,
                    url=declared.url,
                    headers={
                        "x-archive-url": item.raw_url(base_url),
                        "x-archive-digest": item.digest,
                    },
                )
            )
        result.imported = len(captures)
        if captures:
            result.record = record_captures(home, sources, doc_id, captures)
    return results
