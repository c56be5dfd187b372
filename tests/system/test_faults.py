"""The fault matrix: every way a site can fail a crawler, injected on loopback, one test per row.

Four real crawls share the whole matrix (one document per row, plus controls and a hub):

    A  every document serves its good page, version 1      → first versions
    B  every document serves its fault                     → the row's outcome
    C  every document serves version 2 (removed pages: removed again, which confirms gone)
    D  every document serves version 2 (gone pages are back)

Each row asserts that crawl B finished, that the document's check is recorded with a clear
one-line reason, that no version or change came from the faulty response, that every other
document was processed, and that the next good response is handled normally (C: a new version
whose change starts from A's version, as if the fault never happened; D: unchanged). Rows
that are not faults but hard input (charsets, malformed HTML, a 10 MB page) must read the same
text as the good page: crawl B records them as unchanged.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest

from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.faultserver import ARTICLE_SELECTOR, FaultServer, policy_page

pytestmark = pytest.mark.slow

TIMES = {
    "A": "2026-03-01T00:00:00Z",
    "B": "2026-03-02T00:00:00Z",
    "C": "2026-03-03T00:00:00Z",
    "D": "2026-03-04T00:00:00Z",
}
SETTINGS = {"DOWNLOAD_TIMEOUT": 2, "RETRY_TIMES": 1}  # fast, and still shows what is retried
MARKET = "faulty"

ROBOT_CHECK = (
    "<html><head><title>Robot Check</title></head><body><h4>Type the characters you see "
    'in this image:</h4><form action="/errors/validateCaptcha"><input name="field-keywords">'
    "</form></body></html>"
)
SIGN_IN = (
    '<html><head><title>Sign in</title></head><body><form method="post"><input name="email">'
    '<input type="password" name="password"><button>Sign in</button></form></body></html>'
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"stream\x00\x01\x02endstream\n" * 50


def malformed(doc: str) -> bytes:
    """Version 1's text in the kind of markup browsers forgive: unclosed and stray tags,
    unquoted attributes, upper case, no end of document."""
    page = policy_page(doc).replace("</p>", "").replace('class="policy"', "class=policy")
    page = page.replace("<h1>", "<H1 class=title>").replace("</article>", "</span></b></article></div>")
    return page.replace("</body></html>", "").encode()


def deeply_nested(doc: str) -> bytes:
    """Version 1's text followed by 1,500 unclosed <div>s: parsers recurse on nesting."""
    return policy_page(doc).replace("</article>", "<div>" * 1500 + "</article>").encode()


def ten_megabytes(doc: str) -> bytes:
    """Version 1's article inside 10 MB of page: an inlined app state and a huge footer."""
    state = "{" + ",".join(f'"p{i}":"{"x" * 180}"' for i in range(34_000)) + "}"
    footer = "".join(f'<a href="/p/{i}">Product {i}</a> ' for i in range(60_000))
    return policy_page(
        doc, head=f"<script>window.__STATE__={state}</script>", after=f'<div class="mega-footer">{footer}</div>'
    ).encode()


@dataclass(frozen=True)
class Row:
    row: str  # the row of the matrix
    doc: str  # document slug, also its path /doc/<slug>
    behaviour: str  # what the server does in crawl B
    params: dict = field(default_factory=dict)
    outcome: str = "failed"  # expected outcome of the B check
    reason: str = ""  # regex the B check's reason must match
    hits: int = 1  # requests for /doc/<slug> during crawl B
    status: int | None = None  # HTTP status recorded on the B check (None: no response)
    evidence: bool = False  # B's response is kept as a snapshot
    server: str = "site"  # "down": served by a second server that is stopped during B
    known_bug: str = ""  # a strict xfail: the row must start passing once the bug is fixed
    gone_next: bool = False  # the fault again in crawl C, a day later: that confirms "gone"


