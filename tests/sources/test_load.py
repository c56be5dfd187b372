from pathlib import Path

import pytest

from kb.errors import DeclarationError
from kb.sources import canonical_url, default_sources_dir, discovered_doc_id, load_sources

GOOD = """
marketplace: shop
name: Shop
defaults:
  select: ["main article"]
  remove: [".related"]
documents:
  - id: seller-agreement
    title: Seller Agreement
    url: https://shop.example/agreement
    type: agreement
  - id: fees
    title: Fees
    url: https://shop.example/fees
    type: fees
    select: ["#fees"]
discover:
  - from: https://shop.example/help
    follow: ["^https://shop\\\\.example/help/[a-z-]+$"]
    type: help
"""


def write(tmp_path: Path, text: str, name: str = "shop.yaml") -> Path:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_loads_documents_with_stable_ids_and_inherited_rules(tmp_path):
    sources = load_sources(write(tmp_path, GOOD))
    agreement = sources.get("shop/seller-agreement")
    assert agreement.rules.select == ("main article",)
    assert agreement.rules.remove == (".related",)
    assert sources.get("shop/fees").rules.select == ("#fees",)
    assert sources.discover[0].matches("https://shop.example/help/returns")
    assert sources.allowed_hosts() == {"shop.example"}


@pytest.mark.parametrize(
    "bad, expected",
    [
        (
            GOOD.replace("    type: fees", "    type: fees\n    colour: red"),
            "shop.yaml: documents[1].colour: unknown key; allowed keys here:",
        ),
        (
            GOOD.replace("https://shop.example/fees", "ftp://shop.example/fees"),
            "shop.yaml: documents[1].url: 'ftp://shop.example/fees' is not an http(s) URL",
        ),
        (
            GOOD.replace("https://shop.example/fees", "http://127.0.0.1:8000/fees"),
            "shop.yaml: documents[1].url: '127.0.0.1' is a loopback or private address",
        ),
        (GOOD.replace('["#fees"]', '["div["]'), "shop.yaml: documents[1].select: invalid CSS selector 'div['"),
        (
            GOOD.replace("id: fees", "id: seller-agreement"),
            "shop.yaml: documents: duplicate id 'shop/seller-agreement'",
        ),
        (GOOD.replace("type: fees", "type: recipes"), "shop.yaml: documents[1].type: unknown document type 'recipes'"),
        (GOOD.replace("name: Shop", "name: Shop\n  bad: [indent"), "shop.yaml: line"),
        (GOOD.replace("id: fees", "id: Fees Page"), "shop.yaml: documents[1].id: 'Fees Page' is not a slug"),
        (GOOD.replace("marketplace: shop\n", ""), "shop.yaml: marketplace: missing"),
        (GOOD.replace("name: Shop", "name: [Shop]"), "shop.yaml: name: ['Shop'] is not a name"),
        (
            GOOD.replace("    type: help", "    type: help\n    keep_query: [id, 'a b']"),
            "shop.yaml: discover[0].keep_query: ['id', 'a b'] is not a list of query parameter names",
        ),
        (
            GOOD.replace("    type: help", "    type: help\n    keep_query: {id: 1}"),
            "shop.yaml: discover[0].keep_query: {'id': 1} is not a list of query parameter names",
        ),
        (
            GOOD.replace("    type: help", "    type: help\n    keep_query: [id, id]"),
            "shop.yaml: discover[0].keep_query: ['id', 'id'] names a parameter twice",
        ),
        (
            GOOD.replace("    type: fees", "    type: fees\n    keep_query: [id]"),
            "shop.yaml: documents[1].keep_query: unknown key",
        ),
    ],
)
def test_bad_declarations_are_one_line_errors_naming_file_and_key(tmp_path, bad, expected):
    with pytest.raises(DeclarationError) as err:
        load_sources(write(tmp_path, bad))
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_private_addresses_need_explicit_permission(tmp_path):
    text = GOOD.replace("https://shop.example", "http://127.0.0.1:9")
    text = text.replace("https://shop\\\\.example", "http://127\\\\.0\\\\.0\\\\.1:9")
    sources = load_sources(write(tmp_path, text.replace("name: Shop", "name: Shop\nallow_private_addresses: true")))
    assert sources.private_hosts == {"127.0.0.1"}


