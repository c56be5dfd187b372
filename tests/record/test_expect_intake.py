"""Imports and Wayback backfills go through the same judgement as crawls (``diffs.expect``):
a capture that is not what the document claims is a failed check, kept as evidence, never a version."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.wayback import PoliteClient
from kb.models import FaultKind
from kb.pipeline import backfill, import_folder
from kb.sources import load_sources
from kb.store import Store
from tests.support import run_cli
from tests.support.impostors import JS_SHELL, french_page
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

DOC = "shop/fees"
URL = "https://shop.example/help/fees?locale=en-GB"
T1, T2, T3 = "2024-01-05T08:00:00Z", "2024-03-01T08:00:00Z", "2024-06-30T23:59:59Z"


def good(version: int) -> bytes:
    return help_page("Fees", policy_paragraphs("fees", version)).encode()


def shop_sources(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(
        declaration("shop", [{"id": "fees", "title": "Fees", "url": URL, "type": "fees"}])
    )
    return load_sources(folder)


def checks_and_versions(home: Path):
    with Store(home) as store:
        checks = {c.checked_at: c for c in store.checks(DOC)}
        return checks, [v.captured_at for v in store.versions(DOC)], [c.detected_at for c in store.changes(DOC)]


def test_an_imported_capture_in_another_language_is_a_failed_check(tmp_path):
    sources = shop_sources(tmp_path / "sources")
    folder = tmp_path / "captures"
    folder.mkdir()
    for at, body in ((T1, good(1)), (T2, french_page("fees").encode()), (T3, good(2))):
        (folder / f"{at.replace(':', '-')}.html").write_bytes(body)
    count, report = import_folder(tmp_path / "home", sources, DOC, folder)
    checks, versions, changes = checks_and_versions(tmp_path / "home")
    assert count == 3
    failed = checks[T2]
    assert failed.outcome == "failed" and failed.fault == FaultKind.WRONG_LANGUAGE
    assert failed.reason.startswith("served in French, expected English: the site ignored `locale=en-GB`")
    assert failed.snapshot_id is not None  # the capture is kept as evidence
    assert versions == [T1, T3] and changes == [T3]  # the change starts from T1, as if T2 never was
    assert (DOC, failed.reason) in report.failed


def test_a_backfilled_javascript_shell_is_a_failed_check(tmp_path):
    sources = shop_sources(tmp_path / "sources")
    bodies = {T1: good(1), T2: JS_SHELL.encode(), T3: good(2)}
    with LoopbackSite() as site:
        rows = [["timestamp", "original", "digest"]]
        for at, body in bodies.items():
            stamp = "".join(ch for ch in at if ch.isdigit())
            rows.append([stamp, URL, f"DIGEST-{stamp}"])
            site.page(f"/web/{stamp}id_/{URL.split('?')[0]}", body)
        site.page("/cdx/search/cdx", json.dumps(rows), content_type="application/json")
        (result,) = backfill(
            tmp_path / "home", sources, [DOC], base_url=site.base_url, client=PoliteClient("test", delay=0)
        )
    checks, versions, changes = checks_and_versions(tmp_path / "home")
    assert result.imported == 3
    shell = checks[T2]
    assert shell.outcome == "failed" and shell.fault == FaultKind.JS_SHELL
    assert shell.reason.startswith("a JavaScript shell without the document's text (it says \"You need to enable")
    assert versions == [T1, T3] and changes == [T3]


def test_extract_says_when_a_saved_page_is_not_what_the_document_claims(tmp_path):
    shop_sources(tmp_path / "sources")
    saved = tmp_path / "french.html"
    saved.write_text(french_page("fees"))
    args = ("extract", str(saved), "--doc", DOC, "--sources", str(tmp_path / "sources"))
    result = run_cli(*args, check=False)
    assert result.returncode == 1
    assert "Section 1 de la politique fees" in result.stdout  # the text is still shown
    assert result.stderr.startswith(
        f"policywatch: {saved}: not {DOC} as declared (wrong-language): served in French, expected English: "
    )
    saved.write_bytes(good(1))
    assert run_cli(*args).stderr == ""
