"""The real flapping series of ``../shared/realdata/flapping/``: every version Open Terms Archive
recorded of two pages that went back and forth between a few texts, imported as text versions
(``policywatch import --doc ID FOLDER`` of ``.md`` files). Each distinct transition between two
texts is reported at most once, every other switch is a flap, and status names the passage that
flapped."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from kb.cli import main
from kb.models import Outcome
from kb.pipeline import import_folder
from kb.sources import load_sources
from kb.store import Store

pytestmark = pytest.mark.realdata


def doc_id(series: str) -> str:
    return "ota/" + series.replace("__", "-").replace("_", "-")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from tests.support import REALDATA

    folder = REALDATA / "flapping"
    if not folder.is_dir():
        pytest.skip(f"real flapping series not found at {folder} (they live beside the repository in CI)")
    root = tmp_path_factory.mktemp("flapping")
    series = sorted(p.name for p in folder.iterdir() if p.is_dir())
    documents = "".join(
        f"  - id: {doc_id(name).split('/')[1]}\n    title: {name}\n    url: https://example.org/{name}\n"
        "    type: agreement\n"
        for name in series
    )
    (root / "sources").mkdir()
    (root / "sources" / "ota.yaml").write_text(
        f"marketplace: ota\nname: Open Terms Archive series\ndocuments:\n{documents}"
    )
    sources = load_sources(root / "sources")
    counts = {}
    for name in series:
        counts[name], _ = import_folder(root / "home", sources, doc_id(name), folder / name)
    return root / "home", counts


def test_each_distinct_transition_is_reported_at_most_once(imported):
    home, counts = imported
    with Store(home) as store:
        for series, count in counts.items():
            doc = doc_id(series)
            digest = {v.id: v.text_sha256 for v in store.versions(doc)}
            changes = store.changes(doc)
            transitions = Counter((digest[c.from_version_id], digest[c.to_version_id]) for c in changes)
            assert max(transitions.values()) == 1, f"{series}: a transition reported twice"
            outcomes = Counter(c.outcome for c in store.checks(doc))
            assert sum(outcomes.values()) == count and not outcomes[Outcome.FAILED], f"{series}: {outcomes}"
            assert len(changes) == outcomes[Outcome.NEW_VERSION] and outcomes[Outcome.FLAP] > len(changes)
    boulanger = doc_id("boulanger__marketplace-sellers-conditions")
    if boulanger in {doc_id(s) for s in counts}:
        with Store(home) as store:
            # 300 versions, 4 texts as recorded, 2 once normalized (list markers): one change.
            assert counts["boulanger__marketplace-sellers-conditions"] == 300
            assert len(store.changes(boulanger)) == 1
            assert len([c for c in store.changes(boulanger, flaps=True) if c.flap]) == 297


def test_status_names_the_passage_that_flapped(imported, capsys):
    home, counts = imported
    assert main(["status", "--json", "--home", str(home)]) == 0
    rows = {row["doc_id"]: row for row in json.loads(capsys.readouterr().out)}
    for series in counts:
        assert rows[doc_id(series)]["flapping"], f"{series}: no flapping passage in status"
    assert main(["status", "--home", str(home)]) == 0
    text = capsys.readouterr().out
    assert "this passage alternates between two texts" in text and "; ignored since " in text
    boulanger = rows.get(doc_id("boulanger__marketplace-sellers-conditions"))
    if boulanger is not None:
        (passage,) = boulanger["flapping"]
        assert passage["ongoing"] and passage["flaps"] == 297 and passage["since"] == "2022-09-05T13:23:46Z"
