"""Extraction's shortcuts give what the long way gives.

Several ``remove`` selectors that match by element and ancestors alone are searched for in one
walk of the page (``diffs.extract._remove``); the result must be what removing them one after
the other gives, the long way (forced here by making no selector eligible), on pages where the
selectors' matches nest in each other and where order would matter for structural selectors.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from diffs import InvalidSelector, Rules, extract
from tests.support import GOLDEN

EXTRACT = sys.modules["diffs.extract"]

PAGE = """<html><head><title>T</title></head><body>
<nav class="menu"><p class="ad">nav ad</p><div class="tools">nav tools</div></nav>
<main id="m">
  <article class="help">
    <p class="ad">An ad first.</p>
    <p>Sellers must ship within 2 days.</p>
    <div class="tools"><p class="ad">nested ad</p><span>share</span></div>
    <section data-x="1"><p>Returns are accepted for 30 days.</p><p class="ad">tail ad</p></section>
    <p>Fees are due monthly.</p>
    <ul><li class="tools">tool item</li><li>Keep records for 3 years.</li></ul>
  </article>
</main></body></html>"""

REMOVES = [
    (".ad", ".tools"),
    (".tools", ".ad"),
    ("nav", ".ad", "div.tools"),
    ("article > .ad", "section p.ad", "[data-x] .ad", "li.tools"),
    ("#m .tools", "main *.ad", ".menu"),
    # structural selectors: taken one after the other, where order changes what they match
    (".ad", "article > p:first-child"),
    ("p:first-child", ".ad"),
    ("li.tools", "li:first-child"),
    (".tools", "p + p"),
    ('[data-x="1"] .ad', ".tools"),
]


def _outcome(body, rules: Rules, url: str = "") -> str:
    try:
        return extract(body, rules, url=url).markdown
    except Exception as exc:  # noqa: BLE001 - the same failure either way
        return f"{type(exc).__name__}: {exc}"


def _one_by_one(monkeypatch: pytest.MonkeyPatch, body, rules: Rules, url: str = "") -> str:
    with monkeypatch.context() as m:
        m.setattr(EXTRACT, "_ORDER_FREE_SELECTOR", re.compile(r"(?!)"))
        return _outcome(body, rules, url)


@pytest.mark.parametrize("remove", REMOVES, ids=lambda r: " | ".join(r))
def test_removing_in_one_walk_removes_what_one_by_one_removes(monkeypatch: pytest.MonkeyPatch, remove) -> None:
    for select in ((), ("article.help",), ("article.help p", "li")):
        rules = Rules(select=select, remove=remove)
        assert _outcome(PAGE, rules) == _one_by_one(monkeypatch, PAGE, rules)


def test_order_matters_for_structural_selectors_and_is_kept() -> None:
    # Once the ad is gone, the shipping sentence is the article's first child: removed too.
    text = extract(PAGE, Rules(select=("article.help",), remove=(".ad", "article > p:first-child"))).markdown
    assert "ship within" not in text
    text = extract(PAGE, Rules(select=("article.help",), remove=("article > p:first-child", ".ad"))).markdown
    assert "ship within" in text


def test_an_invalid_selector_among_order_free_ones_is_named() -> None:
    with pytest.raises(InvalidSelector) as raised:
        extract(PAGE, Rules(remove=(".ad", "p[", ".tools")))
    assert "p[" in str(raised.value)


GOLDEN_REMOVES = [("nav", "footer", "header"), ("div", "p"), ("aside", "ul li", "table", "script"), ("a", "h2", "b")]


@pytest.mark.parametrize("page", sorted((GOLDEN / "extract").glob("*.html")), ids=lambda p: p.stem)
def test_golden_pages_extract_the_same_either_way(monkeypatch: pytest.MonkeyPatch, page: Path) -> None:
    spec_file = page.with_suffix(".rules.json")
    spec = json.loads(spec_file.read_text()) if spec_file.exists() else {}
    body, url = page.read_bytes(), spec.get("url", "")
    for remove in GOLDEN_REMOVES:
        rules = Rules(select=tuple(spec.get("select", ())), remove=tuple(spec.get("remove", ())) + remove)
        assert _outcome(body, rules, url) == _one_by_one(monkeypatch, body, rules, url)


PRE_PAGE = """<html><body><main>
<pre><p>first</p><p>second</p></pre>
<pre><div><p>a</p><p>b</p><ul><li>x</li></ul><p>c</p></div></pre>
<pre id="whole">line one

<b>bold</b>
   indented
<span id="in-pre">inner
text</span></pre>
<div id="d"><p>para</p>
<pre><code>code  block
  kept</code></pre>
<ul><li>one</li><li>two<pre>a
b</pre></li></ul>
<table><tr><th>h</th></tr><tr><td>c<pre>x
y</pre></td></tr></table>
<h2>Title <code>x</code></h2><blockquote><p>q</p><pre>z

w</pre></blockquote></div></main></body></html>"""


class _Markdownify(EXTRACT._Converter):
    """markdownify's own ``process_tag``, with the converter's options: the reference."""

    process_tag = EXTRACT.MarkdownConverter.process_tag


def _parts(body) -> list:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(EXTRACT._decode(body, None), "lxml")
    return [soup, *soup.find_all(True)]


@pytest.mark.parametrize(
    "page",
    [PRE_PAGE, PAGE, *sorted((GOLDEN / "extract").glob("*.html"))],
    ids=lambda p: p.stem if isinstance(p, Path) else p[:30],
)
def test_conversion_is_markdownifys_for_every_element(page) -> None:
    body = page.read_bytes() if isinstance(page, Path) else page
    ours, theirs = EXTRACT._Converter(), _Markdownify()
    for part in _parts(body):  # every element, also those inside a <pre> and the <pre> itself
        assert ours.convert_soup(part) == theirs.convert_soup(part), str(part)[:200]
