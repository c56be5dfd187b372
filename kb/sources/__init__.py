"""Source declarations: which documents to watch, and how to extract them.

One YAML file per marketplace in ``sources/``. The format is strict: unknown keys,
duplicate ids, non-http(s) URLs, private addresses and invalid CSS selectors are
errors that name the file, the key and the fix, and nothing is crawled until
every file loads. Example::

    marketplace: amazon-us
    name: Amazon Seller Central (US)
    defaults:
      select: ["#full-help-page"]
      remove: ["*[hidden]"]
      render: browser            # the page builds its text with JavaScript
    documents:
      - id: business-solutions-agreement
        title: Business Solutions Agreement
        url: https://sellercentral.amazon.com/help/hub/reference/external/G1791
        type: agreement
      - id: seller-policy
        title: Seller Policy
        type: policy
        select:                  # a range: what lies between two elements
          - {start_after: "#category-dropdown", end_before: "#locale_overlay_container"}
      - id: marketplace-conditions
        title: Conditions (two pages, one document)
        type: agreement
        pages:
          - url: https://example.com/conditions
          - url: https://example.com/conditions-annex
            select: ["main"]
    discover:
      - from: https://example.com/help        # a hub page whose links are followed
        follow: ["^https://example\\.com/help/[a-z-]+$"]
        depth: 1
        type: help
        keep_query: [id]         # query parameters that name the page: kept in its URL
      - sitemap: https://example.com/sitemap.xml   # or a sitemap (index) listing pages
        follow: ["^https://example\\.com/policies/"]

A document's id is ``<marketplace>/<id>``; it never changes when the URL does.
``select``/``remove`` entries are CSS selectors or ranges (``start_before`` or
``start_after``, with ``end_before`` or ``end_after``; see ``diffs.ranges``).
``render: browser`` fetches the page through a headless Chromium; ``http`` (the
default) is a plain request. The full reference is ``docs/sources.md``.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import reprlib
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from diffs.expect import ANY_LANGUAGE, Expectations, language_code
from diffs.extract import Rules, selector_error
from diffs.ranges import END_KEYS, START_KEYS, Range
from kb.errors import DeclarationError, UnknownDocument, UsageError
from kb.sources.yamlio import YamlProblem, key_line, load_strict, read_user_file

DOC_TYPES = (
    "agreement",
    "code-of-conduct",
    "metrics",
    "prohibited",
    "fees",
    "returns",
    "shipping",
    "communication",
    "ip",
    "help",
    "policy",
    "changes",
)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
QUERY_NAME = re.compile(r"^[A-Za-z0-9_.~-]+$")

TOP_KEYS = {"marketplace", "name", "allow_private_addresses", "defaults", "documents", "discover"}
RULE_KEYS = {"select", "remove", "render"}
EXPECT_KEYS = {"lang", "expect"}  # what the page must show (diffs.expect); per document, not per page
EXPECTATION_KEYS = {"text", "min_chars"}
PAGE_KEYS = {"url"} | RULE_KEYS
DOCUMENT_KEYS = {"id", "title", "url", "type", "pages", "role"} | RULE_KEYS | EXPECT_KEYS
DISCOVER_KEYS = {"from", "sitemap", "follow", "depth", "type", "keep_query"} | RULE_KEYS | EXPECT_KEYS
RENDERS = ("http", "browser")
# What a document is for, beyond its subject: "announcements" marks a page that lists dated,
# upcoming changes to the marketplace's rules (Amazon's "upcoming changes to program policies"),
# whose entries diffs.announcements parses and links to the changes that carry them out.
ROLES = ("announcements",)


@dataclass(frozen=True)
class PageSource:
    """One fetched page: its URL, how to extract it, and whether it needs a browser."""

    url: str
    rules: Rules
    browser: bool = False


@dataclass(frozen=True)
class DocumentSource:
    doc_id: str
    title: str
    url: str  # the (first) page's URL
    marketplace: str
    doc_type: str
    rules: Rules  # for a combined document: Rules(parts=...), one per page
    file: str
    pages: tuple[PageSource, ...] = ()  # more than one: a combined document
    expect: Expectations = Expectations()  # what its page must show (lang, expect)
    role: str | None = None  # one of ROLES, or None: an ordinary document

    @property
    def browser(self) -> bool:
        return any(page.browser for page in self.pages)

    @property
    def lang(self) -> str | None:
        """The language its text must be in: declared, else named by its URL; None: not checked."""
        language = self.expect.language(self.url)
        return language[0] if language else None

    def as_json(self) -> dict:
        return {
            "id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "marketplace": self.marketplace,
            "type": self.doc_type,
            "file": self.file,
            "render": "browser" if self.browser else "http",
            "pages": [p.url for p in self.pages],
            "lang": self.lang,
            "expect": {"text": list(self.expect.texts), "min_chars": self.expect.min_chars},
            "role": self.role,
        }


@dataclass(frozen=True)
class DiscoverRule:
    marketplace: str
    start_url: str  # a hub page, or a sitemap when ``sitemap`` is true
    follow: tuple[str, ...]  # regexes matched against absolute URLs without query or fragment
    depth: int
    doc_type: str
    rules: Rules
    file: str
    sitemap: bool = False
    browser: bool = False  # pages found by this rule are fetched with a browser
    keep_query: tuple[str, ...] = ()  # query parameters that identify a page (eBay: id)
    expect: Expectations = Expectations()  # what the pages it finds must show

    def matches(self, url: str) -> bool:
        """Whether ``url`` is in scope; patterns see it without query or fragment."""
        return any(re.search(pattern, canonical_url(url)) for pattern in self.follow)

    def identity(self, url: str) -> str:
        """A page found by this rule: its canonical URL, which is also the URL it is fetched at."""
        return canonical_url(url, self.keep_query)


@dataclass(frozen=True)
class Sources:
    documents: tuple[DocumentSource, ...]
    discover: tuple[DiscoverRule, ...]
    files: tuple[str, ...]
    private_hosts: frozenset[str]  # hosts a declaration explicitly allowed although private
    names: tuple[tuple[str, str], ...] = ()  # (marketplace, its declared name), by file

    def marketplace_name(self, marketplace: str) -> str:
        """The marketplace's declared ``name`` ("Amazon Seller Central (US)"), else its slug."""
        return dict(self.names).get(marketplace, marketplace)

    def require(self, doc_id: str) -> DocumentSource:
        """The declared document ``doc_id``; ``UnknownDocument`` (one message, one hint) if none."""
        found = self.get(doc_id)
        if found is None:
            raise UnknownDocument(
                f"unknown document '{doc_id}'", hint="see `policywatch sources list` for the declared ids"
            )
        return found

    def get(self, doc_id: str) -> DocumentSource | None:
        return self._by_id.get(doc_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, DocumentSource]:
        return {d.doc_id: d for d in self.documents}

    def rules_with(
        self,
        doc_id: str | None,
        *,
        select: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
        url: str = "",
        whole_capture: bool = True,
        saved_as: str = "it",
    ) -> tuple[Rules, str]:
        """The rules to try on one saved page, and the URL its links resolve against: the
        declaration's (``doc_id``), with ``select`` replacing its selection and ``remove`` added
        to its removals; without a document, just the selectors given. A combined document saved
        one page at a time (``whole_capture`` false) takes the rules of the page at ``url``."""
        if doc_id is None:
            return Rules(select=tuple(select), remove=tuple(remove)), url
        declared = self.require(doc_id)
        rules = declared.rules
        if len(declared.pages) > 1 and not whole_capture:
            page = next((p for p in declared.pages if p.url == url), None)
            if page is None:
                raise UsageError(
                    f"{doc_id} combines {len(declared.pages)} pages; which one is {saved_as}?",
                    hint="pass --url with one of: " + " ".join(p.url for p in declared.pages),
                )
            rules = page.rules
        url = url or declared.url
        if select:
            rules = replace(rules, select=tuple(select), select_ranges=())
        return replace(rules, remove=rules.remove + tuple(remove)), url

    def rules_for(self, doc_id: str, url: str) -> Rules | None:
        """The extraction rules of a document: its declaration's, else those of the
        discovery rule whose scope its URL is in; None when no declaration covers it."""
        declared = self.get(doc_id)
        if declared is not None:
            return declared.rules
        rule = self.rule_for_url(url)
        return rule.rules if rule is not None else None

    def expectations_for(self, doc_id: str, url: str) -> Expectations:
        """What a document's page must show: its declaration's, else its discovery rule's
        (``Expectations.language`` reads the default language from the page's URL)."""
        declared = self.get(doc_id)
        if declared is not None:
            return declared.expect
        rule = self.rule_for_url(url)
        return rule.expect if rule is not None else Expectations()

    def rule_for_url(self, url: str) -> DiscoverRule | None:
        return next((r for r in self.discover if r.matches(url)), None)

    def identity(self, url: str) -> str:
        """The canonical URL of a page as discovery knows it: with the query parameters the
        first discovery rule covering it keeps, without any other."""
        rule = self.rule_for_url(url)
        return rule.identity(url) if rule is not None else canonical_url(url)

    def allowed_hosts(self) -> frozenset[str]:
        hosts = {urlsplit(p.url).hostname for d in self.documents for p in d.pages}
        hosts |= {urlsplit(r.start_url).hostname for r in self.discover}
        return frozenset(h for h in hosts if h)


