"""Turn pending checks into versions and changes.

For each stored response, in capture order: extract its text with the document's
declaration, compare with the version in force at that time, and record a new
version (and the change) only when the normalized text differs. Failures (bot
walls, selectors that match nothing, HTTP errors) are recorded on the check and
never become versions, so an outage never reads as a deleted policy: response-level
faults are judged by ``diffs.responses.response_fault``, content-level ones here, and a text
that is not what the declaration says it is (another language or marketplace, a sign-in page,
a JavaScript shell, too short) by ``diffs.expect.judge``; each is recorded with its kind
(``kb.models.FaultKind``). Crawled, imported and backfilled captures all pass through here.

A text that differs from the current version may only switch back to a recent text: a flap
(``kb.record.flapping``, the rule in ``diffs.flapping``) is kept as a version but reported
nowhere. Captures that are already text (imported ``.md`` versions) are read, not extracted.

``reextract`` applies new extraction rules (a changed declaration, a new
``diffs.EXTRACTOR_VERSION``) to the snapshot behind each document's current version: a
different text becomes a new version from the same snapshot, linked by a *technical*
change that never reaches the changelog or the feed, so the next crawl compares like with
like instead of reporting the rule change as a policy change.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta

from diffs import EXTRACTOR_VERSION, Classification, Comparison, compare, events
from diffs.expect import judge
from diffs.extract import charset_of, extract, read_text_version
from diffs.flapping import Verdict, reversion_summary
from diffs.reading import Reading, Response, read_response, shrank, shrink_percent
from diffs.responses import gone_confirmed, is_text_version, unconfirmed_gone_reason
from kb.errors import ExtractionError, StoreError
from kb.models import GOOD_OUTCOMES, Check, FaultKind, Outcome, Version
from kb.record import flapping
from kb.record.work import RecordPool
from kb.sources import Sources
from kb.store import Store
from kb.timeutil import to_datetime

RECORDING_FAILED = "could not be recorded"  # the reason of a pending check the recorder failed on (verify)
CLOCK_TOLERANCE = timedelta(hours=1)  # a crawl earlier than the latest capture by more: the clock went back
# Documents waiting at once that are worth starting worker processes for (a second or more of
# extraction; starting them costs about one, more under load): fewer are read in this process,
# and once a pool has started, it reads every call's documents.
PARALLEL_FROM = 32


@dataclass
class RecordReport:
    first_versions: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason)
    gone: list[str] = field(default_factory=list)
    changed_docs: set[str] = field(default_factory=set)  # docs whose current version moved
    flaps: list[str] = field(default_factory=list)  # back to a recent text: a version, no change reported
    pages: list[str] = field(default_factory=list)  # a page added, removed, moved or back: a change of its own
    # An import's own captures, as their checks ended (a re-derived history reports the outcomes
    # of every capture again: these say what became of the ones imported).
    imported: list[Check] = field(default_factory=list)


def process_pending(
    store: Store, sources: Sources, report: RecordReport | None = None, *, workers: RecordPool | None = None
) -> RecordReport:
    """Process every pending check; each one is its own transaction. Pass ``report`` to add
    to it (the crawl calls this repeatedly while its child process fetches), and ``workers``
    to read responses in the crawl's worker processes (without, a backlog of many documents
    starts a pool of its own for the call).

    The CPU-heavy part (``diffs.reading``: extraction, judging, diff, classification) runs
    outside any transaction, in document order and in parallel across documents; the
    transaction that writes its result first checks that the version it was compared with is
    still the one in force (else it reads it again, inside), so the write lock is held only to
    write and the crawl child's writes never wait on the CPU work.

    A capture older than the document's latest version arrived late: the document's whole
    history is derived again, in the same transaction as the late check, so a process killed
    halfway leaves the check pending and the history as it was (the next run resumes)."""
    report = report if report is not None else RecordReport()
    # Documents done (their history derived again, this check with it) or stuck (a check of
    # theirs could not be recorded: the rest waits for it).
    skip: set[str] = set()
    checks = store.pending_checks()
    documents = len({c.doc_id for c in checks})
    own = RecordPool() if workers is None and documents >= PARALLEL_FROM else None
    pool = own or (workers if workers is not None and (workers.started or documents >= PARALLEL_FROM) else None)
    try:
        for check, pending, reading in _readings(store, sources, checks, pool, skip):
            try:
                if isinstance(reading, Exception):
                    raise reading  # reading it failed: recorded like a failure to write it
                with store.transaction():
                    later = store.latest_version(check.doc_id)
                    if later is not None and later.captured_at > check.checked_at:
                        if _clock_went_back(store, check, later.captured_at, report):
                            continue
                        _rebuild(store, sources, check.doc_id, report)
                        skip.add(check.doc_id)
                    else:
                        previous = store.latest_version(check.doc_id, before=check.checked_at)
                        if pending is None or reading is None or pending.previous_id != _id(previous):
                            pending = _pending(store, sources, check)  # what it was read against moved
                            reading = read_response(pending.response) if pending else None
                        _write(store, check, pending, reading, previous, report)
            except StoreError:
                raise  # the store itself cannot be written (a full disk): the run stops
            except Exception as exc:  # a fault in recording this one check must not wedge the home
                reason = (
                    f"{RECORDING_FAILED} ({type(exc).__name__}: {str(exc)[:160]}); it stays pending and "
                    "the next run tries again; please report this"
                )
                with store.transaction():
                    store.set_outcome(check.id, Outcome.PENDING, reason)
                report.failed.append((check.doc_id, reason))
                skip.add(check.doc_id)
    finally:
        if own is not None:
            own.close()
    for check in store.unrecorded_removals():  # the crawler found these pages moved away
        with store.transaction():
            if _record_removal(store, check):
                report.pages.append(check.doc_id)
                report.changed_docs.add(check.doc_id)
    for check in store.unrecorded_returns():  # back, and the crawler knew the text without storing it
        with store.transaction():
            if _record_return(store, check):
                report.pages.append(check.doc_id)
                report.changed_docs.add(check.doc_id)
    return report


@dataclass(frozen=True)
class _Pending:
    """A pending check's response as read from the store, and the version it is read against."""

    response: Response
    sha256: str  # its snapshot's
    previous_id: int | None


