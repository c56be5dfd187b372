"""The per-language words (diffs/lexicon), read all at once: a word of one language must not
be taken for a rule word of another (false friends across the languages of the markets)."""

from __future__ import annotations

import pytest

from diffs.kinds import DEADLINE, FEE, OBLIGATION, PROHIBITION, SANCTION


@pytest.mark.parametrize(
    "text",
    [
        "In repeated cases, we may suspend or terminate your selling privileges.",  # Polish "termin"
        "Termination of this Agreement ends your access to Seller Central.",
    ],
)
def test_an_english_sanction_is_not_read_as_a_polish_deadline(text):
    assert DEADLINE.search(text) is None
    assert SANCTION.search(text) is not None


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (DEADLINE, "Zwrot należy zgłosić w terminie 14 dni."),
        (DEADLINE, "Termin zwrotu wynosi 30 dni."),
        (DEADLINE, "Sie müssen Bestellungen innerhalb von zwei Tagen versenden."),
        (PROHIBITION, "Il est interdit de vendre des produits contrefaits."),
        (FEE, "De commissie bedraagt 15 %."),
        (OBLIGATION, "Sie müssen die Ware versenden."),
    ],
)
def test_the_rule_words_of_each_market_are_found(pattern, text):
    assert pattern.search(text) is not None