ROWS = [
    Row(
        "HTTP 500",
        "http-500",
        "status",
        {"code": 500},
        reason=r"^HTTP 500 Internal Server Error: server error",
        hits=2,
        status=500,
        evidence=True,
    ),
    Row(
        "HTTP 502",
        "http-502",
        "status",
        {"code": 502},
        reason=r"^HTTP 502 Bad Gateway: server error",
        hits=2,
        status=502,
        evidence=True,
    ),
    Row(
        "HTTP 503",
        "http-503",
        "status",
        {"code": 503},
        reason=r"^HTTP 503 Service Unavailable: server error",
        hits=2,
        status=503,
        evidence=True,
    ),
    Row(
        "429 with Retry-After",
        "rate-limited",
        "status",
        {"code": 429, "headers": {"Retry-After": "120"}},
        reason=r"^HTTP 429 Too Many Requests: rate limited; the site asks to wait 120 s",
        hits=1,
        status=429,
        evidence=True,
    ),
    Row(
        "connection refused",
        "refused",
        "page",
        reason=r"^connection refused by 127\.0\.0\.1:\d+",
        hits=0,
        server="down",
    ),
    Row("connection reset mid-body", "reset", "reset", reason=r"^connection reset in the middle of the body", hits=2),
    Row("read timeout", "timeout", "stall", reason=r"^read timeout: .* no complete answer within 2 s", hits=2),
    Row("truncated body", "truncated", "truncate", reason=r"^body truncated: the server closed the connection", hits=2),
    Row(
        "404 (gone)",
        "gone-404",
        "status",
        {"code": 404},
        reason=r"^HTTP 404 Not Found: the page was removed; its history is kept; not gone until a check 12 h "
        r"or more later confirms it",
        gone_next=True,
        status=404,
        evidence=True,
    ),
    Row(
        "410 (gone)",
        "gone-410",
        "status",
        {"code": 410},
        reason=r"^HTTP 410 Gone: the page was removed; its history is kept; not gone until a check 12 h "
        r"or more later confirms it",
        gone_next=True,
        status=410,
        evidence=True,
    ),
    Row(
        "redirect loop",
        "loop",
        "redirect",
        {"location": "/doc/loop-b"},
        reason=r"^redirect loop: http://\S+/doc/loop → /doc/loop-b → /doc/loop .*gave up after 5 redirects",
        hits=3,
    ),
    Row(
        "redirect to a sign-in page",
        "sign-in",
        "redirect",
        {"location": "/ap/signin?openid.return_to=x"},
        reason=r"^redirected to a sign-in page \(http://\S+/ap/signin\?openid\.return_to=x\)",
        status=200,
        evidence=True,
    ),
    Row(
        "redirect to another domain",
        "offsite",
        "redirect",
        {"location": "http://localhost:{port}/doc/offsite"},
        reason=r"^redirected to http://localhost:\d+/doc/offsite, which is out of scope: host 'localhost' "
        r"is not declared; not followed",
    ),
    Row(
        "captcha / bot wall with status 200",
        "bot-wall",
        "page",
        {"text": ROBOT_CHECK},
        reason=r"bot wall instead of the document \(Amazon robot check\)",
        status=200,
        evidence=True,
    ),
    Row(
        "selector matches nothing",
        "redesigned",
        "page",
        {"text": policy_page("redesigned").replace('<article class="policy">', '<article class="policy-v2">')},
        reason=r"^selector 'main article\.policy' matched nothing",
        status=200,
        evidence=True,
    ),
    Row(
        "page shrank by more than 80 %",
        "shrunk",
        "page",
        {"doc": "shrunk", "paragraphs": 3},
        reason=r"^extracted text shrank by (8[1-9]|9\d) % at once",
        status=200,
        evidence=True,
    ),
    Row(
        "empty 200",
        "empty",
        "page",
        {"body": b""},
        reason=r"^HTTP 200 OK with an empty body",
        status=200,
        evidence=True,
    ),
    Row(
        "body over the size limit (Content-Length)",
        "oversize",
        "page",
        {"body": b"<html><body>" + b"x" * (21 << 20)},
        reason=r"^body over the size limit of 20\.0 MB",
    ),
    Row(
        "body over the size limit (streamed, no length)",
        "oversize-stream",
        "stream",
        {"size": 21 << 20},
        reason=r"^body over the size limit: download stopped",
    ),
    Row(
        "PDF where HTML was expected",
        "pdf",
        "page",
        {"body": PDF, "content_type": "application/pdf"},
        reason=r"^expected an HTML page, got a PDF document \(declared as application/pdf\)",
        status=200,
        evidence=True,
    ),
    Row(
        "binary where HTML was expected",
        "binary",
        "page",
        {"body": PNG},
        reason=r"^expected an HTML page, got a PNG image \(declared as text/html\)",
        status=200,
        evidence=True,
    ),
    Row(
        "cp1252 bytes declared as UTF-8",
        "cp1252",
        "page",
        {"body": policy_page("cp1252", charset="utf-8").encode("cp1252")},
        outcome="unchanged",
        status=200,
        evidence=True,
    ),
    Row(
        "missing charset (cp1252, undeclared)",
        "no-charset",
        "page",
        {"body": policy_page("no-charset", charset=None).encode("cp1252"), "content_type": "text/html"},
        outcome="unchanged",
        status=200,
        evidence=True,
    ),
    Row(
        "UTF-8 BOM (page claims windows-1252)",
        "bom",
        "page",
        {"body": b"\xef\xbb\xbf" + policy_page("bom", charset="windows-1252").encode(), "content_type": "text/html"},
        outcome="unchanged",
        status=200,
        evidence=True,
    ),
    Row(
        "malformed HTML",
        "malformed",
        "page",
        {"body": malformed("malformed")},
        outcome="unchanged",
        status=200,
        evidence=True,
    ),
    Row(
        "malformed HTML (1,500 unclosed <div>s)",
        "nested",
        "page",
        {"body": deeply_nested("nested")},
        outcome="unchanged",
        status=200,
        evidence=True,
        known_bug="the page is now read (deep nesting is flattened before conversion), but libxml2 "
        "gives up closing 1,500 open <div>s at </article>, so the footer lands inside the "
        "article and the text differs; an HTML5 tree builder would close them",
    ),
    # Same bytes as in crawl A: known unchanged by its hash, so no second copy is stored.
    Row(
        "a 10 MB page",
        "ten-mb",
        "page",
        {"body": ten_megabytes("ten-mb")},
        outcome="unchanged",
        status=200,
        evidence=False,
    ),
]
CONTROLS = ("control-a", "control-b")
HUB_LINKS = (
    "mailto:help@example.com",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://{host}/help/ftp",
    "http://localhost:{port}/help/elsewhere",
    "http://10.1.2.3/help/private",
    "http://169.254.169.254/help/metadata",
    "/help/found",
)


