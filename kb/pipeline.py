"""The orchestrator: the one module that knows the order of the stages.

crawl (``crawler/``, Scrapy in a child process) → snapshot store (``kb.store``) → record
(``kb.record``: extract, diff, classify) → index (``kb.search``) and publish (``kb.publish``).
Each function here is what one CLI command calls; it takes the home's lock, runs the stages in
order, and returns the report the command prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crawler.plan import plan_from_store
from crawler.run import crawl_settings, run_spider
from crawler.wayback import PoliteClient, fetch_captures
from diffs import Comparison, compare
from kb import notify as notifications
from kb import search as index
from kb.errors import DiskFull, PolicywatchError, StoreError, UsageError
from kb.models import Capture, Change, ExitCode, Outcome
from kb.publish import SiteResult
from kb.publish import publish as publish_site
from kb.record import RecordReport, ReextractReport, process_pending
from kb.record import reextract as reextract_store
from kb.record.deep import DeepReport, rederive
from kb.record.history import timeline_heads
from kb.record.intake import capture_text, file_capture, folder_captures, record_captures
from kb.record.work import RecordPool
from kb.sources import Sources
from kb.sources.config import load_config
from kb.store import Store, is_disk_full
from kb.store.archive import ArchiveReport
from kb.store.archive import restore as restore_store
from kb.store.lock import run_lock
from kb.store.verify import VerifyReport, verify
from kb.timeutil import time_in_name, utc_now


@dataclass
class CrawlReport:
    fetched: int
    fetch_failures: int
    record: RecordReport
    index: index.SyncReport
    not_modified: int = 0  # 304 answers to conditional requests: unchanged, nothing downloaded
    known_unchanged: int = 0  # responses the crawler matched to the current version: not stored
    fetch_failed: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason), no response
    moved_away: list[tuple[str, str]] = field(default_factory=list)  # discovered pages now redirecting
    needs_browser: list[str] = field(default_factory=list)  # documents skipped: no browser here
    browser_problem: str | None = None  # why, and how to install one
    changes: list[Change] = field(default_factory=list)  # the latest change of each changed document
    notify: notifications.NotifyReport | None = None  # None: the home has no notify.yaml

    @property
    def failed(self) -> list[tuple[str, str]]:
        """(doc_id, reason) of every check that failed: no response, or not the document."""
        return [*self.fetch_failed, *self.record.failed]


def exit_code(report: CrawlReport | RecordReport) -> ExitCode:
    """The one mapping from what a crawl (or a ``record``) found to its exit status: a failed
    check (or a notification that could not be delivered) wins over changes, since a scheduler
    must notice it (the changes are recorded and published all the same); changes are new,
    changed and gone documents (flaps are not)."""
    record = report if isinstance(report, RecordReport) else report.record
    if record.failed or (isinstance(report, CrawlReport) and (report.fetch_failed or report.needs_browser)):
        return ExitCode.CHECKS_FAILED
    # a change nobody was told of must be noticed too: the destination is retried next run
    if isinstance(report, CrawlReport) and report.notify and (report.notify.failed or report.notify.problem):
        return ExitCode.CHECKS_FAILED
    if record.first_versions or record.new_versions or record.gone or record.pages:
        return ExitCode.CHANGES_FOUND
    return ExitCode.NOTHING_CHANGED


@dataclass(frozen=True)
class CrawlProgress:
    """What a crawl tells its caller while it runs (the CLI draws it; nothing here prints).
    One event when the plan is made (``doc_id`` None), one per document checked, in the order
    their checks were settled, and one when the index update starts (``stage`` "index")."""

    done: int  # documents checked so far
    total: int  # documents planned; it grows when a hub finds new ones
    doc_id: str | None = None  # the document just checked
    outcome: str | None = None  # its check's Outcome
    reason: str = ""  # why the check failed
    stage: str = "fetch"  # "fetch", then "index"


class _ProgressWatch:
    """Turns the checks the crawl child writes into ``CrawlProgress`` events, once each
    check is settled (recorded by the parent, or final as written: 304s, known unchanged
    responses, fetch failures)."""

    def __init__(self, store: Store, after_check: int, total: int, emit: Callable[[CrawlProgress], None]):
        self.store, self.after_check, self.total, self.emit = store, after_check, total, emit
        self.seen: set[int] = set()
        self.docs: set[str] = set()
        emit(CrawlProgress(0, total))

    def poll(self) -> None:
        settled_so_far = True
        # Read from the first check not yet settled on, not from the crawl's start: a poll costs
        # what arrived since the last one, not the whole crawl again (10,000 pages: 40 polls).
        for check in self.store.checks_after(self.after_check):
            pending = check.outcome == Outcome.PENDING
            if settled_so_far and not pending:
                self.after_check = check.id
            settled_so_far = settled_so_far and not pending
            if check.id in self.seen or pending:
                continue
            self.seen.add(check.id)
            self.docs.add(check.doc_id)
            self.total = max(self.total, len(self.docs))
            reason = (check.reason or "") if check.outcome in (Outcome.FAILED, Outcome.GONE) else ""
            self.emit(CrawlProgress(len(self.docs), self.total, check.doc_id, check.outcome, reason))

    def indexing(self) -> None:
        self.emit(CrawlProgress(len(self.docs), self.total, stage="index"))


def crawl(
    home: Path,
    sources: Sources,
    *,
    fast: bool = False,
    fixed_time: str | None = None,
    extra_settings: dict | None = None,
    marketplaces: Sequence[str] = (),
    doc_ids: Sequence[str] = (),
    progress: Callable[[CrawlProgress], None] | None = None,
) -> CrawlReport:
    """Fetch every document (or those of ``marketplaces`` and ``doc_ids``), record what
    changed, update the index; ``progress`` is called as documents are checked."""
    config = load_config(home)
    with run_lock(home, "crawl"):
        with Store(home) as store:
            subscriptions = notify_config(home, store, sources)  # a bad notify.yaml stops the crawl before it writes
            plan = plan_from_store(store, sources, fixed_time or utc_now(), marketplaces, doc_ids)
            store.name_marketplaces(sources.names)  # after the plan: a mistyped name writes nothing
            last_check = store.last_check_id()
        settings = crawl_settings(plan, config, home=str(home), fast=fast, fixed_time=fixed_time, extra=extra_settings)
        record = RecordReport()
        with Store(home) as store, RecordPool() as workers:  # one pool for the whole crawl
            watch = _ProgressWatch(store, last_check, len(plan.targets), progress) if progress else None

            def while_running() -> None:
                # Record while the child fetches: extraction and diffing in worker processes.
                process_pending(store, sources, record, workers=workers)
                if watch:
                    watch.poll()

            run_spider(plan, settings, while_running=while_running)
            fetched = store.checks_after(last_check)  # no response = no snapshot
            while_running()
            workers.close()  # what was pending is recorded: the workers end before the index
            if watch:
                watch.indexing()
            sync = update_index(home, store)
            latest = {
                doc_id: store.changes(doc_id)[-1:] for doc_id in dict.fromkeys(record.new_versions + record.pages)
            }
            notified = notify_after_crawl(home, store, subscriptions, last_check, fixed_time)
    changes = [change for found in latest.values() for change in found]
    return CrawlReport(
        fetched=sum(1 for c in fetched if c.http_status is not None),
        fetch_failures=sum(1 for c in fetched if c.snapshot_id is None and c.outcome == Outcome.FAILED),
        record=record,
        index=sync,
        not_modified=sum(1 for c in fetched if c.http_status == 304 and c.outcome == Outcome.UNCHANGED),
        known_unchanged=sum(
            1 for c in fetched if c.http_status == 200 and c.snapshot_id is None and c.outcome == Outcome.UNCHANGED
        ),
        fetch_failed=[
            (c.doc_id, c.reason or "") for c in fetched if c.snapshot_id is None and c.outcome == Outcome.FAILED
        ],
        moved_away=[(c.doc_id, c.reason or "") for c in fetched if c.snapshot_id is None and c.outcome == Outcome.GONE],
        needs_browser=[t.doc_id for t in plan.browser_targets()] if plan.browser_unavailable else [],
        browser_problem=plan.browser_unavailable,
        changes=changes,
        notify=notified,
    )


# -- notifications: at the end of a crawl, and `policywatch notify` -------------------------


def notify_config(home: Path, store: Store, sources: Sources | None = None):
    """The home's notify.yaml, checked against the marketplaces it knows; None without one."""
    if not notifications.notify_path(home).is_file():
        return None
    known = {d.marketplace for d in store.documents()}
    if sources is not None:
        known |= {d.marketplace for d in sources.documents} | {r.marketplace for r in sources.discover}
    return notifications.load_notify(home, marketplaces=frozenset(known))


