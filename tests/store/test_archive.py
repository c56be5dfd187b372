"""`policywatch export` and `restore`: a portable archive (WARC + JSON Lines) that rebuilds a home
exactly: same rows, `verify` passes, same search results, a byte-identical site."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from kb.cli import main
from kb.demo.run import SERVED_AT
from kb.store import Store, sha256
from kb.store.archive import ArchiveError, export, restore
from kb.store.verify import verify
from tests.support import run_cli
from tests.support.builders import build_store

TABLES = ("documents", "blobs", "snapshots", "checks", "versions", "changes", "marketplaces")


def rows(home: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(home / "store.sqlite")
    try:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES}
    finally:
        db.close()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


# -- the demo home, through the real command --------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    home, restored, archive = root / "demo", root / "restored", root / "demo-export.tar"
    run_cli("demo", home=home, timeout=600)
    exported = run_cli("export", str(archive), home=home)
    restoring = run_cli("restore", str(archive), home=restored)
    published = run_cli("publish", "--site-url", SERVED_AT, home=restored)  # the demo's own URL
    return {
        "home": home,
        "restored": restored,
        "archive": archive,
        "export": exported.stdout,
        "restore": restoring.stdout,
        "publish": published.stdout,
    }


@pytest.mark.slow
def test_demo_round_trip_keeps_every_row(demo):
    counts = "83 checks, 21 versions, 6 changes, 1 marketplaces"  # its declared name: "Northwind Market …"
    assert demo["export"].startswith(f"exported 25 snapshots, 17 documents, {counts} to ")
    assert demo["restore"] == f"restored 17 documents, 25 snapshots, {counts} into {demo['restored']}; verify: ok\n"
    assert rows(demo["restored"]) == rows(demo["home"])


@pytest.mark.slow
def test_demo_restored_home_verifies_searches_and_publishes_the_same_site(demo):
    check = run_cli("verify", home=demo["restored"])
    assert check.stdout.startswith("ok: ")
    query = ("search", "late shipment rate", "--json")
    # Same hits and snippets; scores may differ a little: the original index still counts the
    # versions it replaced over five crawls, the restored one was built in one go.
    found = [
        sorted((h["doc_id"], h["snippet"]) for h in json.loads(run_cli(*query, home=h).stdout))
        for h in (demo["restored"], demo["home"])
    ]
    assert found[0] == found[1] and len(found[0]) >= 3
    original, rebuilt = site_files(demo["home"] / "site"), site_files(demo["restored"] / "site")
    assert len(original) > 20 and rebuilt == original  # byte for byte, feed included


@pytest.mark.slow
def test_demo_archive_is_standard_warc_and_json_lines(demo):
    files = members(demo["archive"])
    assert list(files) == [
        "manifest.json",
        "snapshots.warc.gz",
        "documents.jsonl.gz",
        "checks.jsonl.gz",
        "versions.jsonl.gz",
        "changes.jsonl.gz",
        "marketplaces.jsonl.gz",
    ]
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "policywatch-archive" and manifest["version"] == 1
    for name, digest in manifest["members"].items():
        assert sha256(files[name]) == digest, name
    records = list(_records(files["snapshots.warc.gz"]))
    assert records[0][0] == "warcinfo"
    kinds = [kind for kind, *_ in records[1:]]
    assert len(kinds) == 25 and set(kinds) <= {"response", "revisit"}
    for kind, fields, http, body in records[1:]:
        assert fields["WARC-Target-URI"].startswith("http://127.0.0.1:")
        assert http.get_statuscode() in ("200", "404")
        if kind == "response":
            assert sha256(body) == fields["Policywatch-Sha256"]
    changes = [json.loads(line) for line in gzip.decompress(files["changes.jsonl.gz"]).splitlines()]
    assert {c["label"] for c in changes} == {"substantive", "minor"}
    assert all(isinstance(c["ops"], list) and isinstance(c["reasons"], list) for c in changes)


def _records(warc: bytes):
    for record in ArchiveIterator(io.BytesIO(warc)):
        fields = dict(record.rec_headers.headers)
        yield record.rec_type, fields, record.http_headers, record.raw_stream.read()


# -- small stores, in-process -------------------------------------------------------------------


@pytest.fixture
def small(tmp_path) -> Path:
    home = tmp_path / "home"
    build_store(home)
    with Store(home) as store, store.transaction():
        # An imported capture, odd headers (non-ASCII, a compressed transfer), a 404 with a body.
        sid, _ = store.add_snapshot(
            doc_id="shop/returns",
            url="https://shop.example/returns",
            fetched_at="2026-01-05T00:00:00Z",
            http_status=200,
            headers={},
            body="<p>Retours acceptés</p>".encode(),
            origin="import",
        )
        store.add_check(
            doc_id="shop/returns",
            url="https://shop.example/returns",
            checked_at="2026-01-05T00:00:00Z",
            http_status=200,
            snapshot_id=sid,
            outcome="failed",
            reason="selector 'main' matched nothing",
        )
        sid, _ = store.add_snapshot(
            doc_id="shop/returns",
            url="https://shop.example/returns",
            fetched_at="2026-01-06T00:00:00Z",
            http_status=404,
            headers={
                "content-encoding": "gzip",
                "content-length": "31",
                "x-note": "caf\u00e9 \u2014 \u20ac",
                "set-cookie": "a=1, b=2",
            },
            body=b"<h1>Not found</h1>",
        )
        store.add_check(
            doc_id="shop/returns",
            url="https://shop.example/returns",
            checked_at="2026-01-06T00:00:00Z",
            http_status=404,
            snapshot_id=sid,
            outcome="gone",
            reason="HTTP 404 Not Found: the page was removed; its history is kept",
        )
    return home


def test_round_trip_of_a_small_store_is_exact(small, tmp_path):
    archive = tmp_path / "out" / "small.tar"
    report = export(small, archive)
    assert report.counts == {"snapshots": 5, "documents": 2, "checks": 6, "versions": 2, "changes": 1}
    restore(archive, tmp_path / "again")
    assert rows(tmp_path / "again") == rows(small)
    assert verify(tmp_path / "again").ok


def test_identical_bodies_are_written_once_then_as_revisits(small, tmp_path):
    archive = tmp_path / "small.tar"
    export(small, archive)
    records = list(_records(members(archive)["snapshots.warc.gz"]))[1:]
    kinds = [(kind, fields["Policywatch-Snapshot-Id"]) for kind, fields, *_ in records]
    assert kinds == [("response", "1"), ("response", "2"), ("revisit", "3"), ("resource", "4"), ("response", "5")]
    _, revisit, _, body = records[2]
    assert body == b"" and revisit["WARC-Refers-To-Date"] == "2026-01-02T00:00:00Z"
    assert revisit["WARC-Payload-Digest"] == records[1][1]["WARC-Payload-Digest"]


def test_transfer_headers_are_renamed_and_stored_headers_kept_exactly(small, tmp_path):
    archive = tmp_path / "small.tar"
    export(small, archive)
    _, fields, http, body = list(_records(members(archive)["snapshots.warc.gz"]))[5]
    assert body == b"<h1>Not found</h1>" and http.get_statuscode() == "404"
    assert http.get_header("content-encoding") is None  # the stored body is not gzip
    assert http.get_header("x-archive-orig-content-encoding") == "gzip"
    assert json.loads(fields["Policywatch-Headers"])["x-note"] == "caf\u00e9 \u2014 \u20ac"
    restore(archive, tmp_path / "again")
    with Store(tmp_path / "again") as store:
        assert store.snapshot(5).headers["x-note"] == "caf\u00e9 \u2014 \u20ac"


def test_export_of_the_same_store_is_deterministic_apart_from_its_date(small, tmp_path):
    export(small, tmp_path / "a.tar")
    export(small, tmp_path / "b.tar")
    a, b = members(tmp_path / "a.tar"), members(tmp_path / "b.tar")
    for name in a:
        if name not in ("manifest.json", "snapshots.warc.gz"):  # the manifest and warcinfo carry the date
            assert a[name] == b[name], name


def test_export_reads_while_a_crawl_holds_the_home(small, tmp_path):
    from kb.store.lock import run_lock

    with run_lock(small, "crawl"):
        export(small, tmp_path / "busy.tar")  # read-only: it neither waits nor blocks
    assert (tmp_path / "busy.tar").is_file()


def test_export_without_a_store_writes_nothing(tmp_path, capsys):
    code = main(["export", "--home", str(tmp_path / "none"), str(tmp_path / "x.tar")])
    assert code == 1 and not (tmp_path / "x.tar").exists()
    assert capsys.readouterr().err.startswith(f"policywatch: no store in {tmp_path / 'none'}")
    assert list(tmp_path.iterdir()) == []  # no temporary files left either


def test_restore_refuses_a_home_that_holds_a_store(small, tmp_path, capsys):
    export(small, tmp_path / "a.tar")
    before = rows(small)
    code = main(["restore", str(tmp_path / "a.tar"), "--home", str(small)])
    assert code == 1
    assert capsys.readouterr().err == (
        f"policywatch: {small} already holds a store; restoring would mix two "
        "histories (hint: restore into a new or empty folder with --home)\n"
    )
    assert rows(small) == before


def _rewrite(archive: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(archive, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _edited_version(archive: Path) -> None:
    """A version's text changed inside the archive (its sha256 in the manifest is not)."""
    files = members(archive)
    text = gzip.decompress(files["versions.jsonl.gz"]).replace(b"Fee is $2.", b"Fee is $3.")
    files["versions.jsonl.gz"] = gzip.compress(text, mtime=0)
    _rewrite(archive, files)


