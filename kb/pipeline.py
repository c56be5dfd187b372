"""The orchestrator: the one module that knows the order of the stages.

crawl (Scrapy, in a child process) → snapshot store → record (extract, diff,
classify) → index → publish. Each function here is what one CLI command calls.
"""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kb.sources.config import CrawlConfig, load_config
from crawler.plan import CrawlPlan
from kb import search as index
from kb.errors import PolicywatchError, StoreError
from kb.store.lock import run_lock
from kb.record import RecordReport, process_pending
from kb.record.history import timelines
from kb.sources import Sources, default_sources_dir, load_sources
from kb.store import Store, resolve_home

# Loopback runs (tests, demo, benchmarks): politeness delays are a policy for real
# sites, not a cost to pay against our own server.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_TIMEOUT": 10,
    "POLICYWATCH_RETRY_BACKOFF": 0.05,
    "POLICYWATCH_RETRY_AFTER_MAX": 5,
}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_sources(sources_dir: str | os.PathLike | None, substitutions: dict | None = None) -> Sources:
    return load_sources(Path(sources_dir) if sources_dir else default_sources_dir(),
                        substitutions=substitutions)


def plan_crawl(home, sources_dir) -> CrawlPlan:
    """The plan for `scrapy crawl policy -a home=… -a sources=…` (the CLI builds it the same way;
    only `policywatch crawl` installs the browser, so there browser pages are reported instead)."""
    sources = open_sources(sources_dir)
    with Store(resolve_home(home)) as store:
        plan = _plan(store, sources, utc_now())
    plan.browser_unavailable = "only `policywatch crawl` starts the browser"
    return plan


def _plan(store: Store, sources: Sources, now: str) -> CrawlPlan:
    with store.transaction():
        for doc in sources.documents:
            store.ensure_document(doc.doc_id, title=doc.title, url=doc.url,
                                  marketplace=doc.marketplace, doc_type=doc.doc_type,
                                  origin="declared", seen_at=now)
    discovered = [(row["doc_id"], row["url"]) for row in store.discovered_documents()]
    plan = CrawlPlan.from_sources(sources, discovered, store.validators())
    return plan.with_unchanged(sources, store.unchanged_evidence())


def crawl_settings(plan: CrawlPlan, config: CrawlConfig) -> dict:
    """Who we are (User-Agent with the operator's contact) and, when the plan has pages
    to render, the browser; without one, ``plan.browser_unavailable`` says why."""
    from crawler.browser import browser_unavailable, find_chromium, playwright_settings

    settings = {"USER_AGENT": config.user_agent}
    if plan.needs_browser():
        plan.browser_unavailable = browser_unavailable(config.chromium)
        if plan.browser_unavailable is None:
            settings.update(playwright_settings(find_chromium(config.chromium)))
    return settings


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


def crawl(home: Path, sources: Sources, *, fast: bool = False, fixed_time: str | None = None,
          extra_settings: dict | None = None) -> CrawlReport:
    """Fetch every document, record what changed, update the index."""
    config = load_config(home)
    with run_lock(home, "crawl"):
        with Store(home) as store:
            plan = _plan(store, sources, fixed_time or utc_now())
            last_check = store.last_check_id()
        settings = {"POLICYWATCH_HOME": str(home), **crawl_settings(plan, config)}
        if fast:
            settings.update(FAST_SETTINGS)
        if fixed_time:
            settings["POLICYWATCH_FIXED_TIME"] = fixed_time
        settings.update(extra_settings or {})
        record = RecordReport()
        with Store(home) as store:
            # Record while the child fetches: extraction and diffing use the second core.
            run_spider(plan, settings, while_running=lambda: process_pending(store, sources, record))
            fetched = store.checks_after(last_check)  # no response = no snapshot
            process_pending(store, sources, record)
            sync = update_index(home, store)
    return CrawlReport(
        fetched=sum(1 for c in fetched if c.http_status is not None),
        fetch_failures=sum(1 for c in fetched if c.snapshot_id is None and c.outcome == "failed"),
        record=record, index=sync,
        not_modified=sum(1 for c in fetched if c.http_status == 304 and c.outcome == "unchanged"),
        known_unchanged=sum(1 for c in fetched if c.http_status == 200 and c.snapshot_id is None
                            and c.outcome == "unchanged"),
        fetch_failed=[(c.doc_id, c.reason or "") for c in fetched
                      if c.snapshot_id is None and c.outcome == "failed"],
        moved_away=[(c.doc_id, c.reason or "") for c in fetched
                    if c.snapshot_id is None and c.outcome == "gone"],
        needs_browser=[t.doc_id for t in plan.browser_targets()] if plan.browser_unavailable else [],
        browser_problem=plan.browser_unavailable,
    )