def canonical_url(url: str, keep_query: tuple[str, ...] = ()) -> str:
    """A discovered page's identity: scheme, host and path, plus the query parameters named in
    ``keep_query`` (in that order, each with the values the link gave); the rest of the query
    (tracking, ``ref_``) and the fragment are dropped."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True) if keep_query else []
    kept = [(name, value) for wanted in keep_query for name, value in pairs if name == wanted]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", urlencode(kept), ""))


def discovered_doc_id(marketplace: str, url: str, taken: set[str]) -> str:
    """Stable id for a discovered page: its last path segments, slugged, never a hash."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    for count in range(1, len(segments) + 1):
        slug = re.sub(r"[^a-z0-9]+", "-", "-".join(segments[-count:]).lower()).strip("-")
        candidate = f"{marketplace}/{slug or 'index'}"
        if candidate not in taken:
            return candidate
    return f"{marketplace}/{re.sub(r'[^a-z0-9]+', '-', url.lower()).strip('-')}"


def default_sources_dir() -> Path:
    """The shipped ``sources/`` folder of the repository (editable install)."""
    return Path(__file__).resolve().parents[2] / "sources"


def open_sources(sources_dir: str | os.PathLike | None, substitutions: dict | None = None) -> Sources:
    """The declarations in ``sources_dir`` (default: the shipped ``sources/``)."""
    return load_sources(Path(sources_dir) if sources_dir else default_sources_dir(), substitutions=substitutions)