def _edited_check(archive: Path) -> None:
    """A check's reason changed inside the archive: only the member's sha256 can tell."""
    files = members(archive)
    text = gzip.decompress(files["checks.jsonl.gz"]).replace(b"connection refused", b"connection accepted")
    files["checks.jsonl.gz"] = gzip.compress(text, mtime=0)
    _rewrite(archive, files)


def _missing_member(archive: Path) -> None:
    files = members(archive)
    del files["checks.jsonl.gz"]
    _rewrite(archive, files)


@pytest.mark.parametrize(
    "damage, message",
    [
        (_edited_version, "version 2 text does not match its sha256"),
        (_edited_check, "member checks.jsonl.gz does not match its sha256 in the manifest; the archive is damaged"),
        (_missing_member, "member checks.jsonl.gz is missing"),
        (lambda archive: archive.write_bytes(b"not a tar at all" * 64), "is not a policywatch archive"),
        (lambda archive: archive.write_bytes(archive.read_bytes()[:6000]), "is missing|damaged|not a readable"),
    ],
    ids=["edited-version", "edited-member", "missing-member", "not-an-archive", "cut-short"],
)
def test_a_damaged_archive_restores_nothing(small, tmp_path, damage, message):
    archive = tmp_path / "a.tar"
    export(small, archive)
    damage(archive)
    target = tmp_path / "restored"
    with pytest.raises(ArchiveError, match=message):
        restore(archive, target)
    assert not (target / "store.sqlite").exists()
    assert [p.name for p in target.iterdir()] == ["run.lock"]  # no half store, no staging left behind


def test_every_table_of_the_store_is_exported(tmp_path):
    """A table added to the store must be added to the archive too."""
    with Store(tmp_path) as store:
        tables = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(Store.TABLES) | {"blobs"}
