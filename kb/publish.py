"""Publish the knowledge base as a static MkDocs-material site with RSS feeds.

Two steps, both reproducible (same ``PublishInput`` → same bytes):

1. ``write_sources``: Markdown pages, ``mkdocs.yml``, the theme override and the feeds, written
   into ``<home>/site-src``. A file is rewritten only when its bytes change, and generated
   files that are no longer generated are deleted.
2. ``build_site``: MkDocs, run in-process, builds ``<home>/site`` with ``SOURCE_DATE_EPOCH``
   set from the data's ``generated_at``, so the sitemap's dates do not depend on the clock.

Layout: ``index.md``, ``changes.md``, ``marketplaces/<marketplace>.md`` and
``documents/<doc_id>.md``; each change has the permalink ``documents/<doc_id>/#change-<time>``
(see ``kb.feeds.change_permalink``). Feeds: ``feed.xml`` (every change that is not noise) and
``feeds/substantive.xml``. Nothing in the site loads from the network (no web fonts, no CDN);
search works when the site is served over HTTP, e.g. ``python -m http.server -d site``.

Crawled text is untrusted: it goes through ``kb.sanitize`` before it reaches a page, a title
or a feed. The page structure around it is HTML written here, every value escaped.

The site URL (absolute, used for feed links, the sitemap and canonical links) comes from the
``site_url`` argument, else ``$POLICYWATCH_SITE_URL``, else ``http://localhost:8000/``.
"""
from __future__ import annotations

import logging
import os
import posixpath
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from diffs.diff import render_html
from kb.errors import PolicywatchError
from kb.feeds import change_anchor, change_permalink, document_page, parse_time, rss_feed
from kb.models import CLASSES, Change, Document, PublishInput, Version
from kb.sanitize import clean_html, escape_markdown_html, safe_title

SITE_NAME = "policywatch"
DEFAULT_SITE_URL = "http://localhost:8000/"
SITE_URL_ENV = "POLICYWATCH_SITE_URL"
TEMPLATE_DIR = Path(__file__).with_name("site_template")
MANAGED_DIRS = ("docs", "overrides")  # everything in these folders of site-src is generated
SITE_MARKER = ".policywatch-site"  # proves a folder is a site we built, before replacing it
_TMP = ".policywatch-tmp-"  # prefix of the temporary files and folders publishing makes
DIFF_CONTEXT_LINES = 3
LATEST_ON_HOME = 10
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class SiteResult:
    site_dir: Path
    feed_path: Path
    pages_written: int  # generated source files (pages, feeds, config) whose bytes changed
    pages_unchanged: int


class PublishError(PolicywatchError):
    """The site cannot be written or built; the message names the cause."""

    hint = "fix the cause above and run `policywatch publish` again"


# ----------------------------------------------------------------------------- entry points


def publish(data: PublishInput, home: Path, site_dir: Path | None = None, *,
            site_url: str | None = None) -> SiteResult:
    """Write the sources into ``home/site-src`` and build the site (default ``home/site``)."""
    site_dir = Path(site_dir) if site_dir is not None else Path(home) / "site"
    written, unchanged = write_sources(data, Path(home) / "site-src", site_url=site_url)
    build_site(Path(home) / "site-src", site_dir)
    return SiteResult(site_dir=site_dir, feed_path=site_dir / "feed.xml",
                      pages_written=written, pages_unchanged=unchanged)


def write_sources(data: PublishInput, src_dir: Path, *,
                  site_url: str | None = None) -> tuple[int, int]:
    """Write every generated file into ``src_dir``; return (written, unchanged).

    Unchanged files keep their bytes and modification time; stale generated files go."""
    files = render_sources(data, resolve_site_url(site_url))
    try:
        return _sync(Path(src_dir), files)
    except OSError as err:
        raise PublishError(f"cannot write site sources in {src_dir}: {err.strerror or err}",
                           hint="check the folder's permissions and free space") from None


