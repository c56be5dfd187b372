"""Publish the knowledge base as a static MkDocs-material site with RSS, Atom and JSON feeds.

Two steps, both reproducible (same ``PublishInput`` → same bytes):

1. ``write_sources``: Markdown pages, the text of every version, ``mkdocs.yml``, the theme
   override, the build hook and the feeds, written into ``<home>/site-src``. A file is
   rewritten only when its bytes change, and generated files that are no longer generated are
   deleted. Pages hold nothing that moves on every check: what does (the data's date, each
   document's last check) goes into ``checks.json``, which the hook prints at build time. So
   a crawl that finds nothing new rewrites ``checks.json`` alone, and one that changes a
   document rewrites that document's page and feeds, the indexes (home, changelogs, its
   marketplace) and the site-wide feeds.
2. ``build_site``: MkDocs, run in a child process (its memory goes back when it ends), builds
   ``<home>/site`` with ``SOURCE_DATE_EPOCH`` set from the data's ``generated_at``, so the
   sitemap's dates do not depend on the clock.

Layout (URLs, with ``use_directory_urls``; ``kb.publish.feeds`` owns the document and feed paths):

- ``/`` home: counts per marketplace, latest substantive then minor changes, failing documents;
- ``changes/``, ``changes/<class>/``: the changelog newest first, all classes or one, each
  with a page per month (``changes/[<class>/]<yyyy-mm>/``) that never moves;
- ``marketplaces/<marketplace>/``: its documents with their last change and its class;
- ``documents/<doc_id>/``: header box, changelog, current rules; each change has the
  permalink ``documents/<doc_id>/#change-<yyyymmddThhmmssZ>``; each version's text is
  ``documents/<doc_id>/versions/<yyyymmddThhmmssZ>-<sha256 prefix>.txt``;
- feeds: ``feed.xml`` (+ ``.atom.xml``, ``.json``), ``feeds/substantive.*``,
  ``feeds/marketplaces/<marketplace>.*``, ``feeds/documents/<doc_id>.*``.

Nothing in the site loads from the network (no web fonts, no CDN); search works when the
site is served over HTTP, e.g. ``python -m http.server -d site``. Each page's navigation lists
at most ``NAV_DOCUMENTS`` documents per marketplace (more are listed on the marketplace page),
and Material's ``navigation.prune`` keeps the other sections out of the page, so the site
grows linearly with the number of documents.

Crawled text is untrusted: it goes through ``kb.publish.sanitize`` before it reaches a page, a title
or a feed. The page structure around it is HTML written here, every value escaped.

The site URL (absolute, used for feed links, the sitemap and canonical links) comes from the
``site_url`` argument, else ``$POLICYWATCH_SITE_URL``, else ``http://localhost:8000/``.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import functools
import json
import os
import posixpath
import re
import shutil
import tempfile
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from diffs.diff import render_html
from diffs.sections import sections
from diffs.taxonomy import label_of
from kb.errors import PolicywatchError
from kb.models import CLASSES, Change, Document, PublishInput, Version
from kb.publish.build import BuildOutcome, build_stamp, run_mkdocs
from kb.publish.feeds import (
    FORMATS,
    GLOBAL_FEED,
    SUBSTANTIVE_FEED,
    Feed,
    Item,
    change_anchor,
    change_permalink,
    change_tags,
    document_feed,
    document_page,
    feed_files,
    feed_urls,
    is_published,
    marketplace_feed,
    notice_text,
    parse_time,
    version_file,
)
from kb.publish.sanitize import clean_html, escape_markdown_html, safe_title

SITE_NAME = "policywatch"
DEFAULT_SITE_URL = "http://localhost:8000/"
SITE_URL_ENV = "POLICYWATCH_SITE_URL"
TEMPLATE_DIR = Path(__file__).with_name("site_template")
MANAGED_DIRS = ("docs", "overrides", "hooks")  # everything in these folders is generated
SITE_MARKER = ".policywatch-site"  # proves a folder is a site we built, before replacing it
BUILD_STAMP_FILE = ".policywatch-build"  # in the site: kb.publish.build.build_stamp of its build
PENDING_FILE = ".policywatch-pending"  # in site-src: sources rewritten since the last build
_TMP = ".policywatch-tmp-"  # prefix of the temporary files and folders publishing makes
HOOK_FILE = "hooks/policywatch.py"  # from site_template/
CHECKS_FILE = "checks.json"  # what every crawl moves: the data's date, each last check
# Markers the hook replaces with values from CHECKS_FILE; crawled text cannot make one, since
# every "<" it holds is escaped.
LAST_CHECKED_MARKER = "<!--pw:last-checked-->"
AS_OF_MARKER = "<!--pw:as-of-->"
DIFF_CONTEXT_LINES = 3
LATEST_ON_HOME = 10
LISTING_LIMIT = 200  # changes on a changelog page; whole months, each also on its own page
NAV_DOCUMENTS = 40  # a marketplace with more documents lists them on its page, not in the nav
EMPTY_SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'
)
FEED_ABOUT = "Changes to the rules marketplaces impose on sellers, recorded by policywatch."
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class SiteResult:
    site_dir: Path
    feed_path: Path  # the global RSS feed; Atom and JSON Feed beside it
    pages_written: int  # generated source files (pages, feeds, config) whose bytes changed
    pages_unchanged: int
    pages_built: int | None = None  # pages MkDocs rendered: only those that changed, after the first
    pages_total: int | None = None  # pages of the site
    incremental: bool = False  # the build started from the previous site (see build_site)


class PublishError(PolicywatchError):
    """The site cannot be written or built; the message names the cause."""

    hint = "fix the cause above and run `policywatch publish` again"


# ----------------------------------------------------------------------------- entry points


def publish(data: PublishInput, home: Path, site_dir: Path | None = None, *, site_url: str | None = None) -> SiteResult:
    """Write the sources into ``home/site-src`` and build the site (default ``home/site``)."""
    site_dir = Path(site_dir) if site_dir is not None else Path(home) / "site"
    written, unchanged = write_sources(data, Path(home) / "site-src", site_url=site_url)
    built = build_site(Path(home) / "site-src", site_dir)
    return SiteResult(
        site_dir=site_dir,
        feed_path=site_dir / "feed.xml",
        pages_written=written,
        pages_unchanged=unchanged,
        pages_built=built.pages_built,
        pages_total=built.pages_total,
        incremental=built.incremental,
    )


def write_sources(data: PublishInput, src_dir: Path, *, site_url: str | None = None) -> tuple[int, int]:
    """Write every generated file into ``src_dir``; return (written, unchanged).

    Unchanged files keep their bytes and modification time; stale generated files go."""
    files = iter_sources(data, resolve_site_url(site_url))
    try:
        return _sync(Path(src_dir), files)
    except OSError as err:
        raise PublishError(
            f"cannot write site sources in {src_dir}: {err.strerror or err}",
            hint="check the folder's permissions and free space",
        ) from None


def build_site(src_dir: Path, site_dir: Path, *, strict: bool = False) -> BuildOutcome:
    """Run ``mkdocs build`` (in a child process) on ``src_dir/mkdocs.yml`` into ``site_dir``, quietly.

    The new site is built beside ``site_dir`` and swapped in when complete, so a failed build
    leaves the previous site in place. ``strict`` turns MkDocs warnings into a PublishError.

    When the previous site was built from the same configuration, theme and hook
    (``kb.publish.build.build_stamp``), the new one starts as a copy of it and MkDocs rebuilds only
    the pages whose sources were rewritten since (listed in ``PENDING_FILE`` by
    ``write_sources``); the result is the same, byte for byte, as a whole build. A strict
    build is always whole, and so is the retry of an incremental build that failed."""
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
        for leftover in site_dir.parent.glob(f"{_TMP}{site_dir.name}.*"):  # from a killed run
            shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{_TMP}{site_dir.name}.", dir=site_dir.parent))
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
        if incremental:  # copies keep their times: MkDocs compares them with the sources'
            shutil.copytree(site_dir, staging, symlinks=True, dirs_exist_ok=True)
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
        (staging / SITE_MARKER).write_bytes(b"built by policywatch; replaced on each publish\n")
        (staging / BUILD_STAMP_FILE).write_text(stamp + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; a site is meant to be served
        _swap(staging, site_dir)
        (src_dir / PENDING_FILE).unlink(missing_ok=True)  # all of it is in the site now
    except OSError as err:
        raise PublishError(
            f"cannot build the site in {site_dir}: {err.strerror or err}",
            hint="check the folder's permissions and free space",
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outcome


def resolve_site_url(site_url: str | None) -> str:
    """The site's absolute URL, ending with "/": argument, else environment, else default."""
    url = site_url or os.environ.get(SITE_URL_ENV) or DEFAULT_SITE_URL
    if not re.match(r"https?://[^/\s]+", url):
        raise PublishError(
            f"site URL {url!r} is not an absolute http(s) URL",
            hint="pass e.g. --site-url https://example.org/policywatch/",
        )
    return url if url.endswith("/") else url + "/"