def notify_after_crawl(home: Path, store: Store, config, last_check: int, fixed_time: str | None):
    """Send what the crawl made due. A subscription first seen now starts where the crawl
    started, so the changes it found are sent; a broken template is reported, not raised."""
    if config is None:
        return None
    try:
        return notifications.run(
            store, config, home=home, now=fixed_time, new_start=store.newest_check_time(up_to_check=last_check)
        )
    except PolicywatchError as err:
        return notifications.NotifyReport(problem=f"{err}" + (f" (hint: {err.hint})" if err.hint else ""))


def notify(home: Path, *, dry_run: bool = False, now: str | None = None) -> notifications.NotifyReport:
    """Send every notification that is due (``policywatch notify``); a dry run only lists them."""
    with run_lock(home, "notify"), _existing_store(home) as store:
        config = _required_notify_config(home, store)
        return notifications.run(store, config, home=home, now=now, dry_run=dry_run)


def notify_test(home: Path, name: str) -> list[tuple[str, str | None]]:
    """Send a sample message to each destination of one subscription."""
    with run_lock(home, "notify"), _existing_store(home) as store:
        config = _required_notify_config(home, store)
        return notifications.send_test(store, config, name, home=home)


def _existing_store(home: Path) -> Store:
    if not Store.exists_in(home):
        raise StoreError(f"no store in {home}", hint="run `policywatch crawl` first, or pass --home")
    return Store(home)