def build_site(src_dir: Path, site_dir: Path, *, strict: bool = False) -> None:
    """Run ``mkdocs build`` in-process on ``src_dir/mkdocs.yml`` into ``site_dir``, quietly.

    The new site is built beside ``site_dir`` and swapped in when complete, so a failed build
    leaves the previous site in place. ``strict`` turns MkDocs warnings into a PublishError."""
    src_dir, site_dir = Path(src_dir).resolve(), Path(site_dir).resolve()
    config_file = src_dir / "mkdocs.yml"
    if not config_file.is_file():
        raise PublishError(f"no {config_file}", hint="run `policywatch publish` to write it")
    ours = (site_dir / SITE_MARKER).is_file()
    if site_dir.exists() and not ours and (not site_dir.is_dir() or any(site_dir.iterdir())):
        raise PublishError(f"{site_dir} exists and is not a policywatch site; "
                           "refusing to replace it",
                           hint="choose an empty or new folder with --site")
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        for leftover in site_dir.parent.glob(f"{_TMP}{site_dir.name}.*"):  # from a killed run
            shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{_TMP}{site_dir.name}.", dir=site_dir.parent))
    except OSError as err:
        raise PublishError(f"cannot create the site in {site_dir.parent}: {err.strerror or err}",
                           hint="check the folder's permissions and free space") from None
    try:
        _run_mkdocs(config_file, staging, strict)
        (staging / SITE_MARKER).write_bytes(b"built by policywatch; replaced on each publish\n")
        staging.chmod(0o755)  # mkdtemp makes it private; a site is meant to be served
        _swap(staging, site_dir)
    except OSError as err:
        raise PublishError(f"cannot build the site in {site_dir}: {err.strerror or err}",
                           hint="check the folder's permissions and free space") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resolve_site_url(site_url: str | None) -> str:
    """The site's absolute URL, ending with "/": argument, else environment, else default."""
    url = site_url or os.environ.get(SITE_URL_ENV) or DEFAULT_SITE_URL
    if not re.match(r"https?://[^/\s]+", url):
        raise PublishError(f"site URL {url!r} is not an absolute http(s) URL",
                           hint="pass e.g. --site-url https://example.org/policywatch/")
    return url if url.endswith("/") else url + "/"


# ----------------------------------------------------------------------------- building


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _run_mkdocs(config_file: Path, site_dir: Path, strict: bool) -> None:
    generated_at = (yaml.safe_load(config_file.read_text(encoding="utf-8")).get("extra") or {}
                    ).get("generated_at")
    # The sitemap's dates come from the data (1970 for an empty store), not from the clock.
    epoch = int(parse_time(generated_at).timestamp()) if generated_at else 0
    env = {"SOURCE_DATE_EPOCH": str(epoch),
           "NO_MKDOCS_2_WARNING": "1"}  # Material's end-of-life banner, printed on import
    saved = {key: os.environ.get(key) for key in env}
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    saved_propagate = logger.propagate
    os.environ.update(env)
    logger.addHandler(collect)
    logger.propagate = False  # quiet: warnings are collected, not printed
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException

        try:
            config = load_config(str(config_file), site_dir=str(site_dir), strict=strict)
            build(config)
        except MkDocsException as err:
            detail = collect.messages[0] if collect.messages else str(err)
            raise PublishError(f"mkdocs build failed: {_one_line(detail)}") from None
        if strict and collect.messages:
            raise PublishError(f"mkdocs build warned: {_one_line(collect.messages[0])}")
    finally:
        logger.removeHandler(collect)
        logger.propagate = saved_propagate
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _swap(new: Path, site_dir: Path) -> None:
    if not site_dir.exists():
        new.rename(site_dir)
        return
    old = site_dir.with_name(f"{_TMP}{site_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    site_dir.rename(old)
    new.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)