# ----------------------------------------------------------------------------- building


def _run_mkdocs(config_file: Path, site_dir: Path, strict: bool, *, dirty: bool) -> BuildOutcome:
    checks = config_file.with_name(CHECKS_FILE)
    generated_at = json.loads(checks.read_text(encoding="utf-8")).get("generated_at") if checks.is_file() else None
    # The sitemap's dates come from the data (1970 for an empty store), not from the clock.
    epoch = int(parse_time(generated_at).timestamp()) if generated_at else 0
    outcome = run_mkdocs(config_file, site_dir, strict=strict, source_date_epoch=epoch, dirty=dirty)
    if outcome.error:
        raise PublishError(outcome.error)
    return outcome


def _swap(new: Path, site_dir: Path) -> None:
    if not site_dir.exists():
        new.rename(site_dir)
        return
    if _exchange(new, site_dir):  # one atomic step: there is always a whole site to serve
        shutil.rmtree(new, ignore_errors=True)  # it holds the old site now
        return
    # No atomic exchange here: two renames, and a kill between them leaves no site until the
    # next publish (never a partial one).
    old = site_dir.with_name(f"{_TMP}{site_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    site_dir.rename(old)
    new.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where the
    system or the file system cannot (then nothing was changed)."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (_errno.EINVAL, _errno.ENOSYS, _errno.EOPNOTSUPP):
        return False
    raise OSError(errno, os.strerror(errno), str(b))


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _sync(src_dir: Path, files: Iterable[tuple[str, bytes]]) -> tuple[int, int]:
    written = unchanged = 0
    generated: set[str] = set()
    pending = None  # PENDING_FILE, opened at the first file that changes
    try:
        for rel, content in files:  # one at a time: a big site is never held whole
            generated.add(rel)
            path = src_dir / rel
            if path.is_file() and path.read_bytes() == content:
                unchanged += 1
                continue
            if pending is None:
                src_dir.mkdir(parents=True, exist_ok=True)
                pending = (src_dir / PENDING_FILE).open("a", encoding="utf-8")
            pending.write(rel + "\n")  # before the file: the next build must redo its page
            pending.flush()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP, dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)  # atomic: MkDocs never reads half a page
            written += 1
    finally:
        if pending is not None:
            pending.close()
    for leftover in src_dir.glob(f"{_TMP}*"):  # a killed run's half-written mkdocs.yml
        leftover.unlink()
    for top in MANAGED_DIRS:
        root = src_dir / top
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root, topdown=False):
            for name in filenames:
                rel = Path(dirpath, name).relative_to(src_dir).as_posix()
                if rel not in generated:
                    os.unlink(Path(dirpath, name))
            if dirpath != str(root) and not os.listdir(dirpath):
                os.rmdir(dirpath)
    return written, unchanged