def _required_notify_config(home: Path, store: Store):
    config = notify_config(home, store)
    if config is None:
        raise UsageError(
            f"no {notifications.notify_path(home).name} in {home}",
            hint="write one with your subscriptions (see docs/notify.md)",
        )
    return config


def update_index(home: Path, store: Store) -> index.SyncReport:
    """Write to the index only the documents whose timeline moved: their fingerprints come
    from the versions' digests, and only the texts of the documents rewritten are read."""
    with index_writes(home):
        return index.sync(home, timeline_heads(store), store.version_texts)


@contextmanager
def index_writes(home: Path) -> Iterator[None]:
    """A full disk while the index is written is one line; the old index keeps answering."""
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFull(
            f"no space left on the disk of {home}: the search index could not be written ({exc})",
            hint="free space, then run `policywatch index --rebuild`; searches use the previous index meanwhile",
        ) from None


def reindex(home: Path, *, rebuild: bool = False) -> index.SyncReport:
    """Bring the search index up to date with the store, or throw it away and rebuild it."""
    with run_lock(home, "index"), Store(home) as store:
        lines = timeline_heads(store)  # the texts are read as the index needs them
        with index_writes(home):
            if rebuild:
                return index.rebuild(home, lines, store.version_texts)
            return index.sync(home, lines, store.version_texts)


def record(home: Path, sources: Sources) -> RecordReport:
    """Process stored snapshots that have not been processed yet (after `scrapy crawl policy`)."""
    with run_lock(home, "record"), Store(home) as store:
        store.name_marketplaces(sources.names)
        report = process_pending(store, sources)
        update_index(home, store)
    return report


def import_captures(home: Path, sources: Sources, doc_id: str, captures: list[Capture]) -> RecordReport:
    """Record captures made elsewhere as snapshots taken at their times, then update the index."""
    with run_lock(home, "import"), Store(home) as store:
        store.name_marketplaces(sources.names)
        report = record_captures(store, sources, doc_id, captures)
        update_index(home, store)
    return report


def import_capture(
    home: Path, sources: Sources, *, doc_id: str, path: Path, at: str, url: str | None = None, status: int = 200
) -> RecordReport:
    """Record one saved capture as a snapshot taken at ``at``."""
    return import_captures(home, sources, doc_id, [file_capture(path, at=at, url=url, status=status)])


def import_folder(
    home: Path, sources: Sources, doc_id: str, folder: Path, url: str | None = None
) -> tuple[int, RecordReport]:
    """Record a folder of captures named by their capture times; (how many, the report)."""
    captures = folder_captures(folder, url)
    return len(captures), import_captures(home, sources, doc_id, captures)


