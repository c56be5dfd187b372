"""Scrapy extensions of policywatch's crawler."""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

from scrapy.exceptions import NotConfigured


class ParentWatch:
    """Extension: when the crawl runs in a child process (``crawler.run.run_spider``) and its
    parent dies (SIGKILL, OOM), exit at once. Snapshots already written are committed and stay
    pending for the next run; nothing keeps writing to a home another run may now hold."""

    def __init__(self, sentinel: int):
        self._thread = threading.Thread(
            target=self._watch, args=(sentinel,), daemon=True, name="policywatch-parent-watch"
        )
        self._thread.start()

    @classmethod
    def from_crawler(cls, crawler):
        parent = multiprocessing.parent_process()
        if parent is None or parent.sentinel is None:
            raise NotConfigured("not running under a policywatch parent process")
        return cls(parent.sentinel)

    @staticmethod
    def _watch(sentinel: int) -> None:
        wait([sentinel])  # readable once the parent's end of the pipe closes, i.e. it died
        os._exit(75)  # SQLite transactions are atomic: an abrupt exit loses nothing committed