# ----------------------------------------------------------------------------- rendering


def render_sources(data: PublishInput, site_url: str) -> dict[str, bytes]:
    """Every generated file of ``site-src``: relative POSIX path → bytes."""
    return dict(iter_sources(data, site_url))


def iter_sources(data: PublishInput, site_url: str) -> Iterator[tuple[str, bytes]]:
    """Every generated file of ``site-src`` as (relative POSIX path, bytes), each path once.

    Rendered one file at a time, so that writing a site of thousands of documents holds one
    page in memory, not all of them (100 MB of pages and feeds for 2,000 documents). Every id
    is checked before the first file is made: a bad one fails the publish before it writes."""
    site = _Site(data)
    yield "docs/index.md", site.index_page().encode("utf-8")
    for label in (None, *CLASSES):
        for md, text in site.listing_pages(label).items():
            yield f"docs/{md}", text.encode("utf-8")
    for marketplace in site.marketplaces:
        yield (f"docs/{_marketplace_md(marketplace)}", site.marketplace_page(marketplace).encode("utf-8"))
    for doc in site.documents:
        yield f"docs/{_document_md(doc.doc_id)}", site.document_page(doc).encode("utf-8")
    for version in site.versions():
        yield f"docs/{version_file(version)}", version.text.encode("utf-8")
    yield "mkdocs.yml", _mkdocs_yml(site, site_url).encode("utf-8")
    yield CHECKS_FILE, _checks_json(site)
    items: dict[str, Item] = {}
    answered: set[str] = set()
    for feed in site.feeds():
        for path, content in feed_files(feed, site.by_id, site_url, items).items():
            yield f"docs/{path}", content
            folder = posixpath.dirname(path)
            if folder and folder not in answered:
                # Material's script fetches sitemap.xml beside every <link rel="alternate">
                # (it takes them for translations of the site): answer it, not with a 404.
                answered.add(folder)
                yield f"docs/{folder}/sitemap.xml", EMPTY_SITEMAP
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(TEMPLATE_DIR).as_posix()
            yield (rel if rel.startswith(("overrides/", "hooks/")) else f"docs/{rel}", path.read_bytes())


def _check_segments(value: str, what: str) -> str:
    if not all(_PATH_SEGMENT.fullmatch(part) for part in value.split("/")):
        raise PublishError(
            f"{what} {value!r} cannot be a page path",
            hint="ids are lowercase slugs such as 'amazon-us/seller-agreement'",
        )
    return value


def _document_md(doc_id: str) -> str:
    return f"documents/{_check_segments(doc_id, 'document id')}.md"


def _marketplace_md(marketplace: str) -> str:
    return f"marketplaces/{_check_segments(marketplace, 'marketplace')}.md"


def _listing_md(label: str | None, month: str | None = None) -> str:
    """changes/index.md, changes/<class>/index.md; one month: changes/[<class>/]<yyyy-mm>.md."""
    folder = f"changes/{label}" if label else "changes"
    return f"{folder}/{month}.md" if month else f"{folder}/index.md"