@dataclass
class Matrix:
    server: FaultServer
    down: FaultServer
    home: object
    reports: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    hits: dict = field(default_factory=dict)  # phase -> {path: count}
    localhost_hits: dict = field(default_factory=dict)

    def check(self, doc: str, phase: str):
        with Store(self.home) as store:
            checks = [c for c in store.checks(f"{MARKET}/{doc}") if c.checked_at == TIMES[phase]]
        assert len(checks) == 1, f"{doc} has {len(checks)} checks in crawl {phase}"
        return checks[0]


def serve(matrix: Matrix, phase: str) -> None:
    site, down = matrix.server, matrix.down
    version = 1 if phase in "AB" else 2
    for row in ROWS:
        path = f"/doc/{row.doc}"
        target = down if row.server == "down" else site
        if phase == "B":
            params = {k: (v.format(port=site.port) if k == "location" else v) for k, v in row.params.items()}
            target.answer(
                path, row.behaviour, **({"doc": row.doc} if row.behaviour == "page" and not params else params)
            )
        elif phase == "C" and row.gone_next:
            target.answer(path, row.behaviour, **row.params)  # still removed: now gone
        else:
            target.answer(path, "page", doc=row.doc, version=version)
    for doc in CONTROLS:
        site.answer(f"/doc/{doc}", "page", doc=doc, version=version)
    site.answer("/help/found", "page", doc="found", version=version)
    if phase == "B":
        down.stop()
    elif not down._httpd:
        down.start()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    with FaultServer() as site, FaultServer() as down:
        site.answer("/doc/loop-b", "redirect", location="/doc/loop")
        site.answer("/ap/signin", "page", text=SIGN_IN)
        host = f"127.0.0.1:{site.port}"
        links = "".join(
            f'<a href="{link.format(host=host, port=site.port)}">link {i}</a>\n' for i, link in enumerate(HUB_LINKS)
        )
        site.answer("/hub", "page", text=f"<html><body><main>{links}</main></body></html>")
        docs = [(row.doc, (down if row.server == "down" else site).url(f"/doc/{row.doc}")) for row in ROWS]
        docs += [(doc, site.url(f"/doc/{doc}")) for doc in CONTROLS]
        sources = root / "sources"
        sources.mkdir()
        (sources / f"{MARKET}.yaml").write_text(
            f"marketplace: {MARKET}\nname: Faulty Market (tests)\nallow_private_addresses: true\n"
            f'defaults:\n  select: ["{ARTICLE_SELECTOR}"]\ndocuments:\n'
            + "".join(f'  - id: {doc}\n    title: {doc}\n    url: "{url}"\n    type: policy\n' for doc, url in docs)
            + f'discover:\n  - from: "{site.url("/hub")}"\n    follow: ["^http://127\\\\.0\\\\.0\\\\.1:{site.port}/help/"]\n'
            "    depth: 1\n    type: help\n"
        )
        matrix = Matrix(server=site, down=down, home=root / "home")
        declared = load_sources(sources)
        for phase in "ABCD":
            serve(matrix, phase)
            site.reset_counts()
            started = time.monotonic()
            matrix.reports[phase] = crawl(
                matrix.home, declared, fast=True, fixed_time=TIMES[phase], extra_settings=SETTINGS
            )
            matrix.seconds[phase] = time.monotonic() - started
            matrix.hits[phase] = {path: site.hits(path) for path in site.paths_hit()}
            matrix.localhost_hits[phase] = sum(site.hits(p, host="localhost") for p in site.paths_hit())
        yield matrix


