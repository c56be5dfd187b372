"""The bulk writer's own analysis (``engine._BulkWriter``: ``_analyse`` and ``_pool_postings``)
against the fields' analyzers (Whoosh's ``SegmentWriter.add_document``): the same segment
files byte for byte, so the same postings (positions, weights), field lengths and hits; and
``common_words`` counting the stems ``engine._TEXT`` gives."""

from __future__ import annotations

import pickle
import random

import pytest

from kb import search as index
from kb.search import engine
from kb.search.units import PART_BREAK, Unit

# Common words (pairs), repeated words, unicode (İ lowers to two characters, final sigma,
# ß, CJK, a titlecase digraph), the tokenizer's corners (dots, underscores, stars, hyphens),
# and PART_BREAK in the text itself or in other forms (only the exact word is a break).
WORDS = (
    "the seller must confirm the shipment within days of the order and the buyer account "
    "late rate fee fees refund refunds refunded policies policy of of the the "
    "İstanbul STRASSE Straße ΟΔΟΣ οδός café naïve 政策 ǅemal Ünïcode "
    "3.141 v1.2.3 under_score big-time a*b * 15% $1.80 e.g. U.S.A. "
    f"{PART_BREAK} pwpartbreak {PART_BREAK}.x x{PART_BREAK} PWPARTBREAK"
).split()
QUERIES = [
    "seller",
    "confirm shipment",
    '"the shipment"',
    '"of the order"',
    '"the seller must"',
    '"and the buyer"',
    "refund OR fee",
    "polic*",
    "istanbul",
    "straße",
    "οδος",
    "政策",
    "3.141",
    "late NOT rate",
    "title:guide",
    "section:returns",
    "confrm~",
]


def _units() -> list[Unit]:
    rng = random.Random(11)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 120))) for _ in range(220)]
    texts += [
        "",  # an empty text
        "the " * 400 + "fee",  # one word at many positions (deltas of one, positions past 255)
        " ".join(["the seller"] * 40000),  # positions past 65,535
        f"the\n{PART_BREAK}\nthe seller {PART_BREAK} {PART_BREAK} the the",  # breaks in the text
        "The THE the ThE",  # case
        "---  ...  !!!",  # no word at all
    ]
    titles = ["Seller guide", "", "İstanbul fees", "The the", f"Break {PART_BREAK} title", "政策"]
    sections = ["", "Returns › Late shipment rate", "Fees › Fees", "ΟΔΟΣ › Straße", f"{PART_BREAK}"]
    return [
        Unit(
            doc_id=f"acme/rule-{i % 37}",
            section_id=f"s{i}",
            section=sections[i % len(sections)],
            title=titles[i % len(titles)],
            body=text,
            url=f"http://127.0.0.1/rule-{i % 37}",
            marketplace="acme",
            doc_type="policy",
            version_id=i + 1,
            snapshot_sha256=f"{i:064x}",
            valid_from="2026-01-05T06:00:00Z",
            valid_to=None,
            in_force_from="2026-01-05T06:00:00Z",
            current=True,
            changed=False,
            label="first",
            summary="",
        )
        for i, text in enumerate(texts)
    ]


def _whooshs_analysis(monkeypatch) -> None:
    """The writer without its own analysis and pool: the fields' analyzers, through Whoosh."""
    monkeypatch.setattr(engine._BulkWriter, "add_document", engine.SegmentWriter.add_document)
    monkeypatch.setattr(engine._BulkWriter, "pool_type", engine.PostingPool)


def _segment_files(path) -> dict[str, bytes]:
    """Each segment's files by their segment's position and their kind (segment names are random)."""
    ix = engine.index.open_dir(path)
    files = {}
    for n, segment in enumerate(ix._segments()):
        for name in ix.storage.list():
            if name.startswith(segment.segment_id()):
                files[f"{n}{name[len(segment.segment_id()) :]}"] = ix.storage.open_file(name).read()
    return files


def _postings_and_lengths(path) -> dict:
    """Every term's postings (document, weight, positions) and every field length."""
    ix = engine.index.open_dir(path)
    with ix.reader() as reader:
        postings = {}
        for field, text in reader.all_terms():
            matcher = reader.postings(field, text)
            found = []
            while matcher.is_active():
                positions = (
                    matcher.value_as("positions") if field in ("title", "section", "body", "body_pairs") else None
                )
                found.append((matcher.id(), matcher.weight(), positions))
                matcher.next()
            postings[(field, text.decode("utf-8"))] = found
        fields = ("title", "section", "body", "body_pairs")
        lengths = {
            "total": [reader.field_length(field) for field in fields],
            "per doc": [[reader.doc_field_length(n, field) for field in fields] for n in range(reader.doc_count_all())],
        }
    return {"postings": postings, "lengths": lengths}


def _hits(home) -> list:
    with index.SearchIndex(home) as opened:
        return [
            [(h.doc_id, h.section_id, h.score) for h in opened.search(q, limit=None, snippets=False)] for q in QUERIES
        ]


