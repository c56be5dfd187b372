"""3b: a page with control characters (ESC sequences, backspace) is recorded, published and
listed like any other: the characters never reach the text, the feeds or the terminal."""

from __future__ import annotations

from kb.cli import main

V1 = "<html><body><main><h1>Fees</h1><p>The referral fee is 15% of the sale price.</p></main></body></html>"
V2 = "<html><body><main><h1>Fees</h1><p>The referral fee is 20%\x1b[31m of the\x08 sale price.</p></main></body></html>"


def test_control_characters_in_a_page_neither_break_publish_nor_reach_the_terminal(tmp_path, capsys):
    sources, home = tmp_path / "sources", tmp_path / "home"
    sources.mkdir()
    (sources / "ctl.yaml").write_text(
        "marketplace: ctl\nname: Ctl\ndocuments:\n"
        "  - {id: fees, title: Fees, url: 'https://ctl.example/fees', type: fees, select: [main]}\n"
    )
    for n, (page, at) in enumerate(((V1, "2026-01-01T00:00:00Z"), (V2, "2026-01-02T00:00:00Z"))):
        path = tmp_path / f"v{n}.html"
        path.write_text(page)
        common = ["--home", str(home), "--sources", str(sources)]
        assert main(["import", str(path), "--doc", "ctl/fees", "--at", at, *common]) == 0
    assert main(["publish", "--home", str(home)]) == 0
    for feed in (home / "site").rglob("*.xml"):
        assert b"\x1b" not in feed.read_bytes()
    capsys.readouterr()
    assert main(["changes", "--home", str(home)]) == 0
    shown = capsys.readouterr().out
    assert "20%" in shown and "\x1b" not in shown and "\x08" not in shown
