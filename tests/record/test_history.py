"""Timelines, as-of lookups and phrase histories (kb/timeline.py, kb/record/history.py, kb/search/when.py), on stores written directly."""

from __future__ import annotations

import json

import pytest

from kb import search as index
from kb.errors import NoVersion, QueryError, UnknownDocument
from kb.models import Change, Check, Document, Version
from kb.record.history import as_of, find_section, timeline
from kb.search.when import when
from kb.store import Store
from kb.timeline import build_timeline, gone_since, in_force_at, in_force_from, merge_spans
from tests.support import run_cli
from tests.support.builders import check, document, record, timelines_of

T1, T2, T3 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T12:00:00Z"
GONE = "2026-02-15T00:00:00Z"


METRICS_V1 = """# Shipping performance

How we measure shipping.

## Late shipment rate

You must keep your late shipment rate under 4%.

## Valid tracking rate

Keep your valid tracking rate above 95%.
"""
METRICS_V2 = METRICS_V1.replace("under 4%", "under 3%")
CONDUCT_V1 = """# Code of conduct

## Honest dealing

Act fairly and honestly.
"""
CONDUCT_V2 = CONDUCT_V1.replace(
    "Act fairly and honestly.",
    "Act fairly and honestly. You must not ask a buyer to change or remove a product review.",
)
CONDUCT_V3 = CONDUCT_V1.replace("Act fairly and honestly.", "Act fairly, honestly and politely.")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("history") / "home"
    with Store(home) as store, store.transaction():
        document(store, "acme/metrics", "Shipping performance", "acme", "metrics")
        v1 = record(store, "acme/metrics", T1, METRICS_V1)
        record(store, "acme/metrics", T3, METRICS_V2, previous=v1, summary="late shipment 4% → 3%")
        document(store, "acme/conduct", "Code of conduct", "acme", "code-of-conduct")
        c1 = record(store, "acme/conduct", T1, CONDUCT_V1)
        c2 = record(store, "acme/conduct", T2, CONDUCT_V2, previous=c1, summary="review rule added")
        record(store, "acme/conduct", T3, CONDUCT_V3, previous=c2, summary="review rule removed")
        document(store, "acme/legacy", "Legacy templates", "acme", "help")
        record(store, "acme/legacy", T1, "# Legacy templates\n\nLegacy templates stop working soon.\n")
        check(store, "acme/legacy", "2026-02-08T00:00:00Z", "unchanged")
        check(store, "acme/legacy", "2026-02-10T00:00:00Z", "failed", status=503)
        check(store, "acme/legacy", GONE, "gone", status=404)
        check(store, "acme/legacy", "2026-02-22T00:00:00Z", "gone", status=404)
        document(store, "acme/empty", "Never captured", "acme", "help")
        check(store, "acme/empty", T1, "failed", status=503)
    index.sync(home, timelines_of(home))
    return home


# -- pure timeline ----------------------------------------------------------------------


def _doc(status: str = "active") -> Document:
    return Document(doc_id="m/d", title="D", url="u", marketplace="m", doc_type="help", status=status)


def _version(vid: int, at: str) -> Version:
    return Version(
        id=vid,
        doc_id="m/d",
        snapshot_id=vid,
        snapshot_sha256=f"s{vid}",
        captured_at=at,
        title="D",
        text=f"text {vid}",
        text_sha256=f"t{vid}",
    )


def _check(cid: int, at: str, outcome: str) -> Check:
    return Check(id=cid, doc_id="m/d", url="u", checked_at=at, http_status=200, outcome=outcome)


def test_each_version_is_in_force_until_the_next_capture():
    change = Change(
        id=1, key="k", doc_id="m/d", from_version_id=1, to_version_id=2, detected_at=T2, label="minor", summary="s"
    )
    line = build_timeline(_doc(), [_version(2, T2), _version(1, T1)], [change])
    first, second = line.versions
    assert (first.number, first.valid_from, first.valid_to, first.current, first.label) == (1, T1, T2, False, "first")
    assert (second.number, second.valid_from, second.valid_to, second.current, second.label) == (
        2,
        T2,
        None,
        True,
        "minor",
    )
    assert second.change is change and line.gone_at is None


