"""Diffs: exact round trips, determinism, bounded time, readable word-level hunks, rendering."""

from __future__ import annotations

import random

import pytest

from diffs import compare, diff_stats, diff_texts, find_moves, render_html, render_text
from diffs.sections import sections, sections_touched

DELETE, EQUAL, INSERT = -1, 0, 1


def _new(ops):
    return "".join(t for op, t in ops if op != DELETE)


def _old(ops):
    return "".join(t for op, t in ops if op != INSERT)


def _document(seed: int, paragraphs: int = 900) -> list[str]:
    rng = random.Random(seed)
    vocabulary = (
        "seller must may shall fee order days hours account policy the a of to within "
        "refund customer item listing shipment rate payment business notice"
    ).split()
    paras = []
    for i in range(paragraphs):
        if i % 40 == 0:
            paras.append(f"## Section {i // 40}")
        paras.append(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(25, 55))) + ".")
    return paras


def _edit(paras: list[str], edits: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = list(paras)
    for i in rng.sample([k for k, p in enumerate(out) if not p.startswith("#")], edits):
        words = out[i].split()
        words[rng.randrange(len(words))] = rng.choice(["CHANGED", "sellers", "24", "not"])
        out[i] = " ".join(words)
    return out


CASES = [
    ("", ""),
    ("", "new text\n"),
    ("old text\n", ""),
    ("same\n", "same\n"),
    ("You must ship within 24 hours.\n", "You must ship within 12 hours.\n"),
    ("a\nb\nc\n", "a\nc\nb\n"),
    ("no final newline", "no final newline, really"),
    ("Fee: $0.99\n\nSecond.\n", "Intro.\n\nFee: $1.29\n\nSecond.\n"),
    ("unicode — ü é 😀\n", "unicode – ü è 😀 ok\n"),
    ("x" * 5000 + "\n", "x" * 4999 + "y\n"),
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_round_trip(old: str, new: str) -> None:
    ops = diff_texts(old, new)
    assert _new(ops) == new
    assert _old(ops) == old
    assert all(text for _, text in ops)
    assert all(op in (DELETE, EQUAL, INSERT) for op, _ in ops)


def test_number_change_is_one_word_replacement() -> None:
    ops = diff_texts("Ship within 24 hours.\n", "Ship within 12 hours.\n")
    assert ops == [(EQUAL, "Ship within "), (DELETE, "24"), (INSERT, "12"), (EQUAL, " hours.\n")]


def test_identical_texts_give_one_equal_op() -> None:
    assert diff_texts("a\nb\n", "a\nb\n") == [(EQUAL, "a\nb\n")]
    assert diff_texts("", "") == []


def test_large_document_is_deterministic_and_local() -> None:
    # How fast: bench/bench_diff.py (timings belong in benchmarks, not in unit tests).
    paras = _document(1)
    old = "\n\n".join(paras) + "\n"
    new = "\n\n".join(_edit(paras, 20, 2)) + "\n"
    assert len(old) > 150_000
    ops = diff_texts(old, new)
    assert _new(ops) == new and _old(ops) == old
    assert diff_texts(old, new) == ops
    changed = sum(len(t) for op, t in ops if op != EQUAL)
    assert changed < 500, "a few word edits must not become delete-all/insert-all"


def test_many_edits_stay_local() -> None:
    paras = _document(3)
    old = "\n\n".join(paras) + "\n"
    new = "\n\n".join(_edit(paras, 600, 4)) + "\n"
    ops = diff_texts(old, new)
    assert _new(ops) == new and _old(ops) == old
    changed = sum(len(t) for op, t in ops if op != EQUAL)
    assert changed < len(old) / 4, "600 word edits must stay word edits, not a rewrite of the text"


def test_single_line_document_uses_sentence_fallback() -> None:
    paras = _document(5, 500)
    old = " ".join(paras)
    new = " ".join(_edit(paras, 5, 6))
    ops = diff_texts(old, new)
    assert _new(ops) == new and _old(ops) == old
    assert sum(len(t) for op, t in ops if op != EQUAL) < 200


def test_render_html_escapes_and_marks() -> None:
    ops = diff_texts("Fees <b> & taxes: 5 %\n", "Fees <b> & taxes: 7 %\n")
    html = render_html(ops)
    assert html == "Fees &lt;b&gt; &amp; taxes: <del>5</del><ins>7</ins> %\n"


def test_render_html_context_elides_unchanged_lines() -> None:
    old = "".join(f"line {i}\n" for i in range(20))
    new = old.replace("line 10\n", "line ten\n")
    html = render_html(diff_texts(old, new), context_lines=2)
    assert html.count("diff-elided") == 2
    assert "line 8\nline 9\n" in html and "line 11\nline 12\n" in html
    assert "line 7\n" not in html and "line 13\n" not in html
    full = render_html(diff_texts(old, new))
    assert "line 0\n" in full and "line 19\n" in full and "diff-elided" not in full


def test_render_text_word_diff_with_context() -> None:
    old = "".join(f"para {i}\n\n" for i in range(10)) + "You may sell.\n"
    new = "".join(f"para {i}\n\n" for i in range(10)) + "You must not sell.\n"
    text = render_text(diff_texts(old, new), context_lines=1)
    assert text == "…\n\nYou [-may-]{+must not+} sell.\n"


def test_render_text_mid_line_context_counts_following_lines() -> None:
    old = "a\nb\nx 1 y\nc\nd\ne\n"
    new = "a\nb\nx 2 y\nc\nd\ne\n"
    text = render_text(diff_texts(old, new), context_lines=1)
    assert text == "…\nb\nx [-1-]{+2+} y\nc\n…\n"


def test_diff_stats() -> None:
    ops = diff_texts("One two three.\nKeep.\nGone line.\n", "One 2 three four.\nKeep.\n")
    assert diff_stats(ops) == {
        "inserted_words": 2,
        "deleted_words": 3,
        "moved_words": 0,
        "changed_lines": 2,
    }
    assert diff_stats(diff_texts("same\n", "same\n")) == {
        "inserted_words": 0,
        "deleted_words": 0,
        "moved_words": 0,
        "changed_lines": 0,
    }


MOVED = "Tracking must be uploaded for every package you send.\n"
BEFORE = f"## Shipping\n\nConfirm shipment on time.\n\n{MOVED}\n## Returns\n\nAccept returns.\n"
AFTER = f"## Shipping\n\nConfirm shipment on time.\n\n## Returns\n\nAccept returns.\n\n{MOVED}"


def test_moved_block_is_a_move_not_a_deletion_and_an_insertion() -> None:
    ops = diff_texts(BEFORE, AFTER)
    assert _old(ops) == BEFORE and _new(ops) == AFTER
    [move] = find_moves(ops)
    assert ops[move.deleted] == (DELETE, MOVED) and ops[move.inserted] == (INSERT, MOVED)
    assert diff_stats(ops)["moved_words"] == 9 and diff_stats(ops)["inserted_words"] == 0
    text = render_text(ops, context_lines=0)
    assert "[moved below: Tracking must be uploaded for every package you send.]" in text
    assert "{moved from above: Tracking must be uploaded for every package you send.}" in text
    assert "[-" not in text and "{+" not in text  # the blank line that moved with it is no edit
    html = render_html(ops)
    assert html.count('class="diff-moved"') == 2 and 'title="moved from above"' in html


def test_moved_line_inside_an_edited_hunk_keeps_both_texts() -> None:
    old = "intro\n" + MOVED + "first line changes here\nsecond line\nthird line\nend\n"
    new = "intro\nfirst line changed here\nsecond line\nthird line\n" + MOVED + "end\n"
    ops = diff_texts(old, new)
    assert _old(ops) == old and _new(ops) == new
    assert len(find_moves(ops)) == 1
    assert (DELETE, "changes") in ops and (INSERT, "changed") in ops  # the edit stays a word edit


@pytest.mark.parametrize("seed", range(40))
def test_random_reorders_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    lines = [f"clause {i}: the seller keeps records for audit" if i % 3 else "x" for i in range(15)]
    shuffled = list(lines)
    rng.shuffle(shuffled)
    shuffled = shuffled[: rng.randint(6, 15)]
    for k in range(rng.randint(0, 3)):
        shuffled.insert(rng.randrange(len(shuffled) + 1), f"new clause {k} " + "y" * rng.randint(1, 40))
    old, new = "\n".join(lines) + "\n", "\n".join(shuffled) + ("\n" if seed % 2 else "")
    ops = diff_texts(old, new)
    assert _old(ops) == old and _new(ops) == new
    assert all(text for _, text in ops)


def test_sections_and_touched_labels() -> None:
    md = (
        "Intro.\n\n# Customer metrics\n\nOverview.\n\n"
        "## Late shipment rate\n\nKeep it below 4 %.\n\n"
        "## Cancel rate\n\nKeep it below 2.5 %.\n\n**General Terms**\n\nText.\n"
    )
    secs = sections(md)
    assert [s.id for s in secs] == [
        "customer-metrics",
        "customer-metrics/late-shipment-rate",
        "customer-metrics/cancel-rate",
        "customer-metrics/cancel-rate/general-terms",
    ]
    assert secs[1].path == ("Customer metrics", "Late shipment rate")
    assert md[secs[1].start :].startswith("## Late shipment rate")
    assert secs[1].end == secs[2].start and secs[-1].end == len(md)
    new = md.replace("below 4 %", "below 3 %").replace("Intro.", "Introduction.")
    assert sections_touched(md, new) == ["Customer metrics › Late shipment rate"]


def test_sections_handle_setext_and_duplicates() -> None:
    md = "Title\n=====\n\nA\n---\n\ntext\n\nA\n---\n\nmore\n"
    assert [s.id for s in sections(md)] == ["title", "title/a", "title/a-2"]


def test_compare_returns_ops_and_classification() -> None:
    result = compare("Ship within 24 hours.\n", "Ship within 12 hours.\n")
    assert _new(result.ops) == "Ship within 12 hours.\n"
    assert isinstance(result.ops, tuple)
    assert result.classification.label == "substantive"
    assert result.as_json()["summary"] == "Deadline shortened: ship within 12 hours (was 24 hours)"


def test_rewritten_passages_stay_exact() -> None:
    """A wholly rewritten hunk is not word-diffed at any cost: sentences are aligned first
    (its cost is measured in bench/bench_diff.py)."""
    rng = random.Random(9)
    words = ["seller", "buyer", "order", "refund", "fee", "policy", "claim", "account", "listing"]
    old = " ".join(rng.choice(words) for _ in range(6000)) + "\n"
    new = " ".join(rng.choice(words) for _ in range(6000)) + "\n"
    ops = diff_texts(old, new)
    assert _old(ops) == old and _new(ops) == new
