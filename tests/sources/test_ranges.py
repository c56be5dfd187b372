"""Range selectors and combined documents: declared, validated, and applied by extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffs.combine import CapturedPage, combined_status, pack, unpack
from diffs.extract import ExtractionError, Rules, SelectorMatchedNothing, extract
from diffs.ranges import Range
from kb.errors import DeclarationError
from kb.sources import load_sources

PAGE = """<html><head><title>Seller policy</title></head><body>
<nav id="menu">Legal menu</nav><div id="category-dropdown">Categories</div>
<h1>Seller Policy</h1><p>First rule.</p>
<ul><li>alpha</li><li id="beta">beta</li><li>gamma</li></ul>
<p id="last">Last rule.</p>
<div id="locale_overlay_container">Language</div><footer>Footer</footer></body></html>"""


def md(rules: Rules, page: str = PAGE) -> str:
    return extract(page, rules).markdown


def test_start_after_end_before_keeps_what_lies_between():
    assert (
        md(Rules(select_ranges=(Range("#category-dropdown", "#locale_overlay_container"),)))
        == "# Seller Policy\n\nFirst rule.\n\n- alpha\n- beta\n- gamma\n\nLast rule.\n"
    )


def test_start_before_end_after_include_the_boundaries():
    rng = Range("h1", "#last", start_included=True, end_included=True)
    assert (
        md(Rules(select_ranges=(rng,))) == "# Seller Policy\n\nFirst rule.\n\n- alpha\n- beta\n- gamma\n\nLast rule.\n"
    )
    assert md(Rules(select_ranges=(Range("#menu", "h1", end_included=True),))) == "Categories\n\n# Seller Policy\n"


def test_a_range_cutting_through_a_list_keeps_the_list():
    assert (
        md(Rules(select_ranges=(Range("#beta", "#locale_overlay_container", start_included=True),)))
        == "- beta\n- gamma\n\nLast rule.\n"
    )


def test_ranges_and_selectors_come_out_in_page_order():
    rules = Rules(select=("footer", "#menu"), select_ranges=(Range("#beta", "#last"),))
    assert md(rules) == "Legal menu\n\n- gamma\n\nFooter\n"


def test_remove_range_deletes_between_and_missing_boundaries_remove_nothing():
    rules = Rules(
        select=("body",),
        remove=("nav", "footer"),
        remove_ranges=(Range("h1", "#last", end_included=True), Range("#nowhere", "#last")),
    )
    assert md(rules) == "Categories\n\n# Seller Policy\n\nLanguage\n"


def test_missing_or_reversed_boundaries_fail_the_extraction():
    with pytest.raises(SelectorMatchedNothing, match="'#gone' matched nothing"):
        md(Rules(select_ranges=(Range("#gone", "#last"),)))
    with pytest.raises(ExtractionError, match="'#menu' comes before the range start '#last'"):
        md(Rules(select_ranges=(Range("#last", "#menu"),)))


def test_combined_capture_is_byte_exact_and_extracted_page_by_page():
    latin = (
        "<html><head><meta charset='iso-8859-1'></head><body><main><p>Caf\xe9 fees: 5 \u20ac.</p></main></body></html>"
    )
    pages = [
        CapturedPage(
            "https://m.example/a",
            200,
            "text/html; charset=utf-8",
            b"<html><body><main><h1>Conditions</h1><p>--policywatch-x\r\n\r\nno boundary</p></main></body></html>",
        ),
        CapturedPage("https://m.example/b", 200, "text/html; charset=iso-8859-15", latin.encode("iso-8859-15")),
    ]
    body = pack(pages)
    assert unpack(body) == pages
    rules = Rules(parts=(Rules(select=("main",)), Rules(select=("main",))))
    assert (
        extract(body, rules).markdown == "# Conditions\n\n--policywatch-x no boundary\n\nCafé fees: 5 €.\n"
    )  # € only in iso-8859-15
    with pytest.raises(ExtractionError, match="holds 2 pages but the declaration combines 3"):
        extract(body, Rules(parts=(Rules(),) * 3))
    with pytest.raises(ExtractionError, match="not a combined capture"):
        extract(PAGE, rules)
    assert combined_status(pages) == 200
    assert combined_status([pages[0], CapturedPage("https://m.example/b", 404, "text/html", b"")]) == 404


def write(tmp_path: Path, documents: str, defaults: str = "") -> Path:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    (folder / "m.yaml").write_text(f"marketplace: m\nname: M\n{defaults}documents:\n{documents}")
    return folder


def test_declarations_with_ranges_pages_and_render(tmp_path):
    folder = write(
        tmp_path,
        """
  - id: policy
    title: Policy
    url: https://m.example/policy
    type: policy
    select: ["main", {start_after: "#menu", end_before: "footer"}]
    remove: [{start_before: ".ad", end_after: ".ad-end"}]
  - id: conditions
    title: Conditions
    type: agreement
    pages:
      - url: https://m.example/conditions
      - url: https://m.example/annex
        select: [".annex"]
        render: http
