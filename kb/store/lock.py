"""One crawl or publish at a time per home folder.

An ``flock`` on ``<home>/run.lock``: the kernel releases it when the holder dies,
so a killed run never leaves the home stuck. The file names the holder for the message.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from kb.errors import RunLocked


@contextmanager
def run_lock(home: Path, what: str):
    home.mkdir(parents=True, exist_ok=True)
    path = home / "run.lock"
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLocked(f"{home} is busy: {holder} is running") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"policywatch {what} (pid {os.getpid()})")
        handle.flush()
        yield
    finally:
        handle.close()