def _write(home, units, common, *, parts: int, limitmb: int) -> None:
    path = home / engine.INDEX_DIR
    path.mkdir(parents=True)
    if parts == 1:
        engine.create(path, units, common, limitmb=limitmb)
    else:
        half = len(units) // 2
        engine.create_parts(path, [units[:half], units[half:]], common, limitmb=limitmb)


@pytest.mark.parametrize(
    ("parts", "limitmb"), [(1, 256), (1, 1), (2, 128)], ids=["one-writer", "pool-runs", "two-parts"]
)
def test_the_bulk_writers_analysis_writes_the_same_index_as_the_analyzers(tmp_path, monkeypatch, parts, limitmb):
    units = _units()
    common = engine.common_words(u.body for u in units)
    assert {"the", "seller", "of"} <= common
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    runs: list[int] = []  # postings in each run a pool wrote (seen in this process only)
    save = engine.PostingPool.save
    monkeypatch.setattr(engine.PostingPool, "save", lambda pool: (runs.append(len(pool.current)), save(pool))[1])
    _write(fast, units, common, parts=parts, limitmb=limitmb)
    assert (len(runs) > 3) == (limitmb == 1)
    with monkeypatch.context() as patch:
        _whooshs_analysis(patch)
        _write(slow, units, common, parts=parts, limitmb=limitmb)

    written = _postings_and_lengths(fast / engine.INDEX_DIR)
    assert written == _postings_and_lengths(slow / engine.INDEX_DIR)
    assert _segment_files(fast / engine.INDEX_DIR) == _segment_files(slow / engine.INDEX_DIR)
    assert len(_segment_files(fast / engine.INDEX_DIR)) >= 3 * parts
    # and the schema the index pickles is today's: the writer keeps its own analysis to itself
    schemas = [pickle.dumps(engine.index.open_dir(home / engine.INDEX_DIR).schema, 2) for home in (fast, slow)]
    assert schemas[0] == schemas[1]
    hits = _hits(fast)
    assert hits == _hits(slow)

    # what was compared holds what it should: pairs, unicode stems, breaks, long positions
    postings = written["postings"]
    assert postings[("body_pairs", "the seller")]
    assert ("body", "pwpartbreak") in postings and ("body", PART_BREAK.lower()) in postings
    assert ("body", "i̇stanbul") in postings and ("body", "政策") in postings
    assert max(pos for _, _, positions in postings[("body", "seller")] for pos in positions) > 65535
    assert sum(1 for found in hits if found) > 10


def test_the_writer_analyses_the_text_fields_itself(tmp_path):
    ix = engine.index.create_in(tmp_path, engine.schema(frozenset({"the"})))
    writer = engine._BulkWriter(ix)
    assert set(writer._plans) == {"title", "section", "body", "body_pairs"}
    writer.cancel()


def _by_the_analyzer(analyzer, text) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True):
        positions.setdefault(token.text, []).append(token.pos)
    return positions


@pytest.mark.parametrize(
    ("text", "breaks", "positions", "pairs"),
    [
        ("Fees", False, {"fee": [0]}, {}),
        (f"Fees {PART_BREAK} the late", False, {"fee": [0], "pwpartbreak": [1], "the": [2], "late": [3]}, {}),
        (
            f"Fees\n{PART_BREAK}\nthe late fee",
            True,
            {"fee": [0, 104], "the": [102], "late": [103]},
            {"the late": [102]},
        ),
        (
            f"the late\n{PART_BREAK}\nthe the",
            True,
            {"the": [0, 103, 104], "late": [1]},  # the break is at 2
            {"the late": [0], "the the": [103]},
        ),
        ("the fee late the late", True, None, {"late the": [2], "the late": [3]}),
        ("", True, {}, {}),
    ],
)
def test_analyse_gives_the_positions_the_analyzers_give(text, breaks, positions, pairs):
    common = frozenset({"the", "late"})
    found, found_pairs = engine._analyse(text, engine._lower_stems("en"), breaks, common)
    analyzer = engine._body_analyzer() if breaks else engine._analyzer()
    assert found == _by_the_analyzer(analyzer, text)
    assert found == positions or positions is None
    if breaks:
        assert found_pairs == _by_the_analyzer(engine.schema(common)["body_pairs"].analyzer, text) == pairs


def _common_words_by_the_analyzer(bodies, share, most):
    """``common_words`` as it was: the stems of ``engine._TEXT``'s tokens."""
    counts: dict[str, int] = {}
    total = 0
    for body in bodies:
        total += 1
        for stem in {token.text for token in engine._TEXT(body)}:
            counts[stem] = counts.get(stem, 0) + 1
    floor = max(2, share * total)
    frequent = sorted((n, w) for w, n in counts.items() if n >= floor)
    return frozenset(w for _, w in frequent[-most:])


@pytest.mark.parametrize(("share", "most"), [(0.01, 2000), (0.2, 2000), (0.01, 5), (0.5, 1)])
def test_common_words_counts_the_stems_the_analyzer_gives(share, most):
    bodies = [u.body for u in _units()] + [f"{PART_BREAK} İstanbul ΟΔΟΣ"] * 30
    expected = _common_words_by_the_analyzer(bodies, share, most)
    assert expected
    assert engine.common_words(bodies, share=share, most=most) == expected
