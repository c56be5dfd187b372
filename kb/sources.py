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
    documents:
      - id: business-solutions-agreement
        title: Business Solutions Agreement
        url: https://sellercentral.amazon.com/help/hub/reference/external/G1791
        type: agreement
    discover:
      - from: https://example.com/help
        follow: ["^https://example\\.com/help/[a-z-]+$"]
        depth: 1
        type: help

A document's id is ``<marketplace>/<id>``; it never changes when the URL does.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from diffs.extract import Rules, selector_error
from kb.errors import DeclarationError

DOC_TYPES = (
    "agreement", "code-of-conduct", "metrics", "prohibited", "fees", "returns",
    "shipping", "communication", "ip", "help", "policy", "changes",
)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

TOP_KEYS = {"marketplace", "name", "allow_private_addresses", "defaults", "documents", "discover"}
RULE_KEYS = {"select", "remove"}
DOCUMENT_KEYS = {"id", "title", "url", "type"} | RULE_KEYS
DISCOVER_KEYS = {"from", "follow", "depth", "type"} | RULE_KEYS


@dataclass(frozen=True)
class DocumentSource:
    doc_id: str
    title: str
    url: str
    marketplace: str
    doc_type: str
    rules: Rules
    file: str


@dataclass(frozen=True)
class DiscoverRule:
    marketplace: str
    start_url: str
    follow: tuple[str, ...]  # regexes matched against absolute URLs without query or fragment
    depth: int
    doc_type: str
    rules: Rules
    file: str

    def matches(self, url: str) -> bool:
        return any(re.search(pattern, url) for pattern in self.follow)


@dataclass(frozen=True)
class Sources:
    documents: tuple[DocumentSource, ...]
    discover: tuple[DiscoverRule, ...]
    files: tuple[str, ...]
    private_hosts: frozenset[str]  # hosts a declaration explicitly allowed although private

    def get(self, doc_id: str) -> DocumentSource | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)

    def rule_for_url(self, url: str) -> DiscoverRule | None:
        return next((r for r in self.discover if r.matches(canonical_url(url))), None)

    def allowed_hosts(self) -> frozenset[str]:
        hosts = {urlsplit(d.url).hostname for d in self.documents}
        hosts |= {urlsplit(r.start_url).hostname for r in self.discover}
        return frozenset(h for h in hosts if h)


