"""kb.publish.files: site-src written only where bytes change, each rewrite listed for the next
build, stale generated files removed; a built site swapped in whole."""

from __future__ import annotations

import os
import sys

import pytest

import kb.publish.files
from kb.publish.files import PENDING_FILE, TMP_PREFIX, swap, sync


def _tree(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_sync_writes_only_what_changed_and_lists_it_for_the_next_build(tmp_path):
    files = {"docs/index.md": b"home", "docs/a/b.md": b"page", "mkdocs.yml": b"config"}
    assert sync(tmp_path, files.items()) == (3, 0)
    assert (tmp_path / PENDING_FILE).read_text().splitlines() == list(files)
    (tmp_path / PENDING_FILE).unlink()  # as a build does
    os.utime(tmp_path / "docs/index.md", ns=(1, 1))
    assert sync(tmp_path, {**files, "docs/a/b.md": b"page, edited"}.items()) == (1, 2)
    assert (tmp_path / PENDING_FILE).read_text() == "docs/a/b.md\n"
    assert (tmp_path / "docs/index.md").stat().st_mtime_ns == 1  # unchanged: not touched
    assert (tmp_path / "docs/a/b.md").read_bytes() == b"page, edited"
    assert oct((tmp_path / "docs/a/b.md").stat().st_mode & 0o777) == "0o644"


def test_a_sync_with_nothing_new_opens_no_pending_file(tmp_path):
    sync(tmp_path, [("docs/index.md", b"home")])
    (tmp_path / PENDING_FILE).unlink()
    assert sync(tmp_path, [("docs/index.md", b"home")]) == (0, 1)
    assert not (tmp_path / PENDING_FILE).exists()


def test_sync_removes_stale_generated_files_and_their_empty_folders_only(tmp_path):
    sync(tmp_path, [("docs/index.md", b"home"), ("docs/old/page.md", b"old"), ("hooks/hook.py", b"x")])
    (tmp_path / "notes.txt").write_bytes(b"mine")  # outside the generated folders: kept
    (tmp_path / f"{TMP_PREFIX}abc").write_bytes(b"half")  # a killed run's temporary file
    sync(tmp_path, [("docs/index.md", b"home")])
    assert sorted(_tree(tmp_path)) == [PENDING_FILE, "docs/index.md", "notes.txt"]
    assert not (tmp_path / "docs/old").exists()
    assert (tmp_path / "hooks").is_dir()  # the top folder stays, even empty


def test_swap_puts_the_new_site_in_place(tmp_path):
    new, site = tmp_path / "staging", tmp_path / "site"
    new.mkdir()
    (new / "index.html").write_text("first")
    swap(new, site)  # no site yet: a rename
    assert _tree(site) == {"index.html": b"first"} and not new.exists()
    new.mkdir()
    (new / "index.html").write_text("second")
    swap(new, site)
    assert _tree(site) == {"index.html": b"second"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # the old site is gone


def test_swap_without_an_atomic_exchange_renames_twice(tmp_path, monkeypatch):
    monkeypatch.setattr(kb.publish.files, "_exchange", lambda a, b: False)
    new, site = tmp_path / "staging", tmp_path / "site"
    for folder, text in ((site, "old"), (new, "new")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    swap(new, site)
    assert _tree(site) == {"index.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_new_site_is_exchanged_with_the_old_in_one_step(tmp_path):
    old, new = tmp_path / "site", tmp_path / "staging"
    for folder, name in ((old, "old.html"), (new, "new.html")):
        folder.mkdir()
        (folder / name).write_text(name)
    assert kb.publish.files._exchange(new, old)
    assert [p.name for p in old.iterdir()] == ["new.html"]
    assert [p.name for p in new.iterdir()] == ["old.html"]
    with pytest.raises(OSError):  # a real error is not taken for "unsupported"
        kb.publish.files._exchange(tmp_path / "missing", old)


@pytest.mark.parametrize(
    "before, pieces, changed",
    [
        (b"rules: 1, 2, 3", (b"rules: ", b"1, 2", b", 3"), False),
        (b"rules: 1, 2, 3", (b"rules: ", b"1, 2"), True),  # shorter
        (b"rules: 1, 2", (b"rules: ", b"1, 2", b", 3"), True),  # longer
        (b"rules: 1, 2, 3", (b"rules: ", b"1, 9", b", 3"), True),
        (None, (b"new", b""), True),
        (b"", (), False),
    ],
)
def test_a_file_given_in_pieces_is_compared_and_written_as_a_whole(tmp_path, before, pieces, changed):
    path = tmp_path / "docs" / "rules.json"
    if before is not None:
        path.parent.mkdir(parents=True)
        path.write_bytes(before)
        os.utime(path, ns=(1, 1))
    written = sync(tmp_path, [("docs/rules.json", iter(pieces))])
    assert written == ((1, 0) if changed else (0, 1))
    assert path.read_bytes() == b"".join(pieces)
    assert (path.stat().st_mtime_ns == 1) is (not changed)
    assert not list(path.parent.glob(f"{TMP_PREFIX}*"))  # no temporary file left beside it
    pending = tmp_path / PENDING_FILE
    assert (pending.is_file() and pending.read_text() == "docs/rules.json\n") is changed
