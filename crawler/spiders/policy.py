"""The one spider: fetch every planned document and follow hub links inside declared scopes.

It yields raw responses as items and never interprets them: deciding whether a
response is a new version, a bot wall or a removed page happens after the store.
"""
from __future__ import annotations

from datetime import datetime, timezone

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.plan import CrawlPlan
from kb.sources import DiscoverRule, canonical_url, discovered_doc_id


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(self, plan: CrawlPlan | None = None, sources: str | None = None,
                 home: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.home = home
        if plan is None:  # `scrapy crawl policy -a sources=DIR -a home=DIR`
            from kb.pipeline import plan_crawl

            plan = plan_crawl(home, sources)
        self.plan = plan

    def now(self) -> str:
        # The demo dates its states: a fixed time stands for "when this state was live".
        return self.settings.get("POLICYWATCH_FIXED_TIME") or utc_now()

    async def start(self):
        for target in self.plan.targets:
            yield self._document_request(target.doc_id, target.url)
        for index, hub in enumerate(self.plan.hubs):
            yield scrapy.Request(hub.start_url, callback=self.parse_hub, errback=self.hub_failed,
                                 meta={"hub": index, "depth": 0}, dont_filter=True)

    def _document_request(self, doc_id: str, url: str, hub: int | None = None, depth: int = 0):
        return scrapy.Request(
            url, callback=self.parse_document, errback=self.document_failed, dont_filter=True,
            meta={"doc_id": doc_id, "handle_httpstatus_all": True, "hub": hub, "depth": depth},
        )

    def parse_document(self, response: Response):
        meta = response.meta
        yield {
            "kind": "snapshot",
            "doc_id": meta["doc_id"],
            "url": response.url,
            # After redirects, Scrapy keeps the chain in meta; the first URL is the one we asked for.
            "requested_url": (meta.get("redirect_urls") or [response.url])[0],
            "fetched_at": self.now(),
            "status": response.status,
            "headers": _headers(response),
            "body": response.body,
        }
        if meta.get("hub") is not None and response.status == 200 and meta["depth"] < self.plan.hubs[meta["hub"]].depth:
            yield from self._follow(response, meta["hub"], meta["depth"])

    def parse_hub(self, response: Response):
        if response.status != 200:
            self.logger.warning("hub %s answered HTTP %s", response.url, response.status)
            return
        yield from self._follow(response, response.meta["hub"], response.meta["depth"])

    def _follow(self, response: Response, hub_index: int, depth: int):
        rule: DiscoverRule = self.plan.hubs[hub_index]
        if not hasattr(response, "css"):
            return
        for anchor in response.css("a[href]"):
            href = anchor.attrib.get("href", "")
            url = canonical_url(response.urljoin(href))
            if not url.startswith(("http://", "https://")) or not rule.matches(url):
                continue
            if url in self.plan.known:
                continue
            doc_id = discovered_doc_id(rule.marketplace, url, set(self.plan.known.values()))
            self.plan.known[url] = doc_id
            title = " ".join(anchor.css("::text").getall()).strip() or doc_id.split("/", 1)[1]
            yield {
                "kind": "discovered",
                "doc_id": doc_id,
                "url": url,
                "title": title,
                "marketplace": rule.marketplace,
                "doc_type": rule.doc_type,
                "seen_at": self.now(),
            }
            yield self._document_request(doc_id, url, hub=hub_index, depth=depth + 1)

    def document_failed(self, failure: Failure):
        request = failure.request
        yield {
            "kind": "failure",
            "doc_id": request.meta["doc_id"],
            "url": request.url,
            "checked_at": self.now(),
            "reason": describe_failure(failure),
        }

    def hub_failed(self, failure: Failure):
        self.logger.warning("hub %s failed: %s", failure.request.url, describe_failure(failure))


def describe_failure(failure: Failure) -> str:
    """One readable line for a fetch that produced no response."""
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet import error

    exc = failure.value
    if isinstance(exc, IgnoreRequest):
        text = str(exc) or "request ignored"
        if "robots.txt" in text or "Forbidden by robots" in text:
            return "forbidden by robots.txt"
        return text
    if isinstance(exc, error.DNSLookupError):
        return "DNS lookup failed"
    if isinstance(exc, error.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (error.TimeoutError, error.TCPTimedOutError)):
        return "timed out"
    name = type(exc).__name__
    return f"{name}: {exc}".strip().rstrip(":")[:300]


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }
