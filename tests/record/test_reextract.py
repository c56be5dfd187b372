"""`policywatch reextract`: new extraction rules applied to stored snapshots are technical
upgrades, kept out of the changelog and the feed; and stores from before the new columns."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kb.pipeline import import_capture
from kb.record import reextract
from kb.sources import open_sources
from kb.store import Store
from kb.store.schema import ADDED_COLUMNS
from tests.support import run_cli
from tests.support.faultserver import policy_text
from tests.support.impostors import german_text

T1, T2, T3 = "2026-03-01T06:00:00Z", "2026-03-08T06:00:00Z", "2026-03-15T06:00:00Z"
NOW = "2026-03-10T12:00:00Z"
DOC = "shop/fees"


def page(views: int, fee: str = "$0.99") -> str:
    return f"""<html><head><title>Selling fees</title></head><body>
<main id="content"><h1>Selling fees</h1>
<p>Last updated: 1 February 2026</p>
<p>A per-item fee of {fee} applies to individual sellers.</p>
<p class="views">{views} views</p>
</main></body></html>"""


def declare(folder: Path, remove: list[str]) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "shop.yaml").write_text(
        "marketplace: shop\nname: Test shop\ndefaults:\n  select: ['#content']\n"
        f"  remove: {json.dumps(remove)}\n"
        "documents:\n  - id: fees\n    title: Selling fees\n"
        "    url: https://shop.example/help/fees\n    type: fees\n",
        encoding="utf-8",
    )
    return folder


def capture(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture
def home_with_counter_noise(tmp_path: Path) -> tuple[Path, Path]:
    """Two captures that differ only in a view counter, recorded with rules that keep it."""
    home, sources = tmp_path / "home", declare(tmp_path / "sources", [])
    for at, views in ((T1, 10), (T2, 25)):
        import_capture(
            home, open_sources(sources), doc_id=DOC, at=at, path=capture(tmp_path, f"{views}.html", page(views))
        )
    return home, sources


def test_new_rules_make_a_technical_upgrade_not_a_change(home_with_counter_noise, tmp_path) -> None:
    home, sources = home_with_counter_noise
    with Store(home) as store:
        [noise] = store.changes(DOC)
        assert (noise.label, noise.technical) == ("noise", False)

    declare(sources, [".views"])  # the counter is now removed by the declaration
    with Store(home) as store:
        report = reextract(store, open_sources(sources), now=NOW)
        assert report.upgraded and report.upgraded[0][0] == DOC and not report.failed
        assert store.changes(DOC) == [noise]  # the changelog is unchanged ...
        assert [c.key for c in store.publish_input().changes] == [noise.key]  # ... and so is the feed
        upgrades = [c for c in store.changes(DOC, technical=True) if c.technical]
        assert len(upgrades) == 1
        upgrade = upgrades[0]
        assert upgrade.detected_at == NOW and upgrade.key.endswith("-technical")
        current = store.latest_version(DOC)
        assert current.id == upgrade.to_version_id and "views" not in current.text
        assert current.snapshot_id == store.versions(DOC)[-2].snapshot_id  # same evidence
        assert store.counts()["technical_upgrades"] == 1 and store.counts()["changes"] == 1

        again = reextract(store, open_sources(sources), now="2026-03-11T00:00:00Z")
        assert again.upgraded == [] and again.up_to_date == [DOC]

    # The next capture, with a new counter, is compared like with like: unchanged.
    result = import_capture(home, open_sources(sources), doc_id=DOC, at=T3, path=capture(tmp_path, "40.html", page(40)))
    assert result.unchanged == 1 and not result.new_versions


def test_reextract_history_derives_every_version_again(home_with_counter_noise) -> None:
    home, sources = home_with_counter_noise
    declare(sources, [".views"])
    with Store(home) as store:
        report = reextract(store, open_sources(sources), now=NOW, history=True)
        assert report.rebuilt == [DOC]
        assert store.changes(DOC, technical=True) == []  # the counter never made a version
        assert len(store.versions(DOC)) == 1


def test_broken_rules_change_nothing(home_with_counter_noise) -> None:
    home, sources = home_with_counter_noise
    (sources / "shop.yaml").write_text(
        (sources / "shop.yaml").read_text().replace("#content", "#moved-away"), encoding="utf-8"
    )
    with Store(home) as store:
        before = store.versions(DOC)
        report = reextract(store, open_sources(sources), now=NOW)
        assert [doc for doc, _ in report.failed] == [DOC]
        assert "matched nothing" in report.failed[0][1]
        assert store.versions(DOC) == before


def test_rules_that_pick_a_translation_change_nothing(tmp_path: Path) -> None:
    """No language declared or in the URL: the current version's is expected of re-extraction too."""
    home, sources = tmp_path / "home", declare(tmp_path / "sources", [])
    english = "".join(f"<p>{line}</p>" for line in policy_text("fees"))
    german = "".join(f"<p>{line}</p>" for line in german_text("fees"))
    both = f'<html><body><main id="content">{english}</main><div id="de">{german}</div></body></html>'
    import_capture(home, open_sources(sources), doc_id=DOC, at=T1, path=capture(tmp_path, "both.html", both))
    (sources / "shop.yaml").write_text((sources / "shop.yaml").read_text().replace("#content", "#de"), encoding="utf-8")
    with Store(home) as store:
        before = store.versions(DOC)
        report = reextract(store, open_sources(sources), now=NOW)
        assert report.failed == [
            (
                DOC,
                "served in German, the previous versions are in English: pin the language with a locale "
                "parameter, or declare `lang: de` if the page really changed language (the current version is kept)",
            )
        ]
        assert store.versions(DOC) == before and store.changes(DOC, technical=True) == []


def test_reextract_and_changes_commands(home_with_counter_noise) -> None:
    home, sources = home_with_counter_noise
    declare(sources, [".views"])
    out = run_cli("reextract", "--sources", str(sources), home=home).stdout
    assert out.startswith("1 technical upgrades, 0 documents up to date, 0 failed")
    assert f"upgraded  {DOC}: " in out
    default = json.loads(run_cli("changes", "--json", home=home).stdout)
    assert [c["technical"] for c in default] == [False]
    assert {"tags", "effective_date", "notice_days", "section_changes"} <= set(default[0])
    listed = run_cli("changes", "--technical", home=home).stdout
    assert "[technical]" in listed and listed.count(DOC) == 2
    # A technical change's diff is reachable by its key.
    key = next(
        c["key"] for c in json.loads(run_cli("changes", "--technical", "--json", home=home).stdout) if c["technical"]
    )
    assert "views" in run_cli("diff", DOC, "--change", key, home=home).stdout


def test_old_stores_gain_the_new_columns(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Store(home).close()
    db = sqlite3.connect(home / "store.sqlite")
    for table, column, _ in ADDED_COLUMNS:  # a store written before these columns existed
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.commit()
    db.close()
    with Store(home) as store:
        for table, column, _ in ADDED_COLUMNS:
            assert column in {row[1] for row in store._db.execute(f"PRAGMA table_info({table})")}
        assert store.changes() == []
