"""The publish stage's two steps, and MkDocs run in a child process (the only module that
imports MkDocs).

1. ``write_sources``: every file of ``<home>/site-src`` (``iter_sources``: the pages, the text
   of every version, ``mkdocs.yml``, ``checks.json``, the feeds, the theme override and the
   build hook), written by ``kb.publish.files.sync``: only the files whose bytes change.
2. ``build_site``: ``mkdocs build`` into ``<home>/site``, beside the previous site and swapped
   in when complete; incremental when the previous site has the same ``build_stamp``.

``publish`` runs both. MkDocs runs in spawned child processes (``run_mkdocs``), which give their
memory back when they end rather than leaving it in the allocator of a long-lived process; each
imports this package (``kb.publish``) and MkDocs, and builds nothing but the site. MkDocs by
itself reads and renders every page before it writes the first (188 MB at its peak for 500
documents, bench/README.md): the children render each page just before writing
it instead (``_one_page_at_a_time``), and a whole build can split its pages over several
children side by side (``WHOLE_BUILD_PARTS``). An incremental build starts from hard links to
the previous site, not a copy (``_link_tree``).

Callers that are scripts need the ``if __name__ == "__main__":`` guard, as with any spawned
child process (``multiprocessing``'s "safe importing of main module").
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import posixpath
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kb.errors import PublishError
from kb.models import CLASSES, PublishInput
from kb.publish.announcements import ANNOUNCEMENTS_MD, announcements_page
from kb.publish.feeds import Item, feed_files, parse_time
from kb.publish.files import PENDING_FILE, TMP_PREFIX, swap, sync
from kb.publish.mkdocs_config import mkdocs_yml
from kb.publish.pages import Site, checks_json, head_json
from kb.publish.rules_pages import rule_files
from kb.publish.site_search import site_search_files
from kb.publish.upcoming import calendar_files, notice_page, upcoming_page
from kb.publish.urls import (
    DEFAULT_SITE_URL,
    NO_SITE_URL_NOTICE,
    NOTICE_MD,
    UPCOMING_MD,
    document_md,
    given_site_url,
    marketplace_md,
    version_file,
)

TEMPLATE_DIR = Path(__file__).with_name("site_template")
SITE_MARKER = ".policywatch-site"  # proves a folder is a site we built, before replacing it
BUILD_STAMP_FILE = ".policywatch-build"  # in the site: build_stamp of its build
CHECKS_FILE = "checks.json"  # what every crawl moves: the data's date, each last check
EMPTY_SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'
)
DIRTY_WARNING = "A 'dirty' build is being performed"  # MkDocs' warning; expected, see build_stamp
# A whole build's pages are split over several MkDocs children run side by side (rendering is
# most of a first publish's time, and each part needs only its own pages' text): two, one a
# core (2,000 documents: 15.3-16.2 s of wall time against 26.0-29.2 s with one, the same bytes;
# bench/README.md, "MkDocs build at scale").
WHOLE_BUILD_PARTS = 2


@dataclass(frozen=True)
class SiteResult:
    site_dir: Path
    feed_path: Path  # the global RSS feed; Atom and JSON Feed beside it
    pages_written: int  # generated source files (pages, feeds, config) whose bytes changed
    pages_unchanged: int
    pages_built: int | None = None  # pages MkDocs rendered: only those that changed, after the first
    pages_total: int | None = None  # pages of the site
    incremental: bool = False  # the build started from the previous site (see build_site)
    notices: tuple[str, ...] = ()  # what the publisher should know: no site URL, say


# ----------------------------------------------------------------------------- entry points


def publish(data: PublishInput, home: Path, site_dir: Path | None = None, *, site_url: str | None = None) -> SiteResult:
    """Write the sources into ``home/site-src`` and build the site (default ``home/site``)."""
    site_dir = Path(site_dir) if site_dir is not None else Path(home) / "site"
    written, unchanged = write_sources(data, Path(home) / "site-src", site_url=site_url)
    built = build_site(Path(home) / "site-src", site_dir)
    notices = () if given_site_url(site_url) else (NO_SITE_URL_NOTICE,)
    return SiteResult(
        site_dir=site_dir,
        feed_path=site_dir / "feed.xml",
        pages_written=written,
        pages_unchanged=unchanged,
        pages_built=built.pages_built,
        pages_total=built.pages_total,
        incremental=built.incremental,
        notices=notices,
    )


def write_sources(data: PublishInput, src_dir: Path, *, site_url: str | None = None) -> tuple[int, int]:
    """Write every generated file into ``src_dir``; return (written, unchanged).

    Unchanged files keep their bytes and modification time; stale generated files go."""
    files = iter_sources(data, given_site_url(site_url), previous=Path(src_dir))
    try:
        return sync(Path(src_dir), files)
    except OSError as err:
        raise PublishError(
            f"cannot write site sources in {src_dir}: {err.strerror or err}",
            hint="check the folder's permissions and free space",
        ) from None


def render_sources(data: PublishInput, site_url: str | None) -> dict[str, bytes]:
    """Every generated file of ``site-src``: relative POSIX path → bytes."""
    return {
        path: content if isinstance(content, bytes) else b"".join(content)
        for path, content in iter_sources(data, site_url)
    }


def iter_sources(
    data: PublishInput, site_url: str | None, *, previous: Path | None = None
) -> Iterator[tuple[str, bytes | Iterable[bytes]]]:
    """Every generated file of ``site-src`` as (relative POSIX path, bytes), each path once;
    the rules pages and downloads, too big to hold for thousands of documents, as an iterable
    of pieces (read it before the next file: ``kb.publish.files.sync`` does).
    Without ``site_url`` the feeds' links are relative (``feeds.feed_files``), and MkDocs is
    given the default local URL for its sitemap and canonical links.

    Rendered one file at a time, so that writing a site of thousands of documents holds one
    page in memory, not all of them (100 MB of pages and feeds for 2,000 documents). Every id
    is checked before the first file is made: a bad one fails the publish before it writes.
    ``previous``: the ``site-src`` these files will replace, whose site search is reused when
    its records have not changed (``site_search_files``)."""
    site = Site(data)
    yield "docs/index.md", site.index_page().encode("utf-8")
    for label in (None, *CLASSES):
        for md, text in site.listing_pages(label).items():
            yield f"docs/{md}", text.encode("utf-8")
    for marketplace in site.marketplaces:
        yield (f"docs/{marketplace_md(marketplace)}", site.marketplace_page(marketplace).encode("utf-8"))
    yield f"docs/{UPCOMING_MD}", upcoming_page(site).encode("utf-8")
    yield f"docs/{NOTICE_MD}", notice_page(site).encode("utf-8")
    for path, content in calendar_files(site, site_url).items():
        yield f"docs/{path}", content
    if site.announcements.pages:  # some marketplace has a page of upcoming changes
        yield f"docs/{ANNOUNCEMENTS_MD}", announcements_page(site).encode("utf-8")
    for doc in site.documents:
        yield f"docs/{document_md(doc.doc_id)}", site.document_page(doc).encode("utf-8")
    for version in site.versions():
        yield f"docs/{version_file(version)}", site.text(version).encode("utf-8")
    yield from rule_files(data)  # the rules at a glance, and rules.csv / rules.json
    yield "mkdocs.yml", mkdocs_yml(site, site_url or DEFAULT_SITE_URL).encode("utf-8")
    yield CHECKS_FILE, checks_json(site)
    yield "docs/head.json", head_json(site)
    items: dict[str, Item] = {}
    answered: set[str] = set()
    for feed in site.feeds():
        for path, content in feed_files(feed, site.by_id, site_url, items, site.marketplace_names).items():
            yield f"docs/{path}", content
            folder = posixpath.dirname(path)
            if folder and folder not in answered:
                # Material's script fetches sitemap.xml beside every <link rel="alternate">
                # (it takes them for translations of the site): answer it, not with a 404.
                answered.add(folder)
                yield f"docs/{folder}/sitemap.xml", EMPTY_SITEMAP
    previous_docs = previous / "docs" if previous is not None else None
    for path, content in site_search_files(site, previous_docs):  # Pagefind: our step, not a plugin
        yield f"docs/{path}", content
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(TEMPLATE_DIR).as_posix()
            yield (rel if rel.startswith(("overrides/", "hooks/")) else f"docs/{rel}", path.read_bytes())


def build_site(src_dir: Path, site_dir: Path, *, strict: bool = False) -> BuildOutcome:
    """Run ``mkdocs build`` (in a child process) on ``src_dir/mkdocs.yml`` into ``site_dir``, quietly.

    The new site is built beside ``site_dir`` and swapped in when complete, so a failed build
    leaves the previous site in place. ``strict`` turns MkDocs warnings into a PublishError.

    When the previous site was built from the same configuration, theme and hook
    (``build_stamp``), the new one starts as a copy of it and MkDocs rebuilds only the pages
    whose sources were rewritten since (listed in ``PENDING_FILE`` by ``write_sources``); the
    result is the same, byte for byte, as a whole build. A strict build is always whole, and
    so is the retry of an incremental build that failed."""
    src_dir, site_dir = Path(src_dir).resolve(), Path(site_dir).resolve()
    config_file = src_dir / "mkdocs.yml"
    if not config_file.is_file():
        raise PublishError(f"no {config_file}", hint="run `policywatch publish` to write it")
    ours = (site_dir / SITE_MARKER).is_file()
    if site_dir.exists() and not ours and (not site_dir.is_dir() or any(site_dir.iterdir())):
        raise PublishError(
            f"{site_dir} exists and is not a policywatch site; refusing to replace it",
            hint="choose an empty or new folder with --site",
        )
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        for leftover in site_dir.parent.glob(f"{TMP_PREFIX}{site_dir.name}.*"):  # from a killed run
            shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{site_dir.name}.", dir=site_dir.parent))
    except OSError as err:
        raise PublishError(
            f"cannot create the site in {site_dir.parent}: {err.strerror or err}",
            hint="check the folder's permissions and free space",
        ) from None
    try:
        stamp = build_stamp(src_dir)
        stamp_file = site_dir / BUILD_STAMP_FILE
        incremental = (
            not strict and ours and stamp_file.is_file() and stamp_file.read_text(encoding="utf-8").strip() == stamp
        )
        if incremental:  # links keep the files' times: MkDocs compares them with the sources'
            _link_tree(site_dir, staging)
            try:
                outcome = _run_mkdocs(config_file, staging, strict, dirty=True)
            except PublishError:
                # What broke may be the previous site (a damaged search index, say): a whole
                # build does not read it. If that fails too, its error is the one to report.
                shutil.rmtree(staging)
                staging.mkdir()
                incremental = False
        if not incremental:
            outcome = _run_mkdocs(config_file, staging, strict, dirty=False)
        _write_new(staging / SITE_MARKER, b"built by policywatch; replaced on each publish\n")
        _write_new(staging / BUILD_STAMP_FILE, f"{stamp}\n".encode())
        staging.chmod(0o755)  # mkdtemp makes it private; a site is meant to be served
        swap(staging, site_dir)
        (src_dir / PENDING_FILE).unlink(missing_ok=True)  # all of it is in the site now
    except OSError as err:
        raise PublishError(
            f"cannot build the site in {site_dir}: {err.strerror or err}",
            hint="check the folder's permissions and free space",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outcome


def _link_tree(site_dir: Path, staging: Path) -> None:
    """Make ``staging`` a copy of ``site_dir`` made of hard links: no file's bytes are copied
    (a site of 2,000 documents is about 250 MB), and its files keep their times.

    The served site's files are then also the build's: whatever the build writes must replace
    a file, never write into it. MkDocs writes in place, so its child unlinks every file it is
    about to write first (``_unshare``), and this module writes through ``_write_new``."""

    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links: a copy, with its times
            shutil.copy2(source, target)

    shutil.copytree(site_dir, staging, symlinks=True, dirs_exist_ok=True, copy_function=link)


def _write_new(path: Path, content: bytes) -> None:
    """Write ``path`` as a new file: another folder's hard link to the old one keeps its bytes."""
    path.unlink(missing_ok=True)
    path.write_bytes(content)


