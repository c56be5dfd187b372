"""Worker processes for pure work (reading a response, a text's rules), so that both cores
compute.

Workers are spawned, started only when first needed, and import only what the function they
run needs. Nothing depends on them: a pool that cannot start, or a worker that dies, turns the
pool serial for good (``start`` gives None, ``outcome`` None), and the caller computes in its
own process what was lost, with the same result. A worker exits by itself once its owner's
process is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import wait
from typing import Any


class WorkerPool:
    """``start`` a function in a worker, then take its ``outcome``."""

    def __init__(self, workers: int | None = None) -> None:
        """``workers``: how many (default: one per core); 0 computes everything in the caller."""
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None
        self.broken = self.workers < 1  # nothing started: the caller computes everything

    def start(self, function: Callable[..., Any], /, *args: Any) -> Future | None:
        """``function(*args)`` in a worker (a module-level function: it is pickled by name);
        None when the pool cannot."""
        if self.broken:
            return None
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_watch_parent
                )
            return self._executor.submit(function, *args)
        except Exception:  # no process can start (no memory, no semaphores): serial from now on
            self._break()
            return None

    def outcome(self, future: Future | None) -> Any:
        """What ``future``'s function returned; None without a future or when its worker died
        (BrokenProcessPool: the pool is serial from then on)."""
        if future is None:
            return None
        try:
            return future.result()
        except Exception:
            self._break()
            return None

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

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _watch_parent() -> None:
    """In each worker: exit once the owner's process is gone. A worker waits on the pool's
    queue, which never tells it that its owner was killed (SIGKILL, OOM): without this, a
    killed crawl would leave its workers behind for good."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="policywatch-parent").start()


def _exit_with(sentinel: int) -> None:
    wait([sentinel])  # readable once the parent's end of the pipe closes, i.e. it died
    os._exit(75)  # a worker holds nothing to save: it only computes
