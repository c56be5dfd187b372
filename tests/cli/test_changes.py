"""`policywatch changes`: the daily question (--since, --source, --doc, --class, --severity) and
each change printed as its brief."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diffs import compare
from kb.cli import main
from kb.store import Store

FEES = "amazon-us/fees"
METRICS = "amazon-us/metrics"
ETSY = "etsy/policy"
SOURCES = {
    "amazon-us.yaml": "marketplace: amazon-us\nname: Amazon Seller Central (US)\ndocuments:\n"
    "  - {id: fees, title: Selling fees, url: 'https://amazon.test/fees', type: fees}\n"
    "  - {id: metrics, title: Seller metrics, url: 'https://amazon.test/metrics', type: policy}\n",
    "etsy.yaml": "marketplace: etsy\nname: Etsy\ndocuments:\n"
    "  - {id: policy, title: Seller Policy, url: 'https://etsy.test/policy', type: policy}\n",
}
# (document, detected, old text, new text): a fee raised, a limit tightened, a limit relaxed, a spelling fix
CHANGES = [
    (FEES, "2026-08-10T06:00:00Z", "# Fees\n\nA per-item fee of $0.99 applies.\n", "# Fees\n\nA per-item fee of $1.29 applies.\n"),
    (METRICS, "2026-08-24T06:00:00Z", "# Metrics\n\nKeep your cancel rate under 2.5%.\n", "# Metrics\n\nKeep your cancel rate under 1.5%.\n"),
    (ETSY, "2026-08-20T06:00:00Z", "# Cases\n\nKeep your case rate under 1%.\n", "# Cases\n\nKeep your case rate under 2%.\n"),
    (ETSY, "2026-08-25T06:00:00Z", "# Cases\n\nKeep your case rate under 2%.\n", "# Cases\n\nKeep yuor case rate under 2%.\n"),
]  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    with Store(home) as store, store.transaction():
        for doc_id, title in ((FEES, "Selling fees"), (METRICS, "Seller metrics"), (ETSY, "Seller Policy")):
            store.ensure_document(
                doc_id,
                title=title,
                url=f"https://example.test/{doc_id}",
                marketplace=doc_id.partition("/")[0],
                doc_type="policy",
                origin="declared",
                seen_at="2026-08-01T00:00:00Z",
            )
        previous: dict[str, int] = {}
        for n, (doc_id, at, old, new) in enumerate(CHANGES):
            for text, when in ((old, "2026-08-01T00:00:00Z"), (new, at)):
                if text == old and doc_id in previous:
                    continue
                snapshot, _ = store.add_snapshot(
                    doc_id=doc_id, url="https://example.test", fetched_at=when, http_status=200, headers={},
                    body=f"{n}{text}".encode(),
                )  # fmt: skip
                version = store.add_version(doc_id=doc_id, snapshot_id=snapshot, captured_at=when, title="t", text=text)
                if text == old:
                    previous[doc_id] = version
                    continue
                c = compare(old, new, detected_at=at).as_change(doc_id=doc_id, detected_at=at)
                store.add_change(
                    doc_id=doc_id, from_version_id=previous[doc_id], to_version_id=version, detected_at=at,
                    label=c.label, summary=c.summary, reasons=c.reasons, silent=c.silent, ops=c.ops,
                    sections=c.sections, tags=c.tags, effective_date=c.effective_date, notice_days=c.notice_days,
                    section_changes=c.section_changes, section_details=c.section_details,
                )  # fmt: skip
                previous[doc_id] = version
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, text in SOURCES.items():
        (sources / name).write_text(text, encoding="utf-8")
    return home


def changes(capsys, home: Path, *args: str) -> list[dict]:
    assert main(["changes", "--json", "--home", str(home), "--sources", str(home.parent / "sources"), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_filters_answer_the_daily_question(home, capsys):
    every = changes(capsys, home)
    assert [(c["doc_id"], c["detected_at"][:10]) for c in every] == [
        (ETSY, "2026-08-25"),
        (METRICS, "2026-08-24"),
        (ETSY, "2026-08-20"),
        (FEES, "2026-08-10"),
    ]
    assert [c["doc_id"] for c in changes(capsys, home, "--since", "2026-08-21")] == [ETSY, METRICS]
    assert [c["doc_id"] for c in changes(capsys, home, "--source", "amazon-us")] == [METRICS, FEES]
    assert [c["doc_id"] for c in changes(capsys, home, "--source", "amazon-us", "--since", "2026-08-11")] == [METRICS]
    assert [c["detected_at"][:10] for c in changes(capsys, home, "--doc", ETSY)] == ["2026-08-25", "2026-08-20"]
    assert [c["class"] for c in changes(capsys, home, "--doc", ETSY, "--class", "minor")] == ["minor"]
    # a limit tightened and a fee raised are high; a limit relaxed is medium; a typo low
    assert [c["doc_id"] for c in changes(capsys, home, "--severity", "high")] == [METRICS, FEES]
    assert [c["doc_id"] for c in changes(capsys, home, "--severity", "medium,low")] == [ETSY, ETSY]


def test_json_keeps_its_keys_and_adds_the_brief(home, capsys):
    (metrics,) = changes(capsys, home, "--doc", METRICS)
    assert {"key", "doc_id", "class", "summary", "reasons", "tags", "severity", "what_to_do"} <= set(metrics)
    assert (metrics["marketplace"], metrics["source"]) == ("Amazon Seller Central (US)", "amazon-us")
    assert metrics["headline"] == metrics["brief"]["headline"] == "Cancel rate tightened from under 2.5% to under 1.5%"
    assert metrics["actions"] == ["Check that your figures meet the new limit (under 1.5%) before it applies."]


def test_changes_prints_briefs(home, capsys):
    sources = str(home.parent / "sources")
    assert main(["changes", "--home", str(home), "--sources", sources, "--source", "amazon-us"]) == 0
    out = capsys.readouterr().out
    first = out.split("\n\n")[0].splitlines()
    assert first[:3] == [
        "2026-08-24  HIGH    Cancel rate tightened from under 2.5% to under 1.5%",
        "    Amazon Seller Central (US) · Seller metrics (amazon-us/metrics)",
        "    substantive · change 20260824T060000Z",
    ]
    assert "    Why it matters:" in first and "    What to do:" in first
    assert "      - Check that your figures meet the new limit (under 1.5%) before it applies." in first
    assert "Per-item fee raised from $0.99 to $1.29" in out
    assert "[number]" not in out and "(number)" not in out  # no internal labels
    assert main(["changes", "--home", str(home), "--sources", sources, "--since", "2027-01-01"]) == 0
    assert capsys.readouterr().out == "no change matches\n"


def test_without_declarations_for_a_marketplace_its_id_is_shown(home, capsys, tmp_path):
    assert main(["changes", "--home", str(home), "--doc", ETSY]) == 0  # the shipped sources name etsy
    assert "    Etsy · Seller Policy (etsy/policy)" in capsys.readouterr().out
    (only_amazon := tmp_path / "only-amazon").mkdir()
    (only_amazon / "amazon-us.yaml").write_text(SOURCES["amazon-us.yaml"], encoding="utf-8")
    assert main(["changes", "--home", str(home), "--doc", ETSY, "--sources", str(only_amazon), "--json"]) == 0
    assert {c["marketplace"] for c in json.loads(capsys.readouterr().out)} == {"etsy"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "last week"],
            "bad date 'last week' (hint: use ISO 8601, e.g. 2025-12-04 or 2025-12-04T12:30:02Z)",
        ),
        (["--source", "amazon-xx"], "no marketplace 'amazon-xx' in the store (hint: one of: amazon-us, etsy)"),
        (
            ["--severity", "urgent"],
            "unknown severity 'urgent' (hint: one of: high, medium, low (several: high,medium))",
        ),
        (["--doc", "etsy/nope"], None),
    ],
)
def test_bad_values_are_one_line_with_a_hint(home, capsys, args, message):
    assert main(["changes", "--home", str(home), *args]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("policywatch: ") and "hint: " in err
    if message:
        assert err == f"policywatch: {message}\n"