@dataclass
class BackfillResult:
    doc_id: str
    found: int = 0  # distinct captures listed by the archive
    imported: int = 0  # new ones downloaded and recorded
    skipped: int = 0  # already in the store
    failed: list[str] = field(default_factory=list)  # captures that could not be downloaded
    record: RecordReport | None = None
    note: str = ""  # why a document was not backfilled


def backfill(
    home: Path,
    sources: Sources,
    doc_ids: list[str],
    *,
    base_url: str | None = None,
    delay: float = 1.0,
    client: PoliteClient | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> list[BackfillResult]:
    """Fetch each document's past captures from a Wayback Machine, then record them."""
    config = load_config(home)
    client = client or PoliteClient(config.user_agent, delay=delay)
    base_url = base_url or config.wayback_url
    declared = [sources.require(doc_id) for doc_id in doc_ids]  # every id checked before any fetch
    results = []
    for doc in declared:
        result = BackfillResult(doc.doc_id)
        results.append(result)
        if len(doc.pages) > 1:
            result.note = "combines several pages: an archive holds them apart, not backfilled"
            continue
        with Store(home) as store:
            known = {c.checked_at for c in store.checks(doc.doc_id)} if store.has_document(doc.doc_id) else set()
        fetched = fetch_captures(client, base_url, doc.url, known=known, since=since, until=until, limit=limit)
        result.found, result.skipped, result.failed = fetched.found, fetched.skipped, fetched.failed
        result.imported = len(fetched.captures)
        if fetched.captures:
            result.record = import_captures(home, sources, doc.doc_id, fetched.captures)
    return results


def reextract(
    home: Path, sources: Sources, doc_ids: list[str] | None = None, *, history: bool = False
) -> ReextractReport:
    """Apply the current declarations and extraction code to stored snapshots (technical
    upgrades), then update the index."""
    with run_lock(home, "reextract"), Store(home) as store:
        store.name_marketplaces(sources.names)
        report = reextract_store(store, sources, doc_ids, now=utc_now(), history=history)
        update_index(home, store)
    return report


def compare_captures(
    old: Path,
    new: Path,
    sources: Sources | None,
    *,
    doc_id: str | None = None,
    select=(),
    remove=(),
    url: str = "",
    detected_at: str | None = None,
) -> tuple[Comparison, str | None]:
    """Extract two saved captures (HTML or Markdown) and compare them, without a store; the
    detection time defaults to the one NEW is named by. Returns (comparison, detected_at)."""
    texts = [capture_text(path, sources, doc_id=doc_id, select=select, remove=remove, url=url) for path in (old, new)]
    detected_at = detected_at or time_in_name(Path(new).name)
    return compare(*texts, detected_at=detected_at), detected_at


def restore(archive: Path, home: Path, *, head: str | None = None) -> tuple[ArchiveReport, VerifyReport]:
    """Rebuild a home from an export (refused unless it gives the published ``head``, when
    one is given), build its search index, then verify it."""
    report = restore_store(archive, home, head=head)
    with run_lock(home, "restore"), Store(home) as store:
        update_index(home, store)  # search works in the restored home at once
    return report, verify(home)


def verify_home(
    home: Path, *, head: str | None = None, sources: Sources | None = None
) -> tuple[VerifyReport, DeepReport | None]:
    """``verify``; with ``sources`` (``--deep``), each version re-extracted from its snapshot too."""
    report = verify(home, head=head)
    if sources is None:
        return report, None
    with Store.open_read_only(home) as store, store.reading():
        deep = rederive(store, sources)
    for problem in deep.problems:
        report.problem(problem)
    return report, deep


def publish(home: Path, *, site_dir: Path | None = None, site_url: str | None = None) -> SiteResult:
    with run_lock(home, "publish"):
        # Open while the sources are written: pages read their texts from it one at a time.
        with Store(home) as store, store.reading():
            result = publish_site(store.publish_input(texts=False), home, site_dir=site_dir, site_url=site_url)
    for notice in result.notices:  # the CLI prints the result; what to fix goes to stderr
        print(f"policywatch: warning: {notice}", file=sys.stderr)
    return result
