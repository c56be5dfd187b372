"""Item pipeline: the crawler's only side effect is writing snapshots and checks to the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from diffs.extract import charset_of, fingerprint
from diffs.responses import gone_confirmed, unconfirmed_gone_reason
from kb.errors import StoreError
from kb.models import Outcome
from kb.store import Store, sha256


class StorePipeline:
    def __init__(self, home: str | None):
        self.home = Path(home) if home else None
        self.store: Store | None = None
        self.failure: StoreError | None = None  # the store refused a write (a full disk): the crawl stops
        self.counts = {"snapshots": 0, "failures": 0, "discovered": 0, "not_modified": 0, "unchanged": 0}

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
        self.store = Store(self.home)

    def close_spider(self, spider=None):
        if self.store is not None:
            self.store.close()

    def process_item(self, item, spider=None):
        """Store one item. When the store cannot be written (a full disk), the crawl stops:
        what was stored stays (pending, for the next ``record``), what was not is fetched
        again by the next crawl; ``crawler.run`` reports the failure and the run fails."""
        if self.failure is not None:
            return item  # stopping: the next crawl fetches it again
        try:
            self._store(item)
        except StoreError as err:
            self.failure = err
            crawler = getattr(self, "crawler", None)
            if crawler is not None:
                crawler.policywatch_failure = err
                # the asyncio reactor runs the crawl: stop it as Scrapy's own CloseSpider would
                asyncio.ensure_future(crawler.engine.close_spider_async(reason="store-failure"))
        return item

    def _store(self, item) -> None:
        store = self.store
        kind = item["kind"]
        with store.transaction():
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
            elif kind == "snapshot" and self._record_if_unchanged(item):
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

    def _record_if_unchanged(self, item) -> bool:
        """Storage grows with changes, not with checks: a response that holds the current
        version (same bytes, or same selected subtrees) is recorded as an unchanged check
        with its hashes, without storing the body or extracting it again."""
        spider = getattr(getattr(self, "crawler", None), "spider", None)
        known = getattr(getattr(spider, "plan", None), "unchanged", {}).get(item["doc_id"])
        if known is None or item["status"] != 200 or item["url"] != item["requested_url"]:
            return False
        body_sha256 = sha256(item["body"])
        if body_sha256 == known.body_sha256:
            matched = known.fingerprint
        else:
            matched = fingerprint(item["body"], known.rules, encoding=charset_of(item["headers"]))
            if matched != known.fingerprint:
                return False
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
        return True
