"""`policywatch verify`: every kind of damage is named, nothing is changed, the exit code says it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from kb.cli import main
from kb.errors import StoreError
from kb.store import Store
from kb.store.verify import verify
from tests.support.builders import build_store

DOC, OTHER = "shop/fees", "shop/returns"


@pytest.fixture
def home(tmp_path) -> Path:
    build_store(tmp_path)
    return tmp_path


def tamper(home: Path, *statements: str, args=()) -> None:
    """Damage the store behind its back, as a bad disk, a bug or a hand edit would."""
    db = sqlite3.connect(home / "store.sqlite")
    db.execute("PRAGMA foreign_keys=OFF")
    for sql in statements:
        db.execute(sql, args) if "?" in sql else db.execute(sql)
    db.commit()
    db.close()


def fingerprint(home: Path) -> str:
    return hashlib.sha256((home / "store.sqlite").read_bytes()).hexdigest()


def run_verify(home: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["verify", "--home", str(home), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sound_store_passes_and_is_left_untouched(home, capsys):
    before = fingerprint(home)
    code, out, err = run_verify(home, capsys)
    assert code == 0 and err == ""
    with Store.open_read_only(home) as store:
        head = store.head()
    assert out == (
        f"ok: {home / 'store.sqlite'}: 2 bodies, 3 snapshots, 4 checks, 2 versions, 1 changes, 2 documents; "
        f"head {head}\n"
    )
    assert fingerprint(home) == before


@pytest.mark.parametrize(
    "damage, problem",
    [
        (
            ["UPDATE blobs SET data = ? WHERE size = 17 AND sha256 = (SELECT sha256 FROM snapshots WHERE id = 1)"],
            r"body [0-9a-f]{12}: bytes do not match their sha256 \(now [0-9a-f]{12}\)",
        ),
        (
            ["UPDATE blobs SET data = x'00ff00ff' WHERE sha256 = (SELECT sha256 FROM snapshots WHERE id = 1)"],
            r"body [0-9a-f]{12}: stored bytes do not decompress",
        ),
        (
            ["UPDATE blobs SET size = 99 WHERE sha256 = (SELECT sha256 FROM snapshots WHERE id = 1)"],
            r"body [0-9a-f]{12}: 17 bytes, recorded as 99",
        ),
        (
            ["DELETE FROM blobs WHERE sha256 = (SELECT sha256 FROM snapshots WHERE id = 1)"],
            r"snapshot 1 \(shop/fees\): its body [0-9a-f]{12} is missing",
        ),
        (["DELETE FROM checks WHERE snapshot_id = 3"], r"snapshot 3 \(shop/fees\): no check records it"),
        (["UPDATE checks SET snapshot_id = 42 WHERE id = 3"], r"check 3 \(shop/fees\): snapshot 42 is missing"),
        (
            ["UPDATE checks SET doc_id = 'shop/returns' WHERE id = 3"],
            r"check 3 \(shop/returns\): snapshot 3 belongs to shop/fees",
        ),
        (["UPDATE checks SET outcome = 'maybe' WHERE id = 4"], r"check 4 \(shop/returns\): unknown outcome 'maybe'"),
        (
            ["UPDATE versions SET snapshot_id = 42 WHERE id = 2"],
            r"version 2 \(shop/fees\): points at snapshot 42, which is missing",
        ),
        (
            ["UPDATE versions SET doc_id = 'shop/returns' WHERE id = 2"],
            r"version 2 \(shop/returns\): points at snapshot 2 of shop/fees",
        ),
        (["UPDATE versions SET text = 'Fee is $0.\n' WHERE id = 2"], r"version 2 \(shop/fees\): text does not match"),
        (["DELETE FROM versions WHERE id = 1"], r"change shop/fees/20260102T000000Z: its 'from' version 1 is missing"),
        (["UPDATE changes SET to_version_id = 7"], r"change shop/fees/20260102T000000Z: its 'to' version 7 is missing"),
        (
            ["UPDATE changes SET from_version_id = 2, to_version_id = 1"],
            r"change shop/fees/20260102T000000Z: goes from version 2 \(2026-01-02T00:00:00Z\) back to version 1",
        ),
        (
            ["UPDATE changes SET doc_id = 'shop/returns'"],
            r"change shop/fees/20260102T000000Z: its 'from' version 1 belongs to shop/fees",
        ),
    ],
    ids=[
        "body-bytes",
        "body-undecodable",
        "body-size",
        "body-missing",
        "snapshot-orphan",
        "check-dangling",
        "check-other-doc",
        "check-outcome",
        "version-dangling",
        "version-other-doc",
        "version-text",
        "change-from-missing",
        "change-to-missing",
        "change-backwards",
        "change-other-doc",
    ],
)
def test_each_kind_of_damage_is_named_and_fails(home, capsys, damage, problem):
    import re

    tamper(home, *damage, args=(zlib.compress(b"<p>Fee is $9.</p>"),) if "?" in damage[0] else ())
    before = fingerprint(home)
    code, out, err = run_verify(home, capsys)
    assert code == 1
    assert any(re.fullmatch(f"problem: {problem}.*", line) for line in out.splitlines()), out
    assert re.fullmatch(r"policywatch: \d+ problems in \S+store\.sqlite \(.*\)\n", err), err
    assert fingerprint(home) == before  # reported, not repaired


def test_dangling_references_are_also_reported_by_sqlite(home):
    tamper(home, "DELETE FROM documents WHERE doc_id = 'shop/returns'")
    report = verify(home)
    assert not report.ok
    assert "sqlite: checks row 4 points at a missing documents row" in report.problems


def test_pending_checks_are_work_to_do_not_damage(home, capsys):
    with Store(home) as store, store.transaction():
        snapshot_id, _ = store.add_snapshot(
            doc_id=DOC,
            url="https://shop.example/fees",
            fetched_at="2026-01-04T00:00:00Z",
            http_status=200,
            headers={},
            body=b"<p>Fee is $3.</p>",
        )
        store.add_check(
            doc_id=DOC,
            url="https://shop.example/fees",
            checked_at="2026-01-04T00:00:00Z",
            http_status=200,
            snapshot_id=snapshot_id,
        )
    code, out, _ = run_verify(home, capsys)
    assert code == 0
    assert out.rstrip().endswith("; 1 checks pending (the next crawl records them)")


def test_json_output_for_scripts(home, capsys):
    tamper(home, "UPDATE versions SET text = 'changed' WHERE id = 1")
    code, out, _ = run_verify(home, capsys, "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["problem_count"] == 1
    assert data["counts"] == {"bodies": 2, "snapshots": 3, "checks": 4, "versions": 2, "changes": 1, "documents": 2}
    assert data["problems"] == ["version 1 (shop/fees): text does not match its sha256"]


def test_a_long_list_of_problems_is_cut_but_counted(home, capsys):
    with Store(home) as store, store.transaction():
        for n in range(60):
            store.add_snapshot(
                doc_id=DOC,
                url="u",
                fetched_at=f"2026-02-01T00:00:{n:02d}Z",
                http_status=200,
                headers={},
                body=f"body {n}".encode(),
            )
    code, out, err = run_verify(home, capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 51 and lines[-1] == "problem: … and 10 more"
    assert err.startswith("policywatch: 60 problems in ")


def test_a_damaged_database_file_is_reported_not_a_traceback(home, capsys):
    path = home / "store.sqlite"
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 2 + 512] = b"\xa5" * 512  # scribble over a page of the file
    path.write_bytes(bytes(data))
    code, out, err = run_verify(home, capsys)
    assert code == 1
    assert "Traceback" not in out + err
    assert out.startswith("problem: sqlite: ") or err.startswith("policywatch: ")


def test_not_a_store_and_no_store_are_one_clear_line(tmp_path, capsys):
    (tmp_path / "store.sqlite").write_bytes(b"this is not a database, just a file with a name" * 100)
    code, out, err = run_verify(tmp_path, capsys)
    assert code == 1 and out == ""
    assert err.startswith(f"policywatch: {tmp_path / 'store.sqlite'} is not a readable store: ")
    assert err.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_verify(empty, capsys)
    assert code == 1 and err == f"policywatch: no store in {empty} (hint: pass the --home of an existing store)\n"
    assert not (empty / "store.sqlite").exists()  # verify never creates a store


def test_read_only_open_refuses_to_write(home):
    with Store.open_read_only(home) as store:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("DELETE FROM versions")
    with pytest.raises(StoreError, match="no store in"):
        Store.open_read_only(home / "nowhere")