def canonical_url(url: str) -> str:
    """A discovered page's identity: scheme, host and path (query and fragment dropped)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", "", ""))


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
    return Path(__file__).resolve().parent.parent / "sources"


def load_sources(directory: Path, *, substitutions: dict[str, str] | None = None) -> Sources:
    directory = Path(directory)
    if not directory.is_dir():
        raise DeclarationError(
            f"{directory}: no such sources folder",
            hint="pass --sources DIR with a folder of *.yaml declarations",
        )
    files = sorted(list(directory.glob("*.yaml")) + list(directory.glob("*.yml")))
    if not files:
        raise DeclarationError(
            f"{directory}: no *.yaml declarations found", hint="add one file per marketplace"
        )
    documents: list[DocumentSource] = []
    discover: list[DiscoverRule] = []
    private_hosts: set[str] = set()
    seen_ids: dict[str, str] = {}
    seen_marketplaces: dict[str, str] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for key, value in (substitutions or {}).items():
            text = text.replace("{" + key + "}", value)
        docs, rules, private = _load_file(path, text)
        marketplace = docs[0].marketplace if docs else (rules[0].marketplace if rules else None)
        if marketplace in seen_marketplaces:
            raise DeclarationError(
                f"{path.name}: marketplace: '{marketplace}' is also declared in "
                f"{seen_marketplaces[marketplace]}; use one file per marketplace"
            )
        if marketplace:
            seen_marketplaces[marketplace] = path.name
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
    return Sources(tuple(documents), tuple(discover), tuple(p.name for p in files),
                   frozenset(private_hosts))


def _fail(path: Path, key: str, problem: str, fix: str) -> DeclarationError:
    return DeclarationError(f"{path.name}: {key}: {problem}; {fix}")


def _load_file(path: Path, text: str):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise _fail(path, where, "invalid YAML", "check indentation and quoting") from None
    if not isinstance(data, dict):
        raise _fail(path, "(top)", "expected a mapping of keys", "see sources/README.md")
    _check_keys(path, "(top)", data, TOP_KEYS)
    for required in ("marketplace", "name"):
        if required not in data:
            raise _fail(path, required, "missing", f"add '{required}:'")
    marketplace = data["marketplace"]
    if not isinstance(marketplace, str) or not SLUG.match(marketplace):
        raise _fail(path, "marketplace", f"'{marketplace}' is not a slug",
                    "use lower-case letters, digits and '-'")
    allow_private = data.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        raise _fail(path, "allow_private_addresses", "must be true or false", "write true or false")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise _fail(path, "defaults", "expected a mapping", "give select/remove lists")
    _check_keys(path, "defaults", defaults, RULE_KEYS)
    default_rules = _rules(path, "defaults", defaults, Rules())
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
        for required in ("id", "title", "url", "type"):
            if required not in raw:
                raise _fail(path, f"{key}.{required}", "missing", f"add '{required}:'")
        if not isinstance(raw["id"], str) or not SLUG.match(raw["id"]):
            raise _fail(path, f"{key}.id", f"'{raw['id']}' is not a slug",
                        "use lower-case letters, digits and '-'")
        documents.append(DocumentSource(
            doc_id=f"{marketplace}/{raw['id']}",
            title=str(raw["title"]),
            url=checked_url(f"{key}.url", raw["url"]),
            marketplace=marketplace,
            doc_type=_doc_type(path, f"{key}.type", raw["type"]),
            rules=_rules(path, key, raw, default_rules),
            file=path.name,
        ))
    rules = []
    raw_rules = data.get("discover") or []
    if not isinstance(raw_rules, list):
        raise _fail(path, "discover", "expected a list", "write one '- from: …' entry per hub")
    for i, raw in enumerate(raw_rules):
        key = f"discover[{i}]"
        if not isinstance(raw, dict):
            raise _fail(path, key, "expected a mapping", "give from, follow, depth and type")
        _check_keys(path, key, raw, DISCOVER_KEYS)
        for required in ("from", "follow"):
            if required not in raw:
                raise _fail(path, f"{key}.{required}", "missing", f"add '{required}:'")
        follow = raw["follow"]
        if isinstance(follow, str):
            follow = [follow]
        if not isinstance(follow, list) or not follow:
            raise _fail(path, f"{key}.follow", "expected a list of URL patterns",
                        "give regular expressions matching the pages to track")
        for j, pattern in enumerate(follow):
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise _fail(path, f"{key}.follow[{j}]", f"invalid regular expression ({exc})",
                            "fix the pattern") from None
        depth = raw.get("depth", 1)
        if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 5:
            raise _fail(path, f"{key}.depth", f"'{depth}' is not a depth from 1 to 5",
                        "use a small whole number")
        rules.append(DiscoverRule(
            marketplace=marketplace,
            start_url=checked_url(f"{key}.from", raw["from"]),
            follow=tuple(follow),
            depth=depth,
            doc_type=_doc_type(path, f"{key}.type", raw.get("type", "help")),
            rules=_rules(path, key, raw, default_rules),
            file=path.name,
        ))
    if not documents and not rules:
        raise _fail(path, "documents", "no documents and no discover rules",
                    "declare at least one document")
    return documents, rules, private_hosts


def _check_keys(path: Path, where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(path, f"{where}.{key}" if where != "(top)" else str(key), "unknown key",
                        f"allowed keys here: {', '.join(sorted(allowed))}")


def _doc_type(path: Path, key: str, value) -> str:
    if value not in DOC_TYPES:
        raise _fail(path, key, f"unknown document type '{value}'",
                    f"use one of: {', '.join(DOC_TYPES)}")
    return value


def _rules(path: Path, key: str, raw: dict, inherited: Rules) -> Rules:
    select = _selectors(path, f"{key}.select", raw["select"]) if "select" in raw else inherited.select
    remove = _selectors(path, f"{key}.remove", raw["remove"]) if "remove" in raw else inherited.remove
    return Rules(select=select, remove=remove)


def _selectors(path: Path, key: str, value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, key, "expected a list of CSS selectors", "write e.g. [\"main article\"]")
    for selector in value:
        problem = selector_error(selector)
        if problem:
            raise _fail(path, key, f"invalid CSS selector '{selector}' ({problem})",
                        "fix the selector; try it with `policywatch extract PAGE --select …`")
    return tuple(value)


def _check_url(path: Path, key: str, url, allow_private: bool) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(path, key, f"'{url}' is not an http(s) URL",
                    "use an absolute http:// or https:// address")
    if is_private_host(parts.hostname) and not allow_private:
        raise _fail(path, key, f"'{parts.hostname}' is a loopback or private address",
                    "use a public host, or set allow_private_addresses: true for local tests")
    return parts.hostname


def is_private_host(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
