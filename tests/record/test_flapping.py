"""Flapping in the record stage: a page that goes back and forth reports one change, then flaps
that keep their evidence and reach no changelog; a return after a long stand is a reversion
naming its version; text versions (.md) are captures judged by the same guards and rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from kb.pipeline import crawl, import_folder
from kb.record import reextract
from kb.sources import load_sources
from kb.store import Store
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

DOC = "shop/fees"
ENGLISH = "This article applies to selling in: United Kingdom."
FRENCH = "Cet article s'applique à la vente au Royaume-Uni."


def page(line: str, fee_version: int = 1) -> str:
    return help_page("Fees", [*policy_paragraphs("fees", fee_version), line])


def text_version(line: str, fee_version: int = 1) -> str:
    return "# Fees\n\n" + "\n\n".join([*policy_paragraphs("fees", fee_version), line]) + "\n"


def shop_sources(folder: Path, url: str = "https://shop.example/help/fees"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(
        declaration("shop", [{"id": "fees", "title": "Fees", "url": url, "type": "fees"}])
    )
    return load_sources(folder)


def write(folder: Path, captures: dict[str, str], suffix: str = ".html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for at, body in captures.items():
        (folder / f"{at.replace(':', '-')}{suffix}").write_text(body)
    return folder


def days(*numbers: int, month: int = 3) -> list[str]:
    return [f"2025-{month:02d}-{n:02d}T06:00:00Z" for n in numbers]


def cli(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_a_page_alternating_between_two_texts_reports_one_change_then_flaps(tmp_path, capsys):
    sources, home = shop_sources(tmp_path / "sources"), tmp_path / "home"
    times = days(*range(1, 9))
    captures = dict(zip(times, [page(ENGLISH), page(FRENCH)] * 4, strict=True))
    count, report = import_folder(home, sources, DOC, write(tmp_path / "captures", captures))
    assert (count, len(report.first_versions), len(report.new_versions), len(report.flaps)) == (8, 1, 1, 6)
    with Store(home) as store:
        (change,) = store.changes(DOC)
        assert change.detected_at == times[1] and not change.flap and change.returns_to is None
        flaps = [c for c in store.changes(DOC, flaps=True) if c.flap]
        # Each flap returns to the version two captures back, and names the line it switched.
        assert [c.returns_to_at for c in flaps] == times[:6]
        assert [c.detected_at for c in flaps] == times[2:]
        assert {(p.before, p.after) for c in flaps for p in c.flapping} == {(ENGLISH, FRENCH), (FRENCH, ENGLISH)}
        assert all(c.label == "noise" and c.reasons[0].kind == "flap" for c in flaps)
        # The evidence is kept: every capture is a snapshot and a version; no flap is reported.
        assert len(store.versions(DOC)) == 8
        assert [c.outcome for c in store.checks(DOC)] == ["first-version", "new-version"] + ["flap"] * 6
        assert store.document(DOC).last_changed == times[1]
        assert [c.key for c in store.publish_input().changes] == [change.key]
        assert (store.counts()["changes"], store.counts()["flaps"]) == (1, 6)
    home_args = ("--home", str(home))
    (reported,) = json.loads(cli(capsys, "changes", "--json", *home_args))
    assert (reported["flap"], reported["returns_to"]) == (False, None)
    everything = json.loads(cli(capsys, "changes", "--json", "--flaps", *home_args))
    assert len(everything) == 7 and sum(row["flap"] for row in everything) == 6
    newest = everything[0]
    assert newest["flap"] and newest["returns_to"]["captured_at"] == times[5]
    assert "[flap]" in cli(capsys, "changes", "--flaps", *home_args)
    diff = cli(capsys, "diff", DOC, "--change", newest["key"], *home_args)  # made again from the versions
    assert diff.startswith(f"{newest['key']}  noise  Flap: back to the text of version 6") and "Royaume-Uni" in diff
    # status names the line that keeps flapping, in text and JSON.
    (doc,) = json.loads(cli(capsys, "status", "--json", *home_args))
    (passage,) = doc["flapping"]
    assert (passage["flaps"], passage["since"], passage["last"], passage["ongoing"]) == (6, times[2], times[7], True)
    assert {v["text"] for v in passage["variants"]} == {ENGLISH, FRENCH}
    status = cli(capsys, "status", *home_args)
    assert f"this passage alternates between two texts (6 flaps); ignored since {times[2]}" in status
    history = cli(capsys, "history", DOC, *home_args)
    assert "v3-v8" in history and "6 flaps" in history


def test_a_return_after_a_long_stand_is_a_reversion_naming_the_version(tmp_path, capsys):
    sources, home = shop_sources(tmp_path / "sources"), tmp_path / "home"
    january = days(1, 2, month=1)
    captures = {
        january[0]: page(ENGLISH),
        january[1]: page(FRENCH),
        "2025-02-01T06:00:00Z": page(FRENCH),  # unchanged: French stands
        "2025-03-01T06:00:00Z": page(FRENCH),
        "2025-03-05T06:00:00Z": page(ENGLISH),  # back to English after two months
        "2025-03-06T06:00:00Z": page(FRENCH),  # and straight back: a flap
    }
    stood = list(captures)[2:]
    import_folder(home, sources, DOC, write(tmp_path / "captures", captures))
    with Store(home) as store:
        first, reversion = store.changes(DOC)
        assert reversion.detected_at == stood[2] and not reversion.flap
        assert reversion.summary.startswith(f"Back to the text of version 1 (captured {january[0]}): ")
        assert reversion.returns_to_at == january[0]
        (flap,) = [c for c in store.changes(DOC, flaps=True) if c.flap]  # French again, just after
        assert flap.detected_at == stood[3] and flap.returns_to_at == january[1]
    (row,) = [r for r in json.loads(cli(capsys, "changes", "--json", "--home", str(home))) if r["returns_to"]]
    assert row["returns_to"]["captured_at"] == january[0] and row["summary"] == reversion.summary
    line = json.loads(cli(capsys, "history", DOC, "--json", "--home", str(home)))
    spans = {v["number"]: v["change"] for v in line["versions"]}
    assert spans[3]["returns_to"] == {"number": 1, "version_id": reversion.returns_to, "captured_at": january[0]}
    assert spans[3]["flap"] is False and spans[4]["flap"] is True and spans[4]["returns_to"]["number"] == 2


def test_a_passage_flaps_back_though_the_page_changed_meanwhile(tmp_path):
    sources, home = shop_sources(tmp_path / "sources"), tmp_path / "home"
    times = days(1, 2, 3, 4)
    bodies = [page(ENGLISH), page(FRENCH), page(ENGLISH, fee_version=2), page(FRENCH, fee_version=2)]
    import_folder(home, sources, DOC, write(tmp_path / "captures", dict(zip(times, bodies, strict=True))))
    with Store(home) as store:
        assert [c.detected_at for c in store.changes(DOC)] == times[1:2] + times[2:3]  # the fee edit is reported
        (flap,) = [c for c in store.changes(DOC, flaps=True) if c.flap]
        assert flap.detected_at == times[3] and flap.returns_to is None  # a text never seen whole
        assert [(p.before, p.after) for p in flap.flapping] == [(ENGLISH, FRENCH)]


def test_captures_imported_out_of_order_get_the_same_verdicts(tmp_path):
    sources = shop_sources(tmp_path / "sources")
    times = days(1, 2, 3, 4, 5, 6)
    captures = dict(zip(times, [page(ENGLISH), page(FRENCH)] * 3, strict=True))

    def verdicts(home: Path) -> list[tuple]:
        with Store(home) as store:
            return [(c.detected_at, c.flap, c.returns_to_at, c.summary) for c in store.changes(DOC, flaps=True)]

    import_folder(tmp_path / "ordered", sources, DOC, write(tmp_path / "all", captures))
    late = tmp_path / "late"
    import_folder(late, sources, DOC, write(tmp_path / "second", {t: captures[t] for t in times[3:]}))
    import_folder(late, sources, DOC, write(tmp_path / "first", {t: captures[t] for t in times[:3]}))
    assert verdicts(late) == verdicts(tmp_path / "ordered")
    assert [flap for _, flap, _, _ in verdicts(late)] == [False, True, True, True, True]


def test_text_versions_import_like_pages_with_the_same_guards_and_rule(tmp_path, capsys):
    shop_sources(tmp_path / "sources")
    home = tmp_path / "home"
    times = days(1, 2, 3, 4, 5, 6)
    versions = [text_version(ENGLISH), text_version(FRENCH), text_version(ENGLISH), text_version(FRENCH)]
    folder = write(tmp_path / "ota", dict(zip(times, [*versions, "\n", "# Fees\n\nA stub.\n"], strict=True)), ".md")
    out = cli(capsys, "import", "--doc", DOC, str(folder), "--sources", str(tmp_path / "sources"), "--home", str(home))
    assert out.splitlines()[0] == (
        f"imported 6 captures of {DOC} from {folder}: 4 versions, 1 changes, "
        "2 flaps (kept, not reported), 0 unchanged, 2 failed, 0 gone"
    )
    assert "empty body" in out and "shrank by" in out
    with Store(home) as store:
        current = store.latest_version(DOC)
        assert current.text == text_version(FRENCH) and current.title == "Fees"  # the declared title
        snapshot = store.snapshot(current.snapshot_id)
        assert snapshot.headers["content-type"].startswith("text/markdown") and snapshot.origin == "import"
        assert store.snapshot_body(current.snapshot_id).decode() == text_version(FRENCH)
        # New extraction rules leave a text version as it is: it is read, not extracted.
        report = reextract(store, load_sources(tmp_path / "sources"), now="2025-04-01T00:00:00Z")
        assert report.up_to_date == [DOC] and not report.upgraded
    one = tmp_path / "one" / "2025-03-07T06-00-00Z.md"
    write(one.parent, {"2025-03-07T06:00:00Z": text_version(ENGLISH)}, ".md")
    out = cli(capsys, "import", "--doc", DOC, str(one), "--sources", str(tmp_path / "sources"), "--home", str(home))
    assert out.strip().endswith("flap: back to a recent text, kept and not reported")


@pytest.mark.slow
def test_crawled_and_imported_captures_get_the_same_verdicts(tmp_path, capsys):
    times = days(1, 2, 3, 4)
    bodies = [page(ENGLISH), page(FRENCH), page(ENGLISH), page(FRENCH)]
    with LoopbackSite() as site:
        sources = shop_sources(tmp_path / "sources", url=site.url("/help/fees"))
        for at, body in zip(times, bodies, strict=True):
            site.page("/help/fees", body)
            crawl(tmp_path / "crawled", sources, fast=True, fixed_time=at)
    import_folder(
        tmp_path / "imported",
        sources,
        DOC,
        write(tmp_path / "captures", dict(zip(times, bodies, strict=True))),
        url=site.url("/help/fees"),
    )

    def rows(home: Path) -> list[tuple]:
        data = json.loads(cli(capsys, "changes", "--json", "--flaps", "--home", str(home)))
        return [(r["detected_at"], r["flap"], (r["returns_to"] or {}).get("captured_at"), r["summary"]) for r in data]

    assert rows(tmp_path / "crawled") == rows(tmp_path / "imported")
    assert [flap for _, flap, _, _ in rows(tmp_path / "imported")] == [True, True, False]
