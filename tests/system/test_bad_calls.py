"""Bad calls found by looking for the probe's classes of fault beyond its cases (issue 16, point
2): an argument out of range, a file that is not a file, a mistyped --home or --doc, and errors
nobody planned for. Each is one line with a hint and a non-zero exit, and writes nothing.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kb.cli import main
from kb.cli.helpers import HOME_SOURCES, _sources
from kb.store import Store
from tests.system.test_bad_input import one_line_error

PAGE = b"<html><body><main><h1>Rules</h1><p>Ship within 2 days.</p></main></body></html>"


def usage_error(capsys, args: list[str]) -> str:
    """argparse's own line for a bad argument (exit 2)."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE)
    return path


@pytest.mark.parametrize("port", ["99999", "-1", "eighty"])
def test_serve_refuses_a_port_out_of_range(capsys, tmp_path: Path, port: str):
    said = usage_error(capsys, ["serve", "--port", port, "--home", str(tmp_path)])
    assert f"argument --port: '{port}' is not a port: give a number from 0" in said


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1", "is not an http(s) URL"),
        ("notaurl", "is not an http(s) URL"),
        ("ftp://example.org/a", "is not an http(s) URL"),
        ("http://example.org:99999/a", "port 99999 is not a port from 1 to 65535"),
        ("http://example.org:port/a", "port port is not a port from 1 to 65535"),
    ],
)
@pytest.mark.parametrize("command", ["extract", "import"])
def test_url_options_are_checked_like_declarations(capsys, tmp_path: Path, page: Path, command, url, said):
    args = [command, str(page), "--url", url]
    if command == "import":
        args += ["--doc", "x/y", "--at", "2026-01-01T00:00:00Z", "--home", str(tmp_path / "home")]
    assert said in usage_error(capsys, args)
    assert not (tmp_path / "home").exists()


def test_extract_without_url_still_works(capsys, page: Path):
    assert main(["extract", str(page)]) == 0
    assert "Ship within 2 days." in capsys.readouterr().out


def test_a_device_is_not_read_as_a_page(capsys):
    # /dev/zero never ends: reading it whole would fill the memory before anything was said.
    assert main(["extract", "/dev/zero"]) == 1
    assert one_line_error(capsys).startswith("/dev/zero: not a regular file (hint: give a saved HTML page")


def test_a_file_larger_than_a_page_is_refused_before_it_is_read(capsys, tmp_path: Path):
    huge = tmp_path / "huge.html"
    with huge.open("wb") as file:
        file.truncate(64 << 20)  # sparse: 64 MB on paper, nothing on disk
    assert main(["compare", str(huge), str(huge)]) == 1
    assert "huge.html: 64.0 MB, over the size limit of a page (20.0 MB)" in one_line_error(capsys)


def test_import_refuses_a_huge_capture_and_stores_nothing(capsys, tmp_path: Path):
    huge = tmp_path / "2026-01-01T00-00-00Z.html"
    with huge.open("wb") as file:
        file.truncate(64 << 20)
    home = tmp_path / "home"
    Store(home).close()
    before = (home / "store.sqlite").read_bytes()
    assert main(["import", str(huge), "--doc", "northwind/fees", "--home", str(home)]) == 1
    assert "over the size limit of a page" in one_line_error(capsys)
    assert (home / "store.sqlite").read_bytes() == before


@pytest.mark.parametrize("command", [["publish"], ["record"]])
def test_a_mistyped_home_is_said_not_filled(capsys, tmp_path: Path, command):
    home = tmp_path / "hoem"
    assert main([*command, "--home", str(home)]) == 1
    assert one_line_error(capsys).startswith(f"no store in {home} (hint: run `policywatch crawl`")
    assert not home.exists()


def _documents(home: Path) -> list[str]:
    with sqlite3.connect(home / "store.sqlite") as db:
        return [row[0] for row in db.execute("SELECT doc_id FROM documents ORDER BY doc_id")]


@pytest.mark.parametrize(
    ("option", "said"),
    [(["--doc", "nowhere/nothing"], "unknown document 'nowhere/nothing'"), (["--source", "nowhere"], "no marketplace")],
)
def test_a_mistyped_crawl_writes_nothing(capsys, tmp_path: Path, option, said):
    # The plan used to register every declared document before it found the name unknown.
    home = tmp_path / "home"
    Store(home).close()
    assert main(["crawl", *option, "--home", str(home)]) == 1
    assert said in one_line_error(capsys)
    assert _documents(home) == []


