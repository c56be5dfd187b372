"""Run ``mkdocs build`` in a spawned child process; the only module that imports MkDocs.

MkDocs holds every page of the site (its Markdown, its HTML, its part of the search index)
until the build ends: about 200 KB per page at its peak, 400 MB for a site of 2,000 documents.
A child process gives all of it back when it ends, rather than leaving it in the allocator of a
long-lived process, and it imports nothing of policywatch but this module.

Callers that are scripts need the ``if __name__ == "__main__":`` guard, as with any spawned
child process (``multiprocessing``'s "safe importing of main module").
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DIRTY_WARNING = "A 'dirty' build is being performed"  # MkDocs' warning; expected, see build_stamp


def build_stamp(src_dir: Path) -> str:
    """What every page of a built site depends on: the configuration (with the navigation),
    the theme overrides, the hook, and the versions of MkDocs and Material. A site built with
    the same stamp can be updated by rebuilding only the pages whose sources changed."""
    digest = hashlib.sha256()
    for package in ("mkdocs", "mkdocs-material"):
        try:
            digest.update(f"{package}=={version(package)}\n".encode())
        except PackageNotFoundError:
            digest.update(f"{package} missing\n".encode())
    files = [src_dir / "mkdocs.yml"]
    for folder in ("overrides", "hooks"):
        files += sorted(p for p in (src_dir / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(f"{path.relative_to(src_dir).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-")
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildOutcome:
    error: str | None  # why the build failed, in one line; None: it did not
    pages_built: int | None = None  # pages MkDocs rendered (all of them unless dirty)
    pages_total: int | None = None  # pages of the site
    incremental: bool = False  # dirty: started from the previous build, rebuilt what changed


def run_mkdocs(
    config_file: Path, site_dir: Path, *, strict: bool, source_date_epoch: int, dirty: bool = False
) -> BuildOutcome:
    """Build ``config_file`` into ``site_dir``; say how it went (``BuildOutcome``).

    ``strict``: a warning fails the build. ``source_date_epoch``: the sitemap's dates.
    ``dirty``: ``site_dir`` holds the previous build (same ``build_stamp``); MkDocs rebuilds
    only what changed, and the site's hook makes the result that of a whole build."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_child,
        name="policywatch-mkdocs",
        args=(str(config_file), str(site_dir), strict, source_date_epoch, dirty, send),
    )
    child.start()
    send.close()  # the child's end: recv() sees EOF if the child dies without a word
    try:
        outcome = receive.recv()
    except EOFError:
        outcome = None
    finally:
        receive.close()
        child.join()
    if outcome is None or child.exitcode != 0:
        return BuildOutcome(f"mkdocs build failed: its process ended with exit code {child.exitcode}")
    return outcome


def _child(config_file: str, site_dir: str, strict: bool, epoch: int, dirty: bool, send) -> None:
    try:
        send.send(_build(config_file, site_dir, strict, epoch, dirty))
    except Exception as exc:  # noqa: BLE001 -- anything (a plugin, the disk) reaches the parent
        send.send(BuildOutcome(f"mkdocs build failed: {type(exc).__name__}: {_one_line(str(exc))}"))
    finally:
        send.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(DIRTY_WARNING):
            self.messages.append(message)


def _build(config_file: str, site_dir: str, strict: bool, epoch: int, dirty: bool) -> BuildOutcome:
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
        config = load_config(config_file, site_dir=site_dir, strict=strict)
        config.plugins.on_startup(command="build", dirty=dirty)  # as `mkdocs build` does
        try:
            build(config, dirty=dirty)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as err:
        detail = collect.messages[0] if collect.messages else str(err)
        return BuildOutcome(f"mkdocs build failed: {_one_line(detail)}")
    if strict and collect.messages:
        return BuildOutcome(f"mkdocs build warned: {_one_line(collect.messages[0])}")
    # The site's hook counts the pages (kb/site_template/hooks/policywatch.py).
    counts = [hook.pages_built() for hook in config.hooks.values() if hasattr(hook, "pages_built")]
    built, total = counts[0] if counts else (None, None)
    return BuildOutcome(None, built, total, incremental=dirty)


def _one_line(message: str) -> str:
    return " ".join(message.split())
