"""Extraction: golden pages, bot walls, selectors, encodings, link cleaning.

Golden files: ``golden/extract/<name>.html`` (+ optional ``<name>.rules.json`` with ``select``,
``remove``, ``url``) must extract to ``<name>.md``; the title is checked against the first line of
``<name>.title`` when present. Regenerate after a deliberate change with
``POLICYWATCH_REGEN_GOLDEN=1 pytest tests/diffs/test_extract.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from diffs import (
    BotWall,
    EmptyPage,
    ExtractionError,
    InvalidSelector,
    Rules,
    SelectorMatchedNothing,
    extract,
    normalize_markdown,
    selector_error,
)
from diffs.extract import clean_link
from tests.support import GOLDEN as SUPPORT_GOLDEN
from tests.support import REPO

GOLDEN = SUPPORT_GOLDEN
EXTRACT_CASES = sorted((GOLDEN / "extract").glob("*.html"))
WALLS = sorted((GOLDEN / "walls").glob("*.html"))
REGEN = os.environ.get("POLICYWATCH_REGEN_GOLDEN") == "1"


def _rules_for(page: Path) -> tuple[Rules, str]:
    spec_file = page.with_suffix(".rules.json")
    spec = json.loads(spec_file.read_text()) if spec_file.exists() else {}
    rules = Rules(select=tuple(spec.get("select", ())), remove=tuple(spec.get("remove", ())))
    return rules, spec.get("url", "")


@pytest.mark.parametrize("page", EXTRACT_CASES, ids=lambda p: p.stem)
def test_extraction_matches_golden_markdown(page: Path) -> None:
    rules, url = _rules_for(page)
    got = extract(page.read_bytes(), rules, url=url)
    expected_md = page.with_suffix(".md")
    expected_title = page.with_suffix(".title")
    if REGEN:
        expected_md.write_text(got.markdown, encoding="utf-8")
        expected_title.write_text(got.title + "\n", encoding="utf-8")
    assert expected_md.exists(), f"missing {expected_md.name}: run with POLICYWATCH_REGEN_GOLDEN=1"
    assert got.markdown == expected_md.read_text(encoding="utf-8")
    assert got.title == expected_title.read_text(encoding="utf-8").rstrip("\n")


def test_golden_set_is_not_empty() -> None:
    assert len(EXTRACT_CASES) >= 5 and len(WALLS) >= 3


@pytest.mark.parametrize("page", EXTRACT_CASES, ids=lambda p: p.stem)
def test_extraction_is_deterministic_and_already_normalized(page: Path) -> None:
    rules, url = _rules_for(page)
    first = extract(page.read_bytes(), rules, url=url)
    second = extract(page.read_bytes(), rules, url=url)
    assert first == second
    assert normalize_markdown(first.markdown) == first.markdown


def test_help_page_drops_noise_and_keeps_the_document() -> None:
    page = GOLDEN / "extract" / "seller_help_page.html"
    rules, url = _rules_for(page)
    md = extract(page.read_bytes(), rules, url=url).markdown
    for noise in (
        "ue_t0",
        "trackPageView",
        "Accept all",
        "Search help",
        "template text",
        "icon",
        "enable JavaScript",
        "build 2026",
        "Related",
        "Last updated",
    ):
        assert noise not in md
    assert "# Account Health Rating policy" in md
    assert "**under 4 %**" in md  # nbsp became a space
    assert "Open the FAQ" in md and "javascript:" not in md
    assert "mailto:" not in md and "Email seller support" in md
    assert "Fee chart" in md and "media-example" not in md  # images keep their alt text only


def test_every_selector_must_match() -> None:
    page = (GOLDEN / "extract" / "multi_select.html").read_bytes()
    with pytest.raises(SelectorMatchedNothing) as err:
        extract(page, Rules(select=(".intro", "#moved-away")), url="https://x.example/fees")
    assert err.value.kind == "selector-missed"
    message = str(err.value)
    assert "#moved-away" in message and "check the declaration's select" in message
    assert "\n" not in message


def test_selected_parts_come_in_document_order_without_duplicates() -> None:
    html = "<body><div id=a><p>first</p><div class=x><p>inner</p></div></div><p class=x>last</p></body>"
    md = extract(html, Rules(select=(".x", "#a"))).markdown
    assert md == "first\n\ninner\n\nlast\n"


@pytest.mark.parametrize("page", WALLS, ids=lambda p: p.stem)
def test_bot_walls_are_reported_before_selection(page: Path) -> None:
    with pytest.raises(BotWall) as err:
        extract(page.read_bytes(), Rules(select=("#full-help-page",)), url="https://m.example/p")
    assert err.value.kind == "bot-wall"
    assert "https://m.example/p" in str(err.value) and "\n" not in str(err.value)


def test_policy_mentioning_captcha_is_not_a_wall() -> None:
    page = GOLDEN / "extract" / "policy_mentions_captcha.html"
    rules, url = _rules_for(page)
    md = extract(page.read_bytes(), rules, url=url).markdown
    assert "bypass any captcha" in md


@pytest.mark.parametrize(
    "html",
    [
        "<title>Access Denied</title><h1>Access Denied</h1><p>You don't have permission to access "
        '"http://sell.example/x" on this server.</p><p>Reference #18.5f3c1002</p>',
        "<title>Amazon.com</title><p>Please Enable Cookies to Continue</p><p>To continue shopping "
        "at Amazon.com, please enable cookies in your Web browser.</p>",
        '<title>Access to this page has been denied</title><div id="px-captcha"></div>'
        "<p>Press &amp; Hold to confirm you are a human (and not a bot).</p>",
    ],
    ids=["akamai-access-denied", "enable-cookies", "perimeterx"],
)
def test_other_known_walls(html: str) -> None:
    with pytest.raises(BotWall):
        extract(html, Rules())


def test_short_page_about_captchas_is_not_a_wall() -> None:
    html = (
        "<title>Help: sign-in problems</title><h1>Sign-in problems</h1><p>If a captcha appears "
        "when you sign in, type the letters shown and select Continue.</p>"
    )
    assert "captcha appears" in extract(html, Rules()).markdown


def test_empty_page() -> None:
    with pytest.raises(EmptyPage) as err:
        extract(
            "<html><body><div id=c> <script>x()</script> </div></body></html>",
            Rules(select=("#c",)),
        )
    assert err.value.kind == "empty"


def test_invalid_selector() -> None:
    assert selector_error("div.help-content > p") is None
    assert selector_error("div[") is not None
    assert selector_error("") == "empty selector"
    with pytest.raises(InvalidSelector) as err:
        extract("<p>x</p>", Rules(select=("div[",)))
    assert err.value.kind == "invalid-selector" and "div[" in str(err.value)
    with pytest.raises(InvalidSelector):
        extract("<p>x</p>", Rules(remove=("::nonsense(",)))
    assert issubclass(InvalidSelector, ExtractionError)


def test_cp1252_bytes_declared_as_utf8_decode_without_crash() -> None:
    page = (GOLDEN / "extract" / "cp1252_declared_utf8.html").read_bytes()
    md = extract(page, Rules()).markdown
    assert 'The seller\'s "net proceeds" are paid monthly - no fee applies…' in md
    assert "Café sellers pay € 5." in md


def test_utf8_bom_and_caller_encoding() -> None:
    page = (GOLDEN / "extract" / "utf8_bom.html").read_bytes()
    assert page.startswith(b"\xef\xbb\xbf")
    got = extract(page, Rules())
    assert got.title == "Conditions générales"
    assert got.markdown.startswith("# Conditions générales de vente\n")
    latin1 = "<p>Prix: 5 € pour l'expédition</p>".encode("iso-8859-15")
    assert "5 € pour l'expédition" in extract(latin1, Rules(), encoding="iso-8859-15").markdown


def test_title_falls_back_to_first_h1() -> None:
    assert extract("<body><h1>Seller  Code of Conduct</h1><p>x</p></body>", Rules()).title == "Seller Code of Conduct"
    assert extract("<body><p>x</p></body>", Rules()).title == ""


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/help/G1?ref_=nav&utm_source=mail&b=2&a=1", "https://sell.example.com/help/G1?a=1&b=2"),
        (
            "https://www.example.com/gp/help/customer/display.html/ref=hp_left_sib?ie=UTF8&nodeId=1",
            "https://www.example.com/gp/help/customer/display.html?ie=UTF8&nodeId=1",
        ),
        (
            "page;jsessionid=ABC123?gclid=1&fbclid=2&sid=9&token=t&_encoding=UTF8&x=y",
            "https://sell.example.com/docs/page?x=y",
        ),
        ("HTTPS://Sell.Example.COM/a#section-2", "https://sell.example.com/a#section-2"),
        ("javascript:void(0)", None),
        ("data:text/html,hi", None),
        ("mailto:legal@example.com", None),
        ("#top", None),
    ],
)
def test_clean_link(href: str, expected: str | None) -> None:
    assert clean_link(href, "https://sell.example.com/docs/index.html") == expected


def test_tracking_params_do_not_change_the_text() -> None:
    a = '<p>Read the <a href="/fees?utm_campaign=spring&amp;lang=en&amp;ref=top">fees</a>.</p>'
    b = '<p>Read the <a href="/fees?lang=en&amp;fbclid=IwAR0&amp;utm_campaign=fall">fees</a>.</p>'
    md_a = extract(a, Rules(), url="https://sell.example.com/").markdown
    assert md_a == extract(b, Rules(), url="https://sell.example.com/").markdown
    assert md_a == "Read the [fees](https://sell.example.com/fees?lang=en).\n"


def test_relative_links_without_base_url_keep_their_text_only() -> None:
    assert extract('<p><a href="/x">Terms</a></p>', Rules()).markdown == "Terms\n"


def test_deeply_unclosed_paragraphs_do_not_recurse() -> None:
    html = "<body>" + "<p>clause " * 2000 + "</body>"
    assert extract(html, Rules()).markdown.count("clause") == 2000


def test_markdown_link_targets_are_canonical() -> None:
    """Captures that arrive as Markdown get the same link cleaning as extracted pages."""
    a = "See [fees](https://sell.example.com/help/G1?ref_=ag_1&utm_source=x&b=2&a=1).\n"
    b = "See [fees](https://Sell.Example.com/help/G1?a=1&b=2&ref_=nav_2).\n"
    assert normalize_markdown(a) == normalize_markdown(b) == ("See [fees](https://sell.example.com/help/G1?a=1&b=2).\n")
    amazon = "[BSA](https://sellercentral.example.com/gp/help/external/1791/ref=efph_1791_cont?language=en_US)"
    assert normalize_markdown(amazon) == (
        "[BSA](https://sellercentral.example.com/gp/help/external/1791?language=en_US)\n"
    )
    relative = "[terms](/legal/terms?ref=footer) and <https://x.example/a?sid=9&q=1>\n"
    assert normalize_markdown(relative) == "[terms](/legal/terms?ref=footer) and <https://x.example/a?q=1>\n"
    assert normalize_markdown(normalize_markdown(a)) == normalize_markdown(a)


def test_extraction_is_byte_identical_across_processes() -> None:
    """The same snapshot extracts to the same bytes in a fresh interpreter (no hash seeds)."""
    import subprocess
    import sys

    page = GOLDEN / "extract" / "seller_help_page.html"
    rules, url = _rules_for(page)
    script = (
        "import sys, hashlib; from diffs import extract, Rules; "
        f"md = extract(open({str(page)!r}, 'rb').read(), Rules(select={rules.select!r}, "
        f"remove={rules.remove!r}), url={url!r}).markdown; print(hashlib.sha256(md.encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
        )
        digests.add(out.stdout.strip())
    import hashlib

    local = extract(page.read_bytes(), rules, url=url).markdown
    assert digests == {hashlib.sha256(local.encode()).hexdigest()}


def test_deep_nesting_is_read_not_a_recursion_error():
    from diffs.extract import Rules, extract

    page = (
        "<html><body><main><p>Keep the order defect rate under 1%.</p>" + "<div>" * 3000 + "tail</main></body></html>"
    )
    text = extract(page.encode(), Rules(select=("main",))).markdown
    assert "order defect rate under 1%" in text and "tail" in text


def test_control_characters_never_reach_the_text() -> None:
    # 3b: ESC sequences, backspace, NUL and C1 controls are not text: XML feeds refuse them and a
    # terminal would obey them. Tab and newline stay whitespace.
    page = "<main><h1>Fees\x07</h1><p>The fee is 20%\x1b[31m of\x08 the price\x9b0m.\tNow.</p></main>"
    got = extract(page, Rules(select=("main",)))
    assert got.markdown == "# Fees\n\nThe fee is 20%[31m of the price0m. Now.\n"
    assert got.title == "Fees"
    assert normalize_markdown("a\x1bb\x7fc\x85d\x00\r\ne") == "abcd\ne\n"


class _WorkBudgetExceeded(Exception):
    pass


def _lines_executed(work, budget: int) -> int:
    """Python lines ``work()`` executes (its own and the libraries'): a count of operations that
    does not depend on the machine; past ``budget`` it stops the work instead of waiting it out."""
    import sys

    executed = 0

    def trace(frame, event, arg):
        nonlocal executed
        if event == "line":
            executed += 1
            if executed > budget:
                raise _WorkBudgetExceeded(f"more than {budget} lines executed")
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return executed


def test_flattening_deep_nesting_is_linear_in_the_page():
    # 3e: unwrapping each tag past MAX_DEPTH moved every string below it up one level per
    # level: 10,000 levels took 39 s, 100,000 held the recorder for minutes.
    import functools

    from bs4 import BeautifulSoup

    from diffs.extract import _flatten_deep

    lines = {}
    for levels in (5_000, 20_000):
        soup = BeautifulSoup("<body>" + "<div>clause " * levels + "</body>", "lxml")
        lines[levels] = _lines_executed(functools.partial(_flatten_deep, soup.body), budget=40 * levels)
        assert soup.body.get_text().count("clause") == levels
    assert lines[20_000] <= 4.4 * lines[5_000]