def test_the_instant_a_version_is_captured_it_is_the_one_in_force():
    line = build_timeline(_doc(), [_version(1, T1), _version(2, T2)])
    assert line.at(T2).version.id == 2
    assert line.at("2026-01-31T23:59:59Z").version.id == 1
    assert line.at(T1).version.id == 1
    assert line.at("2025-12-31T23:59:59Z") is None


def test_a_gone_document_ends_when_it_was_first_seen_gone():
    checks = [
        _check(1, T1, "first-version"),
        _check(2, "2026-01-10T00:00:00Z", "gone"),
        _check(3, "2026-01-11T00:00:00Z", "unchanged"),  # came back: that removal is over
        _check(4, "2026-01-20T00:00:00Z", "gone"),
        _check(5, "2026-01-21T00:00:00Z", "failed"),
        _check(6, "2026-01-22T00:00:00Z", "gone"),
    ]
    assert gone_since(checks) == "2026-01-20T00:00:00Z"
    line = build_timeline(_doc("gone"), [_version(1, T1)], checks=checks)
    [only] = line.versions
    assert only.valid_to == "2026-01-20T00:00:00Z" and not only.current
    assert line.at("2026-01-19T23:59:59Z") is only
    assert line.at("2026-01-20T00:00:00Z") is None
    assert line.current is None


# -- in force: an announced change takes effect on its date (issue 15.3) ------------------------

AUG3, AUG24, SEP1, SEP15, OCT1 = (
    "2026-08-03T06:00:00Z",
    "2026-08-24T06:00:00Z",
    "2026-09-01T06:00:00Z",
    "2026-09-15T00:00:00Z",
    "2026-10-01T00:00:00Z",
)


def _change(to: int, at: str, effective: str | None = None) -> Change:
    return Change(
        id=to,
        key=f"k{to}",
        doc_id="m/d",
        from_version_id=to - 1,
        to_version_id=to,
        detected_at=at,
        label="substantive",
        summary=f"change {to}",
        effective_date=effective,
    )


def test_in_force_from_is_the_effective_date_when_it_comes_after_the_capture():
    assert in_force_from(AUG24, "2026-10-01") == OCT1
    assert in_force_from(AUG24, "2026-08-24") == AUG24  # the day it was captured: from the capture
    assert in_force_from(AUG24, "2026-07-01") == AUG24  # a date already past: from the capture
    assert in_force_from(AUG24, None) == AUG24
    assert in_force_from(SEP1, None, pending=OCT1) == OCT1  # an edit keeps the announced date
    assert in_force_from(SEP1, None, pending=AUG24) == SEP1
    assert in_force_from(SEP1, "2026-09-20", pending=OCT1) == "2026-09-20T00:00:00Z"  # a new date replaces it


def test_an_announced_version_is_in_force_from_its_date_and_the_previous_one_until_then():
    line = build_timeline(_doc(), [_version(1, AUG3), _version(2, AUG24)], [_change(2, AUG24, "2026-10-01")])
    first, second = line.versions
    assert (first.in_force_from, first.in_force_to, first.announced) == (AUG3, OCT1, False)
    assert (second.valid_from, second.in_force_from, second.in_force_to, second.announced) == (AUG24, OCT1, None, True)
    mid = in_force_at(line, SEP15)
    assert mid.span is first and mid.announced == (second,) and mid.taking_effect is second
    assert line.at(SEP15) is second  # the capture interval still says what the page showed
    on_the_day = in_force_at(line, OCT1)
    assert on_the_day.span is second and on_the_day.announced == ()
    assert in_force_at(line, "2026-08-23T00:00:00Z").announced == ()  # not yet captured: not announced
    assert in_force_at(line, "2026-08-01T00:00:00Z").span is None
    data = second.as_json()
    assert (data["in_force_from"], data["in_force_to"], data["change"]["effective_date"]) == (OCT1, None, "2026-10-01")