def _run_mkdocs(config_file: Path, site_dir: Path, strict: bool, *, dirty: bool) -> BuildOutcome:
    checks = config_file.with_name(CHECKS_FILE)
    generated_at = json.loads(checks.read_text(encoding="utf-8")).get("generated_at") if checks.is_file() else None
    # The sitemap's dates come from the data (1970 for an empty store), not from the clock.
    epoch = int(parse_time(generated_at).timestamp()) if generated_at else 0
    parts = 1 if dirty else WHOLE_BUILD_PARTS  # a dirty build renders few pages: one child
    outcome = run_mkdocs(config_file, site_dir, strict=strict, source_date_epoch=epoch, dirty=dirty, parts=parts)
    if outcome.error:
        raise PublishError(outcome.error)
    return outcome


# ----------------------------------------------------------------------------- MkDocs, in a child process


def build_stamp(src_dir: Path) -> str:
    """What every page of a built site depends on: the configuration (with the navigation),
    the theme overrides, the hook, and the versions of MkDocs and Material. A site built with
    the same stamp can be updated by rebuilding only the pages whose sources changed."""
    digest = hashlib.sha256()
    for package in ("mkdocs", "mkdocs-material"):
        try:
            digest.update(f"{package}=={metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
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
    config_file: Path, site_dir: Path, *, strict: bool, source_date_epoch: int, dirty: bool = False, parts: int = 1
) -> BuildOutcome:
    """Build ``config_file`` into ``site_dir``; say how it went (``BuildOutcome``).

    ``strict``: a warning fails the build. ``source_date_epoch``: the sitemap's dates.
    ``dirty``: ``site_dir`` holds the previous build (same ``build_stamp``); MkDocs rebuilds
    only what changed, and the site's hook makes the result that of a whole build.
    ``parts``: so many children build the site side by side, each rendering every
    ``parts``-th page (``_one_page_at_a_time``); the first also writes the rest (static
    files, the theme's templates)."""
    if parts > 1 and not dirty:  # as MkDocs would, but once: no child may clean what another wrote
        _clean(site_dir)
    context = multiprocessing.get_context("spawn")
    children = []
    for part in range(parts):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_child,
            name=f"policywatch-mkdocs-{part}",
            args=(str(config_file), str(site_dir), strict, source_date_epoch, dirty, part, parts, send),
        )
        child.start()
        send.close()  # the child's end: recv() sees EOF if the child dies without a word
        children.append((child, receive))
    outcomes = []
    for child, receive in children:
        try:
            outcome = receive.recv()
        except EOFError:
            outcome = None
        finally:
            receive.close()
            child.join()
        if outcome is None or child.exitcode != 0:
            outcome = BuildOutcome(f"mkdocs build failed: its process ended with exit code {child.exitcode}")
        outcomes.append(outcome)
    failed = [outcome for outcome in outcomes if outcome.error]
    if failed:
        return failed[0]
    built = [outcome.pages_built for outcome in outcomes]
    return BuildOutcome(
        None, None if None in built else sum(built), outcomes[0].pages_total, incremental=outcomes[0].incremental
    )


