"""Open Terms Archive declarations converted to ours, and the `sources` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kb.errors import DeclarationError
from kb.sources import default_sources_dir, load_sources
from kb.sources.ota import convert_file, write
from tests.support import run_cli

SERVICE = {
    "name": "Example Market",
    "terms": {
        "Marketplace Sellers Conditions": {
            "combine": [
                {"fetch": "https://sellers.example/conditions?locale=en-US"},
                {"fetch": "https://sellers.example/annex", "select": ".annex", "executeClientScripts": False},
            ],
            "select": ["#full-help-page"],
            "remove": ["*[hidden]", {"startAfter": "#toc", "endBefore": "#body"}],
            "executeClientScripts": True,
        },
        "Terms of Service": {
            "fetch": "https://www.example/legal/terms/",
            "select": [{"startAfter": "#category-dropdown", "endBefore": "#locale_overlay_container"}],
            "filter": ["removeSessionIds"],
        },
        "Privacy Policy": {"fetch": "https://www.example/privacy.pdf"},
    },
}


def ota_file(tmp_path: Path, data: dict = SERVICE, name: str = "Example Market.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_conversion_keeps_combine_ranges_remove_and_browser(tmp_path):
    conversion = convert_file(ota_file(tmp_path))
    assert conversion.marketplace == "example-market"
    sellers, terms = conversion.documents
    assert sellers == {
        "id": "marketplace-sellers-conditions",
        "title": "Example Market Marketplace Sellers Conditions",
        "type": "agreement",
        "pages": [
            {
                "url": "https://sellers.example/conditions?locale=en-US",
                "select": ["#full-help-page"],
                "remove": ["*[hidden]", {"start_after": "#toc", "end_before": "#body"}],
                "render": "browser",
            },
            {
                "url": "https://sellers.example/annex",
                "select": [".annex"],
                "remove": ["*[hidden]", {"start_after": "#toc", "end_before": "#body"}],
            },
        ],
    }
    assert terms["select"] == [{"start_after": "#category-dropdown", "end_before": "#locale_overlay_container"}]
    assert any("removeSessionIds is JavaScript" in w for w in conversion.warnings)
    assert any("privacy.pdf is a PDF" in w for w in conversion.warnings)


def test_converted_file_loads_with_working_rules(tmp_path):
    target = write(convert_file(ota_file(tmp_path)), tmp_path / "sources")
    assert target.name == "example-market.yaml"
    doc = load_sources(tmp_path / "sources").get("example-market/marketplace-sellers-conditions")
    assert [p.browser for p in doc.pages] == [True, False]
    assert doc.browser and len(doc.rules.parts) == 2
    assert doc.rules.parts[1].select == (".annex",)
    assert doc.rules.parts[0].remove_ranges[0].describe() == "{start_after: '#toc', end_before: '#body'}"


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            {"name": "X", "terms": {"T": {"fetch": "https://x.example", "selector": "main"}}},
            "X.json: T: unknown key 'selector'",
        ),
        (
            {"name": "X", "terms": {"T": {"fetch": "https://x.example", "select": {"startAfter": "#a"}}}},
            "X.json converts to an invalid declaration: x.yaml: documents[0].select[0]: a range needs",
        ),
        (
            {"name": "X", "terms": {"T": {"fetch": "https://x.example", "select": "div["}}},
            "X.json converts to an invalid declaration: x.yaml: documents[0].select: invalid CSS selector 'div['",
        ),
        (
            {"Marketplace Sellers Conditions": [{"fetch": "https://x.example", "validUntil": "2022-01-01"}]},
            "X.json: no 'terms' in this file",
        ),
    ],
)
def test_unconvertible_declarations_are_one_line_errors(tmp_path, data, expected):
    with pytest.raises(DeclarationError) as err:
        convert_file(ota_file(tmp_path, data, "X.json"))
    assert str(err.value).startswith(expected) and "\n" not in str(err.value)


def test_import_ota_command_writes_into_a_sources_folder(tmp_path):
    out = run_cli("sources", "import-ota", str(ota_file(tmp_path)), "--out", str(tmp_path / "src"))
    assert out.stdout.strip() == (
        "wrote "
        + str(tmp_path / "src" / "example-market.yaml")
        + ": 2 documents of Example Market (marketplace example-market)"
    )
    assert "warning: Example Market.json: Privacy Policy:" in out.stderr
    printed = run_cli("sources", "import-ota", str(ota_file(tmp_path)), "--marketplace", "ex").stdout
    assert yaml.safe_load(printed)["marketplace"] == "ex"
    listed = json.loads(run_cli("sources", "list", "--json", "--sources", str(tmp_path / "src")).stdout)
    assert [(r["id"], r["render"], len(r["pages"])) for r in listed] == [
        ("example-market/marketplace-sellers-conditions", "browser", 2),
        ("example-market/terms-of-service", "http", 1),
    ]


def test_extract_a_saved_page_with_a_converted_declaration(tmp_path):
    run_cli("sources", "import-ota", str(ota_file(tmp_path)), "--out", str(tmp_path / "src"))
    page = tmp_path / "terms.html"
    page.write_text(
        "<html><body><nav id='category-dropdown'>Legal menu</nav><h1>Terms</h1><p>Sellers agree.</p>"
        "<div id='locale_overlay_container'>Language</div></body></html>"
    )
    out = run_cli("extract", str(page), "--doc", "example-market/terms-of-service", "--sources", str(tmp_path / "src"))
    assert out.stdout == "# Terms\n\nSellers agree.\n"
    annex = tmp_path / "annex.html"
    annex.write_text("<div class='annex'><p>Annex text.</p></div>")
    doc = "example-market/marketplace-sellers-conditions"
    asked = run_cli("extract", str(annex), "--doc", doc, "--sources", str(tmp_path / "src"), check=False)
    assert asked.returncode == 1 and "combines 2 pages; which one is annex.html?" in asked.stderr
    out = run_cli(
        "extract",
        str(annex),
        "--doc",
        doc,
        "--url",
        "https://sellers.example/annex",
        "--sources",
        str(tmp_path / "src"),
    )
    assert out.stdout == "Annex text.\n"


def test_validate_passes_on_the_shipped_sources():
    out = run_cli("sources", "validate")
    assert out.stdout.startswith("ok: 7 files, ")


def test_validate_fails_with_one_line_on_an_unknown_key(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    text = (
        (default_sources_dir() / "ebay.yaml")
        .read_text()
        .replace("    type: fees\n", "    type: fees\n    colour: red\n")
    )
    (folder / "ebay.yaml").write_text(text)
    out = run_cli("sources", "validate", "--sources", str(folder), check=False)
    assert out.returncode == 1 and out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith("policywatch: ebay.yaml: documents[6].colour: unknown key; allowed keys here: ")