def load_sources(directory: Path, *, substitutions: dict[str, str] | None = None) -> Sources:
    directory = Path(directory)
    if not directory.is_dir():
        raise DeclarationError(
            f"{directory}: no such sources folder",
            hint="pass --sources DIR with a folder of *.yaml declarations",
        )
    files = sorted(list(directory.glob("*.yaml")) + list(directory.glob("*.yml")))
    if not files:
        raise DeclarationError(f"{directory}: no *.yaml declarations found", hint="add one file per marketplace")
    documents: list[DocumentSource] = []
    discover: list[DiscoverRule] = []
    private_hosts: set[str] = set()
    names: list[tuple[str, str]] = []
    seen_ids: dict[str, str] = {}
    seen_marketplaces: dict[str, str] = {}
    for path in files:
        try:
            text = read_user_file(path)
        except YamlProblem as exc:
            raise _fail(path, exc.where, exc.problem, exc.fix) from None
        for key, value in (substitutions or {}).items():
            text = text.replace("{" + key + "}", value)
        docs, rules, private, name = _load_file(path, text)
        marketplace = docs[0].marketplace if docs else (rules[0].marketplace if rules else None)
        if marketplace in seen_marketplaces:
            raise DeclarationError(
                f"{path.name}: marketplace: '{marketplace}' is also declared in "
                f"{seen_marketplaces[marketplace]}; use one file per marketplace"
            )
        if marketplace:
            seen_marketplaces[marketplace] = path.name
            names.append((marketplace, name))
        for doc in docs:
            if doc.doc_id in seen_ids:
                raise DeclarationError(
                    f"{path.name}: documents: duplicate id '{doc.doc_id}' "
                    f"(first in {seen_ids[doc.doc_id]}); give each document its own id"
                )
            seen_ids[doc.doc_id] = path.name
        documents += docs
        discover += rules
        private_hosts |= private
    return Sources(
        tuple(documents), tuple(discover), tuple(p.name for p in files), frozenset(private_hosts), tuple(names)
    )