def _clean(site_dir: Path) -> None:
    """What MkDocs' whole build does first: remove everything but hidden files from the folder."""
    if site_dir.is_dir():
        for entry in site_dir.iterdir():
            if not entry.name.startswith("."):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


def _child(config_file: str, site_dir: str, strict: bool, epoch: int, dirty: bool, part: int, parts: int, send) -> None:
    try:
        send.send(_build(config_file, site_dir, strict, epoch, dirty, part, parts))
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


def _build(
    config_file: str, site_dir: str, strict: bool, epoch: int, dirty: bool, part: int = 0, parts: int = 1
) -> BuildOutcome:
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"  # Material's end-of-life banner, printed on import
    sys.dont_write_bytecode = True  # importing the site's hook must not leave __pycache__ behind
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    logger.propagate = False  # quiet: warnings are collected, not printed
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    try:
        config = load_config(config_file, site_dir=site_dir, strict=strict)
        if dirty:
            config.plugins["policywatch-unshare"] = _unshare(config)
        config.plugins.on_startup(command="build", dirty=dirty)  # as `mkdocs build` does
        try:
            with _one_page_at_a_time(mkdocs_build, part, parts):
                mkdocs_build.build(config, dirty=dirty)
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


def _unshare(config):
    """A plugin that unlinks, before the dirty build writes anything, every file it will write:
    the pages and static files MkDocs finds modified (its own test, ``File.is_modified``), the
    theme's templates and the sitemap's gzipped copy. The build folder is made of hard links
    to the served site (``_link_tree``), and MkDocs opens the files it writes in place."""
    from mkdocs.plugins import BasePlugin, event_priority

    class Unshare(BasePlugin):
        @event_priority(-100)  # after the site's hook, which may drop more pages' built copies
        def on_files(self, files, config):
            site = Path(config.site_dir)
            for name in (*config.theme.static_templates, "sitemap.xml.gz"):
                (site / name).unlink(missing_ok=True)
            for file in files:
                if os.path.isfile(file.abs_dest_path) and file.is_modified():
                    os.unlink(file.abs_dest_path)
            return files

    return Unshare()


