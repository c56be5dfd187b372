"""kb.publish.urls: where pages, permalinks, version texts and feeds live, the relative links
between them, and the site's absolute URL."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from kb.errors import PublishError
from kb.models import Change, Version
from kb.publish.urls import (
    DEFAULT_SITE_URL,
    change_anchor,
    change_permalink,
    check_segments,
    document_md,
    feed_urls,
    href,
    listing_md,
    marketplace_md,
    page_url,
    resolve_site_url,
    version_file,
)


def test_site_url_comes_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("POLICYWATCH_SITE_URL", raising=False)
    assert resolve_site_url(None) == DEFAULT_SITE_URL == "http://localhost:8000/"
    monkeypatch.setenv("POLICYWATCH_SITE_URL", "https://env.example/site")
    assert resolve_site_url(None) == "https://env.example/site/"
    assert resolve_site_url("https://arg.example/") == "https://arg.example/"
    with pytest.raises(PublishError, match="not an absolute http"):
        resolve_site_url("policies.example.org")


@pytest.mark.parametrize(
    "md, url",
    [
        ("index.md", ""),
        ("changes/index.md", "changes/"),
        ("changes/minor/2026-11.md", "changes/minor/2026-11/"),
        ("documents/northwind/fees.md", "documents/northwind/fees/"),
    ],
)
def test_page_url_is_the_folder_mkdocs_serves_the_page_at(md, url):
    assert page_url(md) == url


def test_page_paths_of_each_kind():
    assert document_md("northwind/fees") == "documents/northwind/fees.md"
    assert marketplace_md("northwind") == "marketplaces/northwind.md"
    assert listing_md(None) == "changes/index.md"
    assert listing_md("substantive") == "changes/substantive/index.md"
    assert listing_md(None, "2026-11") == "changes/2026-11.md"
    assert listing_md("noise", "2026-11") == "changes/noise/2026-11.md"


@pytest.mark.parametrize(
    "from_md, target, link",
    [
        ("index.md", "", "./"),
        ("index.md", "changes/", "changes/"),
        ("changes/index.md", "", "../"),
        ("changes/index.md", "changes/2026-11/", "2026-11/"),
        ("changes/minor/2026-11.md", "changes/", "../../"),
        ("documents/a/b.md", "documents/a/b/#change-1", "#change-1"),
        ("documents/a/b.md", "documents/a/b/versions/1.txt", "versions/1.txt"),
        ("marketplaces/a.md", "documents/a/b/#change-1", "../../documents/a/b/#change-1"),
        ("documents/a/b.md", "feeds/documents/a/b.json", "../../../feeds/documents/a/b.json"),
    ],
)
def test_href_is_the_relative_link_a_browser_resolves_to_the_target(from_md, target, link):
    assert href(from_md, target) == link
    site = "https://policies.example.org/watch/"  # resolved from the page, as a browser does
    assert urljoin(site + page_url(from_md), link) == site + target


@pytest.mark.parametrize("bad", ["../etc", "a/../b", ".hidden", "a//b", "a b", "", "a/"])
def test_an_id_that_is_not_a_safe_path_is_refused(bad):
    with pytest.raises(PublishError, match="cannot be a page path") as err:
        check_segments(bad, "document id")
    assert err.value.hint == "ids are lowercase slugs such as 'amazon-us/seller-agreement'"
    with pytest.raises(PublishError):
        document_md(bad)
    assert check_segments("amazon-us/seller_agreement.v2", "document id") == "amazon-us/seller_agreement.v2"


def test_permalink_and_version_layout():
    change = Change(1, "k", "northwind/seller-agreement", 1, 2, "2026-10-15T06:00:00Z", "minor", "s")
    assert change_anchor(change) == "change-20261015T060000Z"
    assert change_permalink(change) == "documents/northwind/seller-agreement/#change-20261015T060000Z"
    fractional = Change(2, "k2", "a/b", 1, 2, "2026-10-15T06:00:00.123456Z", "minor", "s")
    assert change_anchor(fractional) == "change-20261015T060000Z"
    version = Version(1, "a/b", 1, "0" * 64, "2026-10-15T06:00:00Z", "", "text", "1f" * 32)
    assert version_file(version) == "documents/a/b/versions/20261015T060000Z-1f1f1f1f1f1f.txt"


def test_a_feed_is_three_files_beside_each_other():
    assert [url for _, url in feed_urls("feeds/marketplaces/northwind")] == [
        "feeds/marketplaces/northwind.xml",
        "feeds/marketplaces/northwind.atom.xml",
        "feeds/marketplaces/northwind.json",
    ]
