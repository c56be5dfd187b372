"""The readable diff: Markdown rendered as the document reads, whole tokens, labels, folds."""

from __future__ import annotations

import re

import lxml.html
import pytest

from diffs.diff import diff_texts
from diffs.render import FOLD_CONTENT_CHARS, plain, render_diff_html


def tree(old: str, new: str, **options):
    html = render_diff_html(diff_texts(old, new), **options)
    return lxml.html.fragment_fromstring(html, create_parent="div")


def text_of(node) -> str:
    return " ".join(node.text_content().split())


TARGETS = """# Customer service performance metrics

## Summary of targets

| Metric | Target | Period measured |
| --- | --- | --- |
| Order defect rate | Under 1% | Last 60 days |
| Pre-fulfilment cancel rate | Under 2.5% | Last 7 days |
| Late shipment rate | Under 4% | Last 10 and 30 days |
| Valid tracking rate | Above 95% | Last 30 days |
| Response time | Within 24 hours | Last 90 days |
| Refund rate | Under 5% | Last 30 days |
| Chargeback rate | Under 0.5% | Last 90 days |
"""


def test_a_table_stays_a_table_with_its_header_row_and_the_changed_cell_marked():
    root = tree(TARGETS, TARGETS.replace("Under 4%", "Under 3%"))
    [table] = root.xpath("//table")
    assert table.xpath(".//thead//th/text()") == ["Metric", "Target", "Period measured"]
    [cell] = table.xpath(".//td[@class='diff-changed']")
    assert cell.xpath("./del/text()") == ["4%"] and cell.xpath("./ins/text()") == ["3%"]  # not "4̶3%"
    assert text_of(cell) == "Under deleted: 4% → inserted: 3%"
    rows = [text_of(row) for row in table.xpath(".//tbody/tr")]
    assert rows[0].startswith("Order defect rate")  # a fold of one row would take its room
    assert rows[-1] == "3 unchanged rows"
    assert "|" not in text_of(root) and "---" not in text_of(root)


def test_markdown_syntax_is_rendered_not_shown():
    old = (
        "## Statements and reports\n\n**Effective now:** select **Payments > Statements** in "
        "[the dashboard](https://example.com/d) to download it.\n\n- You must not post feedback.\n"
        "- You must not \\*copy\\* listings.\n"
    )
    new = old.replace("download it", "download it as a spreadsheet").replace("post feedback", "post reviews")
    root = tree(old, new)
    text = text_of(root)
    assert not re.search(r"\*\*|\]\(|^#|\\", text), text
    assert root.xpath("//h5[@class='diff-heading']/text()") == ["Statements and reports"]
    assert "select Payments > Statements in the dashboard to download it" in text
    assert root.xpath("//ins/text()") == ["as a spreadsheet", "reviews"]
    assert [text_of(li) for li in root.xpath("//ul[@class='diff-list']/li")] == [
        "You must not post deleted: feedback → inserted: reviews.",
        "You must not *copy* listings.",
    ]


def test_numbers_amounts_and_dates_change_as_whole_tokens():
    root = tree(
        "The fee is 39.99 USD from 1 October 2026, or 2.5% of the price.\n",
        "The fee is 49.99 USD from 15 October 2026, or 3.5% of the price.\n",
    )
    assert root.xpath("//del/text()") == ["39.99 USD", "1 October 2026", "2.5%"]
    assert root.xpath("//ins/text()") == ["49.99 USD", "15 October 2026", "3.5%"]


def test_insertions_and_deletions_differ_without_colour_and_carry_labels():
    root = tree("Keep your rate under 4%.\n\nOld rule.\n", "Keep your rate under 3%.\n\nNew rule here.\n\nOld rule.\n")
    labels = root.xpath("//span[@class='diff-label']/text()")
    assert labels == ["deleted: ", "inserted: ", "inserted: "]
    for label in root.xpath("//span[@class='diff-label']"):
        assert label.getnext().tag == ("del" if label.text == "deleted: " else "ins")
    [whole] = root.xpath("//p[contains(@class, 'diff-inserted')]")
    assert text_of(whole) == "inserted: New rule here."


