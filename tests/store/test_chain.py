"""Issue 16, point 3 and case 2x: the chain of digests from snapshot to version to change, its
head, and the checks that catch a forgery, consistent or not."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest

from kb.cli import main
from kb.store import Store

PAGES = (
    ("<html><body><main><h1>Shipping</h1><p>Ship within 2 business days.</p></main></body></html>", "2026-01-01"),
    ("<html><body><main><h1>Shipping</h1><p>Ship within 3 business days.</p></main></body></html>", "2026-01-02"),
)


@pytest.fixture
def home(tmp_path) -> tuple[Path, Path]:
    """A home with two imported versions of one document and a change; (home, sources)."""
    sources, home = tmp_path / "sources", tmp_path / "home"
    sources.mkdir()
    (sources / "shop.yaml").write_text(
        "marketplace: shop\nname: Shop\ndocuments:\n"
        "  - {id: shipping, title: Shipping, url: 'https://shop.example/shipping', type: shipping, select: [main]}\n"
    )
    for n, (page, day) in enumerate(PAGES):
        path = tmp_path / f"v{n}.html"
        path.write_text(page)
        at = f"{day}T00:00:00Z"
        assert (
            main(
                [
                    "import",
                    str(path),
                    "--doc",
                    "shop/shipping",
                    "--at",
                    at,
                    "--home",
                    str(home),
                    "--sources",
                    str(sources),
                ]
            )
            == 0
        )
    return home, sources


def head_of(home: Path) -> str:
    with Store(home) as store:
        return store.head()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def forge(archive: Path, *, rechain: bool) -> None:
    """The probe's 2x forgery: one version's text and text_sha256 rewritten in the export, the
    manifest updated; ``rechain``: the forger recomputes the chain digests too."""
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    rows = [json.loads(line) for line in gzip.decompress(files["versions.jsonl.gz"]).splitlines()]
    first = rows[0]
    assert "2 business days" in first["text"]
    first["text"] = first["text"].replace("2 business days", "10 business days")
    first["text_sha256"] = hashlib.sha256(first["text"].encode()).hexdigest()
    files["versions.jsonl.gz"] = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in rows), mtime=0)
    if rechain:  # a forger who knows the chain: restore it as is, rechain, export again
        _rewrite(archive, files)
        scratch = archive.parent / "forger"
        main(["restore", str(archive), "--home", str(scratch)])
        db = sqlite3.connect(scratch / "store.sqlite")
        db.execute("UPDATE versions SET chain_digest = NULL")
        db.execute("UPDATE changes SET chain_digest = NULL")
        db.commit()
        db.close()
        with Store(scratch) as store, store.transaction():
            store.fill_chain()
        archive.unlink()
        main(["export", str(archive), "--home", str(scratch)])
        return
    _rewrite(archive, files)


def _rewrite(archive: Path, files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    for name in manifest["members"]:
        manifest["members"][name] = hashlib.sha256(files[name]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(archive, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_sound_home_verifies_deep_and_against_its_own_head(home, capsys):
    home, sources = home
    head = head_of(home)
    code, out, err = run(capsys, "verify", "--home", str(home), "--deep", "--sources", str(sources), "--head", head)
    assert code == 0, out + err
    assert f"head {head}" in out and "deep: 2 versions re-extracted" in out


def test_a_row_changed_in_sqlite_breaks_the_chain(home, capsys):
    home, _ = home
    db = sqlite3.connect(home / "store.sqlite")
    text = "Ship within 10 business days.\n"
    db.execute(
        "UPDATE versions SET text = ?, text_sha256 = ? WHERE id = 1", (text, hashlib.sha256(text.encode()).hexdigest())
    )
    db.execute("UPDATE changes SET summary = 'nothing to see'")
    db.commit()
    db.close()
    code, out, _ = run(capsys, "verify", "--home", str(home))
    assert code == 1
    assert "problem: chain: version 1 (shop/shipping): digest" in out
    assert "problem: chain: change 1 (shop/shipping): digest" in out


def test_2x_consistent_forgery_is_caught_by_deep_and_by_a_published_head(home, tmp_path, capsys):
    home, sources = home
    published = head_of(home)
    archive = tmp_path / "export.tar"
    assert main(["export", str(archive), "--home", str(home)]) == 0
    forge(archive, rechain=True)
    capsys.readouterr()

    refused = tmp_path / "refused"
    code, out, err = run(capsys, "restore", str(archive), "--home", str(refused), "--head", published)
    assert code == 1 and out == ""
    assert f"does not give the published head {published}" in err and len(err.strip().splitlines()) == 1
    assert not (refused / "store.sqlite").exists()

    restored = tmp_path / "restored"
    code, out, _ = run(capsys, "restore", str(archive), "--home", str(restored))
    assert code == 0 and "verify: ok" in out  # the chain alone cannot see a forger who recomputed it
    code, out, _ = run(capsys, "verify", "--home", str(restored), "--deep", "--sources", str(sources))
    assert code == 1
    assert "problem: deep: version 1 (shop/shipping, 2026-01-01T00:00:00Z): its text is not what its snapshot" in out
    code, out, _ = run(capsys, "verify", "--home", str(restored), "--head", published)
    assert code == 1 and f"problem: head: the published head {published} is not this store's" in out


def test_2x_forgery_without_rechaining_is_caught_by_the_chain(home, tmp_path, capsys):
    home, _ = home
    archive = tmp_path / "export.tar"
    assert main(["export", str(archive), "--home", str(home)]) == 0
    forge(archive, rechain=False)
    capsys.readouterr()
    code, out, _ = run(capsys, "restore", str(archive), "--home", str(tmp_path / "restored"))
    assert code == 1 and "verify: 3 problems" in out  # the version, the next one, the change


def test_an_older_published_head_still_matches_a_store_that_grew(home, tmp_path, capsys):
    home, sources = home
    old = head_of(home)
    page = tmp_path / "v3.html"
    page.write_text(PAGES[0][0].replace("2 business", "5 business"))
    main(
        [
            "import",
            str(page),
            "--doc",
            "shop/shipping",
            "--at",
            "2026-01-03T00:00:00Z",
            "--home",
            str(home),
            "--sources",
            str(sources),
        ]
    )
    assert head_of(home) != old
    code, out, err = run(capsys, "verify", "--home", str(home), "--head", old)
    assert code == 0, out + err


def test_a_malformed_head_is_a_usage_error(home, capsys):
    home, _ = home
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--home", str(home), "--head", "abc"])
    assert exit_.value.code == 2
    assert "is not a head" in capsys.readouterr().err


def test_an_older_store_gets_its_chain_on_migration(home, capsys):
    home, _ = home
    head = head_of(home)
    db = sqlite3.connect(home / "store.sqlite")
    db.execute("ALTER TABLE versions DROP COLUMN chain_digest")
    db.execute("ALTER TABLE changes DROP COLUMN chain_digest")
    db.commit()
    db.close()
    assert head_of(home) == head  # Store() migrates: the chain is computed for the existing rows
    code, out, _ = run(capsys, "verify", "--home", str(home))
    assert code == 0, out