def test_a_bad_notify_file_stops_the_crawl_before_it_writes(capsys, tmp_path: Path):
    home = tmp_path / "home"
    Store(home).close()
    (home / "notify.yaml").write_text("subscriptions: [unclosed\n")
    assert main(["crawl", "--home", str(home)]) == 1
    assert "notify.yaml" in one_line_error(capsys)
    assert _documents(home) == []


def test_a_home_made_by_the_demo_keeps_its_own_declarations(tmp_path: Path):
    own = tmp_path / "home" / HOME_SOURCES
    own.mkdir(parents=True)
    (own / "shop.yaml").write_text(
        "marketplace: shop\nname: Shop\nallow_private_addresses: true\ndocuments:\n"
        "  - {id: fees, title: Fees, url: 'http://127.0.0.1:9/fees', type: policy}\n"
    )
    found = _sources(argparse.Namespace(sources=None, home=str(tmp_path / "home")))
    assert [d.doc_id for d in found.documents] == ["shop/fees"]
    shipped = _sources(argparse.Namespace(sources=None, home=str(tmp_path / "other")))
    assert len(shipped.documents) > 1


def _failing(exc: BaseException):
    def command(args) -> int:
        raise exc

    return command


def test_an_error_of_the_system_is_one_line_with_a_hint(capsys, monkeypatch, tmp_path: Path):
    _patch_command(monkeypatch, "changes", _failing(PermissionError(errno.EACCES, "Permission denied", "/x/y")))
    assert main(["changes", "--home", str(tmp_path)]) == 1
    assert one_line_error(capsys) == (
        "the system refused /x/y: Permission denied (hint: check the permissions of the home "
        "(or pass --home with a folder you can write))"
    )


def test_a_bug_is_one_line_and_the_traceback_is_there_when_asked(capsys, monkeypatch, tmp_path: Path):
    _patch_command(monkeypatch, "changes", _failing(KeyError("surprise\nsecond line")))
    assert main(["changes", "--home", str(tmp_path)]) == 1
    line = one_line_error(capsys)
    assert line.startswith("unexpected KeyError: 'surprise")
    assert "POLICYWATCH_TRACEBACK=1" in line
    monkeypatch.setenv("POLICYWATCH_TRACEBACK", "1")
    with pytest.raises(KeyError):
        main(["changes", "--home", str(tmp_path)])


def _patch_command(monkeypatch, name: str, func):
    """Make the command ``name`` run ``func`` (the parser binds each command's function)."""
    from kb.cli import registry

    patched = [replace(c, func=func) if c.name == name else c for c in registry.COMMANDS]
    monkeypatch.setattr(registry, "COMMANDS", patched)


def _huge(path: Path) -> Path:
    with path.open("wb") as file:
        file.truncate(64 << 20)
    return path


def test_a_huge_declaration_file_is_refused_unread(capsys, tmp_path: Path):
    folder = tmp_path / "sources"
    folder.mkdir()
    _huge(folder / "big.yaml")
    assert main(["sources", "validate", "--sources", str(folder)]) == 1
    assert one_line_error(capsys).startswith(
        "big.yaml: file: 64.0 MB, over the 16 MB a file of declarations may be; split it into one file per marketplace"
    )


@pytest.mark.parametrize("name", ["notify.yaml", "crawl.yaml"])
def test_a_huge_home_file_is_refused_unread(capsys, tmp_path: Path, name: str):
    home = tmp_path / "home"
    Store(home).close()
    _huge(home / name)
    assert main(["crawl", "--home", str(home)]) == 1
    assert "over the 16 MB a file of declarations may be" in one_line_error(capsys)
    assert _documents(home) == []


def test_an_open_terms_archive_declaration_nested_too_deep_is_said(capsys, tmp_path: Path):
    deep = tmp_path / "Deep.json"
    deep.write_text("[" * 100_000)
    assert main(["sources", "import-ota", str(deep), "--out", str(tmp_path / "out")]) == 1
    assert one_line_error(capsys).startswith("Deep.json: values nested too deep")


def test_an_open_terms_archive_declaration_not_in_utf8_is_said(capsys, tmp_path: Path):
    latin = tmp_path / "Latin.json"
    latin.write_bytes('{"name": "Caf\u00e9"}'.encode("latin-1"))
    assert main(["sources", "import-ota", str(latin), "--out", str(tmp_path / "out")]) == 1
    assert one_line_error(capsys).startswith("Latin.json: line 1: not UTF-8 text (byte 0xe9)")
