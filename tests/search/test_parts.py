"""A rebuild written in two processes (``engine.create_parts``): the same hits, in the same
order, with the same scores as one writer, and the same manifest."""

from __future__ import annotations

import json
import random

import pytest

from kb import search as index
from kb.record.history import timeline_heads
from kb.search import engine
from kb.store import Store
from tests.support.builders import document, record, timelines_of

T1, T2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
WORDS = "seller must confirm the shipment within days of the order late rate account refund buyer fee".split()
QUERIES = ["seller", "confirm shipment", '"the shipment"', '"of the order"', "refund OR fee", "acc*", "late NOT rate"]


def _store(home) -> None:
    """Documents of different lengths (so that field lengths vary), some with a second version."""
    rng = random.Random(3)
    with Store(home) as store:
        for i in range(12):
            doc_id = f"acme/rule-{i}"
            document(store, doc_id, f"Rule {i}", "acme", "policy")
            sections = [
                f"## Part {j}\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
                for j in range(rng.randint(1, 5))
            ]
            text = f"# Rule {i}\n\n" + "\n\n".join(sections) + "\n"
            first = record(store, doc_id, T1, text)
            if i % 3 == 0:
                record(store, doc_id, T2, text.replace("seller", "buyer", 1), previous=first)


def _hits(home) -> list:
    """Each query's hits as the API ranks them, and Whoosh's own scores (unrounded)."""
    with index.SearchIndex(home) as opened:
        ranked = [
            [(h.doc_id, h.section_id, h.valid_from) for h in opened.search(q, limit=None, **scope)]
            for q in QUERIES
            for scope in ({}, {"history": True})
        ]
        searcher, parser = opened._searcher, opened._parser
        raw = [[(hit.docnum, hit.score) for hit in searcher.search(parser.parse(q), limit=None)] for q in QUERIES]
    return [ranked, raw]


@pytest.mark.parametrize("heads", [False, True], ids=["timelines", "heads-and-texts"])
def test_two_segments_written_in_two_processes_answer_as_one(tmp_path, monkeypatch, heads):
    one, two = tmp_path / "one", tmp_path / "two"
    for home in (one, two):
        _store(home)
    monkeypatch.setattr(index, "PARALLEL_UNITS", 10**9)
    single = index.rebuild(one, timelines_of(one))
    monkeypatch.setattr(index, "PARALLEL_UNITS", 1)
    with Store(two) as store:
        if heads:  # as kb.pipeline reads them: no texts, then the texts of one batch at a time
            split = index.rebuild(two, timeline_heads(store), store.version_texts)
        else:
            split = index.rebuild(two, timelines_of(two))
    assert split.total == single.total > 12
    with engine.index.open_dir(two / engine.INDEX_DIR).reader() as opened:
        assert len(opened.leaf_readers()) == 2  # really two segments
    assert _hits(one) == _hits(two)
    assert sum(len(found) for found in _hits(one)[0]) > 100
    assert _manifest(one) == _manifest(two)


def _manifest(home) -> dict:
    return json.loads((home / engine.INDEX_DIR / index.MANIFEST).read_text())
