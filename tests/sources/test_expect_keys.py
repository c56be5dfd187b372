"""Declaring what a page must show: ``lang`` and ``expect`` (``text``, ``min_chars``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diffs.expect import ANY_LANGUAGE, Expectations
from kb.errors import DeclarationError
from kb.sources import default_sources_dir, load_sources
from tests.support import REPO

DECLARED = """\
marketplace: shop
name: Shop
defaults:
  select: ["main article"]
  expect:
    text: "This article applies to selling in: United Kingdom"
documents:
  - id: agreement
    title: Agreement
    url: https://shop.example/agreement?locale=en-GB
    type: agreement
  - id: fees
    title: Fees
    url: https://shop.example/fees
    type: fees
    lang: de-DE
    expect:
      text: ["Gebühren", "Stand:"]
      min_chars: 1500
  - id: anything
    title: Anything
    url: https://shop.example/de/anything
    type: help
    lang: any
    render: browser
discover:
  - from: https://shop.example/help
    follow: ["^https://shop\\\\.example/[a-z-]+/help/"]
    type: help
    expect: {min_chars: 300}
"""


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    (folder / "shop.yaml").write_text(text)
    return folder


def test_lang_and_expect_are_read_and_inherited(tmp_path):
    sources = load_sources(write(tmp_path, DECLARED))
    agreement, fees, anything = (sources.require(f"shop/{d}") for d in ("agreement", "fees", "anything"))
    assert agreement.expect == Expectations(texts=("This article applies to selling in: United Kingdom",))
    assert agreement.lang == "en"  # from ?locale=en-GB
    assert fees.expect == Expectations(lang="de", texts=("Gebühren", "Stand:"), min_chars=1500)
    assert anything.expect.lang == ANY_LANGUAGE and anything.lang is None and anything.expect.browser
    assert agreement.as_json()["lang"] == "en"
    assert fees.as_json()["expect"] == {"text": ["Gebühren", "Stand:"], "min_chars": 1500}


def test_an_empty_text_list_clears_the_inherited_texts(tmp_path):
    cleared = DECLARED.replace("    type: agreement\n", "    type: agreement\n    expect: {text: []}\n", 1)
    assert load_sources(write(tmp_path, cleared)).require("shop/agreement").expect == Expectations()


def test_discovered_pages_take_their_rules_expectations_and_their_own_urls_language(tmp_path):
    sources = load_sources(write(tmp_path, DECLARED))
    found = sources.expectations_for("shop/returns", "https://shop.example/fr-fr/help/returns")
    assert found.min_chars == 300 and found.texts == ("This article applies to selling in: United Kingdom",)
    assert found.language("https://shop.example/fr-fr/help/returns") == ("fr", "/fr-fr/")
    assert sources.expectations_for("shop/elsewhere", "https://other.example/x") == Expectations()


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "    lang: de-DE\n",
            "    lang: german\n",
            "shop.yaml: documents[1].lang (line 16): unknown language 'german'; give an ISO 639-1 code such as en",
        ),
        ("    lang: any\n", "    lang: [en]\n", "shop.yaml: documents[2].lang (line 24): unknown language ['en']; "),
        (
            "      min_chars: 1500\n",
            "      min_chars: lots\n",
            "shop.yaml: documents[1].expect.min_chars (line 19): 'lots' is not a whole number above 0; give the least",
        ),
        (
            "      min_chars: 1500\n",
            "      min_chars: 0\n",
            "shop.yaml: documents[1].expect.min_chars (line 19): 0 is not a whole number above 0",
        ),
        (
            '      text: ["Gebühren", "Stand:"]\n',
            '      text: ["Gebühren", ""]\n',
            "shop.yaml: documents[1].expect.text (line 18): expected a text, or a list of texts, the page must show",
        ),
        (
            '      text: ["Gebühren", "Stand:"]\n',
            '      txt: ["Gebühren"]\n',
            "shop.yaml: documents[1].expect.txt: unknown key; allowed keys here: min_chars, text",
        ),
        (
            "    expect: {min_chars: 300}\n",
            "    expect: 300\n",
            'shop.yaml: discover[0].expect (line 30): expected a mapping; write e.g. {text: "…", min_chars: 2000}',
        ),
        (
            '  select: ["main article"]\n',
            '  select: ["main article"]\n  lang: klingon\n',
            "shop.yaml: defaults.lang (line 5): unknown language 'klingon'",
        ),
    ],
)
def test_bad_expectations_are_one_line_errors_naming_file_key_line_and_fix(tmp_path, old, new, expected):
    assert old in DECLARED
    with pytest.raises(DeclarationError) as err:
        load_sources(write(tmp_path, DECLARED.replace(old, new, 1)))
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_expectations_belong_to_documents_not_to_pages(tmp_path):
    combined = DECLARED.replace(
        "    url: https://shop.example/de/anything\n",
        "    pages:\n      - url: https://shop.example/a\n        lang: en\n      - url: https://shop.example/b\n",
    )
    with pytest.raises(DeclarationError, match=r"^shop.yaml: documents\[2\].pages\[0\].lang: unknown key"):
        load_sources(write(tmp_path, combined))


def test_every_shipped_document_has_a_language_to_check():
    sources = load_sources(default_sources_dir())
    languages = {doc.doc_id: doc.lang for doc in sources.documents}
    assert {lang for doc_id, lang in languages.items() if doc_id.startswith(("amazon-us/", "amazon-uk/"))} == {"en"}
    assert {lang for doc_id, lang in languages.items() if doc_id.startswith("amazon-de/")} == {"de"}


def test_the_documented_declarations_load_as_documented(tmp_path):
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO / "docs" / "sources.md").read_text(), re.DOTALL)
    reference, example = blocks[0], next(b for b in blocks if "applies to selling in: United Kingdom" in b)
    agreement = load_sources(write(tmp_path, reference)).require("amazon-us/business-solutions-agreement")
    assert agreement.lang == "en"
    assert agreement.expect.texts == ("This article applies to selling in: United States",)
    assert agreement.expect.min_chars == 20000
    (tmp_path / "sources" / "shop.yaml").write_text("marketplace: amazon-uk\nname: Amazon UK\n" + example)
    uk = load_sources(tmp_path / "sources").require("amazon-uk/business-solutions-agreement")
    assert uk.expect == Expectations(
        lang="en", texts=("This article applies to selling in: United Kingdom",), min_chars=20000, browser=False
    )
