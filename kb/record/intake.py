"""Captures made elsewhere become snapshots: saved files, folders of them, web-archive copies.

A folder of captures named by their UTC capture time (``2025-12-04T12-30-02Z.html``, the
layout Open Terms Archive and ``../shared/realdata`` use) is read in one go
(``folder_captures``). Text versions (``.md``, the text Open Terms Archive's version
repositories record) are captures too: stored as evidence with the type
``diffs.responses.TEXT_VERSION_TYPE``, read as Markdown instead of extracted, and judged by
the same guards and flapping rule as pages. ``record_captures`` stores captures as snapshots taken at their times,
each with its pending check, then processes them like crawled responses, in capture order: a
change's ``detected_at`` is the capture time of the snapshot that revealed it, and captures
older than the versions already recorded re-derive the document's history, so imports may come
in any order.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from diffs.combine import is_combined
from diffs.expect import judge
from diffs.extract import Rules, extract
from diffs.normalize import normalize_markdown
from diffs.responses import MAX_BODY_BYTES, TEXT_VERSION_TYPE, Fault, binary_kind, looks_like_html, size_text
from kb.errors import ExtractionError, UnknownDocument, UsageError
from kb.models import Capture
from kb.record import RecordReport, process_pending
from kb.sources import Sources
from kb.store import Store
from kb.timeutil import capture_time, to_datetime, utc_now

CAPTURE_SUFFIXES = (".html", ".htm")
TEXT_VERSION_SUFFIXES = (".md",)


def folder_captures(folder: Path, url: str | None = None) -> list[Capture]:
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder", hint="give a folder of saved captures")
    suffixes = CAPTURE_SUFFIXES + TEXT_VERSION_SUFFIXES
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    if not files:
        raise UsageError(
            f"{folder}: no .html captures or .md text versions in it",
            hint="name captures like 2025-12-04T12-30-02Z.html or 2025-12-04T12-30-02Z.md",
        )
    return [_capture(p, at=capture_time(p), url=url) for p in files]


def file_capture(path: Path, *, at: str, url: str | None = None, status: int = 200) -> Capture:
    return _capture(Path(path), at=at, url=url, status=status)


def read_bounded(path: Path, *, what: str) -> bytes:
    """A file the user gave, read only if it is a regular file no larger than a page may be
    (``MAX_BODY_BYTES``, the crawler's own limit): a device, a FIFO or a huge file would
    block or exhaust memory before anything could be said about it."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file", hint=f"give {what}")
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise UsageError(f"{path}: {kind}", hint=f"give {what}")
    size = path.stat().st_size
    if size > MAX_BODY_BYTES:
        raise UsageError(
            f"{path}: {size_text(size)}, over the size limit of a page ({size_text(MAX_BODY_BYTES)})",
            hint=f"give {what}",
        )
    with path.open("rb") as file:
        return file.read(MAX_BODY_BYTES + 1)[:MAX_BODY_BYTES]  # a file that grows while read


def _capture(path: Path, *, at: str, url: str | None, status: int = 200) -> Capture:
    """A saved file as a capture; a ``.md`` file is a text version, typed as such."""
    text_version = path.suffix.lower() in TEXT_VERSION_SUFFIXES
    headers = {"content-type": f"{TEXT_VERSION_TYPE}; charset=utf-8"} if text_version else {}
    body = read_bounded(path, what="the path of a saved HTML capture")
    return Capture(at=at, body=body, url=url, status=status, headers=headers)


FUTURE_TOLERANCE = timedelta(minutes=5)  # a capture later than now by more cannot have been taken yet


