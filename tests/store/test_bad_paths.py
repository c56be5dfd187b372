"""A home or an export path that cannot be a folder is one line, never a traceback (probe 2r)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ArchiveError, StoreError
from kb.store import Store
from kb.store.archive import export
from kb.store.lock import run_lock
from tests.support import run_cli


def unusable(tmp_path: Path) -> list[Path]:
    (tmp_path / "a-file").write_text("x")
    return [tmp_path / "a-file" / "home", Path("/proc/policywatch-probe/home")]


def test_a_home_that_cannot_be_made_is_a_store_error(tmp_path):
    for home in unusable(tmp_path):
        with pytest.raises(StoreError, match=r"cannot make the home") as caught:
            with run_lock(home, "crawl"):
                pass
        assert "\n" not in str(caught.value) and caught.value.hint


def test_an_export_under_a_file_or_an_unwritable_folder_is_an_archive_error(tmp_path):
    Store(tmp_path / "home").close()
    for folder in unusable(tmp_path):
        with pytest.raises(ArchiveError, match=r"cannot write") as caught:
            export(tmp_path / "home", folder / "x.tar")
        assert "\n" not in str(caught.value)


def test_the_cli_says_it_in_one_line(tmp_path):
    Store(tmp_path / "home").close()
    (tmp_path / "a-file").write_text("x")
    out = run_cli("export", str(tmp_path / "a-file" / "x.tar"), home=tmp_path / "home", check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "a-file is a file, not a folder" in out.stderr
    out = run_cli("status", home=tmp_path / "a-file" / "home", check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
