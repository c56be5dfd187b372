"""Scrapy settings for policywatch: polite by default.

Real marketplaces get one request at a time per domain, a delay, AutoThrottle,
robots.txt and a User-Agent that names the tool. Loopback runs (tests, the demo,
benchmarks) lower the delays through ``kb.pipeline.crawl(..., fast=True)``.
"""

from diffs.responses import MAX_BODY_BYTES

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch/policywatch; seller-policy change tracker)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 % around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = MAX_BODY_BYTES  # what the recorder accepts as a page, defined once
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait: the site's Retry-After (up to the maximum), else 5 s, then 10 s (doubling),
# and the whole domain waits with them (crawler.middlewares.PoliteRetry).
POLICYWATCH_RETRY_BACKOFF = 5.0
POLICYWATCH_RETRY_AFTER_MAX = 60
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
HTTPCACHE_ENABLED = False

# Scrapy 2.19 starts a code-executing remote-control endpoint by default: never on a crawler.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ScopeGuard": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxt": 100,  # same place; fixes robots.txt for concurrent requests
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetry": 565,  # waits out a short Retry-After, records a long one
}
EXTENSIONS = {
    "crawler.extensions.ParentWatch": 0,  # a crawl child stops when its parent is killed
}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 300,
}
LOG_LEVEL = "WARNING"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# A <meta http-equiv="refresh"> in a crawled page is the page's own word, not a redirect we
# trust: hostile pages point it at javascript: URLs, which Scrapy would try to follow.
METAREFRESH_ENABLED = False
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for each response's output; our spider yields one
# item per document, so 100 (the default) only cost ~1 ms per page (measured with cProfile).
CONCURRENT_ITEMS = 1

# Scrapy parses each callback's source (inspect + ast) on every call to warn about a
# generator's `return value`; our bound-method callbacks miss its cache, so that was 23 % of
# the incremental crawl child's samples (py-spy, 500 pages). A development warning only.
WARN_ON_GENERATOR_RETURN_VALUE = False
