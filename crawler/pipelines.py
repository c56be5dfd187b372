"""Item pipeline: the crawler's only side effect is writing snapshots and checks to the store.

The writes happen in a thread of their own, not on the reactor's: SQLite's busy handler sleeps
(1 to 100 ms at a time) while the parent holds the store's write lock to record a change, and on
the reactor that sleep would stop every request of the crawl. The writer takes what has queued
up meanwhile into one transaction (a group commit): one item when the crawl is slow, many when
the lock or the machine was busy.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from pathlib import Path

from diffs.extract import charset_of, fingerprint
from diffs.responses import gone_confirmed, unconfirmed_gone_reason
from kb.errors import StoreError
from kb.models import Outcome
from kb.store import Store, sha256

logger = logging.getLogger(__name__)

GROUP_MOST = 200  # items written in one transaction at most
QUEUE_MOST = 1000  # items waiting for the writer at most (about 30 MB of pages): the crawl waits beyond
_DONE = object()


class StorePipeline:
    def __init__(self, home: str | None):
        self.home = Path(home) if home else None
        self.store: Store | None = None
        self.failure: StoreError | None = None  # the store refused a write (a full disk): the crawl stops
        self.counts = {"snapshots": 0, "failures": 0, "discovered": 0, "not_modified": 0, "unchanged": 0}
        self._queue: queue.Queue = queue.Queue(QUEUE_MOST)
        self._writer: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings.get("POLICYWATCH_HOME"))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self, spider=None):
        # `policywatch crawl` sets POLICYWATCH_HOME; `scrapy crawl policy -a home=DIR` passes it to the spider.
        spider = spider or getattr(getattr(self, "crawler", None), "spider", None)
        home = self.home or getattr(spider, "home", None)
        if not home:
            raise ValueError(
                "no home folder: use `policywatch crawl --home DIR` or `scrapy crawl policy -a home=DIR -a sources=DIR`"
            )
        self.home = Path(home)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        opened = threading.Event()
        self._writer = threading.Thread(
            target=self._write_all, args=(opened,), daemon=True, name="policywatch-store-writer"
        )
        self._writer.start()
        opened.wait()
        if self.store is None:  # the store cannot be opened: the crawl does not start
            self._writer.join()
            self._writer = None
            raise self.failure

    def close_spider(self, spider=None):
        if self._writer is not None:
            self._queue.put(_DONE)  # the writer stores what is queued, then ends
            self._writer.join()
            self._writer = None

    def process_item(self, item, spider=None):
        """Queue one item for the writer. When the store cannot be written (a full disk), the
        crawl stops: what was stored stays (pending, for the next ``record``), what was not is
        fetched again by the next crawl; ``crawler.run`` reports the failure and the run fails."""
        if self.failure is None:
            self._queue.put(item)
        return item

    def _write_all(self, opened: threading.Event) -> None:
        """The writer thread: one transaction for whatever queued up, until the crawl ends.
        The store's connection is its own (SQLite connections stay in their thread)."""
        try:
            self.store = Store(self.home)
        except StoreError as err:
            self.failure = err
            return
        finally:
            opened.set()
        done = False
        while not done:
            group = [self._queue.get()]
            while len(group) < GROUP_MOST:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if group[-1] is _DONE or _DONE in group:
                done = True
                group = [item for item in group if item is not _DONE]
            if group and self.failure is None:
                self._write_group(group)
        self.store.close()

    def _write_group(self, group: list) -> None:
        unchanged = [self._known_unchanged(item) for item in group]  # outside the write lock
        try:
            with self.store.transaction():
                for item, known in zip(group, unchanged, strict=True):
                    self._store(item, known)
        except StoreError as err:
            self._failed(err)
        except Exception:  # a programmer error in one item: the others are written one by one
            logger.exception("a group of %d items could not be stored together; storing them one by one", len(group))
            for item, known in zip(group, unchanged, strict=True):
                try:
                    with self.store.transaction():
                        self._store(item, known)
                except StoreError as err:
                    return self._failed(err)
                except Exception:
                    logger.exception("item of %s not stored", item.get("doc_id"))

    def _failed(self, err: StoreError) -> None:
        self.failure = err
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return
        crawler.policywatch_failure = err

        def stop() -> None:  # on the reactor, as Scrapy's own CloseSpider would
            asyncio.ensure_future(crawler.engine.close_spider_async(reason="store-failure"))

        if self._loop is not None:
            self._loop.call_soon_threadsafe(stop)

    def _store(self, item, unchanged: tuple[str, str] | None = None) -> None:
        store = self.store
        kind = item["kind"]
        if kind == "discovered":
            store.ensure_document(
                item["doc_id"],
                title=item["title"],
                url=item["url"],
                marketplace=item["marketplace"],
                doc_type=item["doc_type"],
                origin="discovered",
                seen_at=item["seen_at"],
            )
            self.counts["discovered"] += 1
        elif kind == "snapshot" and unchanged is not None:
            self._record_unchanged(item, *unchanged)
            self.counts["unchanged"] += 1
        elif kind == "snapshot":
            store.add_response(
                doc_id=item["doc_id"],
                requested_url=item["requested_url"],
                url=item["url"],
                fetched_at=item["fetched_at"],
                http_status=item["status"],
                headers=item["headers"],
                body=item["body"],
            )
            self.counts["snapshots"] += 1
        elif kind == "failure":
            outcome, reason = item.get("outcome", Outcome.FAILED), item["reason"]
            if outcome == Outcome.GONE and not gone_confirmed(
                [(c.checked_at, c.outcome, c.fault) for c in reversed(store.checks(item["doc_id"]))],
                item["checked_at"],
            ):
                outcome, reason = Outcome.FAILED, unconfirmed_gone_reason(reason)  # one answer can lie
            store.add_check(
                doc_id=item["doc_id"],
                url=item["url"],
                checked_at=item["checked_at"],
                http_status=None,
                snapshot_id=None,
                outcome=outcome,
                reason=reason,
                fault=item.get("fault"),
            )
            self.counts["failures"] += 1
        elif kind == "not-modified":
            # A 304 to our conditional request: a successful check that found no change.
            store.add_check(
                doc_id=item["doc_id"],
                url=item["url"],
                checked_at=item["checked_at"],
                http_status=304,
                snapshot_id=None,
                outcome=Outcome.UNCHANGED,
            )
            self.counts["not_modified"] += 1

    def _known_unchanged(self, item) -> tuple[str, str] | None:
        """Storage grows with changes, not with checks: a response that holds the current
        version (same bytes, or same selected subtrees) is recorded as an unchanged check
        with its hashes, without storing the body or extracting it again. (body sha256,
        fingerprint) when it does; computed before the write transaction, which it does not need."""
        if item["kind"] != "snapshot":
            return None
        spider = getattr(getattr(self, "crawler", None), "spider", None)
        known = getattr(getattr(spider, "plan", None), "unchanged", {}).get(item["doc_id"])
        if known is None or item["status"] != 200 or item["url"] != item["requested_url"]:
            return None
        body_sha256 = sha256(item["body"])
        if body_sha256 == known.body_sha256:
            return body_sha256, known.fingerprint
        matched = fingerprint(item["body"], known.rules, encoding=charset_of(item["headers"]))
        return (body_sha256, matched) if matched == known.fingerprint else None

    def _record_unchanged(self, item, body_sha256: str, matched: str) -> None:
        self.store.add_check(
            doc_id=item["doc_id"],
            url=item["requested_url"],
            checked_at=item["fetched_at"],
            http_status=200,
            snapshot_id=None,
            outcome=Outcome.UNCHANGED,
            body_sha256=body_sha256,
            fingerprint=matched,
        )
