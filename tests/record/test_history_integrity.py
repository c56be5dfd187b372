"""The history's invariants survive hostile timing (issue 16): captures within one second
(2q), a failure in the middle of a late capture's re-derivation (4c), a clock set back (6f),
a capture dated in the future (6g); and ``verify`` sees a history that breaks them."""

from __future__ import annotations

from pathlib import Path

import pytest

import kb.record
from kb.models import Capture, Outcome
from kb.record.intake import record_captures
from kb.sources import open_sources
from kb.store import Store
from kb.store.verify import verify

DOC = "shop/fees"


def page(fee: str) -> bytes:
    return (
        "<html><head><title>Selling fees</title></head><body><main id='content'><h1>Selling fees</h1>"
        f"<p>A per-item fee of {fee} applies to every seller of the shop.</p>"
        "<p>Fees are charged when the item sells, and shown in the seller's report.</p></main></body></html>"
    ).encode()


def declare(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "shop.yaml").write_text(
        "marketplace: shop\nname: Test shop\ndefaults:\n  select: ['#content']\n"
        "documents:\n  - id: fees\n    title: Selling fees\n"
        "    url: https://shop.example/help/fees\n    type: fees\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def sources(tmp_path: Path):
    return open_sources(declare(tmp_path / "sources"))


def capture(at: str, fee: str) -> Capture:
    return Capture(at=at, body=page(fee), url="https://shop.example/help/fees", status=200, headers={})


def history_problems(home: Path) -> list[str]:
    return [p for p in verify(home).problems if "history" in p or "key" in p]


def test_three_captures_within_one_second_each_make_a_change(tmp_path, sources):
    """2q: change keys were doc/second, so the third capture of a second crashed the recorder
    and every later record with it."""
    home = tmp_path / "home"
    with Store(home) as store:
        ats = ["2026-03-01T10:00:00.1Z", "2026-03-01T10:00:00.2Z", "2026-03-01T10:00:00.3Z"]
        record_captures(store, sources, DOC, [capture(at, fee) for at, fee in zip(ats, ["$1", "$2", "$3"])])
        assert [c.outcome for c in store.checks(DOC)] == [
            Outcome.FIRST_VERSION,
            Outcome.NEW_VERSION,
            Outcome.NEW_VERSION,
        ]
        keys = [c.key for c in store.changes(DOC)]
        assert len(keys) == 2 and len(set(keys)) == 2
        # the home is not wedged: a later capture records
        record_captures(store, sources, DOC, [capture("2026-03-02T10:00:00Z", "$4")])
        assert store.checks(DOC)[-1].outcome == Outcome.NEW_VERSION
    assert verify(home).ok


def test_keys_are_the_same_when_the_history_is_derived_again(tmp_path, sources):
    home = tmp_path / "home"
    with Store(home) as store:
        ats = ["2026-03-01T10:00:00.1Z", "2026-03-01T10:00:00.2Z", "2026-03-01T10:00:00.3Z"]
        record_captures(store, sources, DOC, [capture(at, fee) for at, fee in zip(ats, ["$1", "$2", "$3"])])
        before = [c.key for c in store.changes(DOC)]
        kb.record.rebuild_history(store, sources, DOC, kb.record.RecordReport())
        assert [c.key for c in store.changes(DOC)] == before