def test_an_edit_before_the_date_does_not_bring_the_announced_text_forward():
    versions = [_version(1, AUG3), _version(2, AUG24), _version(3, SEP1)]
    line = build_timeline(_doc(), versions, [_change(2, AUG24, "2026-10-01"), _change(3, SEP1)])
    first, second, third = line.versions
    assert in_force_at(line, SEP15).span is first
    assert (second.in_force_from, second.in_force_to, second.ever_in_force) == (OCT1, OCT1, False)
    assert (third.in_force_from, third.in_force_to) == (OCT1, None)
    assert in_force_at(line, SEP15).announced == (second, third)
    assert in_force_at(line, SEP15).taking_effect is third and in_force_at(line, OCT1).span is third


def test_a_date_moved_earlier_by_a_later_change_takes_its_place():
    versions = [_version(1, AUG3), _version(2, AUG24), _version(3, SEP1)]
    line = build_timeline(_doc(), versions, [_change(2, AUG24, "2026-10-01"), _change(3, SEP1, "2026-09-10")])
    assert [s.in_force_from for s in line.versions] == [AUG3, OCT1, "2026-09-10T00:00:00Z"]
    assert in_force_at(line, SEP15).span.number == 3  # v2's date is after v3's: v2 is never in force
    assert not line.versions[1].ever_in_force
    assert in_force_at(line, "2026-09-05T00:00:00Z").span.number == 1


def test_a_page_gone_before_the_effective_date_ends_what_was_in_force():
    checks = [_check(1, AUG3, "first-version"), _check(2, AUG24, "new-version"), _check(3, SEP1, "gone")]
    line = build_timeline(
        _doc("gone"), [_version(1, AUG3), _version(2, AUG24)], [_change(2, AUG24, "2026-10-01")], checks
    )
    first, second = line.versions
    assert (first.in_force_to, second.in_force_from, second.in_force_to) == (SEP1, OCT1, OCT1)
    assert in_force_at(line, "2026-08-30T00:00:00Z").span is first
    assert in_force_at(line, SEP15).span is None and in_force_at(line, "2026-10-02T00:00:00Z").span is None


def test_merge_spans_joins_touching_and_overlapping_intervals():
    assert merge_spans([(T2, T3), (T1, T2)]) == [(T1, T3)]
    assert merge_spans([(T1, T2), ("2026-01-15T00:00:00Z", None)]) == [(T1, None)]
    assert merge_spans([(T1, "2026-01-10T00:00:00Z"), (T2, None)]) == [(T1, "2026-01-10T00:00:00Z"), (T2, None)]


def test_find_section_by_id_or_last_part_with_its_subsections():
    text = "# A\n\nintro\n\n## B\n\nb text\n\n### C\n\nc text\n\n## D\n\nd text\n"
    section, body = find_section(text, "b")
    assert section.id == "a/b" and body == "## B\n\nb text\n\n### C\n\nc text\n\n"
    assert find_section(text, "a/b/c")[1] == "### C\n\nc text\n\n"
    with pytest.raises(QueryError, match="no section 'x' in this version") as err:
        find_section(text, "x")
    assert "sections: a, b, c, d" in err.value.hint
    twice = "# A\n\n## Fees\n\none\n\n# B\n\n## Fees\n\ntwo\n"
    with pytest.raises(QueryError, match="section 'fees' is ambiguous: a/fees, b/fees"):
        find_section(twice, "fees")


# -- against a store --------------------------------------------------------------------