def record_captures(store: Store, sources: Sources, doc_id: str, captures: list[Capture]) -> RecordReport:
    """Store captures as snapshots taken at their times, then process every pending check."""
    declared = sources.get(doc_id)
    if declared is None and not store.has_document(doc_id):
        raise UnknownDocument(
            f"unknown document '{doc_id}'", hint="declare it in sources/ or use an id from `policywatch sources list`"
        )
    doc_url = declared.url if declared else store.document(doc_id).url
    now = utc_now()
    for capture in captures:
        if to_datetime(capture.at) - to_datetime(now) > FUTURE_TOLERANCE:
            raise UsageError(
                f"capture time {capture.at} is in the future (this machine's clock reads {now})",
                hint="give the time the page was saved (--at, or the file's name); a future date would "
                "stay the current text",
            )
    before = store.last_check_id()
    with store.transaction():
        if declared is not None and captures:
            store.ensure_document(
                doc_id,
                title=declared.title,
                url=declared.url,
                marketplace=declared.marketplace,
                doc_type=declared.doc_type,
                origin="declared",
                seen_at=min(c.at for c in captures),
                role=declared.role,
            )
        for capture in captures:
            store.add_response(
                doc_id=doc_id,
                requested_url=capture.url or doc_url,
                url=capture.url or doc_url,
                fetched_at=capture.at,
                http_status=capture.status,
                headers=capture.headers,
                body=capture.body,
                origin="import",
            )
    report = process_pending(store, sources)
    report.imported = [c for c in store.checks_after(before) if c.doc_id == doc_id]
    return report


# -- one saved page, tried without a store (``policywatch extract`` and ``compare``) ------------

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def read_file(path: Path, *, what: str = "a saved HTML page") -> bytes:
    """A saved page or text given by the user; an image, a PDF or other binary data is refused
    with the crawler's own sniffing (``diffs.responses.binary_kind``), before it is read as text."""
    body = read_bounded(path, what=what)
    kind = binary_kind(body)
    if kind is not None:
        raise UsageError(f"{path}: {kind}, not a page or a text", hint=NOT_A_PAGE_HINT)
    return body


NOT_A_PAGE_HINT = "give a saved HTML page or Markdown text"


def extract_file(
    path: Path,
    sources: Sources | None,
    *,
    doc_id: str | None = None,
    select=(),
    remove=(),
    url: str = "",
    hint: str = "adjust --select/--remove or the declaration",
) -> str:
    """The normalized Markdown a saved HTML page extracts to, under a document's declaration
    and/or the selectors given."""
    body = read_file(path)
    rules, url = _rules(sources, doc_id, select, remove, url, whole_capture=is_combined(body), saved_as=Path(path).name)
    try:
        return extract(body, rules, url=url).markdown
    except ExtractionError as exc:
        raise _with_hint(exc, str(exc), hint) from None


def claim_fault(path: Path, sources: Sources, doc_id: str, text: str, *, url: str = "") -> Fault | None:
    """What the recorder would record instead of a version for this saved page's ``text``
    (another language, a missing expected text, a sign-in page…; ``diffs.expect``), or None."""
    declared = sources.require(doc_id)
    url = url or declared.url
    return judge(text, sources.expectations_for(doc_id, url), url=url, page=read_file(path))


def capture_text(
    path: Path, sources: Sources | None, *, doc_id: str | None = None, select=(), remove=(), url: str = ""
) -> str:
    """A saved capture as normalized Markdown: HTML is extracted, Markdown read as it is."""
    body = read_file(path, what="two saved captures, HTML or Markdown")
    suffix = Path(path).suffix.lower()
    is_html = suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and looks_like_html(body))
    if not is_html:
        try:
            return normalize_markdown(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"{path}: not UTF-8 text (byte 0x{body[exc.start]:02x} at offset {exc.start})",
                hint=f"{NOT_A_PAGE_HINT}; save the text as UTF-8",
            ) from None
    rules, url = _rules(sources, doc_id, select, remove, url)
    try:
        return extract(body, rules, url=url).markdown
    except ExtractionError as exc:
        raise _with_hint(exc, f"{path}: {exc}", "adjust --select/--remove or --doc") from None


def _rules(sources: Sources | None, doc_id: str | None, select, remove, url: str, **page) -> tuple[Rules, str]:
    """The declaration's rules with the selectors given (``Sources.rules_with``), or only those."""
    if doc_id is None or sources is None:
        return Rules(select=tuple(select), remove=tuple(remove)), url
    return sources.rules_with(doc_id, select=select, remove=remove, url=url, **page)


def _with_hint(exc: ExtractionError, message: str, hint: str) -> ExtractionError:
    error = ExtractionError(message, hint=hint)
    error.kind = exc.kind
    return error
