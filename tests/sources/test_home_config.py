"""A home's crawl.yaml is read as strictly as a declaration: one line naming the file and where."""

import pytest

from kb.errors import DeclarationError
from kb.sources.config import load_config


@pytest.mark.parametrize(
    "data, expected",
    [
        ("contact: caf\xe9\n".encode("latin-1"), "crawl.yaml: line 1: not UTF-8 text"),
        (b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n", "crawl.yaml: line 1: values nested deeper than 64 levels"),
        (b"contact: [a, b]\n", "crawl.yaml: contact: expected a text"),
    ],
)
def test_a_bad_home_config_is_one_line(tmp_path, data, expected):
    (tmp_path / "crawl.yaml").write_bytes(data)
    with pytest.raises(DeclarationError) as caught:
        load_config(tmp_path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