def _shown(value) -> str:
    """A declared value as an error message quotes it, shortened (``reprlib``), so that a hostile
    value (an alias bomb, a megabyte of text) never becomes the message."""
    return "nothing (null)" if value is None else _SHORT.repr(value)


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlevel = 3


def _fail(path: Path, key: str, problem: str, fix: str) -> DeclarationError:
    return DeclarationError(f"{path.name}: {key}: {problem}; {fix}")


def _fail_at(path: Path, key: str, problem: str, fix: str) -> DeclarationError:
    """``_fail``, with the line of ``key`` in the file: ``m.yaml: documents[2].lang (line 14): …``."""
    line = key_line(path.read_text(encoding="utf-8", errors="replace"), key)
    at = f" (line {line})" if line else ""
    return DeclarationError(f"{path.name}: {key}{at}: {problem}; {fix}")


def _load_file(path: Path, text: str):
    try:
        data = load_strict(text)
    except YamlProblem as exc:
        raise _fail(path, exc.where, exc.problem, exc.fix) from None
    if not isinstance(data, dict):
        raise _fail(path, "(top)", "expected a mapping of keys", "see docs/sources.md")
    _check_keys(path, "(top)", data, TOP_KEYS)
    for required in ("marketplace", "name"):
        if required not in data:
            raise _fail(path, required, "missing", f"add '{required}:'")
    marketplace = data["marketplace"]
    if not isinstance(marketplace, str) or not SLUG.match(marketplace):
        raise _fail(
            path, "marketplace", f"{_shown(marketplace)} is not a slug", "use lower-case letters, digits and '-'"
        )
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise _fail(path, "name", f"{_shown(name)} is not a name", "write the marketplace's name as text")
    allow_private = data.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        raise _fail(path, "allow_private_addresses", "must be true or false", "write true or false")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise _fail(path, "defaults", "expected a mapping", "give select/remove lists")
    _check_keys(path, "defaults", defaults, RULE_KEYS | EXPECT_KEYS)
    default_rules = _rules(path, "defaults", defaults, Rules())
    default_browser = _render(path, "defaults", defaults, False)
    default_expect = _expectations(path, "defaults", defaults, Expectations())
    private_hosts: set[str] = set()

    def checked_url(key: str, url) -> str:
        host = _check_url(path, key, url, allow_private)
        if allow_private and is_private_host(host):
            private_hosts.add(host)
        return url

    documents = []
    raw_docs = data.get("documents") or []
    if not isinstance(raw_docs, list):
        raise _fail(path, "documents", "expected a list", "write one '- id: …' entry per document")
    for i, raw in enumerate(raw_docs):
        key = f"documents[{i}]"
        if not isinstance(raw, dict):
            raise _fail(path, key, "expected a mapping", "give id, title, url and type")
        _check_keys(path, key, raw, DOCUMENT_KEYS)
        for required in ("id", "title", "type"):
            if required not in raw:
                raise _fail(path, f"{key}.{required}", "missing", f"add '{required}:'")
        if ("url" in raw) == ("pages" in raw):
            raise _fail(
                path,
                f"{key}.url",
                "give either url (one page) or pages (several)",
                "write 'url: https://…', or 'pages:' with one '- url: …' per page",
            )
        if not isinstance(raw["id"], str) or not SLUG.match(raw["id"]):
            raise _fail(
                path, f"{key}.id", f"{_shown(raw['id'])} is not a slug", "use lower-case letters, digits and '-'"
            )
        if not isinstance(raw["title"], str) or not raw["title"].strip():
            raise _fail(
                path,
                f"{key}.title",
                f"{_shown(raw['title'])} is not a title",
                "write the document's name as text (quote it if it looks like a number)",
            )
        rules = _rules(path, key, raw, default_rules)
        browser = _render(path, key, raw, default_browser)
        if "url" in raw:
            pages = (PageSource(checked_url(f"{key}.url", raw["url"]), rules, browser),)
        else:
            pages = _pages(path, f"{key}.pages", raw["pages"], rules, browser, checked_url)
        expect = _expectations(path, key, raw, default_expect)
        documents.append(
            DocumentSource(
                doc_id=f"{marketplace}/{raw['id']}",
                title=raw["title"].strip(),
                url=pages[0].url,
                marketplace=marketplace,
                doc_type=_doc_type(path, f"{key}.type", raw["type"]),
                rules=pages[0].rules if len(pages) == 1 else Rules(parts=tuple(p.rules for p in pages)),
                file=path.name,
                pages=pages,
                expect=replace(expect, browser=any(p.browser for p in pages)),
                role=_role(path, f"{key}.role", raw["role"]) if "role" in raw else None,
            )
        )
    rules = []
    raw_rules = data.get("discover") or []
    if not isinstance(raw_rules, list):
        raise _fail(path, "discover", "expected a list", "write one '- from: …' entry per hub")
    for i, raw in enumerate(raw_rules):
        key = f"discover[{i}]"
        if not isinstance(raw, dict):
            raise _fail(path, key, "expected a mapping", "give from, follow, depth and type")
        _check_keys(path, key, raw, DISCOVER_KEYS)
        if ("from" in raw) == ("sitemap" in raw):
            raise _fail(
                path,
                f"{key}.from",
                "give either from (a hub page) or sitemap (a sitemap URL)",
                "write 'from: https://…/help' or 'sitemap: https://…/sitemap.xml'",
            )
        if "follow" not in raw:
            raise _fail(path, f"{key}.follow", "missing", "add 'follow:'")
        follow = raw["follow"]
        if isinstance(follow, str):
            follow = [follow]
        if not isinstance(follow, list) or not follow:
            raise _fail(
                path,
                f"{key}.follow",
                "expected a list of URL patterns",
                "give regular expressions matching the pages to track",
            )
        for j, pattern in enumerate(follow):
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise _fail(
                    path, f"{key}.follow[{j}]", f"invalid regular expression ({exc})", "fix the pattern"
                ) from None
        depth = raw.get("depth", 1)
        if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 5:
            raise _fail(path, f"{key}.depth", f"{_shown(depth)} is not a depth from 1 to 5", "use a small whole number")
        start_key = "sitemap" if "sitemap" in raw else "from"
        browser = _render(path, key, raw, default_browser)
        rules.append(
            DiscoverRule(
                marketplace=marketplace,
                start_url=checked_url(f"{key}.{start_key}", raw[start_key]),
                follow=tuple(follow),
                depth=depth,
                doc_type=_doc_type(path, f"{key}.type", raw.get("type", "help")),
                rules=_rules(path, key, raw, default_rules),
                file=path.name,
                sitemap=start_key == "sitemap",
                browser=browser,
                keep_query=_keep_query(path, f"{key}.keep_query", raw.get("keep_query", [])),
                expect=replace(_expectations(path, key, raw, default_expect), browser=browser),
            )
        )
    if not documents and not rules:
        raise _fail(path, "documents", "no documents and no discover rules", "declare at least one document")
    return documents, rules, private_hosts, " ".join(name.split())


