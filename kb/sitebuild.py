"""Run ``mkdocs build`` in a spawned child process; the only module that imports MkDocs.

MkDocs holds every page of the site (its Markdown, its HTML, its part of the search index)
until the build ends: about 200 KB per page at its peak, 400 MB for a site of 2,000 documents.
A child process gives all of it back when it ends, rather than leaving it in the allocator of a
long-lived process, and it imports nothing of policywatch but this module.

Callers that are scripts need the ``if __name__ == "__main__":`` guard, as with any spawned
child process (``multiprocessing``'s "safe importing of main module").
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from pathlib import Path


def run_mkdocs(config_file: Path, site_dir: Path, *, strict: bool, source_date_epoch: int) -> str | None:
    """Build ``config_file`` into ``site_dir``; return None, or why it failed in one line.

    ``strict``: a warning fails the build. ``source_date_epoch``: the sitemap's dates."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, name="policywatch-mkdocs",
                            args=(str(config_file), str(site_dir), strict, source_date_epoch, send))
    child.start()
    send.close()  # the child's end: recv() sees EOF if the child dies without a word
    try:
        error = receive.recv()
    except EOFError:
        error = None
    finally:
        receive.close()
        child.join()
    if error is None and child.exitcode != 0:
        error = f"mkdocs build failed: its process ended with exit code {child.exitcode}"
    return error


def _child(config_file: str, site_dir: str, strict: bool, epoch: int, send) -> None:
    try:
        send.send(_build(config_file, site_dir, strict, epoch))
    except Exception as exc:  # noqa: BLE001 -- anything (a plugin, the disk) reaches the parent
        send.send(f"mkdocs build failed: {type(exc).__name__}: {_one_line(str(exc))}")
    finally:
        send.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _build(config_file: str, site_dir: str, strict: bool, epoch: int) -> str | None:
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"  # Material's end-of-life banner, printed on import
    sys.dont_write_bytecode = True  # importing the site's hook must not leave __pycache__ behind
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    logger.propagate = False  # quiet: warnings are collected, not printed
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    try:
        build(load_config(config_file, site_dir=site_dir, strict=strict))
    except MkDocsException as err:
        detail = collect.messages[0] if collect.messages else str(err)
        return f"mkdocs build failed: {_one_line(detail)}"
    if strict and collect.messages:
        return f"mkdocs build warned: {_one_line(collect.messages[0])}"
    return None


def _one_line(message: str) -> str:
    return " ".join(message.split())
