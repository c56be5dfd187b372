"""Extraction's shortcuts give what the long way gives.

Several ``remove`` selectors that match by element and ancestors alone are searched for in one
walk of the page (``diffs.extract._remove``); the result must be what removing them one after
the other gives, the long way (forced here by making no selector eligible), on pages where the
selectors' matches nest in each other and where order would matter for structural selectors.
The converter, the cleaning walk and the bot-wall check's short text are held to the code they
replace (markdownify's ``process_tag``, one search per kind, ``_text_of``) on every element.
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


CLEAN_PAGE = """<html><body><main><!-- a comment --><p>Keep <a href="/rules?utm_source=x">the rules</a>
<img src="a.png" alt=" Fee table "><img src="b.png"></p>
<button><img src="c.png" alt="inside a button"><a href="/x">link in button</a><!-- c --></button>
<div><svg><a href="/in-svg">svg link</a><script>var a = 1;</script></svg>
<a href="javascript:void(0)">no target</a><a name="anchor">named</a>
<a href="/outer">outer <a href="/inner">inner</a> tail</a>
<a href="https://example.com/p"><img src="d.png" alt="linked image"></a>
<noscript><p>enable javascript</p><img alt="ns"></noscript>
<form><select><option>o</option></select><input value="v"><textarea>t</textarea></form></div>
</main></body></html>"""


def _reference_clean(root, base_url: str) -> None:
    """``_clean_tree`` before its one walk: one search of the tree per kind."""
    EXTRACT._flatten_deep(root)
    for comment in root.find_all(string=lambda s: isinstance(s, EXTRACT.Comment)):
        comment.extract()
    for tag in root.find_all(EXTRACT._ALWAYS_DROPPED):
        tag.decompose()
    for img in root.find_all("img"):
        alt = (img.get("alt") or "").strip()
        img.replace_with(alt) if alt else img.decompose()
    for link in root.find_all("a"):
        target = EXTRACT.clean_link(str(link.get("href") or ""), base_url)
        if target is None:
            link.unwrap()
        else:
            link.attrs = {"href": target}


@pytest.mark.parametrize(
    "page",
    [CLEAN_PAGE, PRE_PAGE, PAGE, *sorted((GOLDEN / "extract").glob("*.html"))],
    ids=lambda p: p.stem if isinstance(p, Path) else p[:30],
)
def test_cleaning_in_one_walk_leaves_the_tree_the_searches_left(page) -> None:
    body = page.read_bytes() if isinstance(page, Path) else page
    url = "https://sellercentral.example.com/help/page"
    count = len(_parts(body))
    for i in range(count):  # every element as the part that is cleaned
        ours, theirs = _parts(body)[i], _parts(body)[i]
        EXTRACT._clean_tree(ours, url)
        _reference_clean(theirs, url)
        assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    "page",
    [CLEAN_PAGE, PAGE, *sorted((GOLDEN / "extract").glob("*.html")), *sorted((GOLDEN / "walls").glob("*.html"))],
    ids=lambda p: p.stem if isinstance(p, Path) else p[:30],
)
def test_short_text_is_the_text_when_short_and_none_when_long(page) -> None:
    body = page.read_bytes() if isinstance(page, Path) else page
    for part in _parts(body):
        text = EXTRACT._text_of(part)
        for limit in {0, 1, 5, 40, max(0, len(text) - 1), len(text), len(text) + 1, EXTRACT._SHORT_PAGE_CHARS}:
            expected = text if len(text) <= limit else None
            assert EXTRACT._short_text(part, limit) == expected, (limit, text[:80])


@pytest.mark.parametrize(
    "page",
    [
        CLEAN_PAGE,
        PRE_PAGE,
        PAGE,
        *sorted((GOLDEN / "extract").glob("*.html")),
        *sorted((GOLDEN / "walls").glob("*.html")),
    ],
    ids=lambda p: p.stem if isinstance(p, Path) else p[:30],
)
def test_tags_named_finds_what_find_all_finds(page) -> None:
    body = page.read_bytes() if isinstance(page, Path) else page
    for part in _parts(body)[:40]:
        for names in (EXTRACT._NOT_TEXT, EXTRACT._DROPPED_NAMES, frozenset(("p", "a", "li"))):
            assert [id(t) for t in EXTRACT._tags_named(part, names)] == [id(t) for t in part.find_all(tuple(names))]
