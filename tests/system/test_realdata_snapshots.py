"""Real captures of real terms pages, imported with Open Terms Archive's own declarations.

Every capture in ``../shared/realdata/snapshots/`` goes through ``import`` (the library
calls behind ``policywatch import --doc ID FOLDER``), each document declared by the
file ``policywatch sources import-ota`` makes from its OTA declaration. The result is
compared with ``snapshot_pairs.jsonl``, pair by pair:

- visible text changed (``derived_visible_text_changed``): a change must be recorded,
  detected at the later capture's time;
- nothing changed (neither the visible text nor a link target, and Open Terms Archive
  recorded no new version where it has a record): no change may be recorded;
- the rest (only link targets changed, or only markup Open Terms Archive saw change):
  recorded or not, counted and shown, never failed on.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from kb.pipeline import import_folder
from kb.sources import load_sources
from kb.sources.ota import convert_file, slug, write
from kb.store import Store

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def realdata_dir():
    from tests.support import REALDATA

    if not REALDATA.is_dir():
        pytest.skip(f"real captures not found at {REALDATA} (they live beside the repository in CI)")
    return REALDATA


@pytest.fixture(scope="module")
def imported(tmp_path_factory, realdata_dir):
    realdata = realdata_dir
    root = tmp_path_factory.mktemp("realdata")
    manifest = json.loads((realdata / "manifest.json").read_text())
    documents, captures = {}, 0
    for entry in manifest["documents"]:
        if not entry.get("raw_snapshots_local"):
            continue
        captures += len(entry["snapshots"])
        conversion = convert_file(realdata / entry["declaration_file"])
        write(conversion, root / "sources")
        documents[entry["slug"]] = f"{conversion.marketplace}/{slug(entry['document_type'])}"
    sources = load_sources(root / "sources")
    counts = {}
    for snapshot_slug, doc_id in documents.items():
        counts[doc_id], _ = import_folder(root / "home", sources, doc_id, realdata / "snapshots" / snapshot_slug)
    with Store(root / "home") as store:
        changes = {(c.doc_id, c.detected_at): c for c in store.changes()}
        checks = store.checks()
    pairs = [json.loads(line) for line in (realdata / "snapshot_pairs.jsonl").read_text().splitlines() if line]
    return {
        "documents": documents,
        "counts": counts,
        "captures": captures,
        "changes": changes,
        "checks": checks,
        "pairs": pairs,
    }


def score(imported) -> Counter:
    figures = Counter()
    for pair in imported["pairs"]:
        recorded = (imported["documents"][pair["slug"]], pair["after_captured_at"]) in imported["changes"]
        if pair["derived_visible_text_changed"]:
            figures["agreed" if recorded else "missed"] += 1
        elif not pair["derived_text_or_link_targets_changed"] and pair.get("ota_text_changed") is not True:
            figures["false changes" if recorded else "agreed unchanged"] += 1
        else:
            figures["other, recorded" if recorded else "other, not recorded"] += 1
    return figures


def test_every_real_capture_is_read(imported):
    assert sum(imported["counts"].values()) == imported["captures"] > 0
    assert [(c.doc_id, c.checked_at, c.reason) for c in imported["checks"] if c.outcome == "failed"] == []


def test_every_visible_text_change_is_recorded_and_no_false_change(imported):
    figures = score(imported)
    print(f"\nrealdata pairs: {dict(figures)}")
    assert figures["missed"] == 0 and figures["false changes"] == 0, dict(figures)
    assert figures["agreed"] == sum(p["derived_visible_text_changed"] for p in imported["pairs"])
    assert sum(figures.values()) == len(imported["pairs"])


def test_link_only_changes_are_recorded_as_minor_at_most(imported):
    for pair in imported["pairs"]:
        change = imported["changes"].get((imported["documents"][pair["slug"]], pair["after_captured_at"]))
        if change is not None and not pair["derived_visible_text_changed"]:
            assert change.label in ("minor", "noise"), (pair["slug"], pair["after_captured_at"], change.summary)
