"""``mkdocs.yml``: the MkDocs-material configuration of the site, with its navigation.

The navigation has a tab per marketplace; each lists at most ``NAV_DOCUMENTS`` documents (a
marketplace with more lists them on its own page), and Material's ``navigation.prune`` keeps the
other sections out of each page, so the site grows linearly with the number of documents.

Nothing in the site loads from the network: no web fonts, no CDN, no ``offline`` plugin (see
below). Written through ``kb.sources.yamlio.dump``; its bytes are part of the build stamp
(``kb.publish.build.build_stamp``), so they must move only when the site's shape does.
"""

from __future__ import annotations

from kb.publish.announcements import ANNOUNCEMENTS_MD
from kb.publish.announcements import TITLE as ANNOUNCEMENTS_TITLE
from kb.publish.pages import LISTING_TITLES, SITE_NAME, Site
from kb.publish.rules_pages import nav as rules_nav
from kb.publish.sanitize import safe_title
from kb.publish.site_search import SCRIPT, SEARCH_MD, STYLE
from kb.publish.upcoming import NOTICE_TITLE, UPCOMING_TITLE
from kb.publish.urls import (
    FORMATS,
    GLOBAL_FEED,
    NOTICE_MD,
    SUBSTANTIVE_FEED,
    UPCOMING_MD,
    document_md,
    listing_md,
    marketplace_md,
)
from kb.sources.yamlio import dump

HOOK_FILE = "hooks/policywatch.py"  # from site_template/
NAV_DOCUMENTS = 40  # a marketplace with more documents lists them on its page, not in the nav


def mkdocs_yml(site: Site, site_url: str) -> str:
    """The text of ``mkdocs.yml``: theme, plugins, the feeds every page announces, the nav."""
    changes = [{title: listing_md(label)} for label, title in LISTING_TITLES.items()]
    dates = [{UPCOMING_TITLE: UPCOMING_MD}, {NOTICE_TITLE: NOTICE_MD}]
    dates += [{ANNOUNCEMENTS_TITLE: ANNOUNCEMENTS_MD}] if site.announcements.pages else []
    nav: list[dict] = [{"Home": "index.md"}, {"Changes": changes}, {"Upcoming": dates}]
    for marketplace in site.marketplaces:
        section: list[dict] = [{"Overview": marketplace_md(marketplace)}]
        docs = site.in_marketplace[marketplace]
        if len(docs) <= NAV_DOCUMENTS:  # more: listed on the overview page, see NAV_DOCUMENTS
            section += [{site.nav_title(doc): document_md(doc.doc_id)} for doc in docs]
        nav.append({safe_title(marketplace): section})
    nav.append(rules_nav(site.marketplaces))
    nav.append({"Search": SEARCH_MD})
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
            ],
            "palette": [
                {"media": media, "scheme": scheme, "toggle": {"icon": icon, "name": name}}
                for media, scheme, icon, name in toggle
            ],
        },
        # No plugin: Material's search wrote one index every searching visitor downloaded
        # whole (53 MB for 2,000 documents); the site search is Pagefind's, built by publish
        # (kb.publish.site_search), which any builder serves. Material's `offline` plugin is
        # left out on purpose: it forces use_directory_urls off (breaking permalinks) and adds
        # a script from unpkg.com to every page.
        "plugins": [],
        "hooks": [HOOK_FILE],
        "markdown_extensions": [{"toc": {"permalink": True}}, "tables"],
        "extra_css": ["stylesheets/policywatch.css", STYLE],
        "extra_javascript": [{"path": SCRIPT, "type": "module"}],
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
    return header + dump(config)