def _check_keys(path: Path, where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(
                path,
                f"{where}.{key}" if where != "(top)" else str(key),
                "unknown key",
                f"allowed keys here: {', '.join(sorted(allowed))}",
            )


def _keep_query(path: Path, key: str, value) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and QUERY_NAME.match(n) for n in names):
        raise _fail(
            path,
            key,
            f"{_shown(value)} is not a list of query parameter names",
            "write e.g. keep_query: [id] (letters, digits, '_', '-', '.', '~')",
        )
    if len(set(names)) != len(names):
        raise _fail(path, key, f"{_shown(value)} names a parameter twice", "name each query parameter once")
    return tuple(names)


def _doc_type(path: Path, key: str, value) -> str:
    if value not in DOC_TYPES:
        raise _fail(path, key, f"unknown document type {_shown(value)}", f"use one of: {', '.join(DOC_TYPES)}")
    return value


def _role(path: Path, key: str, value) -> str:
    if value not in ROLES:
        raise _fail(path, key, f"unknown role {_shown(value)}", f"use one of: {', '.join(ROLES)}, or leave it out")
    return value


def _pages(path: Path, key: str, raw_pages, rules: Rules, browser: bool, checked_url):
    if not isinstance(raw_pages, list) or len(raw_pages) < 2:
        raise _fail(
            path,
            key,
            "expected a list of at least two pages",
            "write one '- url: …' per page, or use url: for a single page",
        )
    pages = []
    for j, raw in enumerate(raw_pages):
        where = f"{key}[{j}]"
        if not isinstance(raw, dict) or "url" not in raw:
            raise _fail(path, where, "expected a mapping with url", "write '- url: https://…'")
        _check_keys(path, where, raw, PAGE_KEYS)
        pages.append(
            PageSource(
                checked_url(f"{where}.url", raw["url"]),
                _rules(path, where, raw, rules),
                _render(path, where, raw, browser),
            )
        )
    return tuple(pages)


