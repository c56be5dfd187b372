"""Publish the knowledge base as a static MkDocs-material site with RSS, Atom and JSON feeds.

``publish(data, home)`` writes ``<home>/site-src`` and builds ``<home>/site`` from it; both steps
are reproducible (same ``PublishInput`` → same bytes) and a failure leaves the previous site in
place. The modules, in the order the data goes through them:

- ``pages``: the Markdown pages (``Site``), made of ``fragments``, linked by ``urls`` (the URL
  layout that pages and feeds share, and the site's own URL);
- ``feeds``: the feeds (the only importer of feedgen); ``sanitize``: crawled HTML and text made
  safe for a page, a title or a feed (the only importer of nh3);
- ``mkdocs_config``: ``mkdocs.yml``, with the navigation;
- ``site_search``: the site search, a Pagefind index written among the sources before MkDocs
  runs (the only importer of pagefind), with the search page and its script;
- ``files``: writing ``site-src`` only where bytes change, and swapping a built site in;
- ``build``: the two steps (``write_sources``, ``build_site``) and MkDocs, run in a child process
  (the only importer of MkDocs); ``site_template/``: the theme override, the CSS and the build
  hook, copied as they are.

Pages hold nothing that moves on every check: what does (the data's date, each document's last
check) goes into ``checks.json``, which the hook prints at build time. So a crawl that finds
nothing new rewrites ``checks.json`` alone, and one that changes a document rewrites that
document's page and feeds, the indexes (home, changelogs, its marketplace) and the site-wide
feeds. The sitemap's dates come from the data's ``generated_at`` (``SOURCE_DATE_EPOCH``), not
from the clock.

Nothing in the site loads from the network (no web fonts, no CDN); search works when the site is
served over HTTP, e.g. by ``policywatch serve`` (``serve``: loopback only). The site URL (absolute, used for feed
links, the sitemap and canonical links) comes from the ``site_url`` argument, else
``$POLICYWATCH_SITE_URL``. Without either, the feeds' links are relative to each feed (no
``localhost`` link goes to a subscriber), the result's ``notices`` say so, and MkDocs is given
``http://localhost:8000/`` for the pages.

Diffs are shown as the document reads (``diffs.render``, through ``fragments.readable_diff``),
and every change's brief comes from one function, ``briefs.brief_of``.
"""

from kb.errors import PublishError
from kb.publish.build import (
    BUILD_STAMP_FILE,
    SITE_MARKER,
    SiteResult,
    build_site,
    iter_sources,
    publish,
    render_sources,
    write_sources,
)
from kb.publish.files import PENDING_FILE
from kb.publish.urls import DEFAULT_SITE_URL, NO_SITE_URL_NOTICE, SITE_URL_ENV, given_site_url, resolve_site_url

__all__ = [
    "BUILD_STAMP_FILE",
    "DEFAULT_SITE_URL",
    "NO_SITE_URL_NOTICE",
    "PENDING_FILE",
    "SITE_MARKER",
    "SITE_URL_ENV",
    "PublishError",
    "SiteResult",
    "build_site",
    "given_site_url",
    "iter_sources",
    "publish",
    "render_sources",
    "resolve_site_url",
    "write_sources",
]