""",
        defaults='defaults:\n  select: ["#content"]\n  render: browser\n',
    )
    sources = load_sources(folder)
    policy, conditions = sources.documents
    assert policy.rules.select == ("main",)
    assert policy.rules.select_ranges == (Range("#menu", "footer"),)
    assert policy.rules.remove_ranges == (Range(".ad", ".ad-end", True, True),)
    assert policy.browser and conditions.url == "https://m.example/conditions"
    assert [(p.url, p.browser, p.rules.select) for p in conditions.pages] == [
        ("https://m.example/conditions", True, ("#content",)),
        ("https://m.example/annex", False, (".annex",)),
    ]
    assert conditions.rules.parts == tuple(p.rules for p in conditions.pages)


@pytest.mark.parametrize(
    "document, expected",
    [
        (
            "    select: [{start_after: '#a', start_before: '#b', end_before: '#c'}]\n",
            "m.yaml: documents[0].select[0]: a range needs one of start_before/start_after and one of "
            "end_after/end_before, got start_after, start_before, end_before",
        ),
        (
            "    select: [{start_after: '#a', end_before: 'p['}]\n",
            "m.yaml: documents[0].select[0].end_before: invalid CSS selector 'p['",
        ),
        ("    select: [{start_after: '#a', until: '#b'}]\n", "m.yaml: documents[0].select[0]: a range needs"),
        ("    render: javascript\n", "m.yaml: documents[0].render: unknown render 'javascript'; use 'browser'"),
        (
            "    pages:\n      - url: https://m.example/b\n",
            "m.yaml: documents[0].url: give either url (one page) or pages (several)",
        ),
    ],
)
def test_bad_ranges_pages_and_render_are_one_line_errors(tmp_path, document, expected):
    base = "  - id: p\n    title: P\n    url: https://m.example/p\n    type: policy\n"
    with pytest.raises(DeclarationError) as err:
        load_sources(write(tmp_path, base + document))
    assert str(err.value).startswith(expected), str(err.value)


def test_pages_need_at_least_two(tmp_path):
    with pytest.raises(DeclarationError, match="documents\\[0\\].pages: expected a list of at least two pages"):
        load_sources(
            write(tmp_path, "  - id: p\n    title: P\n    type: policy\n    pages:\n      - url: https://m.example/a\n")
        )


def test_a_key_given_twice_or_a_file_not_in_utf8_is_a_one_line_error(tmp_path):
    folder = write(
        tmp_path,
        "  - id: p\n    title: P\n    url: https://m.example/a\n    url: https://m.example/b\n    type: policy\n",
    )
    with pytest.raises(
        DeclarationError, match=r"^m.yaml: line 7: key 'url' given twice \(the first would be lost\); keep one$"
    ):
        load_sources(folder)
    (folder / "m.yaml").write_bytes("marketplace: m\nname: Caf\xe9\n".encode("cp1252"))
    with pytest.raises(
        DeclarationError, match=r"^m.yaml: line 2: not UTF-8 text \(byte 0xe9\); save the file as UTF-8$"
    ):
        load_sources(folder)
