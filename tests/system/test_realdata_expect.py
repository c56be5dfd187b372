"""No real capture is rejected as "not what it claims" (``diffs.expect``) when it is the document.

Two checks on ``../shared/realdata``:

- every capture and recorded version of a page the shipped ``sources/`` declare is judged with
  that declaration's expectations (its language, when it declares none, is the page's real
  one: what adding ``lang:`` would ask) and passes; captures of the same document made on
  another marketplace's host are judged by their language only;
- every recorded text of every series passes in its own language and fails in another one,
  as a wrong language.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from diffs.expect import Expectations, judge
from diffs.extract import extract
from kb.models import FaultKind
from kb.sources import default_sources_dir, load_sources

pytestmark = pytest.mark.realdata

# The language each series is in, read by a person (amazon-de's cookie page was served in English).
LANGUAGES = {
    "abebooks__marketplace-sellers-conditions": "en",
    "amazon-com__terms-of-service": "en",
    "amazon-de__trackers-policy": "en",
    "amazon-eu__marketplace-sellers-conditions": "en",
    "amazon-us__marketplace-sellers-conditions": "en",
    "ebay-com__terms-of-service": "en",
    "ebay-com__terms-of-service__p2b": "en",
    "etsy__marketplace-sellers-conditions": "en",
    "kleinanzeigen-de__terms-of-service": "de",
    "otto-de__terms-of-service": "de",
    "tiktok-shop__marketplace-sellers-conditions": "en",
    "wish__marketplace-sellers-conditions": "en",
    "airbnb__commercial-terms": "en",
    "boulanger__marketplace-sellers-conditions": "fr",
}
# Real series of pages the shipped sources declare: (folder, the page it captured, same page?).
# The EU agreement was captured on sellercentral.amazon.fr ("applies to selling in: France"): the
# same agreement as the UK's, another marketplace's page.
SHIPPED = [
    (
        "snapshots/ebay-com__terms-of-service",
        "https://www.ebay.com/help/policies/member-behaviour-policies/user-agreement?id=4259",
        True,
    ),
    (
        "versions/ebay-com__terms-of-service",
        "https://www.ebay.com/help/policies/member-behaviour-policies/user-agreement?id=4259",
        True,
    ),
    (
        "versions/ebay-com__terms-of-service__p2b",
        "https://www.ebay.com/help/policies/member-behaviour-policies/user-agreement?id=4259",
        True,
    ),
    (
        "versions/amazon-us__marketplace-sellers-conditions",
        "https://sellercentral.amazon.com/help/hub/reference/external/G1791",
        True,
    ),
    ("versions/etsy__marketplace-sellers-conditions", "https://www.etsy.com/legal/sellers/", True),
    (
        "versions/tiktok-shop__marketplace-sellers-conditions",
        "https://seller-id.tiktok.com/university/article/agreement?knowledge_id=10001020&identity=1",
        True,
    ),
    (
        "versions/amazon-eu__marketplace-sellers-conditions",
        "https://sellercentral.amazon.co.uk/help/hub/reference/external/201190440",
        False,
    ),
]
IDENTIFYING = ("id", "knowledge_id", "nodeid")


@pytest.fixture(scope="module")
def realdata_dir():
    from tests.support import REALDATA

    if not REALDATA.is_dir():
        pytest.skip(f"real captures not found at {REALDATA} (they live beside the repository in CI)")
    return REALDATA


def page_key(url: str) -> tuple:
    """A page's identity across declarations: host, path and the query that names the article."""
    parts = urlsplit(url)
    query = sorted((k.lower(), v) for k, v in parse_qsl(parts.query) if k.lower() in IDENTIFYING)
    return parts.hostname, parts.path.rstrip("/"), tuple(query)


def captures(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".html", ".md"))


def test_no_real_capture_of_a_shipped_page_is_rejected(realdata_dir):
    sources = load_sources(default_sources_dir())
    by_page = {page_key(doc.url): doc for doc in sources.documents}
    judged, faults, missing, seconds = 0, [], [], 0.0
    for series, url, same_page in SHIPPED:
        doc = by_page.get(page_key(url))
        if doc is None:
            missing.append(url)  # no longer declared: its captures are not the shipped sources'
            continue
        language = LANGUAGES[Path(series).name]
        expected = doc.expect if doc.lang else replace(doc.expect, lang=language)
        if not same_page:
            expected = Expectations(lang=doc.lang or language)
        for path in captures(realdata_dir / series):
            body = path.read_bytes()
            text = extract(body, doc.rules, url=doc.url).markdown if path.suffix == ".html" else body.decode()
            started = time.perf_counter()
            fault = judge(text, expected, url=doc.url, page=body if path.suffix == ".html" else b"")
            seconds += time.perf_counter() - started
            judged += 1
            if fault is not None:
                faults.append((doc.doc_id, f"{series}/{path.name}", fault.kind, fault.reason))
    print(f"\n{judged} real captures of shipped pages judged, {1000 * seconds / max(1, judged):.1f} ms each")
    if missing:
        print(f"no longer declared: {', '.join(missing)}")
    assert faults == []
    assert judged >= 50 and len(missing) < len(SHIPPED) // 2


# Versions the archive recorded that are a site's notice, not the document: a soft 404 in
# Amazon's template ("We can't find the page you were trying to reach"). Judged block pages.
NOTICES = {("amazon-com__terms-of-service", "2026-02-06T00-33-13Z.md")}


def test_every_real_text_passes_in_its_language_and_fails_in_another(realdata_dir):
    wrong = {"en": "fr", "de": "en", "fr": "en"}
    passed, rejected, misjudged = 0, 0, []
    folders = [
        *(realdata_dir / "versions").iterdir(),
        *(p for p in (realdata_dir / "flapping").iterdir() if p.is_dir()),
    ]
    for folder in sorted(folders):
        language = LANGUAGES[folder.name]
        for path in captures(folder):
            text = path.read_text()
            own = judge(text, Expectations(lang=language))
            if (folder.name, path.name) in NOTICES:
                assert own is not None and own.kind == FaultKind.BLOCK_PAGE, (path, own)
                continue
            other = judge(text, Expectations(lang=wrong[language]))
            passed += own is None
            rejected += other is not None and other.kind == FaultKind.WRONG_LANGUAGE
            if own is not None or other is None:
                misjudged.append((folder.name, path.name, own and own.reason, other and other.reason))
    print(f"\n{passed} real texts passed in their own language, {rejected} rejected in another")
    assert misjudged == []