def _render(path: Path, key: str, raw: dict, inherited: bool) -> bool:
    if "render" not in raw:
        return inherited
    if raw["render"] not in RENDERS:
        raise _fail(
            path,
            f"{key}.render",
            f"unknown render {_shown(raw['render'])}",
            "use 'browser' (JavaScript pages, needs Chromium) or 'http'",
        )
    return raw["render"] == "browser"


def _expectations(path: Path, key: str, raw: dict, inherited: Expectations) -> Expectations:
    """``lang`` and ``expect`` (``text``, ``min_chars``): each replaces the inherited value."""
    lang = inherited.lang
    if "lang" in raw:
        value = raw["lang"]
        lang = ANY_LANGUAGE if value == ANY_LANGUAGE else language_code(value) if isinstance(value, str) else None
        if lang is None:
            raise _fail_at(
                path,
                f"{key}.lang",
                f"unknown language {_shown(value)}",
                "give an ISO 639-1 code such as en, de or fr (a locale such as en-GB works too), "
                "or 'any' not to check the language",
            )
    texts, min_chars = inherited.texts, inherited.min_chars
    if "expect" in raw:
        expect = raw["expect"]
        where = f"{key}.expect"
        if not isinstance(expect, dict) or not expect:
            raise _fail_at(path, where, "expected a mapping", 'write e.g. {text: "…", min_chars: 2000}')
        _check_keys(path, where, expect, EXPECTATION_KEYS)
        if "text" in expect:
            value = expect["text"]
            value = [value] if isinstance(value, str) else value
            # [] is meaningful: no text, instead of the inherited ones
            if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
                raise _fail_at(
                    path,
                    f"{where}.text",
                    "expected a text, or a list of texts, the page must show",
                    'write e.g. text: "This article applies to selling in: United Kingdom"',
                )
            texts = tuple(" ".join(t.split()) for t in value)
        if "min_chars" in expect:
            value = expect["min_chars"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _fail_at(
                    path,
                    f"{where}.min_chars",
                    f"{_shown(value)} is not a whole number above 0",
                    "give the least number of characters the text has, e.g. min_chars: 2000",
                )
            min_chars = value
    return Expectations(lang=lang, texts=texts, min_chars=min_chars)


def _rules(path: Path, key: str, raw: dict, inherited: Rules) -> Rules:
    select, select_ranges = (
        _selectors(path, f"{key}.select", raw["select"])
        if "select" in raw
        else (inherited.select, inherited.select_ranges)
    )
    remove, remove_ranges = (
        _selectors(path, f"{key}.remove", raw["remove"])
        if "remove" in raw
        else (inherited.remove, inherited.remove_ranges)
    )
    return Rules(select=select, remove=remove, select_ranges=select_ranges, remove_ranges=remove_ranges)


def _selectors(path: Path, key: str, value) -> tuple[tuple[str, ...], tuple[Range, ...]]:
    """CSS selectors and ranges, in the order given."""
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):  # [] is meaningful: nothing, instead of the defaults
        raise _fail(path, key, "expected a list of CSS selectors", 'write e.g. ["main article"]')
    selectors: list[str] = []
    ranges: list[Range] = []
    for j, item in enumerate(value):
        if isinstance(item, dict):
            ranges.append(_range(path, f"{key}[{j}]", item))
        elif isinstance(item, str) and item.strip():
            selectors.append(_css(path, key, item))
        else:
            raise _fail(path, key, "expected a list of CSS selectors", 'write e.g. ["main article"]')
    return tuple(selectors), tuple(ranges)


