"""Running a crawl: the plan read from the store, Scrapy's settings, and the child process.

The only module that imports ``scrapy.crawler``. Twisted's reactor cannot restart within a
process, and the demo, the tests and the benchmarks crawl several times: each crawl runs in a
spawned child that writes snapshots and checks to the store, while the parent is free to
record them (``kb.pipeline.crawl``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable

from crawler.browser import browser_unavailable, find_chromium, playwright_settings
from crawler.plan import CrawlPlan
from kb.errors import CrawlerFailed, PolicywatchError
from kb.sources.config import CrawlConfig

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


def crawl_settings(
    plan: CrawlPlan,
    config: CrawlConfig,
    *,
    home: str,
    fast: bool = False,
    fixed_time: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Who we are (User-Agent with the operator's contact), where to write, and, when the plan
    has pages to render, the browser; without one, ``plan.browser_unavailable`` says why."""
    settings = {"POLICYWATCH_HOME": home, "USER_AGENT": config.user_agent}
    if plan.needs_browser():
        plan.browser_unavailable = browser_unavailable(config.chromium)
        if plan.browser_unavailable is None:
            settings.update(playwright_settings(find_chromium(config.chromium)))
    if fast:
        settings.update(FAST_SETTINGS)
    if fixed_time:
        settings["POLICYWATCH_FIXED_TIME"] = fixed_time
    settings.update(extra or {})
    return settings


def run_spider(
    plan: CrawlPlan, settings: dict, *, while_running: Callable[[], None] | None = None, every: float = 0.5
) -> None:
    """Run one Scrapy crawl in a spawned child process; call ``while_running()`` every
    ``every`` seconds until it ends. ``CrawlerFailed`` if the child failed."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_spider_child, args=(plan, settings, queue))
    child.start()
    try:
        while child.is_alive():
            child.join(every)
            if while_running is not None and child.is_alive():
                while_running()
    except BaseException:  # the parent cannot go on (a full disk): the child stops with it
        child.terminate()
        child.join()
        raise
    child.join()
    error = queue.get() if not queue.empty() else None
    if isinstance(error, PolicywatchError):  # the child's store refused a write: its own line
        raise error
    if child.exitcode != 0 or error:
        raise CrawlerFailed(f"the crawler stopped: {error or f'exit code {child.exitcode}'}")


def _spider_child(plan: CrawlPlan, settings: dict, queue) -> None:
    try:
        # Imported here, in the child: the parent never loads Scrapy or installs a reactor,
        # and the child installs the asyncio reactor before anything else does.
        from scrapy.crawler import CrawlerProcess
        from scrapy.utils.project import get_project_settings

        from crawler.spiders.policy import PolicySpider

        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        merged = get_project_settings()
        merged.setdict(settings, priority="cmdline")
        if os.environ.get("POLICYWATCH_LOG"):
            merged.set("LOG_LEVEL", os.environ["POLICYWATCH_LOG"], priority="cmdline")
        process = CrawlerProcess(merged)
        crawler = process.create_crawler(PolicySpider)
        process.crawl(crawler, plan=plan)
        process.start()
        queue.put(getattr(crawler, "policywatch_failure", None))
    except BaseException as exc:  # report, then exit non-zero
        queue.put(f"{type(exc).__name__}: {exc}")
        raise