def test_a_change_to_a_link_target_alone_is_said_in_a_note():
    root = tree("See [Selling fees](http://a.example/fees).\n", "See [Selling fees](http://b.example/fees).\n")
    assert not root.xpath("//del | //ins")
    assert "Only a link target or the formatting changed here." in text_of(root)


def test_long_unchanged_stretches_are_folded_short_ones_kept_inside():
    paragraphs = [f"Paragraph {n} says something unchanged." for n in range(12)]
    old = "\n\n".join(paragraphs) + "\n"
    new = old.replace("Paragraph 6 says", "Paragraph 6 now says")
    root = tree(old, new)
    folds = root.xpath("//details[@class='diff-fold']")
    assert [f.xpath("./summary/text()")[0] for f in folds] == ["5 unchanged paragraphs", "4 unchanged paragraphs"]
    assert "Paragraph 0 says" in text_of(folds[0])  # still there, one click away
    shown = [text_of(p) for p in root.xpath("./p")]
    assert shown == [paragraphs[5], "Paragraph 6 inserted: now says something unchanged.", paragraphs[7]]
    assert not tree(old, new, fold_content=False).xpath("//details")
    big = "\n\n".join("x" * 500 + f" {n}" for n in range(FOLD_CONTENT_CHARS // 400)) + "\n\nEnd.\n"
    folded = tree(big, big.replace("End.", "The end."))
    assert not folded.xpath("//details") and folded.xpath("//p[@class='diff-fold']")


def test_renumbered_list_items_and_moved_blocks():
    old = "1. First step.\n2. Second step.\n"
    new = "1. New first step.\n2. First step.\n3. Second step.\n"
    root = tree(old, new)
    items = root.xpath("//ol/li")
    assert [li.get("value") for li in items] == ["1", "2", "3"]
    assert "deleted: 2" not in text_of(root) and "deleted: 1" not in text_of(root)
    moved = "This paragraph is long enough to count as a moved block."
    root = tree(f"{moved}\n\nMiddle.\n\nEnd.\n", f"Middle.\n\nEnd.\n\n{moved}\n")
    assert "moved below: This paragraph" in text_of(root)
    assert "moved here from above: " + moved in text_of(root)


def test_nothing_changed_is_nothing_and_plain_drops_inline_markup():
    assert render_diff_html(diff_texts("Same.\n", "Same.\n")) == ""
    assert plain("**Bold** and _em_ and `code` and [link](http://x.example/a_b) and snake_case") == (
        "Bold and em and code and link and snake_case"
    )


def test_a_feed_can_cap_the_changed_blocks():
    old = "\n\n".join(f"Rule {n}: under 4%." for n in range(8)) + "\n"
    root = tree(old, old.replace("4%", "3%"), max_changes=3)
    assert len(root.xpath("//ins")) == 3
    assert "and 5 more changed paragraphs" in text_of(root)


@pytest.mark.slow
@pytest.mark.realdata
def test_no_markdown_syntax_in_the_rendered_diffs_of_real_histories(realdata):
    """Every pair of consecutive recorded versions (149 pairs of 12 documents when this was
    written): the rendered diff shows no ``**``, no ``](``, no table rule, no ``#`` heading."""
    pairs = 0
    for folder in sorted((realdata / "versions").iterdir()):
        files = sorted(folder.glob("*.md"))
        for before, after in zip(files, files[1:], strict=False):
            old, new = (f.read_text(encoding="utf-8") for f in (before, after))
            html = render_diff_html(diff_texts(old, new))
            text = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div").text_content()
            found = re.search(r"\*\*|\]\(|\| ?---|^#{1,6} ", text, re.MULTILINE)
            assert found is None, (after, text[max(0, found.start() - 80) : found.end() + 40])
            pairs += 1
    assert pairs >= 100
