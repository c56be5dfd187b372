"""The one spider: fetch every planned document and follow hub links inside declared scopes.

It yields raw responses as items and never interprets them: deciding whether a
response is a new version, a bot wall or a removed page happens after the store.
Three things are decided here because only the fetch knows them: a conditional
request answered 304 (the document is unchanged), a page whose URL now redirects
to another page (it moved: reported, never recorded as the document), and the
pages of a combined document (stored together, as one snapshot).

Discovery: hub pages and sitemaps are read for links matching their rule's
``follow`` patterns, down to the rule's depth. A new matching URL becomes a
document with a stable id; documents found by earlier crawls are fetched when
their hub links to them again, and at the end of the crawl otherwise, so a page
that left the hub is still checked (and reported gone if it is).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.browser import WAIT_MS, wait_for_text
from crawler.faults import describe_failure
from crawler.plan import CrawlPlan, Page, Target, plan_crawl, wait_selectors
from diffs.combine import CapturedPage, combined_status, pack
from diffs.responses import HANDLED_STATUSES, is_sign_in, is_wall_redirect
from kb.models import FaultKind
from kb.sources import DiscoverRule, canonical_url, discovered_doc_id, url_problem
from kb.timeutil import utc_now

# The sitemaps.org protocol caps a sitemap at 50 MB uncompressed: more is not a sitemap.
SITEMAP_MAX_BYTES = 50 << 20


class PolicySpider(scrapy.Spider):
    name = "policy"

    def __init__(self, plan: CrawlPlan | None = None, sources: str | None = None, home: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.home = home
        if plan is None:  # `scrapy crawl policy -a sources=DIR -a home=DIR`
            plan = plan_crawl(home, sources)
        self.plan = plan
        self.targets = {t.doc_id: t for t in plan.targets}
        self.requested: set[str] = set()  # documents already asked for in this crawl
        self.parts: dict[str, dict[int, CapturedPage]] = {}  # combined documents being gathered
        self.abandoned: set[str] = set()  # combined documents whose failure is already recorded

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    def now(self) -> str:
        # The demo dates its states: a fixed time stands for "when this state was live".
        return self.settings.get("POLICYWATCH_FIXED_TIME") or utc_now()

    async def start(self):
        for target in self.plan.targets:
            # Discovered documents wait for their hub (or the end of the crawl), unless they
            # cannot be fetched at all in this crawl: that is said at once.
            if not target.discovered or (target.browser and self.plan.browser_unavailable):
                for request_or_item in self._fetch(target):
                    yield request_or_item
        for index, hub in enumerate(self.plan.hubs):
            try:
                yield scrapy.Request(
                    hub.start_url,
                    callback=self.parse_sitemap if hub.sitemap else self.parse_hub,
                    errback=self.hub_failed,
                    meta={"hub": index, "depth": 0},
                    dont_filter=True,
                )
            except ValueError as exc:  # as for documents: one hub, not the crawl
                self.logger.warning("hub %s cannot be requested: %s", hub.start_url, exc)

    def spider_idle(self):
        """Documents found by earlier crawls that no hub linked to this time: check them now."""
        left = [t for t in self.plan.targets if t.discovered and t.doc_id not in self.requested]
        if not left:
            return
        for target in left:
            for request in self._fetch(target):  # only requests: see start()
                self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _fetch(self, target: Target, hub: int | None = None, depth: int = 0):
        self.requested.add(target.doc_id)
        if target.browser and self.plan.browser_unavailable:
            yield from self._failure(
                target.doc_id,
                target.url,
                f"needs a browser (render: browser), but {self.plan.browser_unavailable}",
                kind=FaultKind.NEEDS_BROWSER,
            )
            return
        for index, page in enumerate(target.fetches):
            try:
                request = self._document_request(
                    target.doc_id,
                    page.url,
                    hub=hub,
                    depth=depth,
                    page=page,
                    part=index if target.combined else None,
                    target=target,
                )
            except ValueError as exc:  # Scrapy refuses the URL (a port out of range, a bad host)
                yield from self._failure(
                    target.doc_id,
                    page.url,
                    f"{page.url} cannot be requested ({exc}); fix the URL",
                    kind=FaultKind.NO_RESPONSE,
                    part=index if target.combined else None,
                )
                return
            yield request

    def _document_request(
        self,
        doc_id: str,
        url: str,
        hub: int | None = None,
        depth: int = 0,
        *,
        page: Page | None = None,
        part: int | None = None,
        target: Target | None = None,
    ):
        # Every status but redirects reaches parse_document: error pages are kept as evidence,
        # redirects are followed (and scope-checked) first.
        meta = {"doc_id": doc_id, "handle_httpstatus_list": HANDLED_STATUSES, "hub": hub, "depth": depth}
        headers = {}
        if part is not None:
            meta["part"] = part
        if page is not None and page.browser:
            wait_ms = self.settings.getint("POLICYWATCH_BROWSER_WAIT_MS", WAIT_MS)
            methods = wait_for_text(page.wait_for, page.wait_present, wait_ms)
            meta.update(playwright=True, playwright_page_methods=methods)
        elif target is not None and (target.etag or target.last_modified):
            # Revalidate against the last good response: a 304 is a successful "unchanged".
            meta["conditional"] = True
            if target.etag:
                headers["If-None-Match"] = target.etag
            if target.last_modified:
                headers["If-Modified-Since"] = target.last_modified
        return scrapy.Request(
            url,
            callback=self.parse_document,
            errback=self.document_failed,
            dont_filter=True,
            headers=headers or None,
            meta=meta,
        )

    def parse_document(self, response: Response):
        meta = response.meta
        doc_id = meta["doc_id"]
        # After redirects, Scrapy keeps the chain in meta; the first URL is the one we asked for.
        asked = response.request.url if response.request is not None else response.url
        requested = (meta.get("redirect_urls") or [asked])[0]
        if response.status == 304 and meta.get("conditional"):
            yield {"kind": "not-modified", "doc_id": doc_id, "url": requested, "checked_at": self.now()}
            return
        if moved(requested, response.url):
            target = self.targets.get(doc_id)
            yield from self._failure(
                doc_id,
                requested,
                f"moved: {requested} now redirects to {response.url}; its history is kept"
                + (
                    ""
                    if target is None or target.discovered
                    else "; if the document lives there now, update its url in the declaration"
                ),
                outcome="failed" if target is not None and not target.discovered else "gone",
                kind=FaultKind.MOVED,
                part=meta.get("part"),
            )
            return
        if meta.get("part") is not None:
            yield from self._gather(doc_id, meta["part"], response)
            return
        yield {
            "kind": "snapshot",
            "doc_id": doc_id,
            "url": response.url,
            "requested_url": requested,
            "fetched_at": self.now(),
            "status": response.status,
            "headers": _headers(response),
            "body": response.body,
        }
        if meta.get("hub") is not None and response.status == 200 and meta["depth"] < self.plan.hubs[meta["hub"]].depth:
            yield from self._follow(response, meta["hub"], meta["depth"])

    def _gather(self, doc_id: str, part: int, response: Response):
        """Keep a combined document's page until all have arrived, then store them as one."""
        if doc_id in self.abandoned:
            return
        pages = self.parts.setdefault(doc_id, {})
        pages[part] = CapturedPage(
            url=response.url,
            status=response.status,
            content_type=_headers(response).get("content-type", ""),
            body=response.body,
        )
        target = self.targets[doc_id]
        if len(pages) < len(target.fetches):
            return
        ordered = [pages[i] for i in range(len(target.fetches))]
        del self.parts[doc_id]
        yield {
            "kind": "snapshot",
            "doc_id": doc_id,
            "url": target.url,
            "requested_url": target.url,
            "fetched_at": self.now(),
            "status": combined_status(ordered),
            # Not one HTTP response: each page's status and type are inside the container.
            "headers": {"x-policywatch-combined": f"{len(ordered)} pages"},
            "body": pack(ordered),
        }

    def parse_hub(self, response: Response):
        if response.status != 200:
            self.logger.warning("hub %s answered HTTP %s", response.url, response.status)
            return
        yield from self._follow(response, response.meta["hub"], response.meta["depth"])

    def parse_sitemap(self, response: Response):
        """A sitemap lists pages (depth 1) or, as a sitemap index, more sitemaps."""
        if response.status != 200:
            self.logger.warning("sitemap %s answered HTTP %s", response.url, response.status)
            return
        limit = min(self.settings.getint("DOWNLOAD_MAXSIZE") or SITEMAP_MAX_BYTES, SITEMAP_MAX_BYTES)
        try:
            body = response.body
            if body[:2] == b"\x1f\x8b":
                body = gunzip(body, max_size=limit)  # a gzip bomb stops at the limit
            sitemap = Sitemap(body)
            entries = list(sitemap)
        except Exception as exc:  # hostile bytes (a bomb, broken gzip, not XML): refused, discovery goes on
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.logger.warning(
                "sitemap %s refused: %s (limit %d MB); its links were not read", response.url, why, limit >> 20
            )
            return
        hub = response.meta["hub"]
        for entry in entries:
            location = entry.get("loc", "").strip()
            if not location:
                continue
            if sitemap.type == "sitemapindex":
                child = _joined(response, location)
                if child is None or url_problem(child) is not None:  # the page's word: no request takes it
                    shown = location[:200]
                    self.logger.warning("sitemap %s lists %r, not an address to fetch; skipped", response.url, shown)
                    continue
                yield scrapy.Request(
                    child,
                    callback=self.parse_sitemap,
                    errback=self.hub_failed,
                    meta={"hub": hub, "depth": 0},
                )
            else:
                yield from self._discover(_joined(response, location) or "", "", hub, 0)

    def _follow(self, response: Response, hub_index: int, depth: int):
        if not hasattr(response, "css"):
            return
        for anchor in response.css("a[href]"):
            title = " ".join(" ".join(anchor.css("::text").getall()).split())
            yield from self._discover(_joined(response, anchor.attrib.get("href", "")) or "", title, hub_index, depth)

    def _discover(self, link: str, title: str, hub_index: int, depth: int):
        if not link:
            return
        rule: DiscoverRule = self.plan.hubs[hub_index]
        url = rule.identity(link)  # also the URL it is fetched at: keep_query parameters kept
        if url_problem(url) is not None or not rule.matches(url):
            return
        doc_id = self.plan.known.get(url)
        if doc_id is not None:
            target = self.targets.get(doc_id)
            if target is not None and target.discovered and doc_id not in self.requested:
                yield from self._fetch(target, hub=hub_index, depth=depth + 1)  # known, linked again
            return
        doc_id = self._found_before_keep_query(url)
        if doc_id is None:
            doc_id = discovered_doc_id(rule.marketplace, url, set(self.plan.known.values()))
        self.plan.known[url] = doc_id
        page = Page(url, rule.browser)
        if rule.browser:
            page = Page(url, True, *wait_selectors(rule.rules))
        target = Target(doc_id, url, (page,), discovered=True)
        self.targets[doc_id] = target
        yield {
            "kind": "discovered",
            "doc_id": doc_id,
            "url": url,
            "title": title or doc_id.split("/", 1)[1],
            "marketplace": rule.marketplace,
            "doc_type": rule.doc_type,
            "seen_at": self.now(),
        }
        if not self.plan.fetches_from(url):  # another part of a sharded crawl fetches that host
            self.logger.info("%s found on a host of another crawl child: fetched by the next crawl", url)
            return
        yield from self._fetch(target, hub=hub_index, depth=depth + 1)

    def _found_before_keep_query(self, url: str) -> str | None:
        """A page an earlier crawl tracked by path alone, before its rule kept the query that
        names it: the same document, from now on fetched at ``url`` (its id and history stay)."""
        path_only = canonical_url(url)
        doc_id = self.plan.known.get(path_only) if path_only != url else None
        target = self.targets.get(doc_id) if doc_id else None
        if target is None or not target.discovered or urlsplit(target.url).query or doc_id in self.requested:
            return None
        del self.plan.known[path_only]
        return doc_id

    def document_failed(self, failure: Failure):
        request = failure.request
        kind, reason = describe_failure(failure)
        yield from self._failure(
            request.meta["doc_id"],
            (request.meta.get("redirect_urls") or [request.url])[0],  # the URL we asked for
            reason,
            kind=kind,
            part=request.meta.get("part"),
        )

    def hub_failed(self, failure: Failure):
        self.logger.warning("hub %s failed: %s", failure.request.url, describe_failure(failure)[1])

    def _failure(
        self,
        doc_id: str,
        url: str,
        reason: str,
        outcome: str = "failed",
        kind: str | None = None,
        part: int | None = None,
    ):
        if part is not None:  # one failed page fails the combined document, once
            if doc_id in self.abandoned:
                return
            self.abandoned.add(doc_id)
            self.parts.pop(doc_id, None)
            url = self.targets[doc_id].url
        yield {
            "kind": "failure",
            "doc_id": doc_id,
            "url": url,
            "checked_at": self.now(),
            "reason": reason,
            "outcome": outcome,
            "fault": kind,
        }


def moved(requested: str, final: str) -> bool:
    """Did a redirect take us to another page? Scheme, ``www.``, a trailing slash and added
    query parameters do not count; a changed path, host or parameter value does. Sign-in
    pages and bot walls are followed on purpose: the recorder names them."""
    if requested == final:
        return False
    if is_sign_in(final) or is_wall_redirect(requested, final):  # followed: the recorder judges the wall
        return False
    target = urlsplit(final)
    before, after = urlsplit(requested), target
    if (
        _host(before.hostname) != _host(after.hostname)
        or before.path.rstrip("/").lower() != after.path.rstrip("/").lower()
    ):
        return True
    kept = dict(parse_qsl(after.query, keep_blank_values=True))
    return any(kept.get(key) != value for key, value in parse_qsl(before.query, keep_blank_values=True))


def _host(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1") for key, values in response.headers.items()
    }


def _joined(response: Response, link: str) -> str | None:
    """``link`` made absolute against the page, or None when it cannot be ("http://[::1": a
    hostile page must not stop the reading of its other links)."""
    try:
        return response.urljoin(link)
    except ValueError:
        return None
