"""A fuzzy word allows at most two edits: a larger distance is refused before the engine's
automaton explodes over the index (probe 2o: ``shipment~999`` took a minute)."""

import pytest

from kb.errors import QueryError
from kb.search.query import MAX_EDIT_DISTANCE, check_syntax


@pytest.mark.parametrize("query", ["shipment~999", "shipment~3", "title:shipment~9/2", "late shipment~5^2"])
def test_an_edit_distance_above_the_maximum_is_refused(query):
    with pytest.raises(QueryError, match=rf"fuzzy .* allows at most {MAX_EDIT_DISTANCE} edits") as caught:
        check_syntax(query)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("query", ["shipment~", "shipment~2", "shipment~1/3", '"late shipment"~5', "a~b"])
def test_small_distances_and_phrase_proximity_are_kept(query):
    check_syntax(query)
