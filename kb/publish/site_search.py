"""The site search: a Pagefind index written into the site's sources (the only module that
imports pagefind).

Material's search plugin wrote one ``search_index.json`` that every visitor who searched
downloaded whole (53 MB for 2,000 documents). Pagefind splits its index into chunks of words
and one fragment per page, and a query fetches only the chunks of its words and the fragments
of the results it shows. It is built here, in publish's own step before MkDocs runs, and lands
in ``docs/pagefind/`` as static files: no MkDocs plugin or hook is involved, so any builder
that copies ``docs/`` (MkDocs, Zensical) serves the same search.

What is indexed is what Material's index held: each document's title, the summaries of its
changes (under its ``#change-…`` anchor) and its current rules (under ``#current-rules``);
not the header box, the facts, the diffs or the listings. Each document is one small HTML
record (``record_html``) that Pagefind reads from a temporary folder laid out as the site, so
the result URLs are the pages' own. Rules too long for the search (``pages._searchable``)
stay out, as they did.

The search page (``search.md``, "Search" in the navigation) holds Pagefind's default UI, with
excerpts, sub-results per anchor and the words of the query highlighted on the page a result
opens (``?highlight=``, ``pw-search.js``). ``search.md?q=words`` starts a search.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape, unescape
from importlib import metadata
from pathlib import Path

from pagefind.service import get_executable

from kb.errors import PublishError
from kb.publish.fragments import utc_time
from kb.publish.pages import Site, _searchable
from kb.publish.sanitize import safe_title
from kb.publish.urls import change_anchor, document_md, page_url

BUNDLE = "pagefind"  # under docs/: Pagefind's files
DIGEST_FILE = "policywatch-records.sha256"  # in BUNDLE: the records it was indexed from
SEARCH_MD = "search.md"
SCRIPT = "javascripts/pw-search.js"
STYLE = "stylesheets/pw-search.css"
LANGUAGE = "en"
PAGEFIND_VERSION = metadata.version("pagefind")
# Pagefind writes UIs the site does not use: left out of the site.
_UNUSED = re.compile(r"pagefind-(component|modular)-ui\.(js|css)|wasm\.unknown\.pagefind")
# In a merged part, only the index is read (entry, meta, chunks, filters, fragments).
_MERGED_UNUSED = re.compile(r".*\.(js|css)|wasm\..*\.pagefind")
_PART_FOLDER = re.compile(r"part-\d+")
# The records' HTML indexed by one run of Pagefind, whose peak memory is about 21 times that
# (some 380 MB). Each part adds its own word chunks to a query's download (about 32 KB a
# word): three parts for 2,000 pages of 24 KB (bench/README.md, "Site search in parts").
PART_BYTES = 18_000_000


@dataclass(frozen=True)
class Record:
    """One document as the search sees it."""

    url: str  # site-relative page URL, "documents/a/b/"
    title: str  # plain text
    marketplace: str
    summaries: tuple[tuple[str, str, str], ...]  # (anchor, heading, summary) of each change, newest first
    rules: str  # the current rules' Markdown; "" when there are none or they are too long


def records(site: Site) -> Iterator[Record]:
    for doc in site.documents:
        current = site.data.current.get(doc.doc_id)
        text = site.text(current) if current else ""
        rules = text if _searchable(text) else ""
        yield Record(
            url=page_url(document_md(doc.doc_id)),
            title=unescape(safe_title(doc.title)) or doc.doc_id,  # as in the navigation: no "<" or ">"
            marketplace=doc.marketplace,
            summaries=tuple(
                (change_anchor(c), f"{utc_time(c.detected_at)} ({c.label})", site.brief(c).headline)
                for c in site.changes_of[doc.doc_id]
                if c.summary
            ),
            rules=rules,
        )


_HEADING = re.compile(r" {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"(\*\*|__|\*|`)")


def _plain(line: str) -> str:
    """A line of Markdown as the words a reader sees: links as their text, no emphasis marks."""
    return _MARKS.sub("", _LINK.sub(r"\1", line)).strip()


def record_html(record: Record) -> str:
    """The page Pagefind indexes for one document: every text escaped, headings with the
    page's own anchors where the page has them (sub-results link there)."""
    out = [
        f'<!DOCTYPE html><html lang="{LANGUAGE}"><head><meta charset="utf-8">',
        f"<title>{escape(record.title)}</title></head><body>",
        f"<h1>{escape(record.title)}</h1>",
        f'<p data-pagefind-meta="marketplace">{escape(record.marketplace)}</p>',
    ]
    if record.summaries:
        out.append('<h2 id="changelog">Changelog</h2>')
        out += [
            f'<h3 id="{anchor}">{escape(heading)}</h3><p>{escape(summary)}</p>'
            for anchor, heading, summary in record.summaries
        ]
    if record.rules:
        out.append('<h2 id="current-rules">Current rules</h2>')
        for block in re.split(r"\n[ \t]*\n", record.rules):
            lines = [line for line in block.split("\n") if line.strip()]
            paragraph: list[str] = []
            for line in lines:
                heading = _HEADING.fullmatch(line)
                if heading:  # no id: the page's heading ids are the builder's to make
                    if paragraph:
                        out.append(f"<p>{escape(' '.join(paragraph))}</p>")
                        paragraph = []
                    out.append(f"<h4>{escape(_plain(heading[2]))}</h4>")
                else:
                    paragraph.append(_plain(line))
            if paragraph:
                out.append(f"<p>{escape(' '.join(paragraph))}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def search_page() -> str:
    """``search.md``: Pagefind's UI, started by ``pw-search.js``."""
    return "\n".join(
        [
            "---",
            'title: "Search"',
            "---",
            "",
            "# Search",
            "",
            f'<link rel="stylesheet" href="../{BUNDLE}/pagefind-ui.css">',
            '<div id="pw-search" class="pw-search"></div>',
            "<noscript><p>The search needs JavaScript. Every document's page is listed under its marketplace.</p>"
            "</noscript>",
            "",
        ]
    )


def search_script(parts: int) -> str:
    """A module, loaded on every page (mkdocs.yml extra_javascript): it finds Pagefind beside
    itself, so the site works under any path, and merges the bundles of the other ``parts``
    into the first's. With Material's instant navigation the page is swapped rather than
    loaded: document$ says when."""
    merged = json.dumps([f"{_bundle(part)}/" for part in range(1, parts)])
    return SEARCH_SCRIPT.replace("const merged = [];", f"const merged = {merged};")


SEARCH_SCRIPT = f"""\
// The site search (Pagefind): the box of the search page, and a result's words highlighted
// on the page it opens. Generated by `policywatch publish`: edits are overwritten.
const bundle = new URL("../{BUNDLE}/", import.meta.url);
const root = new URL("../", import.meta.url).pathname;
const merged = [];  // the other parts' bundles, searched with the first

function loadScript(src) {{
  return new Promise((resolve, reject) => {{
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  }});
}}

async function searchBox(element) {{
  if (!window.PagefindUI) await loadScript(new URL("pagefind-ui.js", bundle).href);
  const ui = new window.PagefindUI({{
    element,
    bundlePath: bundle.pathname,
    baseUrl: root,
    highlightParam: "highlight",
    showSubResults: true,
    showImages: false,
    mergeIndex: merged.map((path) => ({{
      bundlePath: new URL("../" + path, import.meta.url).pathname,
      baseUrl: root,
      highlightParam: "highlight",
    }})),
  }});
  const query = new URLSearchParams(location.search).get("q");
  if (query) ui.triggerSearch(query);
}}

async function highlight() {{
  const {{ default: PagefindHighlight }} = await import(new URL("pagefind-highlight.js", bundle).href);
  new PagefindHighlight({{ highlightParam: "highlight" }});
}}

function onPage() {{
  const element = document.getElementById("pw-search");
  if (element && !element.dataset.pwReady) {{
    element.dataset.pwReady = "1";
    searchBox(element);
  }}
  if (new URLSearchParams(location.search).has("highlight")) highlight();
}}

if (window.document$) window.document$.subscribe(onPage);
else onPage();
"""


# Pagefind's UI in the theme's colours, light and dark (Material's variables).
SEARCH_STYLE = """\
/* The site search (Pagefind) in the theme's colours. Generated by `policywatch publish`. */
.pw-search {
  --pagefind-ui-primary: var(--md-primary-fg-color);
  --pagefind-ui-text: var(--md-default-fg-color);
  --pagefind-ui-background: var(--md-default-bg-color);
  --pagefind-ui-border: var(--md-default-fg-color--lighter);
  --pagefind-ui-tag: var(--md-default-fg-color--lightest);
  --pagefind-ui-font: inherit;
}
mark.pagefind-highlight {
  background: var(--md-accent-fg-color--transparent);
  color: inherit;
}
"""


def site_search_files(site: Site, previous_docs: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """The search page, its script and Pagefind's files, as (path under docs/, bytes), one
    file at a time. The same site gives the same bytes.

    Pagefind holds about 21 times the HTML it indexes (bench/README.md): the records are dealt
    into parts of about ``PART_BYTES`` each by a hash of their URL (``_part_of``), each
    indexed by its own run into its own bundle (``pagefind/``, then ``pagefind/part-<n>/``),
    which the search page merges in the browser (Pagefind's ``mergeIndex``: one WebAssembly
    module, each bundle's own word chunks). ``previous_docs``: the ``docs/`` folder of the
    previous sources. A part whose records are those its bundle there was indexed from
    (``DIGEST_FILE``) is given again and Pagefind does not run for it: a crawl that changed a
    few documents indexes their parts only, and one that found nothing new indexes nothing."""
    yield SEARCH_MD, search_page().encode("utf-8")
    yield STYLE, SEARCH_STYLE.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="policywatch-search-") as tmp:
        pages = Path(tmp) / "pages"
        written: list[tuple[str, int, str]] = []  # (url, bytes, sha256) of each record
        for record in records(site):
            path = pages / record.url / "index.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            html = record_html(record).encode("utf-8")
            path.write_bytes(html)
            written.append((record.url, len(html), hashlib.sha256(html).hexdigest()))
        # Parts by a hash of the URL: a record stays in its part while their number does.
        # Numbered by their order, leaving out the hash values no record has.
        wanted = max(1, min(len(written), -(-sum(size for _, size, _ in written) // PART_BYTES)))
        groups: dict[int, list[tuple[str, str]]] = {}
        for url, _, sha in written:
            groups.setdefault(_part_of(url, wanted), []).append((url, sha))
        parts = [groups[group] for group in sorted(groups)] or [[]]  # an empty site: one, empty
        yield SCRIPT, search_script(len(parts)).encode("utf-8")
        for part, mine in enumerate(parts):
            yield from _part_files(part, mine, pages, Path(tmp) / f"part-{part}", previous_docs)


def _part_of(url: str, parts: int) -> int:
    """The part a record is indexed in: by its URL, so that it stays there while the number
    of parts does."""
    return zlib.crc32(url.encode("utf-8")) % parts


def _bundle(part: int) -> str:
    return BUNDLE if part == 0 else f"{BUNDLE}/part-{part}"


def _part_files(
    part: int, mine: list[tuple[str, str]], pages: Path, work: Path, previous_docs: Path | None
) -> Iterator[tuple[str, bytes]]:
    """One part's bundle: Pagefind run on its records, or the previous one if they are the same."""
    digest = hashlib.sha256(f"pagefind {PAGEFIND_VERSION}\n".encode())
    for url, sha in mine:
        digest.update(f"{url}\n{sha}\n".encode())
    stamp = (digest.hexdigest() + "\n").encode()
    before = previous_docs / _bundle(part) if previous_docs is not None else None
    if before is not None and _read(before / DIGEST_FILE) == stamp and (before / "pagefind-entry.json").is_file():
        bundle = before  # indexed from these very records
    elif mine:
        site = work / "pages"
        for url, _ in mine:  # the part's records, laid out as the site
            (site / url).mkdir(parents=True, exist_ok=True)
            (pages / url / "index.html").rename(site / url / "index.html")
        _run_pagefind(site, work / "bundle")
        bundle = work / "bundle"
    else:  # an empty site: Pagefind writes nothing for no pages
        bundle = work
        bundle.mkdir()
    unused = _UNUSED if part == 0 else _MERGED_UNUSED  # a merged bundle is read by part 0's scripts
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle)
        if part == 0 and _PART_FOLDER.fullmatch(rel.parts[0]):
            continue  # the previous site's other parts, inside part 0's folder
        if not unused.fullmatch(path.name) and path.name != DIGEST_FILE:
            yield f"{_bundle(part)}/{rel.as_posix()}", path.read_bytes()
    yield f"{_bundle(part)}/{DIGEST_FILE}", stamp


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def pagefind_command(pages: Path, bundle: Path) -> list[str]:
    """The command that indexes the folder ``pages`` into ``bundle`` (bench/pagefind_memory.py
    runs it too)."""
    executable = get_executable()
    if executable is None:
        raise PublishError(
            "cannot build the site search: Pagefind's binary is not installed",
            hint="install Pagefind's binary: pip install 'pagefind[bin]'",
        )
    return [str(executable), "--site", str(pages), "--output-path", str(bundle), "--force-language", LANGUAGE]


def _run_pagefind(pages: Path, bundle: Path) -> None:
    """Pagefind's command indexes the folder and writes the bundle, and has written all of it
    when it exits.

    Its Python API (``PagefindIndex``) answers the request to write the files before they are
    all written, and stops the binary when its context closes: on a busy machine some files
    (``pagefind-ui.js``, ``pagefind-worker.js``) came out empty or cut short, and were
    published so. The command gives the same bytes."""
    command = pagefind_command(pages, bundle)
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    except OSError as err:
        raise PublishError(
            f"cannot build the site search: {err.strerror or err}",
            hint="install Pagefind's binary: pip install 'pagefind[bin]'",
        ) from None
    if done.returncode != 0:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise PublishError(
            f"cannot build the site search: Pagefind failed ({said[-1].strip() if said else f'exit code {done.returncode}'})"
        )
    if not (bundle / "pagefind.js").is_file():
        raise PublishError("cannot build the site search: Pagefind wrote no index", hint="run publish again")
