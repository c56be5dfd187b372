"""kb.publish.build at scale: pages read and rendered one at a time, and incremental builds
made of hard links to the served site. Neither may change a byte of the site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kb.publish.build
from kb.publish import build_site, publish, write_sources
from kb.publish.build import CHECKS_FILE
from kb.publish.feeds import parse_time
from tests.publish.test_publish import DATA, SITE_URL, after_a_crawl, snapshot


def _ours(path: str) -> bool:
    return path.startswith(".policywatch")


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_pages_rendered_one_at_a_time_are_those_of_mkdocs_own_order(tmp_path, monkeypatch, parts):
    """MkDocs itself renders every page before it writes the first; the children render each
    just before writing it (``_one_page_at_a_time``), each child every ``parts``-th page.
    Same sources, same bytes."""
    monkeypatch.setattr(kb.publish.build, "WHOLE_BUILD_PARTS", parts)
    src = tmp_path / "site-src"
    write_sources(after_a_crawl(DATA), src, site_url=SITE_URL)
    result = build_site(src, tmp_path / "site")
    assert result.pages_built == result.pages_total > 0
    generated_at = json.loads((src / CHECKS_FILE).read_text())["generated_at"]
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SOURCE_DATE_EPOCH": str(int(parse_time(generated_at).timestamp())),
    }
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        str(src / "mkdocs.yml"),
        "-d",
        str(tmp_path / "own"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    ours = {k: v for k, v in snapshot(tmp_path / "site").items() if not _ours(k)}
    assert ours == snapshot(tmp_path / "own")


def _files(site: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.read_bytes()) for p in site.rglob("*") if p.is_file()}


def test_an_incremental_build_links_the_previous_site_and_never_writes_into_it(tmp_path):
    """The build folder starts as hard links to the served site's files: a file the build
    rewrites must be a new file, so that the served site keeps its bytes until the swap."""
    home = tmp_path / "home"
    publish(DATA, home, site_url=SITE_URL)
    before = _files(home / "site")
    old_bytes = {inode: content for inode, content in before.values()}
    result = publish(after_a_crawl(DATA), home, site_url=SITE_URL)
    assert result.incremental
    after = _files(home / "site")
    shared = {rel for rel, (inode, _) in after.items() if inode in old_bytes}
    assert len(shared) > len(after) / 2  # linked, not copied: most files did not change
    for rel, (inode, content) in after.items():
        if inode in old_bytes:
            assert content == old_bytes[inode], rel  # a shared file was never written into
    rewritten = {rel for rel in after if rel in before and after[rel][1] != before[rel][1]}
    assert "documents/northwind/fees/index.html" in rewritten
    assert not rewritten & shared
