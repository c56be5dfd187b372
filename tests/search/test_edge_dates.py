"""Dates at the edges of the calendar are one-line QueryErrors, never tracebacks (probe 2m)."""

import pytest

from kb.errors import QueryError
from kb.search.query import Scope
from kb.timeutil import parse_time

EDGES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "0999-12-31", "9999-12-31", "0001-01-01"]


@pytest.mark.parametrize("given", EDGES)
def test_a_date_outside_the_calendar_the_store_writes_is_a_bad_date(given):
    with pytest.raises(QueryError, match=r"^bad date '.+': years 1000 to 9998") as caught:
        parse_time(given)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("window", [{"until": "9999-12-31"}, {"since": "0001-01-01"}, {"as_of": "0001-01-01"}])
def test_search_windows_at_the_edges_are_query_errors(window):
    with pytest.raises(QueryError, match="bad date"):
        Scope.parse(**window)


@pytest.mark.parametrize(
    "given, expected", [("1000-01-01", "1000-01-01T00:00:00Z"), ("9998-12-31", "9998-12-31T00:00:00Z")]
)
def test_the_last_dates_inside_the_bounds_are_read(given, expected):
    assert parse_time(given) == expected
    assert Scope.parse(until=given).until is not None
