"""What one crawl fetches: the declared documents, the known discovered ones, and the hubs.

A plan is plain data (it crosses into the crawl's child process): for each document,
its page(s), whether a browser must render them and what to wait for, and the
validators (ETag, Last-Modified) of its last good response for a conditional request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from diffs.extract import Rules, rules_key
from kb.errors import UnknownDocument, UsageError
from kb.sources import DiscoverRule, Sources, open_sources
from kb.store import Store, resolve_home
from kb.timeutil import utc_now


@dataclass(frozen=True)
class Page:
    url: str
    browser: bool = False
    wait_for: tuple[str, ...] = ()  # selectors a browser waits to see filled with text
    wait_present: tuple[str, ...] = ()  # … and to see at all (range boundaries)


@dataclass(frozen=True)
class Target:
    doc_id: str
    url: str
    pages: tuple[Page, ...] = ()  # empty: the one page at ``url``; several: a combined document
    discovered: bool = False  # found by an earlier crawl: fetched through its hub, or at the end
    etag: str | None = None
    last_modified: str | None = None

    @property
    def fetches(self) -> tuple[Page, ...]:
        return self.pages or (Page(self.url),)

    @property
    def browser(self) -> bool:
        return any(page.browser for page in self.fetches)

    @property
    def combined(self) -> bool:
        return len(self.fetches) > 1


@dataclass(frozen=True)
class Unchanged:
    """How to recognise, in the crawl itself, a response that holds the current version:
    the same body bytes, or the same ``diffs.extract.fingerprint`` under these rules."""

    rules: Rules
    body_sha256: str | None
    fingerprint: str


@dataclass
class CrawlPlan:
    targets: list[Target]
    hubs: list[DiscoverRule]
    known: dict[str, str] = field(default_factory=dict)  # canonical URL -> doc_id
    allowed_hosts: frozenset[str] = frozenset()
    private_hosts: frozenset[str] = frozenset()
    # Why pages that need a browser cannot be rendered in this crawl (None: they can).
    browser_unavailable: str | None = None
    unchanged: dict[str, Unchanged] = field(default_factory=dict)  # doc_id -> fast path
    # The hosts this part of a sharded crawl may fetch from (None: any allowed host): a page a
    # hub finds on another host is registered, and fetched by the next crawl, in its host's part.
    hosts: frozenset[str] | None = None

    def fetches_from(self, url: str) -> bool:
        return self.hosts is None or (urlsplit(url).hostname or "") in self.hosts

    def with_unchanged(self, sources: Sources, evidence: dict[str, tuple[str, str]]) -> CrawlPlan:
        """Add the fast path for documents whose latest good check left a fingerprint made
        under today's rules (a rule or code change makes them go through extraction again)."""
        for target in self.targets:
            if target.combined or target.doc_id not in evidence:
                continue
            rules = sources.rules_for(target.doc_id, target.url)
            body_sha256, fingerprint = evidence[target.doc_id]
            if rules is not None and fingerprint.split(":", 1)[0] == rules_key(rules):
                self.unchanged[target.doc_id] = Unchanged(rules, body_sha256, fingerprint)
        return self

    @classmethod
    def from_sources(
        cls,
        sources: Sources,
        discovered: list[tuple[str, str]] = (),
        validators: dict[tuple[str, str], tuple[str | None, str | None]] | None = None,
    ) -> CrawlPlan:
        """``discovered``: (doc_id, url) pairs found by earlier crawls, still checked each time;
        ``validators``: (doc_id, url) -> (ETag, Last-Modified) of the last good response."""
        validators = validators or {}
        targets = []
        for doc in sources.documents:
            pages = tuple(
                Page(p.url, p.browser, *wait_selectors(p.rules)) if p.browser else Page(p.url) for p in doc.pages
            )
            targets.append(_with_validators(Target(doc.doc_id, doc.url, pages), validators))
        for doc_id, url in discovered:
            if sources.get(doc_id) is not None:
                continue
            rule = sources.rule_for_url(url)
            browser = bool(rule and rule.browser)
            page = Page(url, True, *wait_selectors(rule.rules)) if browser else Page(url)
            targets.append(_with_validators(Target(doc_id, url, (page,), discovered=True), validators))
        known = {sources.identity(t.url): t.doc_id for t in targets}
        return cls(
            targets=targets,
            hubs=list(sources.discover),
            known=known,
            allowed_hosts=sources.allowed_hosts(),
            private_hosts=sources.private_hosts,
        )

    def only(self, marketplaces: Sequence[str] = (), doc_ids: Sequence[str] = ()) -> CrawlPlan:
        """Part of the plan: the documents of ``marketplaces`` (with their hubs, which may find
        new ones) and the documents ``doc_ids``. Nothing given: the whole plan. A name the
        plan does not know is an error that lists what it knows."""
        if not marketplaces and not doc_ids:
            return self
        known_markets = sorted({_marketplace(t.doc_id) for t in self.targets} | {h.marketplace for h in self.hubs})
        unknown = [m for m in marketplaces if m not in known_markets]
        if unknown:
            raise UsageError(
                f"no marketplace {unknown[0]!r} in these sources", hint=f"marketplaces: {', '.join(known_markets)}"
            )
        planned = {t.doc_id for t in self.targets}
        missing = [d for d in doc_ids if d not in planned]
        if missing:
            raise UnknownDocument(
                f"unknown document {missing[0]!r}",
                hint="list declared documents with `policywatch sources list`, discovered ones with `policywatch status`",
            )
        wanted = set(doc_ids)
        targets = [t for t in self.targets if t.doc_id in wanted or _marketplace(t.doc_id) in marketplaces]
        hubs = [h for h in self.hubs if h.marketplace in marketplaces]
        # ``known`` stays whole: a hub that links to a document left out must not take it for a new one.
        return replace(self, targets=targets, hubs=hubs, unchanged=dict(self.unchanged))

    def shards(self, count: int, *, split_hosts: bool = False) -> list[CrawlPlan]:
        """This plan in at most ``count`` parts, one crawl child each, so that politeness stays
        per host: a host's documents, the hubs that may find pages on it and the pages they
        found before are in one part, which fetches from its own hosts only (``hosts``).

        ``split_hosts``: the crawl's settings let a host take several requests at once and wait
        for none (loopback runs): then the declared documents are dealt out whatever their host,
        and the caller divides the per-host concurrency between the parts; the hubs, the pages
        they found and the pages a browser renders stay in the first part."""
        if count <= 1 or len(self.targets) < 2:
            return [self]
        if split_hosts:
            parts: list[list[Target]] = [[] for _ in range(count)]
            dealt = []
            for target in self.targets:
                (parts[0] if target.discovered or target.browser else dealt).append(target)
            for target in dealt:
                min(parts, key=len).append(target)
            return [
                self._part(targets, self.hubs if i == 0 else [], None)
                for i, targets in enumerate(parts)
                if targets or i == 0
            ]
        groups = _host_groups(self)
        loads: list[tuple[int, set[str]]] = [(0, set()) for _ in range(count)]
        for group, weight in sorted(groups.items(), key=lambda g: (-g[1], sorted(g[0]))):
            slot = min(range(count), key=lambda i: loads[i][0])
            loads[slot] = (loads[slot][0] + weight, loads[slot][1] | group)
        plans = []
        for _, hosts in loads:
            if not hosts:
                continue
            targets = [t for t in self.targets if _hosts_of(t) <= hosts]
            hubs = [h for h in self.hubs if (urlsplit(h.start_url).hostname or "") in hosts]
            plans.append(self._part(targets, hubs, frozenset(hosts)))
        return plans

    def _part(self, targets: list[Target], hubs: list[DiscoverRule], hosts: frozenset[str] | None) -> CrawlPlan:
        ids = {t.doc_id for t in targets}
        unchanged = {doc_id: u for doc_id, u in self.unchanged.items() if doc_id in ids}
        return replace(self, targets=targets, hubs=hubs, unchanged=unchanged, known=dict(self.known), hosts=hosts)

    def needs_browser(self) -> bool:
        return any(t.browser for t in self.targets) or any(h.browser for h in self.hubs)

    def browser_targets(self) -> list[Target]:
        return [t for t in self.targets if t.browser]