def test_same_marketplace_in_two_files_is_refused(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    folder = write(tmp_path, GOOD.replace("seller-agreement", "other").replace("id: fees", "id: fees2"), "b.yaml")
    with pytest.raises(DeclarationError, match="also declared in a.yaml"):
        load_sources(folder)


def test_shipped_sources_validate():
    sources = load_sources(default_sources_dir())
    assert sources.documents
    assert all(doc.doc_id.count("/") == 1 for doc in sources.documents)
    # Each marketplace's declared name, for titles and feeds: the three Amazon sites differ.
    assert (
        sources.marketplace_name("amazon-uk") == "Amazon Seller Central (UK)" != sources.marketplace_name("amazon-us")
    )


def test_each_marketplace_keeps_its_declared_name(tmp_path):
    sources = load_sources(write(tmp_path, GOOD.replace("name: Shop", "name: '  Shop   Central '")))
    assert sources.names == (("shop", "Shop Central"),)
    assert sources.marketplace_name("shop") == "Shop Central"
    assert sources.marketplace_name("elsewhere") == "elsewhere"


def test_discovered_ids_are_readable_slugs_not_hashes():
    taken = {"shop/returns"}
    assert discovered_doc_id("shop", "https://shop.example/help/late-shipment", set()) == "shop/late-shipment"
    assert discovered_doc_id("shop", "https://shop.example/help/returns", taken) == "shop/help-returns"
    assert canonical_url("https://Shop.example/help/a?ref_=nav#top") == "https://shop.example/help/a"


def test_keep_query_keeps_the_parameters_that_name_a_page_in_its_identity(tmp_path):
    sources = load_sources(write(tmp_path, GOOD.replace("    type: help", "    type: help\n    keep_query: [id]")))
    rule = sources.discover[0]
    assert rule.keep_query == ("id",)
    link = "https://Shop.example/help/returns?ref_=hub&id=42#top"
    assert rule.matches(link)  # follow patterns see the URL without its query
    assert rule.identity(link) == "https://shop.example/help/returns?id=42"
    assert sources.identity(link) == "https://shop.example/help/returns?id=42"
    assert sources.identity("https://shop.example/agreement?id=7") == "https://shop.example/agreement"  # no rule
    assert load_sources(write(tmp_path, GOOD)).discover[0].identity(link) == "https://shop.example/help/returns"


def test_canonical_url_keeps_named_parameters_in_declared_order():
    url = "https://shop.example/a?b=2&ref_=x&a=1&b=3&empty="
    assert canonical_url(url, ("a", "b", "empty", "missing")) == "https://shop.example/a?a=1&b=2&b=3&empty="
    assert canonical_url(url) == "https://shop.example/a"


@pytest.mark.parametrize("port", ["99999", "0", "65536"])
def test_a_port_out_of_range_is_refused_at_load(tmp_path, port):  # probe 2e
    with pytest.raises(DeclarationError) as caught:
        load_sources(write(tmp_path, GOOD.replace("https://shop.example/fees", f"https://shop.example:{port}/fees")))
    assert str(caught.value).startswith(f"shop.yaml: documents[1].url: port {port} is not a port from 1 to 65535")


@pytest.mark.parametrize("host", ["100.64.0.1", "[fec0::7]", "224.0.0.1", "0x0a000007", "127.1"])
def test_non_global_addresses_need_explicit_permission(tmp_path, host):  # probe 2h
    with pytest.raises(DeclarationError, match="is a loopback or private address"):
        load_sources(write(tmp_path, GOOD.replace("https://shop.example/fees", f"https://{host}/fees")))


def test_role_marks_a_page_of_announcements_and_an_unknown_role_is_refused(tmp_path):
    declared = GOOD.replace("    type: fees\n", "    type: fees\n    role: announcements\n")
    sources = load_sources(write(tmp_path, declared))
    assert sources.get("shop/fees").role == "announcements"
    assert sources.get("shop/fees").as_json()["role"] == "announcements"
    assert sources.get("shop/seller-agreement").role is None
    with pytest.raises(DeclarationError, match=r"documents\[1\]\.role: unknown role 'news'; use one of: announcements"):
        load_sources(write(tmp_path, GOOD.replace("    type: fees\n", "    type: fees\n    role: news\n")))


def test_every_seller_central_marketplace_declares_its_page_of_upcoming_changes_as_announcements():
    shipped = load_sources(default_sources_dir())
    announcing = {d.marketplace: d for d in shipped.documents if d.role == "announcements"}
    seller_central = {d.marketplace for d in shipped.documents if "sellercentral." in d.url}
    assert seller_central == {"amazon-us", "amazon-uk", "amazon-de"}
    assert set(announcing) == seller_central
    assert all("/external/GQHQGBTD7XB7EECN" in d.url for d in announcing.values())
