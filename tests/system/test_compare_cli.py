"""`policywatch compare OLD NEW`: two captures, no store: class, summary, reasons, diff, JSON."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from diffs.kinds import SUBSTANTIVE
from kb.cli import main
from tests.support import REALDATA, run_cli

OLD_MD = """# Customer service performance metrics

Last updated: 15 June 2026

## Late shipment rate

You must keep your late shipment rate under 4%.
"""
NEW_MD = OLD_MD.replace("15 June 2026", "21 August 2026").replace(
    "under 4%.",
    "under 3%.\n\n**Effective 1 October 2026:** orders due to ship from that date are measured against the new target.",
)

PAGE = """<html><head><title>Fees</title><link rel="canonical" href="/fees"></head><body>
<nav><a href="/home?ref_=nav_{nav}">Home</a></nav>
<main id="content" {attrs}><h1>Selling fees</h1>
<p>Last updated: 2 February 2026</p>
<p>A per-item fee of {fee} applies. See the <a href="/help/G1791?{query}">fee schedule</a>.</p>
</main><footer>Rendered {rendered}</footer></body></html>"""


def page(
    fee: str, *, nav: str = "a", attrs: str = 'class="a" data-x="1"', query: str = "ref_=x&a=1", rendered: str = "08:00"
) -> str:
    return PAGE.format(fee=fee, nav=nav, attrs=attrs, query=query, rendered=rendered)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def compare_json(capsys, *args: str) -> dict:
    assert main(["compare", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_markdown_files_through_the_real_entry_point(tmp_path: Path) -> None:
    old, new = write(tmp_path, "old.md", OLD_MD), write(tmp_path, "new.md", NEW_MD)
    out = run_cli("compare", str(old), str(new), "--detected-at", "2026-08-24T06:00:00Z").stdout
    lines = out.splitlines()
    assert lines[0] == ("substantive: Late shipment rate lowered from 4% to 3%; effective 2026-10-01 (38 days' notice)")
    assert lines[1] == "silent: no (stated date 2026-06-15 → 2026-08-21)"
    assert "affects: Shipping and delivery, Account health and metrics" in out
    assert "  - [number] late shipment rate: under 4% → 3%" in out
    assert "  - Customer service performance metrics › Late shipment rate: 1 sentence changed" in out
    assert "under [-4-]{+3+}%" in out


def test_json_fields(tmp_path: Path, capsys) -> None:
    old, new = write(tmp_path, "old.md", OLD_MD), write(tmp_path, "new.md", NEW_MD)
    data = compare_json(capsys, str(old), str(new), "--detected-at", "2026-08-24T06:00:00Z")
    assert data["class"] == "substantive" and data["silent"] is False
    assert data["summary"].startswith("Late shipment rate lowered from 4% to 3%")
    assert all(set(r) >= {"kind", "text"} and r["text"] for r in data["reasons"])
    assert [r["kind"] for r in data["reasons"]][:2] == ["number", "effective-date"]
    assert data["tags"] == ["shipping-delivery", "account-health"]
    assert (data["effective_date"], data["notice_days"]) == ("2026-10-01", 38)
    assert data["sections"][-1] == "Customer service performance metrics › Late shipment rate"
    assert data["section_details"][-1] == {
        "id": "customer-service-performance-metrics/late-shipment-rate",
        "label": "Customer service performance metrics › Late shipment rate",
        "changes": "1 sentence changed, 1 sentence added",
        "text": "Customer service performance metrics › Late shipment rate: 1 sentence changed, 1 sentence added",
    }
    assert "{+3+}" in data["diff"]


def test_silent_is_null_without_a_stated_date_and_true_when_unchanged(tmp_path: Path, capsys) -> None:
    a = write(tmp_path, "a.md", "## Fees\n\nYou may pay by card.\n")
    b = write(tmp_path, "b.md", "## Fees\n\nYou must pay by card.\n")
    assert compare_json(capsys, str(a), str(b))["silent"] is None
    c = write(tmp_path, "c.md", "Last updated: 1 May 2026\n\nYou may pay by card.\n")
    d = write(tmp_path, "d.md", "Last updated: 1 May 2026\n\nYou must pay by card.\n")
    data = compare_json(capsys, str(c), str(d))
    assert data["silent"] is True and data["summary"].endswith("; silent change")


def test_html_noise_is_no_change_and_a_fee_is_found(tmp_path: Path, capsys) -> None:
    """Tracking parameters, reordered attributes and page chrome do not count; the fee does."""
    first = write(tmp_path, "first.html", page("$0.99"))
    noisy = write(
        tmp_path,
        "noisy.html",
        page("$0.99", nav="b", attrs='data-x="1" class="a"', query="a=1&ref_=y&utm_source=z", rendered="09:30"),
    )
    data = compare_json(capsys, str(first), str(noisy), "--select", "#content")
    assert (data["class"], data["summary"], data["diff"]) == ("noise", "No change", "")
    raised = write(tmp_path, "raised.html", page("$1.29"))
    data = compare_json(capsys, str(first), str(raised), "--select", "#content")
    assert data["class"] == "substantive" and data["silent"] is True
    assert data["summary"] == "Per-item fee raised from $0.99 to $1.29; silent change"


def test_detection_time_is_read_from_capture_names(tmp_path: Path, capsys) -> None:
    old = write(tmp_path, "2026-08-17T06-00-00Z.md", OLD_MD)
    new = write(tmp_path, "2026-09-28T06-00-00Z.md", NEW_MD)
    data = compare_json(capsys, str(old), str(new))
    assert data["detected_at"] == "2026-09-28T06:00:00Z" and data["notice_days"] == 3
    assert "under the 15 days the EU P2B Regulation requires" in data["summary"]


def test_missing_file_is_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["compare", str(tmp_path / "nope.md"), str(tmp_path / "nope2.md")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("policywatch: ") and err.count("\n") == 1 and "nope.md" in err


needs_realdata = pytest.mark.skipif(
    not (REALDATA / "versions").is_dir(), reason=f"real data folder missing: {REALDATA}"
)


def _consecutive(slug: str) -> list[tuple[Path, Path]]:
    files = sorted((REALDATA / "versions" / slug).glob("*.md"))
    return list(itertools.pairwise(files))


@pytest.mark.realdata
@needs_realdata
def test_real_amazon_agreement_compare_names_what_changed() -> None:
    old, new = next(
        p for p in _consecutive("amazon-us__marketplace-sellers-conditions") if p[1].name.startswith("2023-12-28")
    )
    out = run_cli("compare", str(old), str(new), "--context", "0").stdout
    first = out.splitlines()[0]
    assert first.startswith("substantive: ")
    assert "Deadline shortened: return or dispose of the Units within fourteen (14) days" in first
    assert "(was thirty (30) days)" in first


@pytest.mark.slow
@pytest.mark.realdata
@needs_realdata
def test_real_histories_through_compare(capsys) -> None:
    """Every consecutive pair of the seller agreements' histories, through the command."""
    slugs = [
        "amazon-us__marketplace-sellers-conditions",
        "amazon-eu__marketplace-sellers-conditions",
        "etsy__marketplace-sellers-conditions",
        "ebay-com__terms-of-service",
        "tiktok-shop__marketplace-sellers-conditions",
        "wish__marketplace-sellers-conditions",
        "abebooks__marketplace-sellers-conditions",
    ]
    results: dict[str, list[dict]] = {}
    for slug in slugs:
        for old, new in _consecutive(slug):
            results.setdefault(slug, []).append(compare_json(capsys, str(old), str(new), "--context", "0"))
    for rows in results.values():
        for row in rows:
            assert row["class"] in ("substantive", "minor", "noise") and "\n" not in row["summary"]
            assert row["class"] != "substantive" or any(r["kind"] in SUBSTANTIVE for r in row["reasons"])
    tiktok = results["tiktok-shop__marketplace-sellers-conditions"]
    counters = [r for r in tiktok if [x["kind"] for x in r["reasons"]] == ["counter"]]
    assert len(counters) >= 10 and all(r["class"] == "noise" for r in counters)
    amazon = results["amazon-us__marketplace-sellers-conditions"] + results["amazon-eu__marketplace-sellers-conditions"]
    assert sum(r["class"] == "substantive" for r in amazon) >= 8
