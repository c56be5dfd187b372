"""Pages that build their text with JavaScript, rendered by the system Chromium.

Seller Central help pages ship an empty ``#full-help-page`` and fill it from a script;
a plain request sees no policy at all. The loopback pages here do the same.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from crawler.browser import DEBIAN_CHROMIUM
from kb.models import ExitCode
from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support import run_cli
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow

INJECTED = """<!doctype html><html><head><title>Seller Code of Conduct</title></head><body>
<div id="help-app"><div id="full-help-page"></div><div class="hh-scroll-to-top-box">Back to top</div></div>
<script>
setTimeout(function () {
  document.getElementById('full-help-page').innerHTML =
    '<h1>Seller Code of Conduct</h1>' +
    '<p>Sellers must provide accurate information and act fairly.</p>' +
    '<p hidden>Internal note that readers never see.</p>' +
    '<p>Text built by a script, 200 ms after the page loaded.</p>';
}, 200);
</script></body></html>"""
# A robot check that a script draws: what a wall looks like to a browser.
WALL = """<!doctype html><html><head><title>Robot Check</title></head><body><div id="full-help-page"></div>
<script>document.body.innerHTML = '<h4>Type the characters you see in this image:</h4>' +
 '<form action="/errors/validateCaptcha"><input name="field-keywords"></form>';</script></body></html>"""
SETTINGS = {"POLICYWATCH_BROWSER_WAIT_MS": 2000}


def sources_for(site: LoopbackSite, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    browser = {"render": "browser", "select": ["#full-help-page"], "remove": ["*[hidden]", ".hh-scroll-to-top-box"]}
    docs = [
        {
            "id": "code-of-conduct",
            "title": "Code",
            "url": site.url("/help/G1801"),
            "type": "code-of-conduct",
            **browser,
        },
        {"id": "walled", "title": "Walled", "url": site.url("/help/G999"), "type": "policy", **browser},
        {"id": "fees", "title": "Fees", "url": site.url("/help/fees"), "type": "fees"},
    ]
    (folder / "js.yaml").write_text(declaration("js-market", docs))
    return load_sources(folder)


def serve(site: LoopbackSite) -> None:
    site.page("/help/G1801", INJECTED)
    site.page("/help/G999", WALL)
    site.page("/help/fees", help_page("Fees", policy_paragraphs("fees")))


@pytest.mark.skipif(
    not Path(DEBIAN_CHROMIUM).exists(),
    reason=f"no Chromium at {DEBIAN_CHROMIUM}: install Debian's package (apt-get install chromium)",
)
@pytest.mark.skipif(
    importlib.util.find_spec("scrapy_playwright") is None,
    reason="scrapy-playwright is not installed (pip install -e .)",
)
def test_a_script_built_page_is_captured_with_its_text(tmp_path):
    with LoopbackSite() as site:
        serve(site)
        report = crawl(tmp_path / "home", sources_for(site, tmp_path / "sources"), fast=True, extra_settings=SETTINGS)
        agents = {h.path: h.headers.get("user-agent", "") for h in site.hits()}
    assert report.needs_browser == [] and report.browser_problem is None
    with Store(tmp_path / "home") as store:
        [version] = store.versions("js-market/code-of-conduct")
        walled = store.checks("js-market/walled")
        assert store.versions("js-market/walled") == []
        assert len(store.versions("js-market/fees")) == 1
    assert version.text == (
        "# Seller Code of Conduct\n\nSellers must provide accurate information and act "
        "fairly.\n\nText built by a script, 200 ms after the page loaded.\n"
    )
    assert agents["/help/G1801"].startswith("policywatch/")  # the browser names the tool too
    [wall_check] = walled
    assert wall_check.outcome == "failed" and "bot wall" in wall_check.reason
    assert wall_check.snapshot_id is not None  # the wall is kept as evidence, never as a version


def test_without_chromium_the_crawl_names_what_needs_it_and_crawls_the_rest(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "crawl.yaml").write_text("chromium: /nonexistent/chromium\n")
    with LoopbackSite() as site:
        serve(site)
        sources_for(site, tmp_path / "sources")
        result = run_cli("crawl", "--fast", "--sources", str(tmp_path / "sources"), home=home, check=False)
        paths = [h.path for h in site.hits()]
    assert result.returncode == ExitCode.CHECKS_FAILED, result.stderr  # skipped documents are failed checks
    assert "/help/G1801" not in paths and "/help/fees" in paths
    assert "2 documents need a browser and were not crawled: no Chromium at /nonexistent/chromium" in result.stderr
    assert "apt-get install chromium" in result.stderr
    assert "needs a browser  js-market/code-of-conduct" in result.stderr
    with Store(home) as store:
        assert len(store.versions("js-market/fees")) == 1
        [check] = store.checks("js-market/code-of-conduct")
        docs = {d.doc_id: d for d in store.documents()}
    assert check.outcome == "failed" and "apt-get install chromium" in check.reason
    assert docs["js-market/code-of-conduct"].status == "failing"
