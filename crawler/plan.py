"""What one crawl fetches: the declared documents, the known discovered ones, and the hubs."""
from __future__ import annotations

from dataclasses import dataclass, field

from kb.sources import DiscoverRule, Sources, canonical_url


@dataclass(frozen=True)
class Target:
    doc_id: str
    url: str


@dataclass
class CrawlPlan:
    targets: list[Target]
    hubs: list[DiscoverRule]
    known: dict[str, str] = field(default_factory=dict)  # canonical URL -> doc_id
    allowed_hosts: frozenset[str] = frozenset()
    private_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_sources(cls, sources: Sources, discovered: list[tuple[str, str]] = ()) -> CrawlPlan:
        """``discovered``: (doc_id, url) pairs found by earlier crawls, still checked each time."""
        targets = [Target(d.doc_id, d.url) for d in sources.documents]
        targets += [Target(doc_id, url) for doc_id, url in discovered
                    if sources.get(doc_id) is None]
        known = {canonical_url(t.url): t.doc_id for t in targets}
        return cls(targets=targets, hubs=list(sources.discover), known=known,
                   allowed_hosts=sources.allowed_hosts(), private_hosts=sources.private_hosts)
