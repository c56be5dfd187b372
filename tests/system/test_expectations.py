"""A capture must be what it claims: pages served at 200 that are not the document, on loopback.

Three real crawls of one site:

    A  every document serves its good page           → first versions
    B  each document serves its impostor             → a failed check with the row's kind and reason
    C  every document serves its good page again     → unchanged, as if B never happened

Each row asserts that B's check failed with its kind (stored in the checks' fault column) and a
one-line reason naming what was expected and the fix, that B's response is kept as evidence,
and that no version or change came from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from kb.models import FaultKind
from kb.pipeline import crawl
from kb.sources import load_sources
from kb.store import Store
from tests.support.faultserver import ARTICLE_SELECTOR, FaultServer, policy_page
from tests.support.impostors import APPLIES_UK, JS_SHELL, SIGN_IN_PAGE, french_page, german_page, marketplace_page
from tests.support.loopback_site import declaration

pytestmark = pytest.mark.slow

TIMES = {"A": "2026-05-01T00:00:00Z", "B": "2026-05-02T00:00:00Z", "C": "2026-05-03T00:00:00Z"}
SETTINGS = {"DOWNLOAD_TIMEOUT": 5, "RETRY_TIMES": 0}
MARKET = "claims"


@dataclass(frozen=True)
class Row:
    doc: str
    good: str  # the page of crawls A and C
    impostor: str  # the page of crawl B
    kind: str
    reason: str  # regex the B check's reason must match
    query: str = ""  # the declared URL's query
    declared: dict = field(default_factory=dict)  # extra keys of the declaration


ROWS = [
    Row(
        "wrong-language",
        policy_page("wrong-language"),
        french_page("wrong-language"),
        FaultKind.WRONG_LANGUAGE,
        r"^served in French, expected English: the site ignored `locale=en-GB`; .* `lang: fr`",
        query="?locale=en-GB",
    ),
    Row(  # no locale in the URL, no lang declared: the current version's language is expected
        "translated",
        policy_page("translated"),
        german_page("translated"),
        FaultKind.WRONG_LANGUAGE,
        r"^served in German, the previous versions are in English: pin the language with a locale parameter, "
        r"or declare `lang: de` if the page really changed language$",
    ),
    Row(
        "wrong-marketplace",
        marketplace_page("wrong-marketplace", "United Kingdom"),
        marketplace_page("wrong-marketplace", "France"),
        FaultKind.WRONG_MARKETPLACE,
        r'^served for France, expected United Kingdom \("This article applies to selling in: …"\): ',
        declared={"expect": {"text": APPLIES_UK}},
    ),
    Row(
        "sign-in",
        policy_page("sign-in"),
        SIGN_IN_PAGE,
        FaultKind.SIGN_IN,
        r'^a sign-in page was served instead of the document \(a password field, "Sign in"\): ',
    ),
    Row(
        "js-shell",
        policy_page("js-shell"),
        JS_SHELL,
        FaultKind.JS_SHELL,
        r"^a JavaScript shell without the document's text \(it says \"You need to enable JavaScript to run "
        r"this app\.\"\): declare `render: browser`$",
    ),
    Row(
        "too-short",
        policy_page("too-short"),
        policy_page("too-short", paragraphs=3),
        FaultKind.TOO_SHORT,
        r"^extracted \d+ characters, expected at least 2,000 \(expect\.min_chars\): ",
        declared={"expect": {"min_chars": 2000}},
    ),
]
CONTROL = "control"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    with FaultServer() as site:
        documents = [
            {"id": doc, "title": doc, "url": site.url(f"/doc/{doc}") + query, "type": "policy"} | declared
            for doc, query, declared in [(r.doc, r.query, r.declared) for r in ROWS] + [(CONTROL, "", {})]
        ]
        sources = root / "sources"
        sources.mkdir()
        (sources / f"{MARKET}.yaml").write_text(declaration(MARKET, documents, defaults={"select": [ARTICLE_SELECTOR]}))
        declared = load_sources(sources)
        site.answer(f"/doc/{CONTROL}", "page", doc=CONTROL)
        reports = {}
        for phase in "ABC":
            for row in ROWS:
                site.answer(f"/doc/{row.doc}", "page", text=row.impostor if phase == "B" else row.good)
            reports[phase] = crawl(root / "home", declared, fast=True, fixed_time=TIMES[phase], extra_settings=SETTINGS)
    return root / "home", reports


@pytest.mark.parametrize("row", ROWS, ids=[row.doc for row in ROWS])
def test_an_impostor_page_is_a_failed_check_with_its_reason_and_never_a_version(crawled, row):
    home, reports = crawled
    doc_id = f"{MARKET}/{row.doc}"
    with Store(home) as store:
        checks = {c.checked_at: c for c in store.checks(doc_id)}
        versions = store.versions(doc_id)
        changes = store.changes(doc_id)
        failed = checks[TIMES["B"]]
        evidence = store.snapshot_body(failed.snapshot_id) if failed.snapshot_id else None
    assert checks[TIMES["A"]].outcome == "first-version"
    assert failed.outcome == "failed" and failed.fault == row.kind, (failed.fault, failed.reason)
    assert re.search(row.reason, failed.reason), failed.reason
    assert "\n" not in failed.reason
    assert evidence == row.impostor.encode()  # the page is kept as evidence
    assert (doc_id, failed.reason) in reports["B"].record.failed
    assert len(versions) == 1 and versions[0].captured_at == TIMES["A"] and changes == []
    assert checks[TIMES["C"]].outcome == "unchanged"  # the good page again: nothing happened


def test_the_control_never_notices(crawled):
    home, _ = crawled
    with Store(home) as store:
        outcomes = [c.outcome for c in store.checks(f"{MARKET}/{CONTROL}")]
    assert outcomes == ["first-version", "unchanged", "unchanged"]