def _page_url(md_path: str) -> str:
    """Site-relative URL of a page with ``use_directory_urls``: a.md → a/, index.md → ''."""
    stem = md_path[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")].rstrip("/")
    return f"{stem}/" if stem else ""


def _href(from_md: str, target_url: str) -> str:
    """Relative link from one page to a site-relative URL (raw HTML is not rewritten by MkDocs).

    Both are site-relative and normalized ("a/b/", "a/b/c.txt", "" for the root), so the link
    is found by counting segments (posixpath.relpath costs more, on tens of thousands of links)."""
    path, _, anchor = target_url.partition("#")
    here = _page_url(from_md).split("/")[:-1]  # "a/b/" → ["a", "b"]; "" → []
    there = path.split("/")
    common = 0
    for mine, theirs in zip(here, there[:-1], strict=False):
        if mine != theirs:
            break
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    if not rel and not anchor:
        rel = "./"
    return rel + (f"#{anchor}" if anchor else "")


def _when(iso: str | None) -> str:
    """``2026-11-01T06:30:00Z`` → ``2026-11-01 06:30 UTC``."""
    if not iso:
        return "—"
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 else escape(iso)


def _badge(label: str) -> str:
    return f'<span class="pw-badge pw-{escape(label)}">{escape(label)}</span>'


def _tag(text: str) -> str:
    return f'<span class="pw-tag">{escape(text)}</span>'


def _status(status: str) -> str:
    return f'<span class="pw-status pw-status-{escape(status)}">{escape(status)}</span>'


def _link(href: str, html_text: str) -> str:
    return f'<a href="{escape(href)}">{html_text}</a>'


def _external(url: str) -> str:
    if re.match(r"https?://", url, re.IGNORECASE):
        return _link(url, escape(url))
    return escape(url)


def _table(css_class: str, headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """An HTML table in a ``<div class=css_class>``; ``headers`` are text, cells are HTML
    already escaped. The table itself has no class: Material styles ``table:not([class])``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return "\n".join(
        [
            f'<div class="pw-table {css_class}">',
            "<table>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *body,
            "</tbody>",
            "</table>",
            "</div>",
        ]
    )


def _front_matter(title: str | None, **extra) -> list[str]:
    """YAML front matter: the page's title for ``<title>`` and the navigation (``safe_title``
    text, already HTML-safe; None for the home page, titled by the site's name), plus our own
    keys for the theme override. Values are written as JSON, which YAML reads as is."""
    meta = ({"title": title} if title else {}) | extra
    return ["---", *(f"{key}: {json.dumps(value)}" for key, value in meta.items()), "---", ""]


def _feed_links(page: str, stem: str) -> str:
    return " · ".join(_link(_href(page, url), escape(fmt.label)) for fmt, url in feed_urls(stem))


def _newest_first(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.detected_at, c.doc_id, c.key), reverse=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


_SILENT = {
    True: "Silent change: the page's own “last updated” date did not change.",
    False: "The page's own “last updated” date changed with it.",
    None: "",
}
_LISTING_TITLES = {
    None: "All changes",
    "substantive": "Substantive changes",
    "minor": "Minor changes",
    "noise": "Noise",
}


def diff_by_section(ops: Sequence[tuple[int, str]], new_text: str) -> list[tuple[str, list]]:
    """The diff cut at the section headings of the new text: (section label, ops) for each
    section that holds a change, in document order; "" labels the text before any heading.

    Unchanged and inserted text is cut where a heading starts, so an inserted section shows
    under its own heading (with the line break before it); a deletion stays with the text it
    follows."""
    found = sections(new_text)
    starts = [s.start for s in found]
    labels = {s.start: s.label for s in found}
    groups: list[tuple[str, list]] = [("", [])]
    position = 0  # in the new text
    for op, text in ops:
        if op == -1:
            groups[-1][1].append((op, text))
            continue
        end = position + len(text)
        cut = position
        for start in starts[bisect_left(starts, position) :]:
            if start >= end:
                break
            piece = text[cut - position : start - position]
            if piece and not (op == 1 and not piece.strip()):
                groups[-1][1].append((op, piece))
                cut = start
            # else: nothing, or the line break opening an inserted section: it goes with it
            if groups[-1][1]:
                groups.append((labels[start], []))
            else:  # nothing under the previous heading yet: it is only passed through
                groups[-1] = (labels[start], [])
        if end > cut:
            groups[-1][1].append((op, text[cut - position :]))
        position = end
    return [(label, group) for label, group in groups if any(op != 0 for op, _ in group)]


class _Site:
    """The records, indexed the ways the pages need them."""

    def __init__(self, data: PublishInput) -> None:
        self.data = data
        self.documents = sorted(data.documents, key=lambda d: d.doc_id)
        self.by_id: dict[str, Document] = {d.doc_id: d for d in self.documents}
        for change in data.changes:
            if change.doc_id not in self.by_id:
                raise PublishError(
                    f"change {change.key} belongs to unknown document {change.doc_id!r}",
                    hint="the store is inconsistent: run `policywatch status`",
                )
        self.changes = _newest_first(c for c in data.changes if is_published(c))
        self.changes_of: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            self.changes_of[change.doc_id].append(change)
        for doc in self.documents:  # before any file is written: see iter_sources
            _check_segments(doc.doc_id, "document id")
            _check_segments(doc.marketplace, "marketplace")
        for version in (*data.current.values(), *data.versions.values()):
            _check_segments(version.doc_id, "document id")
        self.marketplaces = sorted({d.marketplace for d in self.documents})
        self.in_marketplace: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self.documents, key=lambda d: (d.title.casefold(), d.doc_id)):
            self.in_marketplace[doc.marketplace].append(doc)

    def title(self, doc_id: str) -> str:
        """The document's title as HTML (page content, not navigation: see safe_title)."""
        doc = self.by_id[doc_id]
        return escape(" ".join(doc.title.split()) or doc_id)

    def nav_title(self, doc: Document) -> str:
        return safe_title(doc.title) or doc.doc_id

    def doc_link(self, page: str, doc_id: str) -> str:
        return _link(_href(page, document_page(doc_id)), self.title(doc_id))

    def change_link(self, page: str, change: Change) -> str:
        return _link(_href(page, change_permalink(change)), _when(change.detected_at))

    def versions(self) -> list[Version]:
        """Every version a page links to: the current ones and both sides of each change."""
        found = {v.id: v for v in self.data.current.values()}
        for change in self.changes:
            for vid in (change.from_version_id, change.to_version_id):
                if vid in self.data.versions:
                    found[vid] = self.data.versions[vid]
        return sorted(found.values(), key=lambda v: (v.doc_id, v.captured_at, v.id))

    def feeds(self) -> list[Feed]:
        first_seen = min((d.first_seen for d in self.documents if d.first_seen), default="")
        out = [
            Feed(GLOBAL_FEED, f"{SITE_NAME}: changes", FEED_ABOUT, "", tuple(self.changes), first_seen),
            Feed(
                SUBSTANTIVE_FEED,
                f"{SITE_NAME}: substantive changes",
                "Substantive changes only (obligations, fees, dates, deadlines). " + FEED_ABOUT,
                "changes/substantive/",
                tuple(c for c in self.changes if c.label == "substantive"),
                first_seen,
            ),
        ]
        for marketplace in self.marketplaces:
            docs = self.in_marketplace[marketplace]
            changes = tuple(c for d in docs for c in self.changes_of[d.doc_id])
            since = min((d.first_seen for d in docs if d.first_seen), default="")
            out.append(
                Feed(
                    marketplace_feed(marketplace),
                    f"{SITE_NAME}: {marketplace}",
                    f"Changes to the rules of {marketplace}. " + FEED_ABOUT,
                    _page_url(_marketplace_md(marketplace)),
                    changes,
                    since,
                )
            )
        for doc in self.documents:
            title = " ".join(doc.title.split()) or doc.doc_id
            out.append(
                Feed(
                    document_feed(doc.doc_id),
                    f"{SITE_NAME}: {title}",
                    f"Changes to {doc.url}. " + FEED_ABOUT,
                    document_page(doc.doc_id),
                    tuple(self.changes_of[doc.doc_id]),
                    doc.first_seen or "",
                )
            )
        return out

    # ---------------------------------------------------------------- pages

    def index_page(self) -> str:
        page = "index.md"
        labels = Counter(c.label for c in self.changes)
        version_ids = {v.id for v in self.data.current.values()} | set(self.data.versions)
        version_ids |= {i for c in self.changes for i in (c.from_version_id, c.to_version_id)}
        failing = [d for d in self.documents if d.status != "active"]
        counts = [("documents", len(self.documents)), ("failing now", len(failing)), ("versions", len(version_ids))]
        counts += [(f"{label} changes", labels.get(label, 0)) for label in CLASSES]
        out = _front_matter(None, pw_kind="home") + [
            f"# {SITE_NAME}",
            "",
            (
                "policywatch watches the public rules that marketplaces impose on their sellers — "
                "seller agreements, fee schedules, account-health and prohibited-product policies — "
                "keeps every version it captures, and classifies each change as **substantive** "
                "(obligations, fees, dates, deadlines), **minor** (wording) or **noise** "
                "(formatting, counters, link targets)."
            ),
            "",
            '<div class="pw-counts">',
            *(
                f'<div class="pw-count"><span class="pw-count-value">{value}</span> '
                f'<span class="pw-count-name">{escape(name)}</span></div>'
                for name, value in counts
            ),
            "</div>",
            "",
            # Out of the search index: it moves with every crawl, and a page that is not
            # rebuilt has only its printed check times updated (see the site's hook).
            (f'<p class="pw-as-of-line" data-search-exclude>Data as of {AS_OF_MARKER} (the latest check).</p>'),
            "",
        ]
        for label in ("substantive", "minor"):  # the important ones first, each newest first
            latest = [c for c in self.changes if c.label == label][:LATEST_ON_HOME]
            out += [f"## Latest {label} changes", ""]
            out += [self._change_table(page, latest) if latest else f"No {label} change recorded yet.", ""]
        filters = " · ".join(
            _link(_href(page, _page_url(_listing_md(label))), escape(title)) for label, title in _LISTING_TITLES.items()
        )
        out += [f"<p>Every change, newest first: {filters}.</p>", ""]
        out += ["## Documents failing their checks", ""]
        if failing:
            rows = (
                [self.doc_link(page, d.doc_id), _status(d.status), _when(d.last_good_check), escape(d.failure or "—")]
                for d in failing
            )
            out += [_table("pw-failing", ("Document", "Status", "Last good check", "Reason"), rows), ""]
        else:
            out += ["None: every document was fetched at its last check.", ""]
        out += ["## Marketplaces", ""]
        rows = []
        for marketplace in self.marketplaces:
            docs = self.in_marketplace[marketplace]
            changes = [c for d in docs for c in self.changes_of[d.doc_id]]
            by_label = Counter(c.label for c in changes)
            latest = max((c.detected_at for c in changes), default=None)
            rows.append(
                [
                    _link(_href(page, _page_url(_marketplace_md(marketplace))), escape(marketplace)),
                    str(len(docs)),
                    str(sum(d.status != "active" for d in docs)),
                    *(str(by_label.get(label, 0)) for label in CLASSES),
                    _when(latest),
                ]
            )
        if rows:
            out += [
                _table(
                    "pw-marketplaces",
                    ("Marketplace", "Documents", "Failing", *(label.capitalize() for label in CLASSES), "Last change"),
                    rows,
                ),
                "",
            ]
        else:
            out += ["No marketplace declared yet.", ""]
        out += [
            "## Feeds",
            "",
            f"<p>Every change but noise: {_feed_links(page, GLOBAL_FEED)}<br>",
            f"Substantive changes only: {_feed_links(page, SUBSTANTIVE_FEED)}</p>",
            "",
            "Each marketplace and each document has its own feeds, linked from its page.",
            "",
        ]
        return "\n".join(out)

    def listing_pages(self, label: str | None) -> dict[str, str]:
        """The changelog of one class (None: all classes) and its month archives."""
        changes = [c for c in self.changes if label is None or c.label == label]
        by_month: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_month[change.detected_at[:7]].append(change)
        title = _LISTING_TITLES[label]
        page = _listing_md(label)
        out = _front_matter(title, search={"exclude": True}) + [
            f"# {escape(title)}",
            "",
            self._filters(page, label),
            "",
        ]
        if label is None:
            out += [
                (
                    "Every recorded change, newest first. Noise is listed here and on the "
                    "document pages but kept out of the feeds."
                ),
                "",
            ]
        if not changes:
            out += ["No change recorded yet.", ""]
        shown = 0
        for month, of_month in by_month.items():  # already newest first
            if shown >= LISTING_LIMIT:
                break
            out += [f"## {escape(month)}", "", self._change_table(page, of_month), ""]
            shown += len(of_month)
        if by_month:
            if shown < len(changes):
                out += [
                    (f"<p>The newest {shown} of {len(changes)} are shown above; every month has its own page:</p>"),
                    "",
                ]
            out += ["## By month", "", "<ul>"]
            out += [
                f"<li>{_link(_href(page, _page_url(_listing_md(label, month))), month)}: "
                f"{_plural(len(of_month), 'change')}</li>"
                for month, of_month in by_month.items()
            ]
            out += ["</ul>", ""]
        pages = {page: "\n".join(out)}
        for month, of_month in by_month.items():
            month_page = _listing_md(label, month)
            month_title = f"{title}, {month}"
            back = _link(_href(month_page, _page_url(page)), escape(title))
            pages[month_page] = "\n".join(
                _front_matter(month_title, search={"exclude": True})
                + [
                    f"# {escape(month_title)}",
                    "",
                    f"<p>Newest first. Back to {back}.</p>",
                    "",
                    self._change_table(month_page, of_month),
                    "",
                ]
            )
        return pages

    def _filters(self, page: str, current: str | None) -> str:
        parts = []
        for label, title in _LISTING_TITLES.items():
            if label == current:
                parts.append(f"<strong>{escape(title)}</strong>")
            else:
                parts.append(_link(_href(page, _page_url(_listing_md(label))), escape(title)))
        return f'<p class="pw-filters">Show: {" · ".join(parts)}</p>'

    def marketplace_page(self, marketplace: str) -> str:
        page = _marketplace_md(marketplace)
        rows = []
        docs = self.in_marketplace[marketplace]
        for doc in docs:
            changes = self.changes_of[doc.doc_id]
            latest = changes[:1]
            substantive = sum(c.label == "substantive" for c in changes)
            rows.append(
                [
                    self.doc_link(page, doc.doc_id),
                    escape(doc.doc_type),
                    _status(doc.status),
                    self.change_link(page, latest[0]) if latest else "—",
                    _badge(latest[0].label) if latest else "—",
                    f"{len(changes)} ({substantive} substantive)" if changes else "0",
                ]
            )
        headers = ("Document", "Type", "Status", "Last change", "Class", "Changes")
        failing = sum(d.status != "active" for d in docs)
        stem = marketplace_feed(marketplace)
        return "\n".join(
            _front_matter(safe_title(marketplace), pw_feed=stem, pw_kind="marketplace")
            + [
                f"<h1>{escape(marketplace)}</h1>",
                "",
                (
                    f"<p>{_plural(len(docs), 'document')}, {failing} failing now. "
                    f"Feeds of this marketplace: {_feed_links(page, stem)}</p>"
                ),
                "",
                _table("pw-documents", headers, rows),
                "",
            ]
        )

    def document_page(self, doc: Document) -> str:
        page = _document_md(doc.doc_id)
        current = self.data.current.get(doc.doc_id)
        changes = self.changes_of[doc.doc_id]
        substantive = sum(c.label == "substantive" for c in changes)
        failure = f": {escape(doc.failure)}" if doc.failure else ""
        marketplace_url = _href(page, _page_url(_marketplace_md(doc.marketplace)))
        last_changed = (
            f"{self.change_link(page, changes[0])} {_badge(changes[0].label)}" if changes else _when(doc.last_changed)
        )
        stem = document_feed(doc.doc_id)
        rows = [
            ("Source", _external(doc.url)),
            ("Marketplace", _link(marketplace_url, escape(doc.marketplace))),
            ("Type", escape(doc.doc_type)),
            ("Status", _status(doc.status) + failure),
            # Filled in at build time (hooks/policywatch.py): a check that finds nothing new
            # must not rewrite the page.
            ("Last checked", LAST_CHECKED_MARKER),
            ("Last changed", last_changed),
            (
                "Version captured",
                f"{_when(current.captured_at)} · {_link(_href(page, version_file(current)), 'text of this version')}"
                if current
                else "no version yet",
            ),
            ("Snapshot SHA-256", f"<code>{escape(current.snapshot_sha256)}</code>" if current else "—"),
            ("Changes", (f'{len(changes)} ({substantive} substantive): <a href="#changelog">changelog</a>')),
            ("Feeds", _feed_links(page, stem)),
        ]
        out = _front_matter(self.nav_title(doc), pw_feed=stem, pw_kind="document")
        # The header box and the facts of each change are kept out of the search index (times,
        # hashes, links): search is for the rules and the changes' summaries.
        out += [
            f"<h1>{self.title(doc.doc_id)}</h1>",
            "",
            '<div class="pw-meta" data-search-exclude>',
            "<table>",
            "<tbody>",
            *(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows),
            "</tbody>",
            "</table>",
            "</div>",
            "",
        ]
        if doc.status != "active":
            what = "is gone from its source" if doc.status == "gone" else "failed at its last check"
            last = " The text below is the last version captured." if current else ""
            out += [f'<p class="pw-warning">This document {what}{failure}.{last}</p>', ""]
        out += ["## Changelog", ""]
        if not changes:
            out += ["No change recorded since the first version.", ""]
        for change in changes:
            out += [self._change_entry(page, change), ""]
        out += ["## Current rules", ""]
        if current:
            out += [escape_markdown_html(current.text, heading_offset=2).strip("\n"), ""]
        else:
            out += ["No version captured yet.", ""]
        return "\n".join(out)

    # ---------------------------------------------------------------- fragments

    def _change_table(self, page: str, changes: list[Change]) -> str:
        rows = (
            [
                self.change_link(page, c),
                (
                    f"{self.doc_link(page, c.doc_id)}<br>"
                    f'<span class="pw-market">{escape(self.by_id[c.doc_id].marketplace)}</span>'
                ),
                _badge(c.label),
                escape(c.summary),
            ]
            for c in changes
        )
        return _table("pw-changes", ("Detected", "Document", "Class", "Summary"), rows)

    def _version_link(self, page: str, version: Version | None, side: str) -> str:
        if version is None:
            return f"the {side} version (not published)"
        return (
            f"{_link(_href(page, version_file(version)), f'{side} version')} captured "
            f"{_when(version.captured_at)}, {_snapshot(version)}"
        )

    def _change_entry(self, page: str, change: Change) -> str:
        anchor = change_anchor(change)
        badges = [_badge(change.label)]
        if change.silent:
            badges.append('<span class="pw-badge pw-silent-badge">silent</span>')
        badges += [_tag(label_of(tag)) for tag in change_tags(change)]
        out = [
            f'<div class="pw-change pw-change-{escape(change.label)}">',
            (
                f'<h3 id="{anchor}"><a class="pw-permalink" href="#{anchor}" '
                f'title="Permalink to this change">{_when(change.detected_at)}</a> '
                f"{' '.join(badges)}</h3>"
            ),
            f'<p class="pw-summary">{escape(change.summary)}</p>',
        ]
        facts = []
        if change.reasons:
            items = "".join(f"<li>{escape(r.text)} <em>({escape(r.kind)})</em></li>" for r in change.reasons)
            facts.append(f"<li>Why it is {escape(change.label)}:<ul>{items}</ul></li>")
        if _SILENT[change.silent]:
            facts.append(f"<li>{escape(_SILENT[change.silent])}</li>")
        notice = notice_text(change)
        if notice:
            facts.append(f"<li>{escape(notice)}.</li>")
        elif hasattr(change, "effective_date"):  # recorded, and the page stated none
            facts.append("<li>No effective date stated.</li>")
        touched = getattr(change, "section_changes", None) or change.sections
        if touched:
            facts.append("<li>Sections: " + "; ".join(escape(s) for s in touched) + "</li>")
        before = self.data.versions.get(change.from_version_id)
        after = self.data.versions.get(change.to_version_id)
        facts.append(
            f"<li>Compared the {self._version_link(page, before, 'earlier')} with the "
            f"{self._version_link(page, after, 'later')}.</li>"
        )
        # In a <div>: Material's search indexer fails on data-search-exclude set on a list.
        out.append(f'<div class="pw-facts" data-search-exclude><ul>{"".join(facts)}</ul></div>')
        diff = self._diff(change, after)
        if change.label == "noise":  # kept for the record, folded away
            out.append(
                f'<details class="pw-noise-diff" data-search-exclude><summary>Show the diff</summary>{diff}</details>'
            )
        else:
            out.append(f'<div class="pw-diffs" data-search-exclude>{diff}</div>')
        out.append("</div>")
        return "\n".join(out)

    def _diff(self, change: Change, after: Version | None) -> str:
        ops = [(op, text) for op, text in change.ops]
        new_text = after.text if after else "".join(t for op, t in ops if op != -1)
        parts = []
        groups = diff_by_section(ops, new_text)
        for label, group in groups:
            body = clean_html(render_html(group, context_lines=DIFF_CONTEXT_LINES))
            if label or len(groups) > 1:  # a document without headings needs no label
                heading = escape(label) if label else "Before the first heading"
                parts.append(f'<p class="pw-diff-section">§ {heading}</p>')
            parts.append(f'<div class="pw-diff">{body}</div>')
        return "".join(parts) or '<p class="pw-diff-section">No visible difference.</p>'


def _snapshot(version: Version) -> str:
    return f"snapshot <code>{escape(version.snapshot_sha256[:12])}</code>"


def _checks_json(site: _Site) -> bytes:
    """The values hooks/policywatch.py prints, and the build's SOURCE_DATE_EPOCH."""
    checks = {
        "generated_at": site.data.generated_at,
        "as_of": _when(site.data.generated_at),
        "last_checked": {d.doc_id: _when(d.last_checked) for d in site.documents},
    }
    return (json.dumps(checks, indent=1, sort_keys=True) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------- mkdocs.yml


def _mkdocs_yml(site: _Site, site_url: str) -> str:
    changes = [{title: _listing_md(label)} for label, title in _LISTING_TITLES.items()]
    nav: list[dict] = [{"Home": "index.md"}, {"Changes": changes}]
    for marketplace in site.marketplaces:
        section: list[dict] = [{"Overview": _marketplace_md(marketplace)}]
        docs = site.in_marketplace[marketplace]
        if len(docs) <= NAV_DOCUMENTS:  # more: listed on the overview page, see NAV_DOCUMENTS
            section += [{site.nav_title(doc): _document_md(doc.doc_id)} for doc in docs]
        nav.append({safe_title(marketplace): section})
    toggle = [  # (media, scheme, icon, label): follow the system, with a switch
        ("(prefers-color-scheme: light)", "default", "material/brightness-7", "Dark mode"),
        ("(prefers-color-scheme: dark)", "slate", "material/brightness-4", "Light mode"),
    ]
    site_feeds = [
        {"stem": GLOBAL_FEED, "title": f"{SITE_NAME}: changes"},
        {"stem": SUBSTANTIVE_FEED, "title": f"{SITE_NAME}: substantive changes"},
    ]
    config = {
        "site_name": SITE_NAME,
        "site_url": site_url,
        "site_description": "Changes to the rules marketplaces impose on sellers.",
        "docs_dir": "docs",
        "use_directory_urls": True,
        "theme": {
            "name": "material",
            "custom_dir": "overrides",
            "language": "en",
            "font": False,  # otherwise every page loads Google Fonts
            # At the root, where browsers look for it on pages that name none (version texts).
            "favicon": "favicon.ico",
            "features": [
                "navigation.instant",
                "navigation.tabs",
                "navigation.prune",
                "navigation.top",
                "search.suggest",
                "search.highlight",
            ],
            "palette": [
                {"media": media, "scheme": scheme, "toggle": {"icon": icon, "name": name}}
                for media, scheme, icon, name in toggle
            ],
        },
        # Material's `offline` plugin is left out on purpose: it forces use_directory_urls off
        # (breaking permalinks) and adds a script from unpkg.com to every page.
        "plugins": ["search"],
        "hooks": [HOOK_FILE],
        "markdown_extensions": [{"toc": {"permalink": True}}, "tables"],
        "extra_css": ["stylesheets/policywatch.css"],
        "extra": {
            "policywatch": {  # read by overrides/: the feeds every page announces
                "feeds": site_feeds,
                "formats": [{"suffix": f.suffix, "type": f.media_type, "label": f.label} for f in FORMATS],
            },
        },
        # Crawled pages may hold relative links into their own site: never a build failure.
        "validation": {
            "omitted_files": "info",
            "absolute_links": "info",
            "unrecognized_links": "info",
            "anchors": "info",
            "not_found": "info",
        },
        "nav": nav,
    }
    header = "# Generated by `policywatch publish`: edits are overwritten.\n"
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000)