def _hosts_of(target: Target) -> set[str]:
    return {urlsplit(page.url).hostname or "" for page in target.fetches}


def _host_groups(plan: CrawlPlan) -> dict[frozenset[str], int]:
    """The plan's hosts in groups that one crawl child must fetch together, with the number of
    documents of each: a combined document's hosts, and a hub's host with the hosts of its
    marketplace's documents and any allowed host its ``follow`` patterns name."""
    parent: dict[str, str] = {}

    def root(host: str) -> str:
        parent.setdefault(host, host)
        while parent[host] != host:
            parent[host] = parent[parent[host]]
            host = parent[host]
        return host

    def join(hosts) -> None:
        hosts = [root(host) for host in hosts]
        for host in hosts[1:]:
            parent[root(host)] = root(hosts[0])

    for target in plan.targets:
        join(_hosts_of(target))
    for hub in plan.hubs:
        named = {h for h in plan.allowed_hosts if any(re.escape(h) in p or h in p for p in hub.follow)}
        market = {h for t in plan.targets if _marketplace(t.doc_id) == hub.marketplace for h in _hosts_of(t)}
        join([urlsplit(hub.start_url).hostname or "", *sorted(named | market)])
    groups: dict[str, set[str]] = {}
    for host in list(parent):
        groups.setdefault(root(host), set()).add(host)
    weights = {frozenset(g): 0 for g in groups.values()}
    for target in plan.targets:
        group = next(g for g in weights if _hosts_of(target) <= g)
        weights[group] += 1
    for hub in plan.hubs:
        group = next(g for g in weights if (urlsplit(hub.start_url).hostname or "") in g)
        weights[group] += 1
    return weights


