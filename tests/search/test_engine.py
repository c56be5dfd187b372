"""The Whoosh adapter (kb/search/engine.py) without an index: analysis, query rewrites, the
pickled schema of indexes written before the split."""

from __future__ import annotations

import pickle

import kb.search
from kb.search import engine
from kb.search.units import PART_BREAK


def test_a_word_searched_in_every_field_is_matched_in_one_posting_list():
    parser_output = engine.Or([engine.Term("title", "fee"), engine.Term("section", "fee"), engine.Term("body", "fee")])
    assert engine._fold_fields(parser_output) == engine.AndMaybe(
        engine.Term("body", "fee"), engine.Or([engine.Term("title", "fee"), engine.Term("section", "fee")])
    )
    mixed = engine.Or([engine.Term("title", "fee"), engine.Term("section", "fee"), engine.Term("body", "fees")])
    assert engine._fold_fields(mixed) is mixed


def test_a_part_break_moves_the_next_words_on_and_common_pairs_are_indexed():
    body = engine.schema(frozenset({"the", "late"}))["body_pairs"].analyzer
    tokens = [(t.text, t.pos) for t in body(f"Fees\n{PART_BREAK}\nthe late fee", positions=True)]
    # "fees" at 0, the break at 1 (dropped), "the" at 2 + PART_GAP; only the pair of two common words
    assert tokens == [("the late", 2 + engine.PART_GAP)]
    plain = engine.schema()["body"].analyzer
    assert [(t.text, t.pos) for t in plain(f"Fees\n{PART_BREAK}\nthe late fee", positions=True)] == [
        ("fee", 0),
        ("the", 102),
        ("late", 103),
        ("fee", 104),
    ]


def test_a_schema_pickled_with_the_old_module_path_still_loads():
    # Whoosh keeps the schema in the index as a protocol 2 pickle (whoosh.index.TOC); indexes
    # written before kb/search/engine.py existed name the filters kb.search._PartBreaks and
    # kb.search._CommonPairs.
    data = pickle.dumps(engine.schema(frozenset({"the", "late"})), 2)
    assert b"ckb.search.engine\n_PartBreaks\n" in data and b"ckb.search.engine\n_CommonPairs\n" in data
    old = data.replace(b"ckb.search.engine\n", b"ckb.search\n")
    assert b"ckb.search\n_PartBreaks\n" in old
    loaded = pickle.loads(old)
    assert kb.search._PartBreaks is engine._PartBreaks and kb.search._CommonPairs is engine._CommonPairs
    assert loaded["body_pairs"].analyzer.items[-1].common == frozenset({"the", "late"})
    assert set(loaded.names()) == set(engine.schema().names())
