"""One crawl or publish at a time per home folder.

An ``flock`` on ``<home>/run.lock``: the kernel releases it when the holder dies,
so a killed run never leaves the home stuck. The file names the holder for the message.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from kb.errors import RunLocked, StoreError


def make_home(home: Path) -> None:
    """Create the home folder if needed; ``StoreError`` in one line when it cannot be one."""
    try:
        Path(home).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(
            f"cannot make the home {home}: {folder_problem(Path(home), err)}",
            hint="pass --home with a folder you can write",
        ) from None


def folder_problem(path: Path, err: OSError) -> str:
    """Why ``path`` cannot be made a folder, for a message: a file in the way, else the OS's word."""
    for ancestor in (path, *path.parents):
        if ancestor.exists():
            return f"{ancestor} is a file, not a folder" if not ancestor.is_dir() else (err.strerror or str(err))
    return err.strerror or str(err)


@contextmanager
def run_lock(home: Path, what: str):
    make_home(home)
    path = home / "run.lock"
    try:
        handle = open(path, "a+")
    except OSError as err:
        raise StoreError(
            f"cannot lock the home {home}: {err.strerror or err}", hint="pass --home with a folder you can write"
        ) from None
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
