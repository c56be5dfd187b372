"""Worker processes for the recorder's pure part (``diffs.reading``), so that both cores read.

A pool lives as long as its owner needs it: the crawl (``kb.pipeline.crawl``) keeps one for
its whole fetch, since it records every half second while its child fetches; a backlog
recorded on its own gets one for the call. Workers are spawned, started only when first
needed, and import only the pure modules (``diffs``). Nothing depends on them: a pool that
cannot start, or a worker that dies, turns the pool serial for good, and each response whose
result was lost is read again in the recorder's process, with the same result.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import wait

from diffs.reading import Reading, Response, read_or_none, read_response

PER_WORKER = 4  # responses in flight per worker: enough to keep it busy while the recorder writes


class RecordPool:
    """``submit`` a response to read, then take its ``result`` in the order submitted."""

    def __init__(self, workers: int | None = None) -> None:
        """``workers``: how many (default: one per core); 0 reads everything in this process."""
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.window = PER_WORKER * max(1, self.workers)
        self._executor: ProcessPoolExecutor | None = None
        self.broken = self.workers < 1  # no submissions: everything is read in this process

    def submit(self, response: Response) -> Future | None:
        """Start reading ``response`` in a worker; None when the pool cannot (then ``result``
        reads it here)."""
        if self.broken:
            return None
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_watch_parent
                )
            return self._executor.submit(read_or_none, response)
        except Exception:  # no process can start (no memory, no semaphores): serial from now on
            self._break()
            return None

    def result(self, future: Future | None, response: Response) -> Reading:
        """What ``response`` reads as: the worker's result, else read here (a worker that died,
        or the code's own failure, which is then raised here as it would be without a pool)."""
        if future is not None:
            try:
                reading = future.result()
            except Exception:  # BrokenProcessPool: a worker died; the rest is read here
                self._break()
                reading = None
            if reading is not None:
                return reading
        return read_response(response)

    @property
    def started(self) -> bool:
        """Its workers are running (or it is serial for good): using it costs nothing more."""
        return self._executor is not None or self.broken

    def _break(self) -> None:
        self.broken = True
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> RecordPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _watch_parent() -> None:
    """In each worker: exit once the recorder's process is gone. A worker waits on the pool's
    queue, which never tells it that its owner was killed (SIGKILL, OOM): without this, a
    killed crawl would leave its workers behind for good."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="policywatch-parent").start()


def _exit_with(sentinel: int) -> None:
    wait([sentinel])  # readable once the parent's end of the pipe closes, i.e. it died
    os._exit(75)  # a worker holds nothing to save: it only computes