Read = tuple[Check, "_Pending | None", "Reading | Exception | None"]


def _readings(
    store: Store, sources: Sources, checks: list[Check], pool: RecordPool | None, skip: set[str]
) -> Iterator[Read]:
    """Each check (but those of ``skip``'s documents, which grows as the caller writes) with
    its response read and computed, in order. With a pool, up to ``pool.window`` checks of
    different documents are computed at once; a second check of a document waits for the
    first to be written, since it is compared with what that one recorded. A late check is
    not computed here: its document's whole history is derived again when it is written."""
    window: deque[tuple[Check, _Pending | None, object]] = deque()
    in_window: set[str] = set()

    def ready() -> Iterator[Read]:
        check, pending, future = window.popleft()
        in_window.discard(check.doc_id)
        if check.doc_id in skip:
            return
        reading: Reading | Exception | None = None
        if pending is not None:
            try:
                reading = pool.result(future, pending.response) if pool else read_response(pending.response)
            except Exception as exc:
                reading = exc
        yield check, pending, reading

    for check in checks:
        if check.doc_id in skip:
            continue
        while window and (check.doc_id in in_window or len(window) >= (pool.window if pool else 1)):
            yield from ready()
        if check.doc_id in skip:
            continue
        try:
            pending = None if _late(store, check) else _pending(store, sources, check)
        except StoreError:
            raise
        except Exception as exc:
            yield check, None, exc
            continue
        future = pool.submit(pending.response) if pool and pending else None
        window.append((check, pending, future))
        in_window.add(check.doc_id)
    while window:
        yield from ready()


def _late(store: Store, check: Check) -> bool:
    later = store.latest_version(check.doc_id)
    return later is not None and later.captured_at > check.checked_at


def _id(version: Version | None) -> int | None:
    return version.id if version is not None else None


def _pending(store: Store, sources: Sources, check: Check) -> _Pending | None:
    """What reading ``check`` needs from the store; None when it stored no response."""
    if check.snapshot_id is None:
        return None
    snapshot = store.snapshot(check.snapshot_id)
    body = store.snapshot_body(check.snapshot_id)
    rules = sources.rules_for(check.doc_id, check.url)
    previous = store.latest_version(check.doc_id, before=check.checked_at)
    response = Response(
        status=check.http_status,
        headers=snapshot.headers,
        body=body,
        url=snapshot.url,
        requested_url=check.url,
        at=check.checked_at,
        rules=rules,
        expected=sources.expectations_for(check.doc_id, check.url) if rules is not None else None,
        previous=previous.text if previous is not None else None,
    )
    return _Pending(response, snapshot.sha256, _id(previous))