def _sync(src_dir: Path, files: dict[str, bytes]) -> tuple[int, int]:
    written = unchanged = 0
    for rel, content in sorted(files.items()):
        path = src_dir / rel
        if path.is_file() and path.read_bytes() == content:
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP, dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # atomic: MkDocs never reads half a page
        written += 1
    for leftover in src_dir.glob(f"{_TMP}*"):  # a killed run's half-written mkdocs.yml
        leftover.unlink()
    for top in MANAGED_DIRS:
        root = src_dir / top
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root, topdown=False):
            for name in filenames:
                rel = Path(dirpath, name).relative_to(src_dir).as_posix()
                if rel not in files:
                    os.unlink(Path(dirpath, name))
            if dirpath != str(root) and not os.listdir(dirpath):
                os.rmdir(dirpath)
    return written, unchanged


# ----------------------------------------------------------------------------- rendering


def render_sources(data: PublishInput, site_url: str) -> dict[str, bytes]:
    """Every generated file of ``site-src``: relative POSIX path → bytes."""
    site = _Site(data)
    pages: dict[str, str] = {
        "docs/index.md": site.index_page(),
        "docs/changes.md": site.changes_page(),
    }
    for marketplace in site.marketplaces:
        pages[f"docs/{_marketplace_md(marketplace)}"] = site.marketplace_page(marketplace)
    for doc in site.documents:
        pages[f"docs/{_document_md(doc.doc_id)}"] = site.document_page(doc)
    files = {path: text.encode("utf-8") for path, text in pages.items()}
    files["mkdocs.yml"] = _mkdocs_yml(site, site_url, data.generated_at).encode("utf-8")
    files["docs/feed.xml"] = rss_feed(
        data.changes, site.by_id, title=f"{SITE_NAME}: changes", link=site_url,
        self_link=site_url + "feed.xml", generated_at=data.generated_at)
    files["docs/feeds/substantive.xml"] = rss_feed(
        [c for c in data.changes if c.label == "substantive"], site.by_id,
        title=f"{SITE_NAME}: substantive changes", link=site_url,
        self_link=site_url + "feeds/substantive.xml", generated_at=data.generated_at)
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(TEMPLATE_DIR).as_posix()
            files[rel if rel.startswith("overrides/") else f"docs/{rel}"] = path.read_bytes()
    return files


def _check_segments(value: str, what: str) -> str:
    if not all(_PATH_SEGMENT.fullmatch(part) for part in value.split("/")):
        raise PublishError(f"{what} {value!r} cannot be a page path",
                           hint="ids are lowercase slugs such as 'amazon-us/seller-agreement'")
    return value


def _document_md(doc_id: str) -> str:
    return f"documents/{_check_segments(doc_id, 'document id')}.md"


def _marketplace_md(marketplace: str) -> str:
    return f"marketplaces/{_check_segments(marketplace, 'marketplace')}.md"