def all_docs():
    return [row.doc for row in ROWS] + list(CONTROLS) + ["found"]


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            row, id=row.doc, marks=[pytest.mark.xfail(strict=True, reason=row.known_bug)] if row.known_bug else []
        )
        for row in ROWS
    ],
)
def test_fault_row(matrix, row):
    doc_id = f"{MARKET}/{row.doc}"
    # The check is recorded with a clear, one-line reason (or read normally, for hard input).
    check = matrix.check(row.doc, "B")
    assert check.outcome == row.outcome, f"{row.row}: {check.outcome} ({check.reason})"
    if row.outcome in ("failed", "gone"):
        assert re.search(row.reason, check.reason), check.reason
        assert "\n" not in check.reason and len(check.reason) < 300
    else:
        assert check.reason is None
    assert check.http_status == row.status
    assert (check.snapshot_id is not None) == row.evidence  # a response is kept as evidence
    assert check.url == matrix.server.url(f"/doc/{row.doc}") or row.server == "down"  # the URL asked for
    assert matrix.hits["B"].get(f"/doc/{row.doc}", 0) == row.hits

    # No version and no change from the faulty response.
    with Store(matrix.home) as store:
        versions = store.versions(doc_id)
        changes = store.changes(doc_id)
        doc = store.document(doc_id)
    assert [v.captured_at for v in versions if v.captured_at == TIMES["B"]] == []
    assert [c for c in changes if c.detected_at == TIMES["B"]] == []
    report = matrix.reports["B"].record
    assert (doc_id in report.gone) == (row.outcome == "gone")
    # Responses are judged by the recorder; fetches without one were recorded failed by the crawler.
    judged = any(d == doc_id for d, _ in report.failed)
    assert judged == (row.outcome == "failed" and row.evidence)

    # Every other document was processed in the same crawl.
    for other in all_docs():
        assert matrix.check(other, "B").outcome != "pending", other

    # The next good response is handled normally: the change starts from A's version.
    first, *later = versions
    assert first.captured_at == TIMES["A"]
    if row.gone_next:
        assert matrix.check(row.doc, "C").outcome == "gone"  # a second removed answer, a day later
        assert doc_id in matrix.reports["C"].record.gone  # reported once, when confirmed
        recovered, settled = "D", None
    else:
        recovered, settled = "C", "D"
    assert matrix.check(row.doc, recovered).outcome == "new-version"
    # A page confirmed gone, then back with another text: removed, back, and the edit beside it.
    assert [c.event for c in changes] == (["removed", "restored", "edited"] if row.gone_next else ["edited"])
    [change] = [c for c in changes if c.event == "edited"]
    assert change.detected_at == TIMES[recovered]
    assert change.from_version_id == first.id and [v.captured_at for v in later] == [TIMES[recovered]]
    assert "5 €" in first.text and "6 €" in later[0].text  # the fee moved from 5 € to 6 €
    if settled:
        assert matrix.check(row.doc, settled).outcome == "unchanged"
    assert doc.status == "active" and doc.failure is None


