"""Histories that start before the first crawl: saved captures, folders of them, a web archive."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from crawler.wayback import PoliteClient
from kb.errors import PolicywatchError
from kb.models import ExitCode
from kb.pipeline import crawl, import_capture, import_folder
from kb.record.intake import folder_captures
from kb.sources import load_sources
from kb.store import Store
from kb.timeutil import capture_time
from tests.support import run_cli
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

DOC = "shop/fees"
URL = "https://shop.example/help/fees?locale=en-US"
TIMES = ["2024-01-05T08:00:00Z", "2024-03-01T08:00:00Z", "2024-06-30T23:59:59Z", "2025-02-01T12:30:02Z"]


def body(version: int) -> bytes:
    return help_page("Fees", policy_paragraphs("fees", version)).encode()


def shop_sources(folder: Path, url: str = URL):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(
        declaration("shop", [{"id": "fees", "title": "Fees", "url": url, "type": "fees"}])
    )
    return load_sources(folder)


def write_captures(folder: Path, versions: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for at, version in versions.items():
        (folder / f"{at.replace(':', '-')}.html").write_bytes(body(version))
    return folder


def history(home: Path) -> tuple[list[str], list[tuple[str, str]]]:
    with Store(home) as store:
        return ([v.captured_at for v in store.versions(DOC)], [(c.detected_at, c.label) for c in store.changes(DOC)])


def test_capture_times_come_from_file_names(tmp_path):
    assert capture_time(Path("2025-12-04T12-30-02Z.html")) == "2025-12-04T12:30:02Z"
    assert capture_time(Path("2025-12-04T12-30-02.123Z.html")) == "2025-12-04T12:30:02Z"
    write_captures(tmp_path / "bad", {})
    (tmp_path / "bad" / "yesterday.html").write_text("<p>x</p>")
    with pytest.raises(PolicywatchError, match="yesterday.html: not named by its capture time"):
        folder_captures(tmp_path / "bad")


def test_captures_imported_out_of_order_give_the_same_history(tmp_path):
    sources = shop_sources(tmp_path / "sources")
    versions = dict(zip(TIMES, (1, 1, 2, 3), strict=True))
    # One home gets the third capture first, then the rest as a folder; the other, all in order.
    late = tmp_path / "late"
    capture = write_captures(tmp_path / "one", {TIMES[2]: 2}) / f"{TIMES[2].replace(':', '-')}.html"
    import_capture(late, sources, doc_id=DOC, path=capture, at=TIMES[2])
    count, report = import_folder(
        late, sources, DOC, write_captures(tmp_path / "rest", {t: v for t, v in versions.items() if t != TIMES[2]})
    )
    ordered = tmp_path / "ordered"
    import_folder(ordered, sources, DOC, write_captures(tmp_path / "all", versions))
    assert count == 3
    assert history(late) == history(ordered)
    captured, changes = history(late)
    assert captured == [TIMES[0], TIMES[2], TIMES[3]]
    assert [at for at, _ in changes] == [TIMES[2], TIMES[3]]  # detected_at: the revealing capture's time


@pytest.mark.slow
def test_detected_at_is_the_capture_time_whether_crawled_or_imported(tmp_path):
    with LoopbackSite() as site:
        sources = shop_sources(tmp_path / "sources", url=site.url("/help/fees"))
        crawled = tmp_path / "crawled"
        for at, version in zip(TIMES[:3], (1, 1, 2), strict=True):
            site.page("/help/fees", body(version))
            crawl(crawled, sources, fast=True, fixed_time=at)
    folder = write_captures(tmp_path / "captures", dict(zip(TIMES[:3], (1, 1, 2), strict=True)))
    imported = tmp_path / "imported"
    out = run_cli("import", "--doc", DOC, str(folder), "--sources", str(tmp_path / "sources"), home=imported)
    assert f"imported 3 captures of {DOC}" in out.stdout and "2 versions, 1 changes" in out.stdout

    def changes(home):
        rows = json.loads(run_cli("changes", "--json", home=home).stdout)
        return [(r["doc_id"], r["detected_at"], r["class"], r["summary"]) for r in rows]

    assert changes(crawled) == changes(imported)
    assert [at for _, at, _, _ in changes(imported)] == [TIMES[2]]


def test_import_of_one_file_reads_its_time_from_the_name_or_asks(tmp_path):
    shop_sources(tmp_path / "sources")
    capture = write_captures(tmp_path / "c", {TIMES[0]: 1}) / f"{TIMES[0].replace(':', '-')}.html"
    out = run_cli("import", "--doc", DOC, str(capture), "--sources", str(tmp_path / "sources"), home=tmp_path / "h")
    assert out.stdout.strip() == f"imported {capture} as {DOC} at {TIMES[0]}: new document"
    renamed = capture.rename(tmp_path / "fees.html")
    err = run_cli(
        "import", "--doc", DOC, str(renamed), "--sources", str(tmp_path / "sources"), home=tmp_path / "h", check=False
    )
    assert err.returncode == 1
    assert err.stderr.strip() == (
        "policywatch: fees.html: when was it captured? (hint: give --at "
        "2025-12-04T12:30:02Z, or name the file 2025-12-04T12-30-02Z.html)"
    )


def archive(site: LoopbackSite, captures: dict[str, int], missing: tuple[str, ...] = ()) -> None:
    """A Wayback Machine on loopback: the CDX API and raw (id_) captures."""
    rows = [["timestamp", "original", "digest"]]
    for at, version in captures.items():
        stamp = "".join(ch for ch in at if ch.isdigit())
        rows.append([stamp, URL, f"DIGEST{version}"])
        if at not in missing:
            site.page(f"/web/{stamp}id_/{URL.split('?')[0]}", body(version))
    site.page("/cdx/search/cdx", json.dumps(rows), content_type="application/json")


@pytest.mark.slow
def test_wayback_backfill_records_past_captures_at_their_times(tmp_path):
    shop_sources(tmp_path / "sources")
    home = tmp_path / "home"
    captures = dict(zip(TIMES, (1, 2, 3, 4), strict=True))
    with LoopbackSite() as site:
        archive(site, captures, missing=(TIMES[3],))
        args = (
            "backfill",
            "--wayback",
            "--doc",
            DOC,
            "--wayback-url",
            site.base_url,
            "--delay",
            "0",
            "--sources",
            str(tmp_path / "sources"),
        )
        first = run_cli(*args, home=home, check=False)
        cdx = site.hits("/cdx/search/cdx")[0]
        agents = {h.headers.get("user-agent") for h in site.hits()}
        site.clear()
        again = run_cli(*args, home=home, check=False)
        downloads_again = [h for h in site.hits() if h.path.startswith("/web/")]
    # A capture not downloaded is tried again by the next backfill: the status says so.
    assert first.returncode == again.returncode == ExitCode.CHECKS_FAILED, first.stderr
    query = parse_qs(cdx.query)
    assert query["url"] == [URL] and query["collapse"] == ["digest"] and query["filter"] == ["statuscode:200"]
    assert len(agents) == 1 and next(iter(agents)).startswith("policywatch/")
    assert (
        f"{DOC}: 4 archived captures, 3 imported, 0 already stored, 1 not downloaded; 2 changes recorded"
        in first.stdout
    )
    assert "not downloaded  2025-02-01T12:30:02Z" in first.stdout
    assert f"{DOC}: 4 archived captures, 0 imported, 3 already stored, 1 not downloaded" in again.stdout
    assert len(downloads_again) == 1  # only the one still missing is asked for again
    captured, changes = history(home)
    assert captured == TIMES[:3] and [at for at, _ in changes] == TIMES[1:3]
    with Store(home) as store:
        snapshot = store.snapshot(store.versions(DOC)[0].snapshot_id)
    assert snapshot.url == URL  # links resolve against the page, not the archive
    assert snapshot.headers["x-archive-url"].startswith(site.base_url + "/web/20240105080000id_/")


def test_archive_client_waits_out_retry_after_and_backs_off(tmp_path):
    with LoopbackSite() as site:
        site.sequence("/busy", [(429, {"Retry-After": "1"}, "later"), (200, {}, "ok")])
        site.sequence("/flaky", [(503, {}, "down"), (503, {}, "down"), (200, {}, "ok")])
        client = PoliteClient("policywatch/test (+https://example.org)", delay=0, backoff=0.2)
        started = time.monotonic()
        assert client.get(site.url("/busy")) == b"ok"
        assert time.monotonic() - started >= 1.0
        assert client.get(site.url("/flaky")) == b"ok"
        flaky = site.hits("/flaky")
    assert [h.status for h in flaky] == [503, 503, 200]
    assert flaky[2].started - flaky[1].finished >= 0.4 - 0.02  # 0.2 s, then 0.4 s