def _page_url(md_path: str) -> str:
    """Site-relative URL of a page with ``use_directory_urls``: a.md → a/, index.md → ''."""
    stem = md_path[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")].rstrip("/")
    return f"{stem}/" if stem else ""


def _href(from_md: str, target_url: str) -> str:
    """Relative link from one page to a site-relative URL (raw HTML is not rewritten by MkDocs)."""
    path, _, anchor = target_url.partition("#")
    here = _page_url(from_md) or "."
    rel = posixpath.relpath(path or ".", here)
    rel = "" if rel == "." else rel
    if path.endswith("/") and rel:
        rel += "/"
    elif not rel and not anchor:
        rel = "./"
    return rel + (f"#{anchor}" if anchor else "")


def _when(iso: str | None) -> str:
    """``2026-11-01T06:30:00Z`` → ``2026-11-01 06:30 UTC``."""
    if not iso:
        return "—"
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 else escape(iso)


def _badge(label: str) -> str:
    return f'<span class="pw-badge pw-{escape(label)}">{escape(label)}</span>'


def _status(status: str) -> str:
    return f'<span class="pw-status pw-status-{escape(status)}">{escape(status)}</span>'


def _link(href: str, html_text: str) -> str:
    return f'<a href="{escape(href)}">{html_text}</a>'


def _external(url: str) -> str:
    if re.match(r"https?://", url, re.IGNORECASE):
        return _link(url, escape(url))
    return escape(url)


def _table(css_class: str, headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """An HTML table; ``headers`` are text, cells are HTML already escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return "\n".join([f'<table class="{css_class}">', f"<thead><tr>{head}</tr></thead>", "<tbody>",
                      *body, "</tbody>", "</table>"])


def _newest_first(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.detected_at, c.doc_id, c.key), reverse=True)


_SILENT = {
    True: "Silent change: the page's own “last updated” date did not change.",
    False: "The page's own “last updated” date changed with it.",
    None: "",
}


class _Site:
    """The records, indexed the ways the pages need them."""

    def __init__(self, data: PublishInput) -> None:
        self.data = data
        self.documents = sorted(data.documents, key=lambda d: d.doc_id)
        self.by_id: dict[str, Document] = {d.doc_id: d for d in self.documents}
        for change in data.changes:
            if change.doc_id not in self.by_id:
                raise PublishError(f"change {change.key} belongs to unknown document "
                                   f"{change.doc_id!r}",
                                   hint="the store is inconsistent: run `policywatch status`")
        self.changes = _newest_first(data.changes)
        self.changes_of: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            self.changes_of[change.doc_id].append(change)
        self.marketplaces = sorted({d.marketplace for d in self.documents})
        self.in_marketplace: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self.documents, key=lambda d: (d.title.casefold(), d.doc_id)):
            self.in_marketplace[doc.marketplace].append(doc)

    def title(self, doc_id: str) -> str:
        """The document's title as HTML (page content, not navigation: see safe_title)."""
        doc = self.by_id[doc_id]
        return escape(" ".join(doc.title.split()) or doc_id)

    def doc_link(self, page: str, doc_id: str) -> str:
        return _link(_href(page, document_page(doc_id)), self.title(doc_id))

    def change_link(self, page: str, change: Change) -> str:
        return _link(_href(page, change_permalink(change)), _when(change.detected_at))

    # ---------------------------------------------------------------- pages

    def index_page(self) -> str:
        page = "index.md"
        labels = Counter(c.label for c in self.changes)
        version_ids = {v.id for v in self.data.current.values()} | set(self.data.versions)
        version_ids |= {i for c in self.changes for i in (c.from_version_id, c.to_version_id)}
        counts = [("documents", len(self.documents)), ("versions", len(version_ids))]
        counts += [(f"{label} changes", labels.get(label, 0)) for label in CLASSES]
        out = [
            f"# {SITE_NAME}",
            "",
            "policywatch watches the public rules that marketplaces impose on their sellers — "
            "seller agreements, fee schedules, account-health and prohibited-product policies — "
            "keeps every version it captures, and classifies each change as **substantive** "
            "(obligations, fees, dates, deadlines), **minor** (wording) or **noise** "
            "(formatting, counters, link targets).",
            "",
            '<div class="pw-counts">',
            "<table>",
            "<tbody>",
            *(f"<tr><th>{escape(name)}</th><td>{value}</td></tr>" for name, value in counts),
            "</tbody>",
            "</table>",
            "</div>",
            "",
            f"Data as of {_when(self.data.generated_at)} (the latest check).",
            "",
        ]
        for label in ("substantive", "minor"):  # the important ones first, each newest first
            latest = [c for c in self.changes if c.label == label][:LATEST_ON_HOME]
            out += [f"## Latest {label} changes", ""]
            out += [self._change_table(page, latest) if latest
                    else f"No {label} change recorded yet.", ""]
        out += [f"<p>{_link(_href(page, 'changes/'), 'All changes, newest first')}"
                " (noise included).</p>", ""]
        out += ["## Documents failing now", ""]
        failing = [d for d in self.documents if d.status != "active"]
        if failing:
            rows = ([self.doc_link(page, d.doc_id), _status(d.status), _when(d.last_good_check),
                     escape(d.failure or "—")] for d in failing)
            out += [_table("pw-failing", ("Document", "Status", "Last good check", "Reason"), rows),
                    ""]
        else:
            out += ["None: every document was fetched at its last check.", ""]
        out += ["## Marketplaces", "", "<ul>"]
        out += [f"<li>{_link(_href(page, _page_url(_marketplace_md(m))), escape(m))}: "
                f"{len(self.in_marketplace[m])} documents</li>" for m in self.marketplaces]
        all_feed = _link(_href(page, "feed.xml"), "every change but noise")
        substantive_feed = _link(_href(page, "feeds/substantive.xml"), "substantive changes only")
        out += ["</ul>", "", "## Feeds", "", f"<p>RSS: {all_feed} · {substantive_feed}</p>", ""]
        return "\n".join(out)

    def changes_page(self) -> str:
        page = "changes.md"
        out = ["# Changes", "",
               "Every recorded change, newest first. Noise is listed here and on the document "
               "pages but kept out of the feeds.", ""]
        if not self.changes:
            return "\n".join(out + ["No change recorded yet.", ""])
        by_month: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            by_month[change.detected_at[:7]].append(change)
        for month, changes in by_month.items():  # already newest first
            out += [f"## {escape(month)}", "", self._change_table(page, changes), ""]
        return "\n".join(out)

    def marketplace_page(self, marketplace: str) -> str:
        page = _marketplace_md(marketplace)
        rows = []
        for doc in self.in_marketplace[marketplace]:
            latest = self.changes_of[doc.doc_id][:1]
            rows.append([self.doc_link(page, doc.doc_id), escape(doc.doc_type), _status(doc.status),
                         self.change_link(page, latest[0]) if latest else "—",
                         _badge(latest[0].label) if latest else "—"])
        headers = ("Document", "Type", "Status", "Last change", "Class")
        return "\n".join([f"<h1>{escape(marketplace)}</h1>", "",
                          _table("pw-documents", headers, rows), ""])

    def document_page(self, doc: Document) -> str:
        page = _document_md(doc.doc_id)
        current = self.data.current.get(doc.doc_id)
        changes = self.changes_of[doc.doc_id]
        substantive = sum(c.label == "substantive" for c in changes)
        failure = f": {escape(doc.failure)}" if doc.failure else ""
        marketplace_url = _href(page, _page_url(_marketplace_md(doc.marketplace)))
        rows = [
            ("Source", _external(doc.url)),
            ("Marketplace", _link(marketplace_url, escape(doc.marketplace))),
            ("Type", escape(doc.doc_type)),
            ("Status", _status(doc.status) + failure),
            ("Last checked", _when(doc.last_checked)),
            ("Last changed", _when(doc.last_changed)),
            ("Version captured", _when(current.captured_at) if current else "no version yet"),
            ("Snapshot SHA-256",
             f"<code>{escape(current.snapshot_sha256)}</code>" if current else "—"),
            ("Changes", f'{len(changes)} ({substantive} substantive): '
                        '<a href="#changelog">changelog</a>'),
        ]
        out = [f"<h1>{self.title(doc.doc_id)}</h1>", "", '<div class="pw-meta">', "<table>",
               "<tbody>", *(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows),
               "</tbody>", "</table>", "</div>", ""]
        if doc.status != "active":
            what = "is gone from its source" if doc.status == "gone" else "failed at its last check"
            last = " The text below is the last version captured." if current else ""
            out += [f'<p class="pw-warning">This document {what}{failure}.{last}</p>', ""]
        out += ["## Current rules", ""]
        if current:
            out += [escape_markdown_html(current.text, heading_offset=2).strip("\n"), ""]
        else:
            out += ["No version captured yet.", ""]
        out += ["## Changelog", ""]
        if not changes:
            out += ["No change recorded since the first version.", ""]
        for change in changes:
            out += [self._change_entry(change), ""]
        return "\n".join(out)

    # ---------------------------------------------------------------- fragments

    def _change_table(self, page: str, changes: list[Change]) -> str:
        rows = ([self.change_link(page, c), self.doc_link(page, c.doc_id), _badge(c.label),
                 escape(c.summary)] for c in changes)
        return _table("pw-changes", ("Detected", "Document", "Class", "Summary"), rows)

    def _change_entry(self, change: Change) -> str:
        anchor = change_anchor(change)
        out = [f'<div class="pw-change pw-change-{escape(change.label)}">',
               f'<h3 id="{anchor}"><a class="pw-permalink" href="#{anchor}">'
               f"{_when(change.detected_at)}</a> {_badge(change.label)}</h3>",
               f'<p class="pw-summary">{escape(change.summary)}</p>']
        if change.reasons:
            items = "".join(f"<li>{escape(r.text)} <em>({escape(r.kind)})</em></li>"
                            for r in change.reasons)
            out.append(f'<ul class="pw-reasons">{items}</ul>')
        if _SILENT[change.silent]:
            out.append(f'<p class="pw-silent">{escape(_SILENT[change.silent])}</p>')
        before = self.data.versions.get(change.from_version_id)
        after = self.data.versions.get(change.to_version_id)
        if before and after:
            out.append(f'<p class="pw-versions">Compared: the version captured '
                       f"{_when(before.captured_at)} ({_snapshot(before)}) with the one captured "
                       f"{_when(after.captured_at)} ({_snapshot(after)}).</p>")
        diff = clean_html(render_html(list(change.ops), context_lines=DIFF_CONTEXT_LINES))
        if change.label == "noise":  # kept for the record, folded away
            out.append('<details class="pw-noise-diff"><summary>Show the diff</summary>'
                       f'<div class="pw-diff">{diff}</div></details>')
        else:
            out.append(f'<div class="pw-diff">{diff}</div>')
        out.append("</div>")
        return "\n".join(out)


def _snapshot(version: Version) -> str:
    return f"snapshot <code>{escape(version.snapshot_sha256[:12])}</code>"


# ----------------------------------------------------------------------------- mkdocs.yml


def _mkdocs_yml(site: _Site, site_url: str, generated_at: str) -> str:
    nav: list[dict] = [{"Home": "index.md"}, {"Changes": "changes.md"}]
    for marketplace in site.marketplaces:
        section: list[dict] = [{"Overview": _marketplace_md(marketplace)}]
        section += [{safe_title(doc.title) or doc.doc_id: _document_md(doc.doc_id)}
                    for doc in site.in_marketplace[marketplace]]
        nav.append({safe_title(marketplace): section})
    toggle = [  # (media, scheme, icon, label): follow the system, with a switch
        ("(prefers-color-scheme: light)", "default", "material/brightness-7", "Dark mode"),
        ("(prefers-color-scheme: dark)", "slate", "material/brightness-4", "Light mode"),
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
            "features": ["navigation.instant", "navigation.tabs", "navigation.prune",
                         "search.suggest", "search.highlight"],
            "palette": [{"media": media, "scheme": scheme, "toggle": {"icon": icon, "name": name}}
                        for media, scheme, icon, name in toggle],
        },
        # Material's `offline` plugin is left out on purpose: it forces use_directory_urls off
        # (breaking permalinks) and adds a script from unpkg.com to every page.
        "plugins": ["search"],
        "markdown_extensions": [{"toc": {"permalink": True}}, "tables"],
        "extra_css": ["stylesheets/policywatch.css"],
        "extra": {"generated_at": generated_at},
        # Crawled pages may hold relative links into their own site: never a build failure.
        "validation": {"omitted_files": "info", "absolute_links": "info",
                       "unrecognized_links": "info", "anchors": "info", "not_found": "info"},
        "nav": nav,
    }
    header = "# Generated by `policywatch publish`: edits are overwritten.\n"
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000)