def test_gone_history_is_kept_while_gone(matrix):
    """After crawl C, a 404/410 document still has its version; its status says gone."""
    with Store(matrix.home) as store:
        for doc in ("gone-404", "gone-410"):
            checks = store.checks(f"{MARKET}/{doc}")
            at_c = [c for c in checks if c.checked_at == TIMES["C"]]
            assert at_c[0].outcome == "gone" and at_c[0].reason.startswith("HTTP 4")
            assert store.latest_version(f"{MARKET}/{doc}", before=TIMES["C"]).captured_at == TIMES["A"]


def test_the_crawl_report_counts_fetch_failures(matrix):
    without_response = [row for row in ROWS if row.outcome == "failed" and not row.evidence]
    assert matrix.reports["B"].fetch_failures == len(without_response)
    assert [matrix.reports[p].fetch_failures for p in "ACD"] == [0, 0, 0]


def test_controls_and_hub_pages_never_notice_the_faults(matrix):
    for doc in (*CONTROLS, "found"):
        assert [matrix.check(doc, p).outcome for p in "ABCD"] == [
            "first-version",
            "unchanged",
            "new-version",
            "unchanged",
        ], doc


def test_every_crawl_checks_every_document_once(matrix):
    with Store(matrix.home) as store:
        assert store.pending_checks() == []
        counted = {}
        for check in store.checks():
            counted[(check.doc_id, check.checked_at)] = counted.get((check.doc_id, check.checked_at), 0) + 1
    expected = {(f"{MARKET}/{doc}", at) for doc in all_docs() for at in TIMES.values()}
    assert set(counted) == expected and set(counted.values()) == {1}


# -- scope --------------------------------------------------------------------------------


def test_hub_links_outside_scope_are_never_fetched(matrix):
    """mailto:, javascript:, file:, ftp:, another host, private and link-local addresses: none
    is followed; the in-scope link is."""
    fetched = set().union(*(set(hits) for hits in matrix.hits.values()))
    assert "/help/found" in fetched
    assert not {"/help/ftp", "/help/elsewhere", "/help/private", "/help/metadata", "/etc/passwd"} & fetched
    assert set(matrix.localhost_hits.values()) == {0}  # the other host, on this very server
    with Store(matrix.home) as store:
        discovered = {d.doc_id for d in store.documents()} - {f"{MARKET}/{d}" for d in all_docs()}
    assert discovered == set()  # only /help/found became a document, and it is in all_docs()