def test_timeline_reads_versions_changes_and_removal(home):
    with Store(home) as store:
        conduct = timeline(store, "acme/conduct")
        legacy = timeline(store, "acme/legacy")
        with pytest.raises(UnknownDocument):
            timeline(store, "acme/nope")
    assert [s.label for s in conduct.versions] == ["first", "substantive", "substantive"]
    assert [s.change.summary for s in conduct.versions[1:]] == ["review rule added", "review rule removed"]
    assert legacy.gone_at == GONE  # the failed check between did not end the text
    assert legacy.versions[0].valid_to == GONE


def test_as_of_boundaries(home):
    with Store(home) as store:
        assert "under 4%" in as_of(store, "acme/metrics", "2026-03-01T11:59:59Z").version.text
        assert "under 3%" in as_of(store, "acme/metrics", T3).version.text
        assert "under 3%" in as_of(store, "acme/metrics").version.text  # no date: the latest
        assert as_of(store, "acme/metrics", "2026-03-01").number == 1  # a bare date is midnight UTC
        assert as_of(store, "acme/metrics", "2026-03-01T13:00:00+01:00").number == 2  # = 12:00Z
        with pytest.raises(QueryError) as early:
            as_of(store, "acme/metrics", "2025-12-31T23:59:59Z")
        assert str(early.value) == "acme/metrics was not captured yet at 2025-12-31T23:59:59Z"
        assert early.value.hint == f"its first version is from {T1}"
        assert as_of(store, "acme/legacy", "2026-02-14T23:59:59Z").number == 1
        with pytest.raises(QueryError) as gone:
            as_of(store, "acme/legacy", GONE)
        assert str(gone.value) == f"acme/legacy was gone at {GONE} (first seen gone at {GONE})"
        assert "give an earlier date" in gone.value.hint
        assert as_of(store, "acme/legacy").number == 1  # without a date: the last text, gone or not
        with pytest.raises(QueryError, match="bad date 'soon'"):
            as_of(store, "acme/metrics", "soon")
        with pytest.raises(NoVersion, match="acme/empty has no version yet"):
            as_of(store, "acme/empty", T2)


def test_when_a_phrase_appeared_and_disappeared(home):
    [found] = when(home, "You must not ask a buyer to change or remove a product review…")
    assert (found.doc_id, found.first_seen, found.disappeared_at, found.present_now) == ("acme/conduct", T2, T3, False)
    assert found.last_seen == T2  # the last check that still saw it
    assert found.sections == ("Code of conduct › Honest dealing",)
    [rate] = when(home, "late shipment rate under 3")
    assert (rate.first_seen, rate.present_now, rate.disappeared_at, rate.last_seen) == (T3, True, None, T3)
    [old] = when(home, "under 4%")
    assert (old.first_seen, old.disappeared_at) == (T1, T3)
    [legacy] = when(home, "legacy templates stop working")
    assert legacy.disappeared_at == GONE and legacy.last_seen == "2026-02-08T00:00:00Z"
    assert when(home, "a phrase nobody wrote") == []
    assert when(home, "fairly", doc="acme/metrics") == []
    with pytest.raises(QueryError, match="empty phrase"):
        when(home, ' " " ')


def test_when_json_lists_the_fields_scripts_read(home):
    out = run_cli("when", "ask a buyer to change or remove", "--json", home=home).stdout
    [row] = json.loads(out)
    assert {"doc_id": "acme/conduct", "first_seen": T2, "last_seen": T2, "present_now": False}.items() <= row.items()
    assert row["spans"] == [{"from": T2, "to": T3}]


def test_history_command_lists_versions_with_class_and_summary(home):
    out = run_cli("history", "acme/conduct", home=home).stdout
    lines = out.splitlines()
    assert lines[0] == "Code of conduct  [acme/conduct]  active"
    assert lines[2].startswith(f"v1   {T1} → {T2}") and lines[2].endswith("first capture")
    assert f"v3   {T3} → now" in lines[4] and "substantive review rule removed" in lines[4]
    data = json.loads(run_cli("history", "acme/legacy", "--json", home=home).stdout)
    assert data["status"] == "gone" and data["gone_at"] == GONE
    assert data["versions"][0]["valid_to"] == GONE and data["versions"][0]["change"] is None