def _marketplace(doc_id: str) -> str:
    return doc_id.partition("/")[0]  # ids are <marketplace>/<document>


def wait_selectors(rules: Rules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a rendered page must show before it is taken: text in the declaration's
    selectors, and its range boundaries."""
    return rules.select, tuple(s for r in rules.select_ranges for s in (r.start, r.end))


def _with_validators(target: Target, validators: dict) -> Target:
    if target.combined:  # a combined document is fetched whole: one snapshot of all its pages
        return target
    etag, last_modified = validators.get((target.doc_id, target.url), (None, None))
    return replace(target, etag=etag, last_modified=last_modified)


# A 304 says "unchanged" on the server's word: a CDN that answers 304 to any If-None-Match, or a
# stale Last-Modified, would hide every later change. After this many 304s in a row for a
# document, its next request carries no validators, so a full response confirms them.
TRUSTED_NOT_MODIFIED = 3


def plan_from_store(
    store: Store, sources: Sources, now: str, marketplaces: Sequence[str] = (), doc_ids: Sequence[str] = ()
) -> CrawlPlan:
    """Plan (declared and discovered documents, the validators of their last good responses,
    the fast path for unchanged pages; only ``marketplaces`` and ``doc_ids`` if given), then
    register the declared documents: a mistyped name is refused before anything is written."""
    streaks = store.not_modified_streaks()
    validators = {key: v for key, v in store.validators().items() if streaks.get(key, 0) < TRUSTED_NOT_MODIFIED}
    plan = CrawlPlan.from_sources(sources, store.discovered_documents(), validators)
    plan = plan.with_unchanged(sources, store.unchanged_evidence()).only(marketplaces, doc_ids)
    with store.transaction():
        for doc in sources.documents:
            store.ensure_document(
                doc.doc_id,
                title=doc.title,
                url=doc.url,
                marketplace=doc.marketplace,
                doc_type=doc.doc_type,
                origin="declared",
                seen_at=now,
                role=doc.role,
            )
    return plan


def plan_crawl(home, sources_dir) -> CrawlPlan:
    """The plan for ``scrapy crawl policy -a home=… -a sources=…`` (``policywatch crawl`` plans
    the same way; only it installs the browser, so here browser pages are reported instead)."""
    sources = open_sources(sources_dir)
    with Store(resolve_home(home)) as store:
        plan = plan_from_store(store, sources, utc_now())
    plan.browser_unavailable = "only `policywatch crawl` starts the browser"
    return plan
