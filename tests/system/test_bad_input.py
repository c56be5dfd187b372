"""Bad declarations and bad arguments: one clear line naming the file, the key and the fix,
exit status 1 (2 for usage errors), and nothing crawled, nothing written.

Each broken declaration sits beside a valid one that points at a live loopback server: the
server counting zero requests proves that one broken file stops the whole crawl before it starts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.cli import main
from tests.support.faultserver import FaultServer

BAD = {
    "invalid-yaml": (
        "marketplace: bad\nname: [unclosed\ndocuments: []\n",
        r"bad\.yaml: line 3: invalid YAML; check indentation and quoting",
    ),
    "tab-indented": (
        "marketplace: bad\nname: Bad\ndocuments:\n\t- id: a\n",
        r"bad\.yaml: line 4: invalid YAML; check indentation and quoting",
    ),
    "unknown-top-key": (
        "marketplace: bad\nname: Bad\ncolour: red\n"
        "documents:\n  - {id: a, title: A, url: 'https://bad.example/a', type: policy}\n",
        r"bad\.yaml: colour: unknown key; allowed keys here: allow_private_addresses, ",
    ),
    "unknown-document-key": (
        "marketplace: bad\nname: Bad\ndocuments:\n"
        "  - {id: a, title: A, url: 'https://bad.example/a', type: policy, selct: [main]}\n",
        r"bad\.yaml: documents\[0\]\.selct: unknown key; allowed keys here: ",
    ),
    "duplicate-id": (
        "marketplace: bad\nname: Bad\ndocuments:\n"
        "  - {id: a, title: A, url: 'https://bad.example/a', type: policy}\n"
        "  - {id: a, title: A2, url: 'https://bad.example/a2', type: policy}\n",
        r"bad\.yaml: documents: duplicate id 'bad/a' \(first in bad\.yaml\); "
        r"give each document its own id",
    ),
    "same-marketplace-twice": (
        "marketplace: good\nname: Good again\ndocuments:\n"
        "  - {id: b, title: B, url: 'https://bad.example/b', type: policy}\n",
        r"good\.yaml: marketplace: 'good' is also declared in bad\.yaml; "
        r"use one file per marketplace",
    ),
    "invalid-selector": (
        "marketplace: bad\nname: Bad\ndocuments:\n"
        "  - {id: a, title: A, url: 'https://bad.example/a', type: policy, select: ['main >> p']}\n",
        r"bad\.yaml: documents\[0\]\.select: invalid CSS selector 'main >> p' \(.+\); "
        r"fix the selector",
    ),
    "invalid-remove-selector": (
        "marketplace: bad\nname: Bad\ndefaults:\n  remove: ['div[']\ndocuments:\n"
        "  - {id: a, title: A, url: 'https://bad.example/a', type: policy}\n",
        r"bad\.yaml: defaults\.remove: invalid CSS selector 'div\[' ",
    ),
    "missing-url": (
        "marketplace: bad\nname: Bad\ndocuments:\n  - {id: a, title: A, type: policy}\n",
        r"bad\.yaml: documents\[0\]\.url: ",
    ),
    "unknown-type": (
        "marketplace: bad\nname: Bad\ndocuments:\n  - {id: a, title: A, url: 'https://bad.example/a', type: memo}\n",
        r"bad\.yaml: documents\[0\]\.type: unknown document type 'memo'; use one of: ",
    ),
    "private-address": (
        "marketplace: bad\nname: Bad\ndocuments:\n  - {id: a, title: A, url: 'http://10.0.0.7/a', type: policy}\n",
        r"bad\.yaml: documents\[0\]\.url: '10\.0\.0\.7' is a loopback or private address; "
        r"use a public host, or set allow_private_addresses: true",
    ),
    "bad-follow-regex": (
        "marketplace: bad\nname: Bad\ndiscover:\n"
        "  - {from: 'https://bad.example/help', follow: ['(unclosed'], type: help}\n",
        r"bad\.yaml: discover\[0\]\.follow\[0\]: invalid regular expression",
    ),
}
SCHEMES = [
    "ftp://bad.example/a",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "mailto:legal@bad.example",
    "data:text/html,<p>hi</p>",
    "//bad.example/a",
    "bad.example/a",
    "https:///a",
]


@pytest.fixture
def server():
    with FaultServer() as running:
        running.answer("/good", "page", doc="good")
        yield running


def declarations(tmp_path: Path, server: FaultServer, bad: str) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "good.yaml").write_text(
        "marketplace: good\nname: Good\nallow_private_addresses: true\ndocuments:\n"
        f"  - {{id: page, title: Page, url: '{server.url('/good')}', type: policy}}\n"
    )
    (folder / "bad.yaml").write_bytes(bad.encode("utf-8") if isinstance(bad, str) else bad)
    return folder


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("policywatch: "), err
    assert "Traceback" not in err
    return err[len("policywatch: ") :].rstrip("\n")


def assert_nothing_crawled(server: FaultServer, home: Path) -> None:
    assert server.paths_hit() == set()
    assert not (home / "store.sqlite").exists()


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_broken_declaration_is_one_line_and_nothing_is_crawled(tmp_path, server, capsys, case):
    text, expected = BAD[case]
    sources, home = declarations(tmp_path, server, text), tmp_path / "home"
    assert main(["crawl", "--fast", "--sources", str(sources), "--home", str(home)]) == 1
    line = one_line_error(capsys)
    assert re.match(expected, line), line
    assert line.endswith("(hint: fix the source file, then run `policywatch sources validate`)")
    assert_nothing_crawled(server, home)
    assert main(["sources", "validate", "--sources", str(sources)]) == 1
    assert one_line_error(capsys) == line  # validating says exactly what crawling said


@pytest.mark.parametrize("url", SCHEMES)
def test_urls_that_are_not_http_are_refused_by_name(tmp_path, server, capsys, url):
    text = f"marketplace: bad\nname: Bad\ndocuments:\n  - {{id: a, title: A, url: '{url}', type: policy}}\n"
    sources, home = declarations(tmp_path, server, text), tmp_path / "home"
    assert main(["crawl", "--fast", "--sources", str(sources), "--home", str(home)]) == 1
    line = one_line_error(capsys)
    assert line.startswith(
        f"bad.yaml: documents[0].url: '{url}' is not an http(s) URL; use an absolute http:// or https:// address"
    ), line
    assert_nothing_crawled(server, home)


def test_a_declaration_that_is_not_utf8_is_one_line(tmp_path, server, capsys):
    text = "marketplace: bad\nname: Caf\xe9 du march\xe9\ndocuments: []\n".encode("cp1252")
    sources, home = declarations(tmp_path, server, text), tmp_path / "home"
    assert main(["crawl", "--fast", "--sources", str(sources), "--home", str(home)]) == 1
    assert one_line_error(capsys).startswith("bad.yaml: line 2: not UTF-8 text (byte 0xe9); save the file as UTF-8")
    assert_nothing_crawled(server, home)


def test_a_key_given_twice_is_refused(tmp_path, server, capsys):
    """YAML itself keeps the last of two identical keys silently: the first url would be lost."""
    text = (
        "marketplace: bad\nname: Bad\ndocuments:\n  - id: a\n    title: A\n"
        "    url: https://bad.example/a\n    url: https://bad.example/b\n    type: policy\n"
    )
    sources, home = declarations(tmp_path, server, text), tmp_path / "home"
    assert main(["crawl", "--fast", "--sources", str(sources), "--home", str(home)]) == 1
    assert one_line_error(capsys).startswith(
        "bad.yaml: line 7: key 'url' given twice (the first would be lost); keep one"
    )
    assert_nothing_crawled(server, home)


# -- arguments ----------------------------------------------------------------------------------


@pytest.fixture
def store_home(tmp_path) -> Path:
    from tests.support.builders import build_store

    build_store(tmp_path / "home")
    return tmp_path / "home"


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["import", "{page}", "--doc", "shop/fees", "--at", "yesterday"],
            "bad date 'yesterday' (hint: use ISO 8601, e.g. 2025-12-04 or 2025-12-04T12:30:02Z)",
        ),
        (
            ["import", "{missing}", "--doc", "shop/fees", "--at", "2026-01-01"],
            "{missing}: no such file (hint: give the path of a saved HTML capture)",
        ),
        (["show", "shop/nope"], "unknown document 'shop/nope' (hint: list documents with `policywatch status`)"),
        (["diff", "shop/nope"], "unknown document 'shop/nope' (hint: list documents with `policywatch status`)"),
        (
            ["diff", "shop/fees", "--change", "1999"],
            "no change '1999' in shop/fees (hint: list them with `policywatch changes --doc shop/fees`)",
        ),
        (["restore", "{missing}"], "{missing}: no such file (hint: give a file written by `policywatch export`)"),
        (["export", "{home}"], "{home} is a folder (hint: give a file name, e.g. policywatch-export.tar)"),
    ],
)
def test_bad_arguments_are_one_line(store_home, tmp_path, capsys, args, expected):
    page = tmp_path / "page.html"
    page.write_text("<main>Fee is $1.</main>")
    values = {"page": str(page), "missing": str(tmp_path / "missing.html"), "home": str(store_home)}
    argv = [a.format(**values) for a in args]
    target = ["--home", str(tmp_path / "other") if argv[0] == "restore" else str(store_home)]
    assert main([*argv, *target]) == 1
    assert one_line_error(capsys) == expected.format(**values)


def test_a_home_that_is_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    assert main(["verify", "--home", str(blocker)]) == 1
    assert one_line_error(capsys).startswith(f"no store in {blocker}")
    assert main(["changes", "--home", str(blocker)]) == 1
    assert one_line_error(capsys).startswith(f"no store in {blocker}")


@pytest.mark.parametrize(
    "argv",
    [
        ["crawl", "--nope"],
        ["restore"],
        ["export"],
        ["changes", "--class", "big"],
        ["search", "fees", "--as-of", "2026-08-20", "--history"],  # options that exclude each other
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "usage: policywatch" in capsys.readouterr().err
