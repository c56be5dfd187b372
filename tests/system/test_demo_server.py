"""The demo server: dated states, per-request noise around stable articles, and a corpus
that agrees with ``corpus/expected.yaml`` and the demo declaration."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from kb.demo.server import CORPUS_DIR, CorpusError, DemoServer, load_corpus, main
from tests.support import REPO

DECLARATION = REPO / "kb" / "demo" / "sources" / "demo-market.yaml"
EXPECTED = yaml.safe_load((CORPUS_DIR / "expected.yaml").read_text(encoding="utf-8"))
NOISE_BOXES = {"related-articles", "helpful-widget", "article-tools"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class ArticleText(HTMLParser):
    """Visible text of ``article.help-article`` minus the noise boxes, whitespace collapsed.

    A space is inserted at every tag boundary, so markup-only edits (``<b>`` → ``<strong>``,
    rewrapped lines, reordered attributes) leave the text unchanged, as they should."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside the article
        self.skip = 0  # > 0 inside a noise box
        self.found = False
        self.parts: list[str] = []
        self.last_updated = ""
        self._in_last_updated = False

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if self.depth == 0 and tag == "article" and "help-article" in classes:
            self.found = True
        if self.found and (self.depth or tag == "article"):
            self.depth += 1
            if self.skip or classes & NOISE_BOXES:
                self.skip += 1
            self._in_last_updated = "last-updated" in classes
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in VOID or not self.depth:
            return
        self.depth -= 1
        self.skip = max(0, self.skip - 1)
        self._in_last_updated = False
        self.parts.append(" ")
        if self.depth == 0:
            self.found = "done"

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)
            if self._in_last_updated:
                self.last_updated += data

    @classmethod
    def of(cls, page: str) -> tuple[str, str] | None:
        """(article text, "Last updated" line), or None when the page has no article."""
        parser = cls()
        parser.feed(page)
        if not parser.found:
            return None
        return " ".join("".join(parser.parts).split()), parser.last_updated.strip()


def get(server: DemoServer, target: str, method: str = "GET", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=5)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8")
    finally:
        conn.close()


def hub_links(page: str) -> list[tuple[str, dict]]:
    """(path, query) of every link to an article: the shape the discover rule follows."""
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        parts = urlsplit(href.replace("&amp;", "&"))
        if re.fullmatch(r"/help/[a-z0-9-]+/[a-z0-9-]+", parts.path):
            found.append((parts.path, parse_qs(parts.query)))
    return found


@pytest.fixture(scope="module")
def server():
    with DemoServer() as running:
        yield running


@pytest.fixture(autouse=True)
def baseline_first(server):
    server.set_state(0)


def test_serves_on_a_free_loopback_port_with_dated_states(server):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
    assert not server.base_url.endswith(":0")
    assert [s.name for s in server.states] == [s["name"] for s in EXPECTED["states"]]
    assert [s.date for s in server.states] == [s["date"] for s in EXPECTED["states"]]
    assert [s.date for s in server.states] == sorted(s.date for s in server.states)
    assert all(s.description for s in server.states)