def test_redirect_to_a_non_http_scheme_is_not_followed(tmp_path):
    with FaultServer() as site:
        site.answer("/doc/a", "redirect", location="file:///etc/passwd")
        site.answer("/doc/b", "redirect", location="ftp://127.0.0.1/pub/policy.html")
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "s.yaml").write_text(
            "marketplace: s\nname: S\nallow_private_addresses: true\ndocuments:\n"
            f'  - {{id: a, title: A, url: "{site.url("/doc/a")}", type: policy}}\n'
            f'  - {{id: b, title: B, url: "{site.url("/doc/b")}", type: policy}}\n'
        )
        report = crawl(tmp_path / "home", load_sources(tmp_path / "src"), fast=True, extra_settings=SETTINGS)
    reasons = dict(report.record.failed)
    with Store(tmp_path / "home") as store:
        checks = {c.doc_id: c for c in store.checks()}
        assert store.counts()["versions"] == 0
    assert checks["s/a"].reason == "HTTP 302 Found to file:///etc/passwd: not an http(s) URL; not followed"
    assert checks["s/b"].reason.startswith("HTTP 302 Found to ftp://127.0.0.1/pub/policy.html: not an http(s)")
    assert reasons == {}  # failed at fetch time: recorded by the crawler, not the recorder


class _Spider:
    def __init__(self, plan):
        self.plan = plan


def _plan(private=frozenset()):
    from crawler.plan import CrawlPlan

    return CrawlPlan(
        targets=[],
        hubs=[],
        allowed_hosts=frozenset({"policies.example", "intranet.example", "127.0.0.1"}),
        private_hosts=frozenset(private),
    )


