"""Running a crawl: the plan read from the store, Scrapy's settings, and the child processes.

The only module that imports ``scrapy.crawler``. Twisted's reactor cannot restart within a
process, and the demo, the tests and the benchmarks crawl several times: each crawl runs in
spawned children that write snapshots and checks to the store, while the parent is free to
record them (``kb.pipeline.crawl``). A large plan is fetched by one child per core, each with
its part of the plan (``CrawlPlan.shards``): the fetching itself then uses every core, and
politeness stays per host.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import wait

from crawler import settings as defaults
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


# A crawl child costs about a second of CPU to start (Scrapy, Twisted), and two children
# split one loopback host's concurrency: measured (bench/README.md, "Crawl shards, again"),
# two children at 500 and 2,000 pages cost 1-2 s more CPU and gained no wall time. Fewer
# documents than this per child, and a second child costs more than it saves.
SHARD_MOST_CHILDREN = os.cpu_count() or 1
SHARD_LEAST_TARGETS = 2500


def crawl_parts(plan: CrawlPlan, settings: dict) -> list[tuple[CrawlPlan, dict]]:
    """The crawl children of ``plan``: (its part, its settings) each. ``POLICYWATCH_CRAWL_SHARDS``
    in ``settings`` fixes their number (1: one child); otherwise one per core, with at least
    ``SHARD_LEAST_TARGETS`` documents each. A host is split between children only when the
    settings let it take several requests at once without a delay (loopback runs: ``FAST_SETTINGS``),
    and then each child gets its share of the per-host concurrency, so the total per host never grows."""
    count = int(settings.get("POLICYWATCH_CRAWL_SHARDS") or 0)
    if count <= 0:
        count = min(SHARD_MOST_CHILDREN, len(plan.targets) // SHARD_LEAST_TARGETS)
    per_host = int(settings.get("CONCURRENT_REQUESTS_PER_DOMAIN", defaults.CONCURRENT_REQUESTS_PER_DOMAIN))
    concurrent = int(settings.get("CONCURRENT_REQUESTS", defaults.CONCURRENT_REQUESTS))
    delay = float(settings.get("DOWNLOAD_DELAY", defaults.DOWNLOAD_DELAY))
    throttled = bool(settings.get("AUTOTHROTTLE_ENABLED", defaults.AUTOTHROTTLE_ENABLED))
    split = per_host >= 2 and delay == 0 and not throttled
    if split:
        count = min(count, per_host)
    parts = plan.shards(count, split_hosts=split)
    if len(parts) == 1:
        return [(parts[0], settings)]
    if not split:
        return [(part, settings) for part in parts]
    shared = {
        **settings,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host // len(parts),
        "CONCURRENT_REQUESTS": max(1, concurrent // len(parts)),
    }
    return [(part, shared) for part in parts]


def run_spider(
    plan: CrawlPlan, settings: dict, *, while_running: Callable[[], None] | None = None, every: float = 0.5
) -> None:
    """Run the Scrapy crawl of ``plan`` in spawned child processes (``crawl_parts``); call
    ``while_running()`` every ``every`` seconds until they end. ``CrawlerFailed`` if a child
    failed (the others finish their parts first: what they fetch is stored)."""
    context = multiprocessing.get_context("spawn")
    children = []
    for part, part_settings in crawl_parts(plan, settings):
        queue = context.Queue()
        child = context.Process(target=_spider_child, args=(part, part_settings, queue))
        children.append((child, queue))
    try:
        for child, _ in children:
            child.start()
        while any(child.is_alive() for child, _ in children):
            wait([child.sentinel for child, _ in children if child.is_alive()], every)
            if while_running is not None and any(child.is_alive() for child, _ in children):
                while_running()
    except BaseException:  # the parent cannot go on (a full disk): the children stop with it
        for child, _ in children:
            if child.pid is not None:
                child.terminate()
        for child, _ in children:
            if child.pid is not None:
                child.join()
        raise
    failures = []
    for child, queue in children:
        child.join()
        error = queue.get() if not queue.empty() else None
        failures.append((child.exitcode, error))
    for _, error in failures:
        if isinstance(error, PolicywatchError):  # a child's store refused a write: its own line
            raise error
    for exitcode, error in failures:
        if exitcode != 0 or error:
            raise CrawlerFailed(f"the crawler stopped: {error or f'exit code {exitcode}'}")


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
