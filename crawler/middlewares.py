"""Keep every request inside the declared hosts, and off private addresses unless allowed;
retry politely (``PoliteRetry``); obey robots.txt for every request (``RobotsTxt``).

A host name is checked by what it resolves to, before the request (one lookup per host and
crawl) and again by the address that actually answered (a name can change its answer).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

from diffs.responses import retry_after_seconds
from kb.sources import is_private_host


class ScopeGuard:
    def __init__(self, crawler=None):
        self.crawler = crawler
        self._private: dict[str, bool] = {}  # host -> resolves to a private address

    @classmethod
    def from_crawler(cls, crawler):
        # Scrapy 2.19 no longer passes the spider to process_request: reach it through the crawler.
        return cls(crawler)

    def _plan(self, spider):
        spider = spider if spider is not None else getattr(self.crawler, "spider", None)
        return getattr(spider, "plan", None)

    def resolves_private(self, host: str) -> bool:
        if host not in self._private:
            try:
                addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
            except (OSError, UnicodeError):
                addresses = set()  # unresolvable: the download fails with a DNS error
            self._private[host] = any(is_private_host(a.split("%")[0]) for a in addresses)
        return self._private[host]

    def process_response(self, request, response, spider=None):
        plan = self._plan(spider)
        host = urlsplit(request.url).hostname or ""
        if plan is None or host in plan.private_hosts or response.ip_address is None:
            return response
        if is_private_host(str(response.ip_address)):
            raise IgnoreRequest(f"out of scope: '{host}' answered from the private address {response.ip_address}")
        return response

    def process_request(self, request, spider=None):
        plan = self._plan(spider)
        if plan is None:
            return None
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if request.url.endswith("/robots.txt") and host in plan.allowed_hosts:
            return None
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"out of scope: scheme '{parts.scheme}' is not http(s)")
        if host not in plan.allowed_hosts:
            raise IgnoreRequest(f"out of scope: host '{host}' is not declared")
        if host not in plan.private_hosts:
            if is_private_host(host):
                raise IgnoreRequest(f"out of scope: '{host}' is a private address")
            if self.resolves_private(host):
                raise IgnoreRequest(f"out of scope: '{host}' resolves to a private address")
        return None


class PoliteRetry(RetryMiddleware):
    """Retry 429, 5xx and network errors later, not at once: the whole domain pauses first.

    The pause is the site's ``Retry-After`` when it gives one, otherwise an exponential
    backoff (``POLICYWATCH_RETRY_BACKOFF`` seconds, doubled at each retry). A Retry-After
    longer than ``POLICYWATCH_RETRY_AFTER_MAX`` is not waited for in this crawl: the
    response is recorded as a failed check with the site's delay and the next crawl tries again.
    It replaces Scrapy's RetryMiddleware and keeps its counting (``RETRY_TIMES``).
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff = settings.getfloat("POLICYWATCH_RETRY_BACKOFF", 5.0)
        self.max_wait = settings.getfloat("POLICYWATCH_RETRY_AFTER_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        # The slot must be held before the downloader sends its next queued request, which
        # happens before this response reaches process_response: pause on arrival.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def response_downloaded(self, response, request, spider=None):
        wait = self._wait(request, response)
        retries = request.meta.get("max_retry_times", self.max_retry_times)
        if wait is not None and request.meta.get("retry_times", 0) < retries:
            self._pause(request, wait)

    def process_response(self, request, response, spider=None):
        if self._wait(request, response) is None:
            return response
        return self._retry(request, response_status_message(response.status)) or response

    def _wait(self, request, response) -> float | None:
        """Seconds to wait before retrying ``response``; ``None``: it is not retried now."""
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return None
        asked = retry_after_seconds((response.headers.get("Retry-After") or b"").decode("latin-1"), datetime.now(UTC))
        if asked is not None and asked > self.max_wait:
            return None
        return asked if asked is not None else self._backoff(request)

    def process_exception(self, request, exception, spider=None):
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            self._pause(request, self._backoff(request))
        return retry

    def _backoff(self, request) -> float:
        return self.backoff * 2 ** request.meta.get("retry_times", 0)

    def _pause(self, request, seconds: float) -> None:
        """Hold the request's download slot (its domain) for ``seconds``: Scrapy's own
        download-delay timer, stretched, so no request reaches that site meanwhile."""
        from scrapy.utils.asyncio import call_later

        if seconds <= 0:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get("download_slot") or downloader.get_slot_key(request))
        if slot is None:
            return
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        self.crawler.stats.inc_value("policywatch/retry_pauses")


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed so that every request waiting for a site's
    robots.txt gets its rules.

    Scrapy 2.19 lets all requests that arrive while robots.txt downloads await one shared
    Deferred; converting it to a future consumes its result (scrapy/scrapy#6802), so from
    the second waiter on the parser comes back ``None`` and the request goes out unchecked.
    The parser is stored before the Deferred fires: read it from there.
    """

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            settled = self._parsers.get(urlparse_cached(request).netloc)
            if settled is not None and not isinstance(settled, Deferred):
                return settled
        return parser
