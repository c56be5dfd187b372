"""``policywatch verify --deep``: is each version's text what its snapshot yields?

The chain (``kb.store.chain``) shows that nothing was rewritten after it was digested; it
cannot show that a text was derived from its snapshot in the first place (a forged export
whose text, sha256 and digests were all recomputed). Extraction is pure, so a version made by
the current extractor is re-extracted under the current declarations and compared. Versions of
an older extractor are counted, not judged (``reextract`` upgrades them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diffs import EXTRACTOR_VERSION
from diffs.extract import charset_of, extract, read_text_version
from diffs.responses import is_text_version
from kb.errors import ExtractionError, StoreError
from kb.sources import Sources
from kb.store import Store


@dataclass
class DeepReport:
    checked: int = 0
    older_extractor: int = 0  # made by another extractor version: not comparable
    undeclared: int = 0  # no declaration covers its document any more
    problems: list[str] = field(default_factory=list)


def rederive(store: Store, sources: Sources) -> DeepReport:
    """Re-extract every version of the current extractor from its snapshot; a different text is a problem."""
    report = DeepReport()
    requested = {c.snapshot_id: c.url for c in store.checks() if c.snapshot_id is not None}
    for version in store.versions():
        if store.version_extractor(version.id) != EXTRACTOR_VERSION:
            report.older_extractor += 1
            continue
        where = f"deep: version {version.id} ({version.doc_id}, {version.captured_at})"
        try:
            snapshot = store.snapshot(version.snapshot_id)
            body = store.snapshot_body(version.snapshot_id)
        except StoreError as err:
            report.problems.append(f"{where}: {err}")
            continue
        if is_text_version(snapshot.headers):
            text = read_text_version(body, url=snapshot.url).markdown
        else:
            rules = sources.rules_for(version.doc_id, requested.get(version.snapshot_id, snapshot.url))
            if rules is None:
                report.undeclared += 1
                continue
            try:
                text = extract(body, rules, url=snapshot.url, encoding=charset_of(snapshot.headers)).markdown
            except ExtractionError as err:
                report.problems.append(f"{where}: its snapshot {snapshot.sha256[:12]} no longer extracts ({err})")
                continue
        report.checked += 1
        if text != version.text:
            report.problems.append(
                f"{where}: its text is not what its snapshot {snapshot.sha256[:12]} yields under the "
                "current declarations; the text was rewritten, or the declaration changed (`reextract` tells which)"
            )
    return report
