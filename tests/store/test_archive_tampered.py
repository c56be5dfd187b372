"""Restore of archives tampered with in structure (issue 16, 2v, 2w): each member's sha256 is
made consistent again, so only the restore's own checks of structure and types stand between
the archive and the store. Each is one line naming what is wrong, and nothing is left behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from kb.errors import ArchiveError
from kb.store.archive import export, restore
from tests.support.builders import build_store


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def rewrite(archive: Path, files: dict[str, bytes], *, fix_digests: bool = True) -> None:
    manifest = json.loads(files["manifest.json"])
    if fix_digests and isinstance(manifest, dict) and isinstance(manifest.get("members"), dict):
        for name in manifest["members"]:
            if name in files:
                manifest["members"][name] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(archive, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def lines_of(files: dict[str, bytes], member: str) -> list:
    return [json.loads(line) for line in gzip.decompress(files[member]).splitlines()]


def set_lines(files: dict[str, bytes], member: str, rows: list) -> None:
    files[member] = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in rows), mtime=0)


def edit_manifest(change):
    def damage(files):
        manifest = json.loads(files["manifest.json"])
        files["manifest.json"] = json.dumps(change(manifest)).encode()

    return damage


def edit_rows(member, change):
    def damage(files):
        set_lines(files, member, change(lines_of(files, member)))

    return damage


def without_text(rows):
    del rows[0]["text"]
    return rows


def first_as_list(rows):
    rows[0] = list(rows[0].values())
    return rows


def duplicated(rows):
    return rows + [rows[0]]


def to_missing_version(rows):
    rows[0]["to_version_id"] = 999999
    return rows


def flipped(member, where):
    def damage(files):
        data = bytearray(files[member])
        data[int(len(data) * where)] ^= 0xFF
        files[member] = bytes(data)

    return damage


CASES = {
    "counts-a-list": (edit_manifest(lambda m: {**m, "counts": list(m["counts"].values())}), "manifest"),
    "no-members": (edit_manifest(lambda m: {k: v for k, v in m.items() if k != "members"}), "manifest"),
    "manifest-a-list": (edit_manifest(lambda m: [m]), "manifest"),
    "version-without-text": (edit_rows("versions.jsonl.gz", without_text), "versions.jsonl.gz line 1"),
    "row-a-list": (edit_rows("documents.jsonl.gz", first_as_list), "documents.jsonl.gz line 1"),
    "duplicate-check-id": (edit_rows("checks.jsonl.gz", duplicated), "checks.jsonl.gz line"),
    "change-to-a-missing-version": (edit_rows("changes.jsonl.gz", to_missing_version), "changes.jsonl.gz line 1"),
    "flipped-byte-versions": (flipped("versions.jsonl.gz", 0.5), "versions.jsonl.gz"),
    "flipped-byte-warc-start": (flipped("snapshots.warc.gz", 0.0), "snapshots.warc.gz"),
    "flipped-byte-warc-header": (flipped("snapshots.warc.gz", 0.01), "snapshots.warc.gz"),
    "flipped-byte-warc": (flipped("snapshots.warc.gz", 0.5), "snapshots.warc.gz"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_tampered_archive_is_one_line_and_restores_nothing(tmp_path, case):
    damage, names = CASES[case]
    home = tmp_path / "home"
    build_store(home)
    archive = tmp_path / "a.tar"
    export(home, archive)
    files = members(archive)
    damage(files)
    rewrite(archive, files, fix_digests=not case.startswith("flipped"))
    target = tmp_path / "restored"
    with pytest.raises(ArchiveError) as caught:
        restore(archive, target)
    message = str(caught.value)
    assert names in message, message
    assert "\n" not in message and len(message) < 300, message
    assert message.isprintable() and "\\x" not in message and "??" not in message, message  # never raw bytes
    assert sorted(p.name for p in target.iterdir()) == ["run.lock"]  # no half store, no staging