def _clock_went_back(store: Store, check: Check, latest: str, report: RecordReport) -> bool:
    """A crawl cannot fetch the past: a crawled response dated well before the document's
    latest capture says this machine's clock is wrong, so it is a failed check, never filed
    in the past (an import or backfill with its own date may be). The snapshot is kept."""
    snapshot = store.snapshot(check.snapshot_id) if check.snapshot_id is not None else None
    if snapshot is None or snapshot.origin != "crawl":
        return False
    if to_datetime(latest) - to_datetime(check.checked_at) <= CLOCK_TOLERANCE:
        return False
    reason = (
        f"this machine's clock reads {check.checked_at}, before the last capture of this document "
        f"({latest}): check the clock; the response is kept, not filed as a version"
    )
    store.set_outcome(check.id, Outcome.FAILED, reason, FaultKind.CLOCK)
    report.failed.append((check.doc_id, reason))
    return True


def rebuild_history(store: Store, sources: Sources, doc_id: str, report: RecordReport) -> None:
    """Derive a document's versions and changes again from its snapshots, in capture order."""
    with store.transaction():
        _rebuild(store, sources, doc_id, report)


def _rebuild(store: Store, sources: Sources, doc_id: str, report: RecordReport) -> None:
    store.delete_derived(doc_id)
    for check in store.checks(doc_id):
        if check.snapshot_id is not None:
            _process(store, sources, check, report)
        elif check.outcome == Outcome.GONE:  # the crawler found it moved away: no response to read
            _record_removal(store, check)
        elif check.outcome in GOOD_OUTCOMES:  # a 304 or a known body: back, if it was gone
            _record_return(store, check)
    report.changed_docs.add(doc_id)


def _process(store: Store, sources: Sources, check: Check, report: RecordReport) -> None:
    """Read, compute and write one check, all here (a history derived again does it in its
    one transaction)."""
    pending = _pending(store, sources, check)
    reading = read_response(pending.response) if pending is not None else None
    previous = store.latest_version(check.doc_id, before=check.checked_at) if pending is not None else None
    _write(store, check, pending, reading, previous, report)


def _write(
    store: Store,
    check: Check,
    pending: _Pending | None,
    reading: Reading | None,
    previous: Version | None,
    report: RecordReport,
) -> None:
    """Record what ``check``'s response read as (``reading``, read against ``previous``)."""

    def fail(kind: str, reason: str, outcome: str = Outcome.FAILED) -> None:
        if outcome == Outcome.GONE and not gone_confirmed(_earlier(store, check), check.checked_at):
            outcome, reason = Outcome.FAILED, unconfirmed_gone_reason(reason)  # one answer can lie
        store.set_outcome(check.id, outcome, reason, kind)
        if outcome != Outcome.GONE:
            report.failed.append((check.doc_id, reason))
        elif store.previous_outcome(check) != Outcome.GONE:  # a removal is reported once
            report.gone.append(check.doc_id)
        if outcome == Outcome.GONE and _record_removal(
            store, replace(check, outcome=outcome, reason=reason, fault=kind)
        ):
            report.pages.append(check.doc_id)

    if pending is None or reading is None:
        return fail(FaultKind.NO_RESPONSE, f"HTTP {check.http_status}: no response stored")
    if reading.fault is not None:
        return fail(reading.fault.kind, reading.fault.reason, outcome=reading.fault.outcome)
    text = reading.text
    title = reading.title or store.document(check.doc_id).title
    # Evidence for the crawler's fast path: the next response that matches is known unchanged.
    store.set_evidence(check.id, pending.sha256, reading.fingerprint)
    back = store.previous_state(check) == Outcome.GONE  # a page gone, answering again
    if previous is None:
        version_id = store.add_version(
            doc_id=check.doc_id,
            snapshot_id=check.snapshot_id,
            captured_at=check.checked_at,
            title=title,
            text=text,
            extractor_version=EXTRACTOR_VERSION,
        )
        if events.is_new_page(*store.arrival(check.doc_id), at=check.checked_at):
            _record_event(store, check, events.added(_page_name(store, check.doc_id), check.url), to_id=version_id)
            report.pages.append(check.doc_id)
        store.set_outcome(check.id, Outcome.FIRST_VERSION)
        report.first_versions.append(check.doc_id)
        report.changed_docs.add(check.doc_id)
        return
    if previous.text == text:
        if back:
            _record_back(store, check, previous.id, text_changed=False)
            report.pages.append(check.doc_id)
            report.changed_docs.add(check.doc_id)
        store.set_outcome(check.id, Outcome.UNCHANGED)
        report.unchanged += 1
        return
    verdict = flapping.judge_text(store, check.doc_id, text, check.checked_at, previous)
    version_id = store.add_version(
        doc_id=check.doc_id,
        snapshot_id=check.snapshot_id,
        captured_at=check.checked_at,
        title=title,
        text=text,
        extractor_version=EXTRACTOR_VERSION,
    )
    if back:
        _record_back(store, check, version_id, text_changed=True)
        report.pages.append(check.doc_id)
    if verdict.flap and not back:
        flapping.record_flap(store, check.doc_id, previous, version_id, text, verdict, detected_at=check.checked_at)
        store.set_outcome(check.id, Outcome.FLAP)
        report.flaps.append(check.doc_id)
        report.changed_docs.add(check.doc_id)
        return
    _record_change(
        store,
        check.doc_id,
        previous.id,
        version_id,
        previous.text,
        text,
        detected_at=check.checked_at,
        back_to=verdict,
        comparison=reading.comparison,
    )
    store.set_outcome(check.id, Outcome.NEW_VERSION)
    report.new_versions.append(check.doc_id)
    report.changed_docs.add(check.doc_id)


