"""What the index holds (kb/search/units.py), from timelines built in memory: no store, no index."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from kb.models import Change, Check, Document, Version
from kb.search.units import (
    FORMAT,
    OPEN_END,
    PART_BREAK,
    epoch,
    fingerprint,
    iso,
    split_sections,
    units,
)
from kb.timeline import build_timeline

T1, T2, T3 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T12:00:00Z"
GONE = "2026-02-15T00:00:00Z"

V1 = """# Fees

What selling costs.

## Referral fee

The referral fee is 15%.

## Closing fee

A closing fee of $1.80 applies to media.
"""
V2 = V1.replace("15%", "12%")  # one section changes
V3 = V2.replace("## Closing fee\n\nA closing fee of $1.80 applies to media.\n", "")  # one section dropped


def doc(status: str = "active") -> Document:
    return Document(
        doc_id="acme/fees",
        title="Fees",
        url="https://acme.test/fees",
        marketplace="acme",
        doc_type="fees",
        status=status,
    )


def version(vid: int, at: str, text: str) -> Version:
    return Version(
        id=vid,
        doc_id="acme/fees",
        snapshot_id=vid,
        snapshot_sha256=f"{vid:064x}",
        captured_at=at,
        title="Fees",
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def change(vid: int, at: str, label: str = "substantive", summary: str = "referral fee 15% → 12%") -> Change:
    return Change(
        id=vid,
        key=f"acme/fees/{vid}",
        doc_id="acme/fees",
        from_version_id=vid - 1,
        to_version_id=vid,
        detected_at=at,
        label=label,
        summary=summary,
    )


def three_versions(**change_options):
    return build_timeline(
        doc(),
        [version(1, T1, V1), version(2, T2, V2), version(3, T3, V3)],
        [change(2, T2, **change_options), change(3, T3, label="minor", summary="closing fee dropped")],
    )


def by_section(found):
    return {(u.section_id, u.valid_from): u for u in found}


# -- sections ---------------------------------------------------------------------------


def test_sections_with_text_of_their_own_and_the_text_before_the_first_heading():
    text = "Intro line.\n\nTitle\n=====\n\nBody.\n\nPart\n----\n\nPart text.\n\n## Empty\n\n### Child\n\nChild text.\n"
    assert split_sections(text) == [
        ("", "", "Intro line."),
        ("title", "Title", "Body."),  # a setext underline is not part of the body
        ("title/part", "Title › Part", "Part text."),
        ("title/empty/child", "Title › Empty › Child", "Child text."),  # "Empty" holds no clause
    ]
    assert split_sections("") == []


# -- units ----------------------------------------------------------------------------------


def test_a_section_that_never_changes_is_one_unit_over_every_version():
    found = by_section(units(three_versions()))
    intro = found[("fees", T1)]
    assert (intro.valid_from, intro.valid_to, intro.current, intro.changed, intro.label) == (
        T1,
        None,
        True,
        False,
        "first",
    )
    assert intro.body == "What selling costs." and intro.section == "Fees" and intro.version_id == 1
    assert sorted(found) == [
        ("fees", T1),
        ("fees/closing-fee", T1),
        ("fees/referral-fee", T1),
        ("fees/referral-fee", T2),
    ]


def test_a_changed_section_closes_its_old_text_where_the_new_one_starts():
    found = by_section(units(three_versions()))
    old, new = found[("fees/referral-fee", T1)], found[("fees/referral-fee", T2)]
    assert (old.valid_to, old.current, old.changed, old.label, old.summary) == (T2, False, False, "first", "")
    assert (new.valid_to, new.current, new.changed, new.label) == (None, True, True, "substantive")
    assert new.summary == "referral fee 15% → 12%" and new.body == "The referral fee is 12%."
    assert new.version_id == 2 and new.snapshot_sha256 == f"{2:064x}"
    assert new.section == "Fees › Referral fee" and new.url == "https://acme.test/fees"


def test_a_flap_brings_back_text_but_introduces_none():
    # V1 -> V2 is a real change; V2 -> V1 again is a flap: the old text is back, not new (diffs.flapping)
    flap = replace(change(3, T3, label="noise", summary=""), flap=True, returns_to=1)
    line = build_timeline(doc(), [version(1, T1, V1), version(2, T2, V2), version(3, T3, V1)], [change(2, T2), flap])
    found = by_section(units(line))
    assert found[("fees/referral-fee", T2)].changed is True
    assert found[("fees/referral-fee", T3)].changed is False
    assert found[("fees/referral-fee", T3)].body == "The referral fee is 15%."


def test_a_dropped_section_ends_at_the_version_that_lacks_it():
    closing = by_section(units(three_versions()))[("fees/closing-fee", T1)]
    assert (closing.valid_to, closing.current) == (T3, False)


def test_a_gone_documents_open_units_end_when_it_was_seen_gone():
    gone = Check(id=9, doc_id="acme/fees", url="u", checked_at=GONE, http_status=404, outcome="gone")
    line = build_timeline(doc("gone"), [version(1, T1, V1)], checks=[gone])
    assert {(u.valid_to, u.current) for u in units(line)} == {(GONE, False)}


def test_a_document_without_versions_has_no_units():
    assert units(build_timeline(doc(), [])) == []


# -- what the engine writes for a unit ------------------------------------------------------


def test_the_key_hashes_everything_the_unit_carries():
    unit = by_section(units(three_versions()))[("fees/referral-fee", T2)]
    assert len(unit.key) == 32 and unit.key == replace(unit).key
    assert replace(unit, valid_to=T3).key != unit.key  # a unit whose interval closes is a new unit
    assert replace(unit, summary="other").key != unit.key


def test_fields_index_title_headings_and_text_apart_and_store_the_text_alone():
    found = by_section(units(three_versions()))
    fields = found[("fees/referral-fee", T2)].fields()
    indexed = f"Fees\n{PART_BREAK}\nFees › Referral fee\n{PART_BREAK}\nThe referral fee is 12%."
    assert fields["body"] == fields["body_pairs"] == indexed
    assert fields["_stored_body"] == "The referral fee is 12%."
    assert (fields["valid_from_n"], fields["valid_to_n"]) == (epoch(T2), OPEN_END)  # still open
    assert fields["class"] == "substantive" and fields["current"] is True and fields["changed"] is True
    closed = found[("fees/referral-fee", T1)].fields()
    assert (closed["valid_to"], closed["valid_to_n"]) == (T2, epoch(T2))


def test_the_fingerprint_moves_with_anything_a_unit_carries():
    line = three_versions()
    assert fingerprint(line) == fingerprint(three_versions())  # deterministic
    assert fingerprint(three_versions(summary="another summary")) != fingerprint(line)
    assert fingerprint(three_versions(label="minor")) != fingerprint(line)
    assert fingerprint(replace(line, document=replace(line.document, title="Selling fees"))) != fingerprint(line)
    assert fingerprint(replace(line, gone_at=GONE)) != fingerprint(line)
    assert FORMAT.startswith("policywatch-sections-")


def test_epoch_and_back():
    assert epoch("1970-01-02T00:00:00Z") == 86400
    assert iso(epoch(T3)) == T3
    assert iso(OPEN_END) == "9999-12-31T23:59:59Z"
