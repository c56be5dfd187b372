"""Hostile YAML in a declaration: one line naming the file and the problem, quickly (probe 2b, 2c, 2d, 2f)."""

from pathlib import Path

import pytest

from kb.errors import DeclarationError
from kb.sources import load_sources

HEAD = "marketplace: shop\nname: Shop\n"
DOC = "documents:\n  - {id: a, title: A, url: 'https://shop.example/a', type: policy}\n"


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    (folder / "shop.yaml").write_text(text)
    return folder


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(DeclarationError) as caught:
        load_sources(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("shop.yaml: ")
    return message


def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path):  # 2b
    message = refused(tmp_path, HEAD + "x: " + "[" * 20000 + "]" * 20000 + "\n" + DOC)
    assert "nested deeper than" in message


def test_a_list_as_a_mapping_key_is_one_line(tmp_path):  # 2b
    message = refused(tmp_path, HEAD + "? [a, b]\n: c\n" + DOC)
    assert "line 3" in message and "key" in message


@pytest.mark.parametrize("key", ["title", "id", "marketplace"])
def test_an_alias_bomb_is_refused_quickly(tmp_path, key):  # 2c: on main, minutes and then MemoryError
    levels = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb = "[" + ", ".join(levels) + "]"
    doc = {"id": "a", "title": "A", "url": "'https://shop.example/a'", "type": "policy"}
    head = {"marketplace": "shop", "name": "Shop"}
    (doc if key in doc else head)[key] = bomb
    text = "".join(f"{k}: {v}\n" for k, v in head.items())
    text += "documents:\n  - {" + ", ".join(f"{k}: {v}" for k, v in doc.items()) + "}\n"
    assert len(text) < 1500
    message = refused(tmp_path, text)
    assert len(message) < 400


def test_a_value_that_contains_itself_is_refused(tmp_path):  # 2c
    message = refused(tmp_path, HEAD + "x: &a [*a]\n" + DOC)
    assert "contains itself" in message


def test_merge_keys_are_supported(tmp_path):  # 2d
    text = HEAD + (
        "documents:\n"
        "  - &a {type: policy, select: [main], id: a, title: A, url: 'https://shop.example/a'}\n"
        "  - {<<: *a, id: b, title: B, url: 'https://shop.example/b', select: [article]}\n"
    )
    sources = load_sources(write(tmp_path, text))
    b = sources.get("shop/b")
    assert b.doc_type == "policy" and b.rules.select == ("article",) and b.title == "B"


def test_a_key_given_twice_beside_a_merge_key_is_still_refused(tmp_path):  # 2d
    text = HEAD + (
        "documents:\n"
        "  - &a {type: policy, id: a, title: A, url: 'https://shop.example/a'}\n"
        "  - {<<: *a, id: b, id: c, title: B, url: 'https://shop.example/b'}\n"
    )
    assert "key 'id' given twice" in refused(tmp_path, text)


@pytest.mark.parametrize("title", ["null", "", "[a, b]", "{a: b}", "12"])
def test_a_title_must_be_a_text(tmp_path, title):  # 2f
    message = refused(tmp_path, HEAD + DOC.replace("title: A", f"title: {title}"))
    assert "documents[0].title" in message and "None" not in message


def test_a_deprecated_selector_is_refused_naming_its_replacement(tmp_path, recwarn):  # 2f
    message = refused(tmp_path, HEAD + DOC.replace("type: policy", "type: policy, select: ['p:contains(\"fee\")']"))
    assert "documents[0].select" in message and ":-soup-contains" in message
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]