def update_index(home: Path, store: Store) -> index.SyncReport:
    """Write to the index only the documents whose timeline moved (``kb.record.history``)."""
    return index.sync(home, timelines(store))


def run_spider(plan: CrawlPlan, settings: dict, *, while_running=None, every: float = 0.5) -> None:
    """Run one Scrapy crawl in a child process; call ``while_running()`` every ``every``
    seconds until it ends.

    Twisted's reactor cannot restart within a process, and the demo, the tests and
    the benchmarks crawl several times: a spawned child keeps each crawl fresh.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_spider_child, args=(plan, settings, queue))
    child.start()
    while child.is_alive():
        child.join(every)
        if while_running is not None and child.is_alive():
            while_running()
    child.join()
    error = queue.get() if not queue.empty() else None
    if child.exitcode != 0 or error:
        raise PolicywatchError(f"the crawler stopped: {error or f'exit code {child.exitcode}'}",
                               hint="run again with POLICYWATCH_LOG=INFO to see Scrapy's log")


def _spider_child(plan: CrawlPlan, settings: dict, queue) -> None:
    try:
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.project import get_project_settings

        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        merged = get_project_settings()
        merged.setdict(settings, priority="cmdline")
        if os.environ.get("POLICYWATCH_LOG"):
            merged.set("LOG_LEVEL", os.environ["POLICYWATCH_LOG"], priority="cmdline")
        from crawler.spiders.policy import PolicySpider

        process = CrawlerProcess(merged)
        process.crawl(PolicySpider, plan=plan)
        process.start()
        queue.put(None)
    except BaseException as exc:  # report, then exit non-zero
        queue.put(f"{type(exc).__name__}: {exc}")
        raise


def record(home: Path, sources: Sources) -> RecordReport:
    """Process stored snapshots that have not been processed yet (after an import)."""
    with run_lock(home, "record"), Store(home) as store:
        report = process_pending(store, sources)
        update_index(home, store)
    return report


def import_capture(home: Path, sources: Sources, *, doc_id: str, path: Path, at: str,
                   url: str | None = None, status: int = 200) -> RecordReport:
    """Record a saved capture as a snapshot taken at ``at``, then process it."""
    if not path.is_file():
        raise StoreError(f"{path}: no such file", hint="give the path of a saved HTML capture")
    return record_captures(home, sources, doc_id,
                           [Capture(at=at, body=path.read_bytes(), url=url, status=status)])


@dataclass(frozen=True)
class Capture:
    """A response saved elsewhere (a file, a web archive) and when it was taken."""

    at: str  # capture time, ISO 8601 UTC: the check's time, and a change's detected_at
    body: bytes
    url: str | None = None  # the page's URL (default: the document's); links resolve against it
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # provenance, e.g. the archive URL


def record_captures(home: Path, sources: Sources, doc_id: str, captures: list[Capture]) -> RecordReport:
    """Store captures as snapshots taken at their times, then process them in capture order.

    Captures older than the versions already recorded re-derive the document's history
    (``kb.record``), so imports may come in any order."""
    declared = sources.get(doc_id)
    with run_lock(home, "import"), Store(home) as store:
        if declared is None and not store.has_document(doc_id):
            from kb.errors import UnknownDocument

            raise UnknownDocument(f"unknown document '{doc_id}'",
                                  hint="declare it in sources/ or use an id from `policywatch sources list`")
        doc_url = declared.url if declared else store.document(doc_id).url
        with store.transaction():
            if declared is not None and captures:
                store.ensure_document(doc_id, title=declared.title, url=declared.url,
                                      marketplace=declared.marketplace, doc_type=declared.doc_type,
                                      origin="declared", seen_at=min(c.at for c in captures))
            for capture in captures:
                snapshot_id, _ = store.add_snapshot(
                    doc_id=doc_id, url=capture.url or doc_url, fetched_at=capture.at,
                    http_status=capture.status, headers=capture.headers, body=capture.body,
                    origin="import")
                store.add_check(doc_id=doc_id, url=capture.url or doc_url, checked_at=capture.at,
                                http_status=capture.status, snapshot_id=snapshot_id)
        report = process_pending(store, sources)
        update_index(home, store)
    return report


def publish(home: Path, *, site_dir: Path | None = None, site_url: str | None = None):
    from kb.publish import publish as publish_site

    with run_lock(home, "publish"):
        with Store(home) as store:
            data = store.publish_input()
        return publish_site(data, home, site_dir=site_dir, site_url=site_url)
