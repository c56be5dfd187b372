"""``compare`` and ``extract`` refuse a file that is not a page or a text, in one line, with the
crawler's own sniffing (probe 2s: a PNG compared as "New fee: 'k�닏$3…'")."""

from __future__ import annotations

import random

import pytest

from diffs.responses import binary_kind
from kb.errors import UsageError
from kb.record.intake import capture_text, extract_file

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
_RNG = random.Random(7)
NOISE = bytes(_RNG.randrange(1, 256) for _ in range(3000))  # random bytes, no NUL


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("img.png", PNG, "a PNG image"),
        ("img-as.html", PNG, "a PNG image"),
        ("random.md", NOISE, "binary data"),
        ("random.bin", NOISE, "binary data"),
        ("latin.md", "Frais d'expédition: 5 €\n".encode("cp1252"), "not UTF-8 text"),
    ],
)
def test_compare_refuses_what_is_not_a_page_or_a_text(tmp_path, name, data, kind):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UsageError, match=rf"^{path}: {kind}") as caught:
        capture_text(path, None)
    assert "\n" not in str(caught.value) and "saved HTML page or Markdown" in caught.value.hint


def test_extract_refuses_a_binary_page(tmp_path):
    path = tmp_path / "img.html"
    path.write_bytes(PNG)
    with pytest.raises(UsageError, match="a PNG image"):
        extract_file(path, None, select=("main",))


def test_text_with_a_few_control_characters_is_still_text():
    line = "<p>Late shipment rate must stay under 4 %: \x1b[31m red</p>\n"  # one ESC in 60
    assert binary_kind(line.encode() * 50) is None
    assert binary_kind(NOISE) == "binary data"