def test_show_as_of_and_section_print_the_text_with_its_evidence(home):
    with Store(home) as store:
        old = as_of(store, "acme/metrics", T2).version
    out = run_cli("show", "acme/metrics", "--as-of", "2026-02-01", "--section", "late-shipment-rate", home=home).stdout
    assert out.startswith("# Shipping performance › Late shipment rate\n")
    assert f"version 1, captured {T1}, in force from {T1} until {T3}" in out
    assert f"snapshot sha256 {old.snapshot_sha256}" in out
    assert "under 4%" in out and "Valid tracking" not in out
    now = run_cli("show", "acme/metrics", home=home).stdout  # unchanged: the current text
    assert "snapshot sha256" in now and "under 3%" in now and "Valid tracking" in now


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("show", "acme/metrics", "--as-of", "2025-06-01"),
            "policywatch: acme/metrics was not captured yet at 2025-06-01T00:00:00Z (hint: its first version is from ",
        ),
        (("show", "acme/legacy", "--as-of", "2026-03-01"), "policywatch: acme/legacy was gone at 2026-03-01T00:00:00Z"),
        (
            ("show", "acme/metrics", "--section", "fees"),
            "policywatch: no section 'fees' in this version (hint: sections: ",
        ),
        (("show", "acme/metrics", "--as-of", "last week"), "policywatch: bad date 'last week' (hint: use ISO 8601"),
        (("history", "acme/nope"), "policywatch: unknown document 'acme/nope' (hint: list documents with"),
        (("when", '""'), "policywatch: empty phrase (hint: "),
    ],
)
def test_command_errors_are_one_line_with_a_hint(home, args, message):
    result = run_cli(*args, home=home, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_as_of_and_search_as_of_answer_what_was_in_force_on_a_store(tmp_path):
    home = tmp_path / "home"
    with Store(home) as store, store.transaction():
        document(store, "acme/metrics", "Shipping performance", "acme", "metrics")
        v1 = record(store, "acme/metrics", AUG3, METRICS_V1)
        record(store, "acme/metrics", AUG24, METRICS_V2, previous=v1, effective_date="2026-10-01", notice_days=38)
    index.sync(home, timelines_of(home))
    with Store(home) as store:
        assert "under 4%" in as_of(store, "acme/metrics", "2026-09-15").version.text
        assert "under 3%" in as_of(store, "acme/metrics", "2026-10-01").version.text
        assert "under 3%" in as_of(store, "acme/metrics").version.text  # no date: the latest capture
    [mid] = index.search(home, "late shipment rate", as_of="2026-09-15")
    assert "under 4%" in mid.snippet and (mid.valid_to, mid.in_force_to) == (AUG24, OCT1)
    [after] = index.search(home, "late shipment rate", as_of="2026-10-01")
    assert "under 3%" in after.snippet and (after.valid_from, after.in_force_from, after.announced) == (
        AUG24,
        OCT1,
        True,
    )
    [now] = index.search(home, "late shipment rate")  # the default: the current text, announced
    assert now.version_id == after.version_id
    tracking = index.search(home, "valid tracking rate", as_of="2026-09-15")  # unchanged: one unit, always in force
    assert [(h.in_force_from, h.in_force_to) for h in tracking] == [(AUG3, None)]
    out = run_cli("show", "acme/metrics", "--as-of", "2026-09-15", home=home).stdout
    assert f"version 1, captured {AUG3}, in force from {AUG3} until {OCT1}" in out
    assert f"announced: version 2, captured {AUG24}; in force from {OCT1} (changed)" in out
    assert "under 4%" in out and "under 3%" not in out
