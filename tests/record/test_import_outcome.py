"""``import`` reports the outcome of the capture it imported, not of the history it re-derived
(probe 2p: a PNG before the first version printed "new document")."""

from __future__ import annotations

import pytest

from kb.store import Store
from tests.support import run_cli
from tests.support.loopback_site import declaration, help_page, policy_paragraphs

DOC = "shop/fees"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0" * 2000


@pytest.mark.parametrize(
    "name, data, reason",
    [("img.html", PNG, "got a PNG image"), ("doc.html", PDF, "PDF"), ("empty.html", b"", "empty")],
)
@pytest.mark.parametrize("at", ["2024-01-01T00:00:00Z", "2024-09-01T00:00:00Z"])  # before, after the versions
def test_an_unusable_capture_is_reported_as_failed(tmp_path, name, data, reason, at):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "shop.yaml").write_text(
        declaration("shop", [{"id": "fees", "title": "Fees", "url": "https://shop.example/fees", "type": "fees"}])
    )
    home = tmp_path / "home"
    for when, version in (("2024-03-01T00-00-00Z", 1), ("2024-06-01T00-00-00Z", 2)):
        good = tmp_path / f"{when}.html"
        good.write_text(help_page("Fees", policy_paragraphs("fees", version)))
        run_cli("import", "--doc", DOC, str(good), "--sources", str(sources), home=home)
    bad = tmp_path / name
    bad.write_bytes(data)
    out = run_cli("import", "--doc", DOC, str(bad), "--at", at, "--sources", str(sources), home=home, check=False)
    assert out.returncode == 1, out.stdout
    assert "new document" not in out.stdout + out.stderr and "changed" not in out.stdout
    line = out.stderr.strip()
    assert "\n" not in line and line.startswith(f"policywatch: {bad} as {DOC} at {at} was not usable: ")
    assert reason in line and "kept as evidence" in line
    with Store(home) as store:
        assert len(store.versions(DOC)) == 2