def _record_event(
    store: Store, check: Check, page: events.PageEvent, *, from_id: int | None = None, to_id: int | None = None
) -> None:
    store.add_change(
        doc_id=check.doc_id,
        from_version_id=from_id,
        to_version_id=to_id,
        detected_at=check.checked_at,
        label=page.label,
        summary=page.summary,
        reasons=page.reasons,
        silent=None,
        ops=(),
        sections=(),
        event=page.event,
    )


def _record_removal(store: Store, check: Check) -> bool:
    """A gone check after one that read the page: the page removed (or moved away), a change
    from the version in force to none. Once per removal: later gone checks add nothing."""
    if store.previous_state(check) not in GOOD_OUTCOMES:
        return False
    last = store.latest_version(check.doc_id, before=check.checked_at)
    if last is None:
        return False
    reason, name = check.reason or "", _page_name(store, check.doc_id)
    if check.fault == FaultKind.MOVED:
        page = events.moved(name, reason, target=events.redirect_target(reason))
    else:
        page = events.removed(name, reason, first_missing=_run_start(store, check), at=check.checked_at)
    _record_event(store, check, page, from_id=last.id)
    return True


def _record_back(store: Store, check: Check, version_id: int, *, text_changed: bool) -> None:
    """A good check after a gone one: the page back, a change from none to the version in force."""
    page = events.restored(
        _page_name(store, check.doc_id), gone_at=_run_start(store, check, gone=True), text_changed=text_changed
    )
    _record_event(store, check, page, to_id=version_id)


def _page_name(store: Store, doc_id: str) -> str:
    document = store.document(doc_id)
    return events.page_name(document.marketplace, document.title)


def _record_return(store: Store, check: Check) -> bool:
    """A good check without a response of its own after a gone one: the page back with the text
    in force (the crawler matched it, or the server said 304)."""
    if store.previous_state(check) != Outcome.GONE:
        return False
    current = store.latest_version(check.doc_id, before=check.checked_at)
    if current is None:
        return False
    _record_back(store, check, current.id, text_changed=False)
    return True


def _run_start(store: Store, check: Check, *, gone: bool = False) -> str | None:
    """When the run of checks just before ``check`` that found the page missing began (with
    ``gone``: its first check that confirmed it gone)."""
    start = None
    for at, outcome, fault in _earlier(store, check):
        if outcome == Outcome.GONE or (outcome == Outcome.FAILED and fault in (FaultKind.REMOVED, FaultKind.MOVED)):
            start = at if (outcome == Outcome.GONE or not gone) else start
        elif outcome != Outcome.FAILED:
            break
    return start


def _earlier(store: Store, check: Check) -> list[tuple[str, str, str | None]]:
    """The document's processed checks before ``check``, newest first."""
    return [
        (c.checked_at, c.outcome, c.fault)
        for c in reversed(store.checks(check.doc_id))
        if c.outcome != Outcome.PENDING and (c.checked_at, c.id) < (check.checked_at, check.id)
    ]


