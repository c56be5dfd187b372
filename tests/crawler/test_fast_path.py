"""Unchanged pages cost almost nothing: recognised by hash, never stored or extracted again."""

from diffs.extract import Rules, extract, fingerprint, rules_key
from kb.demo.run import write_sources
from kb.demo.server import DemoServer
from kb.pipeline import crawl
from kb.sources import open_sources
from kb.store import Store

RULES = Rules(select=("main article",), remove=(".related",))
PAGE = """<html><head><meta charset="utf-8"><title>Fees</title></head><body>
<nav>menu {nav}</nav><main><article data-id="fees"><h1>Fees</h1>
<p>The referral fee is <a href="https://shop.example/rates">15 %</a>.</p>
<aside class="related">{related}</aside></article></main><footer>rendered {time}</footer></body></html>"""


def page(**values) -> bytes:
    fields = {"nav": "a", "related": "x", "time": "1", "fee": "15"} | values
    return PAGE.format(**fields).encode()


def test_fingerprint_ignores_noise_outside_the_selection_and_in_removed_parts():
    assert fingerprint(page(), RULES) == fingerprint(page(nav="b", related="y", time="2"), RULES)


def test_fingerprint_sees_text_link_and_markup_changes_inside_the_selection():
    base = fingerprint(page(), RULES)
    assert fingerprint(page().replace(b"15 %", b"12 %"), RULES) != base
    assert fingerprint(page().replace(b"/rates", b"/rates-2026"), RULES) != base
    assert fingerprint(page().replace(b"<p>The", b"<p><b>The</b>"), RULES) != base


def test_fingerprint_is_tied_to_the_rules_and_declines_what_it_cannot_do_exactly():
    assert fingerprint(page(), RULES).startswith(rules_key(RULES) + ":")
    other = Rules(select=("main article",), remove=(".related", "h1"))
    assert fingerprint(page(), other).split(":")[0] != rules_key(RULES)
    assert fingerprint(page(), Rules(select=("#missing",))) is None
    assert fingerprint(b"", RULES) is None


def test_same_fingerprint_means_same_extracted_text():
    a, b = page(), page(nav="zz", related="other", time="99")
    assert fingerprint(a, RULES) == fingerprint(b, RULES)
    assert extract(a, RULES).markdown == extract(b, RULES).markdown


def test_recrawl_of_unchanged_pages_stores_checks_not_copies(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with DemoServer() as server:
        sources = open_sources(write_sources(home, server.base_url))
        crawl(home, sources, fast=True, fixed_time="2026-08-03T06:00:00Z")
        with Store(home) as store:
            first = store.counts()
        report = crawl(home, sources, fast=True, fixed_time="2026-08-04T06:00:00Z")
        with Store(home) as store:
            second = store.counts()
            rechecked = [c for c in store.checks() if c.checked_at == "2026-08-04T06:00:00Z"]
    assert report.known_unchanged == 16 and report.fetched == 16
    assert second["snapshots"] == first["snapshots"] == 16  # no body stored for unchanged pages
    assert all(c.outcome == "unchanged" and c.snapshot_id is None for c in rechecked)


def test_fingerprint_declines_a_page_its_parser_could_not_read_whole():
    # 3d, 3e: libxml2 stops at 256 levels of nesting and drops a text node over 10 MB, so two
    # pages that extract differently would share a fingerprint: the fast path must decline them.
    def deep(word: str) -> bytes:
        return f"<html><body><main><article>{'<div>' * 300}deep text {word}{'</div>' * 300}</article></main></body></html>".encode()

    def big_line(char: str) -> bytes:
        line = "A" * 5_000_000 + char + "A" * 5_000_000
        return f"<html><body><main><article><p>{line}</p></article></main></body></html>".encode()

    rules = Rules(select=("main article",))
    for page_0, page_1 in ((deep("0"), deep("1")), (big_line("A"), big_line("B"))):
        assert extract(page_0, rules).markdown != extract(page_1, rules).markdown
        assert fingerprint(page_0, rules) is None and fingerprint(page_1, rules) is None
    assert fingerprint(page(), RULES) is not None  # ordinary malformed markup still has one