@pytest.mark.parametrize(
    "address, refused",
    [
        ("10.0.0.5", True),
        ("192.168.1.20", True),
        ("127.0.0.1", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fe80::1%2", True),
        ("93.184.216.34", False),
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch, address, refused):
    import socket

    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Request

    from crawler.middlewares import ScopeGuard

    looked_up = []

    def fake_getaddrinfo(host, *args, **kwargs):
        looked_up.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    guard = ScopeGuard()
    spider = _Spider(_plan())
    for _ in range(2):
        if refused:
            with pytest.raises(IgnoreRequest, match="'intranet.example' resolves to a private address"):
                guard.process_request(Request("https://intranet.example/policy"), spider)
        else:
            assert guard.process_request(Request("https://intranet.example/policy"), spider) is None
    assert looked_up == ["intranet.example"]  # one lookup per host and crawl
    allowed = ScopeGuard()
    assert (
        allowed.process_request(Request("https://intranet.example/x"), _Spider(_plan(private={"intranet.example"})))
        is None
    )


def test_an_answer_from_a_private_address_is_refused():
    """A name can resolve differently between our lookup and the download (DNS rebinding):
    the address that actually answered is checked too."""
    import ipaddress

    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import HtmlResponse, Request

    from crawler.middlewares import ScopeGuard

    request = Request("https://policies.example/fees")
    answered = HtmlResponse(request.url, body=b"<p>x</p>", request=request, ip_address=ipaddress.ip_address("10.9.8.7"))
    with pytest.raises(IgnoreRequest, match="answered from the private address 10.9.8.7"):
        ScopeGuard().process_response(request, answered, _Spider(_plan()))
    public = HtmlResponse(
        request.url, body=b"<p>x</p>", request=request, ip_address=ipaddress.ip_address("93.184.216.34")
    )
    assert ScopeGuard().process_response(request, public, _Spider(_plan())) is public


def test_the_guard_finds_the_plan_through_the_crawler():
    """Scrapy 2.19 calls process_request(request) without the spider."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Request

    from crawler.middlewares import ScopeGuard

    class Crawler:
        spider = _Spider(_plan())

    guard = ScopeGuard.from_crawler(Crawler())
    with pytest.raises(IgnoreRequest, match="host 'elsewhere.example' is not declared"):
        guard.process_request(Request("https://elsewhere.example/x"))


# -- response_fault on its own (imports and other paths that never met a crawler) ---------------


@pytest.mark.parametrize(
    "status, headers, body, expected",
    [
        (200, {"content-type": "text/html"}, b"<html><p>policy</p>", None),
        (200, {}, b"<!doctype html><p>imported capture, no headers</p>", None),
        (200, {"content-type": "text/plain; charset=utf-8"}, b"Terms of sale", None),
        (200, {"content-type": "application/octet-stream"}, b"\n <!DOCTYPE html><p>mislabelled</p>", None),
        (200, {"content-type": "text/html"}, "\ufeff<p>utf-16 page</p>".encode("utf-16"), None),
        (200, {"content-type": "application/json"}, b'{"terms": []}', "expected an HTML page, got application/json"),
        (200, {"content-type": "text/html"}, b"<html>\x00\x01\x02binary", "expected an HTML page, got binary data"),
        (200, {}, b"PK\x03\x04zip", "expected an HTML page, got a ZIP archive or Office document, 7 bytes"),
        (200, {}, b" \r\n\t", "HTTP 200 OK with an empty body"),
        (200, {}, b"x" * 101, "body of 101 bytes is over the size limit of 100 bytes; raise DOWNLOAD_MAXSIZE"),
        (403, {}, b"denied", "HTTP 403 Forbidden: access denied (blocked, or the page needs a sign-in)"),
        (
            503,
            {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
            b"",
            "HTTP 503 Service Unavailable: server error; the site asks to wait 0 s",
        ),
        (
            503,
            {"Retry-After": "Wed, 21 Oct 2015 07:29:30 GMT"},
            b"",
            "HTTP 503 Service Unavailable: server error; the site asks to wait 90 s",
        ),
        (304, {}, b"", "HTTP 304 Not Modified: not a page"),
        (None, {}, b"", "no response was received"),
    ],
)
def test_response_fault(status, headers, body, expected):
    from diffs.responses import response_fault

    # The time the response was received: a Retry-After date is counted from it, not from the clock.
    fault = response_fault(
        status=status, headers=headers, body=body, url="https://shop.example/a", max_size=100, at="2015-10-21T07:28:00Z"
    )
    if expected is None:
        assert fault is None
    else:
        assert fault.outcome == "failed" and fault.reason.startswith(expected), fault


def test_a_sign_in_page_is_judged_by_the_url_that_answered():
    from diffs.responses import response_fault

    page = b"<html><form><input type=password></form></html>"
    for final in (
        "https://shop.example/ap/signin?return_to=x",
        "https://shop.example/account/login",
        "https://shop.example/sso/",
        "https://shop.example/auth",
    ):
        fault = response_fault(status=200, headers={}, body=page, url=final, requested_url="https://shop.example/a")
        assert fault.reason.startswith(f"redirected to a sign-in page ({final})")
    # The same words elsewhere in a path, or no redirect at all, are not a sign-in.
    assert (
        response_fault(
            status=200,
            headers={},
            body=page,
            url="https://shop.example/help/authorized-sellers",
            requested_url="https://shop.example/a",
        )
        is None
    )
    assert response_fault(status=200, headers={}, body=page, url="https://shop.example/login") is None


def test_each_page_of_a_combined_document_is_judged():
    from diffs.combine import CapturedPage, pack
    from diffs.responses import response_fault

    good = CapturedPage("https://shop.example/1", 200, "text/html", b"<html><p>one</p>")
    pdf = CapturedPage("https://shop.example/2", 200, "application/pdf", b"%PDF-1.7 annex")
    assert response_fault(status=200, headers={}, body=pack([good, good]), url=good.url) is None
    fault = response_fault(status=200, headers={}, body=pack([good, pdf]), url=good.url)
    assert fault.reason.startswith("page 2 of 2 (https://shop.example/2): expected an HTML page, got a PDF")