@contextmanager
def _one_page_at_a_time(mkdocs_build, part: int = 0, parts: int = 1) -> Iterator[None]:
    """Make ``mkdocs_build.build`` read and render each page just before writing it, and drop
    its Markdown and HTML just after, so that the build holds one page's text at a time.

    MkDocs 1.6 reads and renders every page (``_populate_page``) before it writes any
    (``_build_page``): 188 MB at the peak for 500 documents, 105 MB this way (bench/README.md).
    Rendering a page then depends on no other page's text (the navigation's titles are the
    configuration's), only on the files and the navigation, which are whole before the first
    page is read: the site is the same, byte for byte (tests/publish/test_build_scale.py, and
    ``bench/mkdocs_scale.py --compare``, 500 documents). Only the order of the
    page events changes: each page's ``page_markdown`` and ``page_content`` come after the
    ``env`` event, just before its ``page_context``.

    ``part`` of ``parts``: render and write only every ``parts``-th page from the ``part``-th
    (in the build's order of pages); other children do the others. Only part 0 copies the
    static files and writes the theme's and the extra templates (``404.html``, the sitemap);
    none cleans the folder (``run_mkdocs`` did, before starting them)."""
    from mkdocs import utils
    from mkdocs.structure.files import Files

    populate, build_page = mkdocs_build._populate_page, mkdocs_build._build_page
    template, extra, copy_static = (
        mkdocs_build._build_theme_template,
        mkdocs_build._build_extra_template,
        Files.copy_static_files,
    )
    clean = utils.clean_directory
    every_file = []  # MkDocs' Files, which rendering needs (links) and _build_page is not given
    ordinal = iter(range(1 << 62))  # the pages, in the order the build writes them

    def later(page, config, files, dirty=False) -> None:
        if not every_file:
            every_file.append(files)

    def now(page, config, doc_files, nav, env, dirty=False, excluded=False) -> None:
        if next(ordinal) % parts != part:
            return  # another part's
        populate(page, config, every_file[0], dirty)
        try:
            build_page(page, config, doc_files, nav, env, dirty, excluded)
        finally:
            page.content = page.markdown = None  # written: nothing later reads them

    def nothing(*args, **kwargs) -> None:
        pass  # part 0's

    mkdocs_build._populate_page, mkdocs_build._build_page = later, now
    if parts > 1:
        utils.clean_directory = nothing  # run_mkdocs cleaned the folder before any part started
    if part:
        mkdocs_build._build_theme_template = mkdocs_build._build_extra_template = nothing
        Files.copy_static_files = nothing
    try:
        yield
    finally:
        mkdocs_build._populate_page, mkdocs_build._build_page = populate, build_page
        mkdocs_build._build_theme_template, mkdocs_build._build_extra_template = template, extra
        Files.copy_static_files = copy_static
        utils.clean_directory = clean


def _one_line(message: str) -> str:
    return " ".join(message.split())
