"""The site's URL layout, which pages and feeds must agree on, and the site's own URL.

Every page is a Markdown file under ``docs/`` served with MkDocs' ``use_directory_urls``
(``a.md`` at ``a/``, ``a/index.md`` at ``a/``):

- ``index.md``: the home page;
- ``changes/[<class>/]index.md``: a changelog; ``changes/[<class>/]<yyyy-mm>.md``: one month;
- ``marketplaces/<marketplace>.md``: a marketplace;
- ``documents/<doc_id>.md``: a document, served at ``documents/<doc_id>/``; one of its changes
  is ``#change-<yyyymmddThhmmssZ>`` there; the text of one of its versions is
  ``documents/<doc_id>/versions/<yyyymmddThhmmssZ>-<sha256 prefix>.txt``;
- feeds: ``<stem>`` + each format's suffix (``FORMATS``), the stems ``feed``,
  ``feeds/substantive``, ``feeds/marketplaces/<marketplace>``, ``feeds/documents/<doc_id>``;
- ``upcoming.md``: changes announced, not yet in force; ``notice.md``: changes with less notice
  than the EU's 15 days; calendars: ``calendar.ics`` (every marketplace) and
  ``marketplaces/<marketplace>/calendar.ics`` (beside that marketplace's page).

URLs here are site-relative ("a/b/", "" for the root); ``href`` turns one into a relative link
from a page, and ``resolve_site_url`` gives the absolute URL that feeds, the sitemap and
canonical links are made with.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from kb.errors import PublishError
from kb.models import Change, Version

DEFAULT_SITE_URL = "http://localhost:8000/"
SITE_URL_ENV = "POLICYWATCH_SITE_URL"
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def resolve_site_url(site_url: str | None) -> str:
    """The site's absolute URL, ending with "/": argument, else environment, else default."""
    return given_site_url(site_url) or DEFAULT_SITE_URL


def given_site_url(site_url: str | None) -> str | None:
    """The site's absolute URL, ending with "/", when one is given (argument, else
    environment); None when neither names one: feeds then cannot have absolute links."""
    url = site_url or os.environ.get(SITE_URL_ENV)
    if not url:
        return None
    if not re.match(r"https?://[^/\s]+", url):
        raise PublishError(
            f"site URL {url!r} is not an absolute http(s) URL",
            hint="pass e.g. --site-url https://example.org/policywatch/",
        )
    return url if url.endswith("/") else url + "/"


NO_SITE_URL_NOTICE = (
    "no site URL given: the feeds' links are relative, and feed readers need absolute ones; "
    f"publish with --site-url https://your.host/path/ (or set {SITE_URL_ENV}) before sharing the feeds"
)


def link_from(path: str, target: str) -> str:
    """A link from the file at site-relative ``path`` (a feed) to the site-relative URL
    ``target``, relative, for output that has no site URL to make it absolute."""
    here = path.split("/")[:-1]
    target_path, hash_, anchor = target.partition("#")
    there = target_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    rel = "../" * (len(here) - common) + "/".join(there[common:])
    return (rel or "./") + hash_ + anchor


# ----------------------------------------------------------------------------- pages


def check_segments(value: str, what: str) -> str:
    """``value`` if each of its "/"-separated parts is a safe path segment, else PublishError:
    an id must not make a page outside its folder ("..") or a hidden file."""
    if not all(_PATH_SEGMENT.fullmatch(part) for part in value.split("/")):
        raise PublishError(
            f"{what} {value!r} cannot be a page path",
            hint="ids are lowercase slugs such as 'amazon-us/seller-agreement'",
        )
    return value


def document_md(doc_id: str) -> str:
    return f"documents/{check_segments(doc_id, 'document id')}.md"


def marketplace_md(marketplace: str) -> str:
    return f"marketplaces/{check_segments(marketplace, 'marketplace')}.md"


def listing_md(label: str | None, month: str | None = None) -> str:
    """changes/index.md, changes/<class>/index.md; one month: changes/[<class>/]<yyyy-mm>.md."""
    folder = f"changes/{label}" if label else "changes"
    return f"{folder}/{month}.md" if month else f"{folder}/index.md"


def page_url(md_path: str) -> str:
    """Site-relative URL of a page with ``use_directory_urls``: a.md → a/, index.md → ''."""
    stem = md_path[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")].rstrip("/")
    return f"{stem}/" if stem else ""


def href(from_md: str, target_url: str) -> str:
    """Relative link from one page to a site-relative URL (raw HTML is not rewritten by MkDocs).

    Both are site-relative and normalized ("a/b/", "a/b/c.txt", "" for the root), so the link
    is found by counting segments (posixpath.relpath costs more, on tens of thousands of links)."""
    path, _, anchor = target_url.partition("#")
    here = page_url(from_md).split("/")[:-1]  # "a/b/" → ["a", "b"]; "" → []
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


def _stamp(iso: str) -> str:
    """``2026-11-01T00:00:00.5Z`` → ``20261101T000000Z``."""
    return re.sub(r"[-:]|\.\d+", "", iso)


def document_page(doc_id: str) -> str:
    """Site-relative URL of a document's page (MkDocs ``use_directory_urls``)."""
    return f"documents/{doc_id}/"


def change_anchor(change: Change) -> str:
    """``change-20261101T000000Z``: the change's detection time, stable across rebuilds."""
    return "change-" + _stamp(change.detected_at)


def change_permalink(change: Change) -> str:
    """Site-relative permalink of a change: its anchor in the document's page."""
    return f"{document_page(change.doc_id)}#{change_anchor(change)}"


def version_file(version: Version) -> str:
    """Site-relative URL of a version's text: a UTF-8 file whose SHA-256 is its text_sha256,
    named by its capture time and that hash (re-extracting a snapshot with new rules makes a
    second version captured at the same time)."""
    name = f"{_stamp(version.captured_at)}-{version.text_sha256[:12]}.txt"
    return f"{document_page(version.doc_id)}versions/{name}"


# ----------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedFormat:
    name: str
    suffix: str  # appended to a feed's stem
    media_type: str  # for <link rel="alternate" type=…>
    label: str  # what a reader is shown


FORMATS = (
    FeedFormat("rss", ".xml", "application/rss+xml", "RSS"),
    FeedFormat("atom", ".atom.xml", "application/atom+xml", "Atom"),
    FeedFormat("json", ".json", "application/feed+json", "JSON Feed"),
)
GLOBAL_FEED = "feed"  # feed.xml: the one a reader finds first
SUBSTANTIVE_FEED = "feeds/substantive"


def marketplace_feed(marketplace: str) -> str:
    return f"feeds/marketplaces/{marketplace}"


def document_feed(doc_id: str) -> str:
    return f"feeds/documents/{doc_id}"


def feed_urls(stem: str) -> list[tuple[FeedFormat, str]]:
    """(format, site-relative URL) of the three files of a feed."""
    return [(fmt, stem + fmt.suffix) for fmt in FORMATS]


# ----------------------------------------------------------------------------- calendars

UPCOMING_MD = "upcoming.md"
NOTICE_MD = "notice.md"
GLOBAL_CALENDAR = "calendar.ics"


def marketplace_calendar(marketplace: str) -> str:
    """Site-relative URL of a marketplace's calendar, in the folder of its page."""
    return f"marketplaces/{check_segments(marketplace, 'marketplace')}/calendar.ics"
