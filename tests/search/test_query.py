"""The user's side of a search (kb/search/query.py) without an index: syntax, options, errors, hits."""

from __future__ import annotations

import pytest

from kb.errors import QueryError
from kb.search.query import (
    QUERY_FIELDS,
    Scope,
    check_limit,
    check_syntax,
    hit,
    no_match,
    nothing_to_search,
    unreadable,
)


def refusal(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(QueryError) as err:
        call(*args, **kwargs)
    return str(err.value), err.value.hint


# -- syntax ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "late shipment rate",
        '"must not refuse"',
        '"author: smith (AND"',  # a phrase, however odd: never read as syntax
        "NOT referral",  # NOT may open a query
        "fees AND NOT referral",
        "(fees OR charges) AND referral",
        "heading:fees source:northwind type:agreement class:substantive doc:acme/fees text:rate",
        'title:"seller agreement"',
        "sh* ship?ent shipmant~2",
        r"a\:b",  # an escaped colon names no field
    ],
)
def test_queries_the_parser_reads_as_meant_pass(query):
    check_syntax(query)


@pytest.mark.parametrize(
    "query, message",
    [
        ("\t \n", "empty query"),
        ('fees "late', "unclosed quote in 'fees \"late'"),
        ("((fees) OR charges", "unbalanced parentheses in '((fees) OR charges'"),
        (")fees(", "unbalanced parentheses in ')fees('"),  # balanced count, closed before opened
        ("author:smith", "unknown field 'author' in 'author:smith'"),
        ("(title:)", "field 'title' has no value in '(title:)'"),
        ("fees OR", "OR at the edge of 'fees OR' has nothing to combine"),
        ("AND fees", "AND at the edge of 'AND fees' has nothing to combine"),
        ("fees NOT", "NOT at the edge of 'fees NOT' has nothing to combine"),
        ("fees OR AND charges", "OR AND in 'fees OR AND charges' has nothing between them"),
        ("title:s*", "wildcard 'title:s*' needs at least two letters before it"),
        ("?hip", "wildcard '?hip' needs at least two letters before it"),
    ],
)
def test_queries_the_parser_would_misread_are_refused_with_a_hint(query, message):
    text, hint = refusal(check_syntax, query)
    assert text == message and hint


def test_the_unknown_field_hint_names_the_fields_people_type():
    _, hint = refusal(check_syntax, "author:smith")
    assert hint.startswith("fields: title, section, body, doc, source, type, class")
    assert {"title", "section", "body", "doc", "source", "type", "class"} <= set(QUERY_FIELDS)
    assert QUERY_FIELDS["heading"] == "section" and QUERY_FIELDS["source"] == "marketplace"


# -- options ---------------------------------------------------------------------------------


def test_limit():
    check_limit(None)
    check_limit(1)
    assert refusal(check_limit, 0) == ("--limit 0 is not a positive number", "give --limit 1 or more")
    assert refusal(check_limit, -3)[0] == "--limit -3 is not a positive number"


def test_scope_dates_are_read_as_iso_and_a_bare_until_covers_its_day():
    scope = Scope.parse(since="2026-01-15", until="2026-02-01", source="acme", doc_type="fees")
    assert scope == Scope(source="acme", doc_type="fees", since="2026-01-15T00:00:00Z", until="2026-02-02T00:00:00Z")
    assert Scope.parse(until="2026-02-01T10:00:00+01:00").until == "2026-02-01T09:00:00Z"  # a time: as given
    assert Scope.parse(as_of="2026-02-01T10-00-00Z").as_of == "2026-02-01T10:00:00Z"  # file-name form
    assert Scope.parse(history=True, changed=True) == Scope(history=True, changed=True)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"as_of": "2026-02-01", "history": True}, "--as-of and --history cannot be combined"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "--until 2026-01-01 is not after --since 2026-02-01"),
        (
            {"since": "2026-02-02T00:00:00Z", "until": "2026-02-01"},  # the bare until ends with its day
            "--until 2026-02-01 is not after --since 2026-02-02T00:00:00Z",
        ),
        ({"as_of": "someday"}, "bad date 'someday'"),
        ({"since": "2026-13-01"}, "bad date '2026-13-01'"),
    ],
)
def test_scope_refuses_what_cannot_be_searched(options, message):
    text, hint = refusal(Scope.parse, **options)
    assert text == message and hint


# -- what only the engine finds out ----------------------------------------------------------


def test_errors_the_engine_raises_are_written_here():
    failed = unreadable("NOT NOT x", IndexError("list index out of range"))
    assert str(failed) == "cannot read the query 'NOT NOT x' (IndexError)" and "simplify it" in failed.hint
    empty = nothing_to_search("!!!")
    assert str(empty) == "nothing to search for in '!!!'" and empty.hint.startswith("give words to look for")


def test_a_filter_that_matches_nothing_names_the_known_values():
    error = no_match("--type", "nope", "doc_type", ["help", "agreement", "fees"])
    assert str(error) == "--type 'nope' matches nothing in the index"
    assert error.hint == "known values: agreement, fees, help"
    many = no_match("--source", "x", "marketplace", [f"m{n:02}" for n in range(12, 0, -1)])
    assert many.hint == "known values: m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, …"
    documents = no_match("--doc", "a/b", "doc_id", ["a/c"])
    assert documents.hint == "list documents with `policywatch status`"  # too many to list


# -- hits ------------------------------------------------------------------------------------

STORED = {
    "doc_id": "acme/fees",
    "title": "Fees",
    "url": "https://acme.test/fees",
    "marketplace": "acme",
    "doc_type": "fees",
    "section_id": "fees/referral-fee",
    "section": "Fees › Referral fee",
    "body": "The referral fee\nis 12%. " + "More words. " * 30,
    "version_id": 2,
    "snapshot_sha256": "ab" * 32,
    "valid_from": "2026-02-01T00:00:00Z",
    "in_force_from": "2026-02-01T00:00:00Z",
    "current": True,
    "class": "substantive",
    "changed": True,
}  # as the index stores a unit: no valid_to while it is open


def test_a_hit_from_stored_fields():
    found = hit(STORED, 3.141592, "The **referral** fee\n  is 12%.")
    assert found.snippet == "The **referral** fee is 12%."  # one line
    assert (found.score, found.valid_to, found.captured_at) == (3.1416, None, "2026-02-01T00:00:00Z")
    assert (found.change_class, found.changed, found.current) == ("substantive", True, True)
    data = found.as_json()
    assert data["doc_id"] == "acme/fees" and data["section"] == "Fees › Referral fee"
    assert data["valid_from"] == data["captured_at"] and data["change_class"] == "substantive"
    assert hit({**STORED, "valid_to": "2026-03-01T00:00:00Z"}, 1.0, "").valid_to == "2026-03-01T00:00:00Z"
    assert (data["in_force_from"], data["in_force_to"], found.announced) == ("2026-02-01T00:00:00Z", None, False)
    announced = hit({**STORED, "in_force_from": "2026-03-01T00:00:00Z"}, 1.0, "")
    assert announced.announced and announced.as_json()["in_force_from"] == "2026-03-01T00:00:00Z"


def test_a_hit_with_nothing_highlighted_shows_the_start_of_the_text_and_none_when_not_asked():
    start = hit(STORED, 1.0, "").snippet
    assert start == " ".join(STORED["body"][:200].split()) and start.startswith("The referral fee is 12%.")
    assert hit(STORED, 1.0, None).snippet == ""