def _record_change(
    store: Store,
    doc_id: str,
    from_id: int,
    to_id: int,
    old: str,
    new: str,
    *,
    detected_at: str,
    technical: bool = False,
    back_to: Verdict | None = None,
    comparison: Comparison | None = None,
) -> Classification:
    """``back_to``: a reversion's verdict, whose summary names the version it returns to;
    ``comparison``: ``old`` and ``new`` compared already (``diffs.reading``)."""
    comparison = comparison or compare(old, new, detected_at=detected_at)
    c = comparison.classification
    reverts = back_to is not None and back_to.returns_to is not None
    store.add_change(
        doc_id=doc_id,
        from_version_id=from_id,
        to_version_id=to_id,
        detected_at=detected_at,
        label=c.label,
        summary=reversion_summary(back_to, c.summary) if reverts else c.summary,
        reasons=c.reasons,
        silent=c.silent,
        ops=comparison.ops,
        sections=c.sections,
        tags=c.tags,
        effective_date=c.effective_date,
        notice_days=c.notice_days,
        technical=technical,
        section_changes=[s.text for s in c.section_changes],
        section_details=c.section_changes,
        returns_to=back_to.returns_to.id if reverts else None,
    )
    return c


# ---------------------------------------------------------------- re-extraction


@dataclass
class ReextractReport:
    upgraded: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, summary of the difference)
    up_to_date: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason): nothing changed
    rebuilt: list[str] = field(default_factory=list)  # --history: derived again from every snapshot


def reextract(
    store: Store, sources: Sources, doc_ids: list[str] | None = None, *, now: str, history: bool = False
) -> ReextractReport:
    """Apply the current declarations and extraction code to stored snapshots.

    Default: for each document, re-extract the snapshot of its current version; a different
    text is recorded as a new version of that snapshot and a technical change dated ``now``.
    ``history=True``: derive the document's whole history again from every snapshot (versions
    and changes are replaced; changes keep their keys, which are made of their dates).
    """
    report = ReextractReport()
    ids = doc_ids if doc_ids is not None else [d.doc_id for d in store.documents()]
    for doc_id in ids:
        store.document(doc_id)  # UnknownDocument for a typo, before anything is written
    for doc_id in ids:
        if history:
            record = RecordReport()
            rebuild_history(store, sources, doc_id, record)
            report.rebuilt.append(doc_id)
            report.failed += record.failed
            continue
        with store.transaction():
            _reextract_current(store, sources, doc_id, now, report)
    return report


def _reextract_current(store: Store, sources: Sources, doc_id: str, now: str, report: ReextractReport) -> None:
    current = store.latest_version(doc_id)
    if current is None:
        return
    snapshot = store.snapshot(current.snapshot_id)
    requested = next((c.url for c in store.checks(doc_id) if c.snapshot_id == current.snapshot_id), snapshot.url)
    rules = sources.rules_for(doc_id, requested)
    if rules is None:
        report.failed.append((doc_id, "no declaration covers this document any more"))
        return
    body = store.snapshot_body(current.snapshot_id)
    try:
        extracted = (
            read_text_version(body, url=snapshot.url)
            if is_text_version(snapshot.headers)
            else extract(body, rules, url=snapshot.url, encoding=charset_of(snapshot.headers))
        )
    except ExtractionError as exc:
        report.failed.append((doc_id, f"{exc} (the current version is kept)"))
        return
    text = extracted.markdown
    if text == current.text:
        report.up_to_date.append(doc_id)
        return
    fault = judge(text, sources.expectations_for(doc_id, requested), url=requested, page=body, previous=current.text)
    if fault is not None:
        report.failed.append((doc_id, f"{fault.reason} (the current version is kept)"))
        return
    if shrank(current.text, text):
        reason = (
            f"the new rules extract {shrink_percent(current.text, text)} % less text; check "
            "the declaration's select and remove (the current version is kept)"
        )
        report.failed.append((doc_id, reason))
        return
    version_id = store.add_version(
        doc_id=doc_id,
        snapshot_id=current.snapshot_id,
        captured_at=current.captured_at,
        title=extracted.title or current.title,
        text=text,
        extractor_version=EXTRACTOR_VERSION,
    )
    c = _record_change(store, doc_id, current.id, version_id, current.text, text, detected_at=now, technical=True)
    report.upgraded.append((doc_id, c.summary))