def _range(path: Path, key: str, item: dict) -> Range:
    starts = [k for k in item if k in START_KEYS]
    ends = [k for k in item if k in END_KEYS]
    unknown = set(item) - set(START_KEYS) - set(END_KEYS)
    if unknown or len(starts) != 1 or len(ends) != 1:
        raise _fail(
            path,
            key,
            f"a range needs one of {'/'.join(START_KEYS)} and one of "
            f"{'/'.join(END_KEYS)}, got {', '.join(map(str, item)) or 'nothing'}",
            'write e.g. {start_after: "#menu", end_before: "footer"}',
        )
    return Range(
        start=_css(path, f"{key}.{starts[0]}", item[starts[0]]),
        end=_css(path, f"{key}.{ends[0]}", item[ends[0]]),
        start_included=START_KEYS[starts[0]],
        end_included=END_KEYS[ends[0]],
    )


def _css(path: Path, key: str, selector) -> str:
    problem = selector_error(selector) if isinstance(selector, str) else "not a string"
    if problem:
        raise _fail(
            path,
            key,
            f"invalid CSS selector {_shown(selector)} ({problem})",
            "fix the selector; try it with `policywatch extract PAGE --select …`",
        )
    return selector


def url_problem(url) -> tuple[str, str] | None:
    """What makes ``url`` unusable as a page's address (problem, fix), or None: an absolute
    http(s) URL with a host and, if it gives one, a port from 1 to 65535. Declarations and the
    ``--url`` options share it."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        hostname = parts.hostname if parts is not None else None
    except ValueError:  # "http://[::1": an address in brackets left open
        parts = hostname = None
    try:
        port = parts.port if parts is not None else None
    except ValueError:  # a port that is not a number
        port = -1
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        return f"{_shown(url)} is not an http(s) URL", "use an absolute http:// or https:// address"
    if port is not None and not 1 <= port <= 65535:
        given = parts.netloc.rpartition(":")[2]
        return f"port {given[:20]} is not a port from 1 to 65535", "fix the URL's port"
    return None


def _check_url(path: Path, key: str, url, allow_private: bool) -> str:
    problem = url_problem(url)
    if problem is not None:
        raise _fail(path, key, *problem)
    parts = urlsplit(url)
    if is_private_host(parts.hostname) and not allow_private:
        raise _fail(
            path,
            key,
            f"'{parts.hostname}' is a loopback or private address",
            "use a public host, or set allow_private_addresses: true for local tests",
        )
    return parts.hostname


def is_private_host(host: str) -> bool:
    """Whether ``host`` is not a public address: a ``localhost`` name, or an address that is not
    globally routable (``ipaddress``'s ``is_global``: private, loopback, link-local, shared CGNAT
    space, reserved, documentation), multicast, IPv6 site-local, or an IPv6 form that carries such
    an IPv4 address (mapped, 6to4). Numeric forms the resolver reads as an address (``127.1``,
    ``0x7f000001``, ``2130706433``, octal) are judged as that address. Any other name is judged by
    what it resolves to, at request time (``crawler.middlewares.ScopeGuard``)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _numeric_address(host)
    return address is not None and not _is_public(address)


def _numeric_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9][0-9a-fx.]*", host):
        return None
    try:  # the resolver's inet_aton: 127.1, 0x7f.1, 017700000001
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return _is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved
