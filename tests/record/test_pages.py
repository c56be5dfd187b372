"""What one stored response can make the recorder believe (issue 16): each test stores
responses as the crawler does (``Store.add_response``, with their headers) and records them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.record import process_pending
from kb.sources import load_sources
from kb.store import Store

DOC = "shop/fees"
URL = "https://shop.example/help/fees"
CZECH = "Prodejce musí odeslat zboží do dvou pracovních dnů. Příliš žluťoučký kůň úpěl ďábelské ódy."


class Site:
    """A declared document and its store; ``answer`` stores one response and records it."""

    def __init__(self, root: Path, select: str = "main") -> None:
        (root / "sources").mkdir()
        (root / "sources" / "shop.yaml").write_text(
            f"marketplace: shop\nname: Shop\ndefaults:\n  select: ['{select}']\ndocuments:\n"
            f"  - {{id: fees, title: Fees, url: '{URL}', type: fees}}\n"
        )
        self.sources = load_sources(root / "sources")
        self.home = root / "home"
        with Store(self.home) as store:
            store.ensure_document(
                DOC,
                title="Fees",
                url=URL,
                marketplace="shop",
                doc_type="fees",
                origin="declared",
                seen_at="2026-01-01T00:00:00Z",
            )
        self.day = 0

    def answer(
        self, body: bytes | str, *, status: int = 200, headers: dict | None = None, url: str = URL, hours: int = 24
    ):
        """Store a response ``hours`` after the previous one and record it; returns its check."""
        self.day += hours
        at = f"2026-01-{1 + self.day // 24:02d}T{self.day % 24:02d}:00:00Z"
        body = body.encode() if isinstance(body, str) else body
        with Store(self.home) as store:
            with store.transaction():
                check_id = store.add_response(
                    doc_id=DOC,
                    requested_url=URL,
                    url=url,
                    fetched_at=at,
                    http_status=status,
                    headers=headers if headers is not None else {"content-type": "text/html; charset=utf-8"},
                    body=body,
                )
            process_pending(store, self.sources)
            return next(c for c in store.checks(DOC) if c.id == check_id)

    def versions(self) -> list[str]:
        with Store(self.home) as store:
            return [v.text for v in store.versions(DOC)]


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path)


# -- 3g, 3h: charsets -------------------------------------------------------------------------


def test_the_http_header_charset_decodes_a_page_without_meta(site):
    page = f"<html><body><main><p>{CZECH}</p></main></body></html>".encode("iso-8859-2")
    check = site.answer(page, headers={"content-type": "text/html; charset=ISO-8859-2"})
    assert check.outcome == "first-version", check.reason
    assert site.versions() == [CZECH + "\n"]


def test_a_bom_beats_the_header_and_the_header_beats_meta(site):
    bom = "\ufeff<html><head><meta charset='windows-1252'></head><body><main><p>Café 5 €</p></main></body></html>"
    check = site.answer(bom.encode("utf-8"), headers={"content-type": "text/html; charset=iso-8859-2"})
    assert check.outcome == "first-version", check.reason
    meta = f"<html><head><meta charset='windows-1252'></head><body><main><p>{CZECH}</p></main></body></html>"
    site.answer(meta.encode("iso-8859-2"), headers={"content-type": "text/html; charset=iso-8859-2"})
    assert site.versions() == ["Café 5 €\n", CZECH + "\n"]


@pytest.mark.parametrize("where", ["meta", "header"])
def test_utf7_is_never_decoded(site, where):
    # Browsers refuse UTF-7 (the HTML standard has no such encoding): the archive reads what they show.
    meta = '<meta charset="utf-7">' if where == "meta" else ""
    page = f"<html><head>{meta}</head><body><main><p>Fees are +ADw-b+AD4-15%+ADw-/b+AD4-</p></main></body></html>"
    charset = "utf-7" if where == "header" else "utf-8"
    site.answer(page.encode("ascii"), headers={"content-type": f"text/html; charset={charset}"})
    assert site.versions() == ["Fees are +ADw-b+AD4-15%+ADw-/b+AD4-\n"]


# -- 6d, 1d3: gone needs a confirmation --------------------------------------------------------

PAGE = "<html><body><main><h1>Fees</h1><p>The referral fee is 15% of the sale price.</p></main></body></html>"


def status(site: Site) -> str:
    with Store(site.home) as store:
        return store.document(DOC).status


@pytest.mark.parametrize("code", [404, 410])
def test_one_removed_answer_is_a_failed_check_and_the_second_confirms_it(site, code):
    site.answer(PAGE)
    once = site.answer("<html><body>Not found</body></html>", status=code)
    assert (once.outcome, once.fault) == ("failed", "removed"), once.reason
    assert "confirm" in once.reason and status(site) == "failing"
    soon = site.answer("<html><body>Not found</body></html>", status=code, hours=1)  # the same deploy
    assert soon.outcome == "failed" and status(site) == "failing"
    confirmed = site.answer("<html><body>Not found</body></html>", status=code)
    assert (confirmed.outcome, confirmed.fault) == ("gone", "removed") and status(site) == "gone"


def test_a_page_back_after_one_404_was_never_gone(site):
    site.answer(PAGE)
    assert site.answer("nope", status=404).outcome == "failed"
    assert site.answer(PAGE).outcome == "unchanged"
    assert site.answer("nope", status=404).outcome == "failed"  # a new streak starts again
    assert status(site) == "failing"


def test_a_redirect_to_a_wall_is_a_failed_check(site):
    # 1d3: the recorder judges the page a redirect to an interstitial reached, never "moved".
    site.answer(PAGE)
    wall = site.answer(
        "<html><head><title>Robot or human?</title></head><body><main><p>Activate and hold the button "
        "to confirm that you're human. Thank You!</p></main></body></html>",
        url="https://shop.example/blocked?url=L2hlbHAvZmVlcw==&uuid=1&g=b",
    )
    assert (wall.outcome, wall.fault) == ("failed", "bot-wall"), wall.reason
    assert "redirected to a wall" in wall.reason


# -- 1e2, 1f2, 1h, 6e: a notice inside the site's template is not the document ------------------

TOPICS = "".join(f'<li><a href="/help/topic-{i}">Help topic number {i}</a></li>' for i in range(25))
POLICY = "".join(
    f"<p>Section {i}: sellers must ship orders within {i + 1} business days and keep tracking records "
    f"for twelve months, or the order counts as late.</p>"
    for i in range(8)
)


def in_template(article: str) -> str:
    """A help centre's page: ``<main>`` holds a breadcrumb, a topic sidebar, the article and a
    feedback widget, so a broad selector keeps the template's own text."""
    return (
        "<html><head><title>Seller Help</title></head><body><nav>Site menu</nav><main>"
        '<div class="crumbs"><a href="/">Home</a> › <a href="/help">Help</a> › <a href="/help/fees">Fees</a></div>'
        f"<aside><ul>{TOPICS}</ul></aside><article>{article}</article>"
        "<div class=feedback><p>Was this page helpful?</p><button>Yes</button><button>No</button></div>"
        "</main><footer>© Shop</footer></body></html>"
    )


NOTICES = {
    "consent": "<h2>Before you continue to Shop</h2><p>We and our 842 partners use cookies and data to deliver "
    "and maintain our services and measure audience engagement.</p><p>If you choose to accept all, we will "
    "also use cookies to personalise ads.</p><p>Accept all</p><p>Reject all</p>",
    "consent-de": "<h2>Bevor Sie fortfahren</h2><p>Wir verwenden Cookies und Daten, um unsere Dienste "
    "bereitzustellen.</p><p>Alle akzeptieren</p><p>Alle ablehnen</p>",
    "maintenance": "<h1>We're sorry, something went wrong.</h1><p>We are performing scheduled maintenance. "
    "Please try again later.</p>",
    "maintenance-fr": "<h1>Site en maintenance</h1><p>Ce service est temporairement indisponible. Veuillez "
    "réessayer plus tard.</p>",
    "region": "<p>This content is not available in your region.</p>",
    "region-es": "<p>Este contenido no está disponible en tu país.</p>",
    "soft-404": "<h1>Sorry, we couldn't find that page</h1><p>The page you're looking for doesn't exist or "
    "has been moved. Try the search box or browse the topics.</p>",
    "soft-404-de": "<h1>Seite nicht gefunden</h1><p>Die von Ihnen gesuchte Seite existiert nicht.</p>",
}


@pytest.mark.parametrize("notice", sorted(NOTICES))
def test_a_notice_in_the_template_is_a_failed_check_not_a_version(site, notice):
    assert site.answer(in_template(f"<h1>Shipping on time</h1>{POLICY}")).outcome == "first-version"
    check = site.answer(in_template(NOTICES[notice]))
    assert (check.outcome, check.fault) == ("failed", "block-page"), check.reason
    assert len(site.versions()) == 1
    assert site.answer(in_template(f"<h1>Shipping on time</h1>{POLICY}")).outcome == "unchanged"


def test_a_policy_that_mentions_such_words_is_still_the_policy(site):
    policy = (
        f"<h1>Regional availability</h1>{POLICY}<p>Some programs are not available in your region; "
        "if something went wrong with a payout, please try again later or contact us. We use cookies "
        "as the cookie policy says.</p>"
    )
    assert site.answer(in_template(policy)).outcome == "first-version"
