"""kb.publish.build: what site-src is made of, and what the site's hook must agree on with it.
(Whole builds, incremental ones and their failures are in test_publish.py.)"""

from __future__ import annotations

import ast

import pytest

from kb.errors import PublishError
from kb.publish.build import CHECKS_FILE, TEMPLATE_DIR, build_site, render_sources
from kb.publish.files import PENDING_FILE
from kb.publish.mkdocs_config import HOOK_FILE
from kb.publish.pages import AS_OF_MARKER, LAST_CHECKED_MARKER
from tests.support.site_data import change, doc, site_data

SITE_URL = "https://policies.example.org/watch/"


def _hook_constants() -> dict[str, str]:
    """The hook's module-level string constants, read without importing it (it imports MkDocs)."""
    tree = ast.parse((TEMPLATE_DIR / HOOK_FILE).read_text(encoding="utf-8"))
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def test_the_site_hook_uses_the_markers_and_files_publish_writes():
    hook = _hook_constants()
    assert hook["AS_OF"] == AS_OF_MARKER
    assert hook["LAST_CHECKED"] == LAST_CHECKED_MARKER
    assert hook["PENDING"] == PENDING_FILE
    assert f'"{CHECKS_FILE}"' in (TEMPLATE_DIR / HOOK_FILE).read_text(encoding="utf-8")


def test_site_src_holds_pages_versions_feeds_config_and_the_template_as_it_is():
    data = site_data(doc("shop/fees"), changes=(change("shop/fees", "2026-11-01T06:00:00Z"),))
    files = render_sources(data, SITE_URL)
    for name in ("docs/index.md", "docs/changes/index.md", "docs/marketplaces/shop.md", "docs/documents/shop/fees.md"):
        assert files[name].startswith(b"---\n"), name
    assert {"mkdocs.yml", CHECKS_FILE, "docs/feed.xml", "docs/feeds/documents/shop/fees.json"} <= set(files)
    assert files["docs/feeds/documents/shop/sitemap.xml"].startswith(b"<?xml")  # beside each feed folder
    for path in TEMPLATE_DIR.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(TEMPLATE_DIR).as_posix()
            target = rel if rel.split("/")[0] in ("overrides", "hooks") else f"docs/{rel}"
            assert files[target] == path.read_bytes(), rel


def test_building_without_sources_says_how_to_write_them(tmp_path):
    with pytest.raises(PublishError, match=r"no .*mkdocs\.yml") as err:
        build_site(tmp_path / "site-src", tmp_path / "site")
    assert err.value.hint == "run `policywatch publish` to write it"
    assert not (tmp_path / "site").exists()