def test_noise_differs_between_requests_but_the_article_text_does_not(server):
    path = "/help/performance/customer-service-performance"
    status1, headers1, first = get(server, path)
    status2, headers2, second = get(server, path)
    assert status1 == status2 == 200
    assert first != second
    assert headers1["ETag"] != headers2["ETag"]  # dynamic page: ETag over the rendered bytes
    assert headers1["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers1["Content-Length"]) == len(first.encode())
    for pattern in (
        r'<input type="hidden" name="csrf" value="([^"]+)"',
        r'data-request-id="([^"]+)"',
        r"Page rendered at ([^<]+)",
    ):
        assert re.search(pattern, first)[1] != re.search(pattern, second)[1], pattern
    related = re.compile(r'<aside class="related-articles".*?</aside>', re.S)
    boxes = {related.search(get(server, path)[2])[0] for _ in range(6)}
    assert len(boxes) > 1  # the related box rotates
    text1, text2 = ArticleText.of(first), ArticleText.of(second)
    assert text1 == text2
    assert "Late shipment rate" in text1[0] and "under 4%" in text1[0]
    assert text1[1] == "Last updated: 15 June 2026"
    assert "Was this helpful?" not in text1[0] and "Related articles" not in text1[0]


def test_noise_boxes_and_last_updated_sit_inside_the_article_and_chrome_outside(server):
    _, _, page = get(server, "/help/policies/code-of-conduct")
    article = re.search(r'<main id="help-content"[^>]*>.*?(<article class="help-article".*?</article>)', page, re.S)[1]
    for inside in (
        'class="related-articles"',
        'class="helpful-widget"',
        'name="csrf"',
        "<h1>Seller Code of Conduct</h1>",
        '<p class="last-updated">Last updated: 9 February 2026</p>',
    ):
        assert inside in article, inside
    for outside in ('class="cookie-banner"', 'class="site-header"', 'class="breadcrumbs"', "Page rendered at"):
        assert outside in page and outside not in article, outside


def test_same_request_sequence_gives_the_same_bytes_on_another_run():
    paths = ["/help", "/help/orders/returns-and-refunds", "/help/orders/returns-and-refunds"]
    with DemoServer() as one, DemoServer() as two:
        for path in paths:
            first = get(one, path)[2].replace(one.base_url, "BASE")
            again = get(two, path)[2].replace(two.base_url, "BASE")
            assert first == again, path


def test_state_two_walls_selling_fees_and_state_three_lifts_it(server):
    path = "/help/fees/selling-fees"
    baseline = ArticleText.of(get(server, path)[2])
    server.set_state("noise-and-bot-wall")
    status, _, wall = get(server, path)
    assert status == 200
    assert "<title>Robot Check</title>" in wall
    assert "Enter the characters you see below" in wall
    assert re.search(r'<form[^>]+action="/errors/validateCaptcha"', wall)
    assert ArticleText.of(wall) is None and 'id="help-content"' not in wall
    assert ArticleText.of(get(server, "/help/fees/selling-plans")[2]) is not None  # only that page
    server.set_state(2)
    assert ArticleText.of(get(server, path)[2]) == baseline


def test_state_four_removes_a_page_with_404(server):
    path = "/help/orders/legacy-shipping-templates"
    assert get(server, path)[0] == 200
    server.set_state("substantive-minor-removed")
    status, headers, page = get(server, path)
    assert status == 404
    assert int(headers["Content-Length"]) == len(page.encode()) and "help-article" not in page
    assert path not in {p for p, _ in hub_links(get(server, "/help")[2])}
    assert get(server, "/help/orders/no-such-page")[0] == 404


@pytest.mark.parametrize("index", range(4))
def test_hub_and_section_indexes_link_every_live_page_with_tracking_params(server, index):
    server.set_state(index)
    live = {p for p, page in server.corpus.pages[index].items() if page.live}
    hub = get(server, "/help")[2]
    assert {p for p, _ in hub_links(hub)} == live
    listings = "".join(re.findall(r'<ul class="article-list">.*?</ul>', hub, re.S))
    links = hub_links(listings)
    assert {p for p, _ in links} == live
    assert all(q.get("ref_") and q.get("utm_source") and q.get("pd_rd_r") for _, q in links)
    assert hub_links(get(server, "/help")[2]) != hub_links(hub)  # pd_rd_r changes per request
    listed = set()
    for section in server.corpus.sections:
        status, _, page = get(server, f"/help/{section.slug}")
        assert status == 200
        listed |= {p for p, _ in hub_links(page) if p.startswith(f"/help/{section.slug}/")}
    assert listed == live
    assert ("/help/policies/customer-reviews" in live) == (index >= 2)


def test_robots_txt_and_sitemap(server):
    status, headers, robots = get(server, "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in robots and "Disallow: /account/" in robots
    assert f"Sitemap: {server.base_url}/sitemap.xml" in robots
    server.set_state(3)
    _, headers, sitemap = get(server, "/sitemap.xml")
    assert headers["Content-Type"].startswith("application/xml")
    locs = set(re.findall(r"<loc>([^<]+)</loc>", sitemap))
    assert f"{server.base_url}/help/policies/customer-reviews" in locs
    assert f"{server.base_url}/help/orders/legacy-shipping-templates" not in locs
    assert f"{server.base_url}/help/performance/customer-service-performance" in locs


def test_counts_requests_by_path_and_never_answers_304(server):
    path = "/help/fees/selling-plans"
    before = server.requests[path]
    _, headers, _ = get(server, path + "?ref_=hub_nav&utm_source=x")
    status, _, body = get(
        server, path, headers={"If-None-Match": headers["ETag"], "If-Modified-Since": "Sat, 01 Jan 2050 00:00:00 GMT"}
    )
    assert status == 200 and body
    status, head_headers, head_body = get(server, path, method="HEAD")
    assert status == 200 and head_body == "" and int(head_headers["Content-Length"]) > 0
    assert server.requests[path] - before == 3
    get(server, "/account/settings")
    assert server.requests["/account/settings"] >= 1


def test_keep_alive_connection_serves_many_requests_without_nagle(server):
    # With Nagle's algorithm on, each request on a kept-alive connection stalls ~45 ms (delayed
    # ACK): 2,000 pages lose 90 s. The handler turns it off (the time itself: bench/).
    assert server._httpd.RequestHandlerClass.disable_nagle_algorithm is True
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=5)
    for _ in range(40):
        conn.request("GET", "/help/policies/seller-agreement")
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    conn.close()


def test_set_state_names_the_valid_choices(server):
    with pytest.raises(KeyError, match="baseline"):
        server.set_state("no-such-state")
    with pytest.raises(IndexError, match=r"0\.\.3"):
        server.set_state(4)


def test_expected_outcomes_match_what_each_state_serves(server):
    """expected.yaml is the contract for the end-to-end test: check it against the server."""
    last_good: dict[str, tuple[str, str]] = {}
    for state in EXPECTED["states"]:
        server.set_state(state["name"])
        live = {p for p, page in server.corpus.pages[server.states.index(server.state)].items() if page.live}
        hub = {p for p, _ in hub_links(get(server, "/help")[2])}
        assert set(state["pages"]) >= live, state["name"]
        for path, expect in state["pages"].items():
            assert expect["doc"] == f"{EXPECTED['marketplace']}/{path.rsplit('/', 1)[1]}"
            status, _, page = get(server, path)
            where = f"{state['name']} {path}"
            assert status == expect["http_status"], where
            outcome, article = expect["outcome"], ArticleText.of(page)
            if outcome == "gone" or expect.get("reason") == "removed":  # one 404: failed; confirmed: gone
                assert path not in hub and article is None, where
                continue
            assert path in hub, where
            if outcome == "failed":
                assert expect["reason"] == "bot-wall" and "Robot Check" in page and article is None, where
                continue
            previous = last_good.get(path)
            assert (previous is None) == (outcome == "first-version"), where
            if outcome == "unchanged":
                assert article == previous, where
            elif outcome == "new-version":
                (old_text, old_date), (new_text, new_date) = previous, article
                assert new_text != old_text, where
                assert expect["class"] in ("substantive", "minor"), where
                assert expect["silent"] == (old_date == new_date), where
                for snippet in expect["before"]:
                    assert snippet in old_text and snippet not in new_text, (where, snippet)
                for snippet in expect["after"]:
                    assert snippet in new_text and snippet not in old_text, (where, snippet)
            last_good[path] = article


def test_every_kind_of_event_is_in_expected_yaml():
    outcomes = [(s["name"], p, e) for s in EXPECTED["states"] for p, e in s["pages"].items()]
    kinds = {(e["outcome"], e.get("class"), e.get("silent"), e.get("reason")) for _, _, e in outcomes}
    assert {
        ("failed", None, None, "bot-wall"),
        ("failed", None, None, "removed"),
        ("new-version", "substantive", True, None),
        ("new-version", "substantive", False, None),
        ("new-version", "minor", True, None),
        ("first-version", None, None, None),
    } <= kinds
    noise_only = EXPECTED["states"][1]["pages"].values()
    assert {e["outcome"] for e in noise_only} == {"unchanged", "failed"}


def test_late_shipment_rate_lives_on_the_metrics_page_only():
    corpus = load_corpus()
    holders = {
        p.path
        for pages in corpus.pages
        for p in pages.values()
        if "late shipment rate" in (p.title + p.summary + p.body).lower()
    }
    assert holders == {"/help/performance/customer-service-performance"}
    assert EXPECTED["search"][0] == {"query": "late shipment rate", "first": "northwind/customer-service-performance"}


def test_declaration_declares_state_one_and_discovers_the_rest(server):
    declaration = yaml.safe_load(DECLARATION.read_text(encoding="utf-8"))
    assert declaration["marketplace"] == EXPECTED["marketplace"]
    assert declaration["allow_private_addresses"] is True
    baseline = server.corpus.pages[0]
    declared = {d["id"]: d for d in declaration["documents"]}
    assert set(declared) == {page.slug for page in baseline.values()}
    for page in baseline.values():
        doc = declared[page.slug]
        assert doc["url"] == "{base_url}" + page.path and doc["title"] == page.title
    (rule,) = declaration["discover"]
    assert rule["from"] == "{base_url}/help"
    follow = [re.compile(p.replace("{base_url}", re.escape(server.base_url))) for p in rule["follow"]]
    every_page = {path for pages in server.corpus.pages for path in pages}
    assert every_page - set(baseline) == {"/help/policies/customer-reviews"}
    for path in every_page:
        assert any(f.search(server.base_url + path) for f in follow), path
    for other in ("/help", "/help/policies", "/account/settings"):
        assert not any(f.search(server.base_url + other) for f in follow), other
    # The selectors name what the server renders: one article, and every noise box inside it.
    assert declaration["defaults"]["select"] == ["main#help-content article.help-article"]
    assert {s.lstrip(".") for s in declaration["defaults"]["remove"]} == NOISE_BOXES


def test_cli_lists_states(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[0].startswith("1  baseline") and "2026-08-24T06:00:00Z" in out[3]


def test_cli_serves_a_state_switches_on_input_and_stops_on_ctrl_c():
    root = REPO
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.demo.server", "--state", "2", "--port", "0"],
        cwd=root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        assert "state 2: noise-and-bot-wall" in banner
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/help", banner)[1])
        proc.stdout.readline()  # usage hint

        def fetch(path: str) -> str:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            return conn.getresponse().read().decode()

        assert "Robot Check" in fetch("/help/fees/selling-fees")
        proc.stdin.write("silent-cosmetic-added\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("now serving silent-cosmetic-added")
        assert ArticleText.of(fetch("/help/fees/selling-fees")) is not None
        proc.stdin.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_later_state_inherits_pages_and_rejects_incomplete_new_ones(tmp_path):
    (tmp_path / "a.html").write_text("<p>Version A</p>")
    (tmp_path / "b.html").write_text("<p>Version B</p>")
    manifest = {
        "sections": [{"slug": "s", "title": "S", "summary": "S pages"}],
        "states": [
            {
                "name": "one",
                "date": "2026-01-01T00:00:00Z",
                "description": "first",
                "pages": {
                    "/help/s/a": {"title": "A", "summary": "a", "last_updated": "2026-01-01", "body": "a.html"},
                    "/help/s/b": {"title": "B", "summary": "b", "last_updated": "2026-01-01", "body": "b.html"},
                },
            },
            {
                "name": "two",
                "date": "2026-01-08T00:00:00Z",
                "description": "second",
                "changes": {"/help/s/b": {"status": 404}, "/help/s/a": {"body": "b.html"}},
            },
        ],
    }
    (tmp_path / "states.yaml").write_text(yaml.safe_dump(manifest))
    corpus = load_corpus(tmp_path)
    one, two = corpus.pages
    assert one["/help/s/a"].body == "<p>Version A</p>" and two["/help/s/a"].body == "<p>Version B</p>"
    assert two["/help/s/a"].title == "A" and not two["/help/s/b"].live and one["/help/s/b"].live

    manifest["states"][1]["changes"]["/help/s/c"] = {"title": "C"}
    (tmp_path / "states.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(CorpusError, match=r"states\.yaml: state 2 \(two\): new page /help/s/c lacks"):
        load_corpus(tmp_path)
    manifest["states"][1]["changes"] = {"/help/s/a": {"bodyy": "b.html"}}
    (tmp_path / "states.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(CorpusError, match=r"unknown keys \['bodyy'\]"):
        load_corpus(tmp_path)
