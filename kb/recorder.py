"""Turn pending checks into versions and changes.

For each stored response, in capture order: extract its text with the document's
declaration, compare with the version in force at that time, and record a new
version (and the change) only when the normalized text differs. Failures (bot
walls, selectors that match nothing, HTTP errors) are recorded on the check and
never become versions, so an outage never reads as a deleted policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from diffs import compare
from diffs.extract import ExtractionError, Rules, extract
from kb.models import Check, Reason
from kb.sources import Sources
from kb.store import Store

GONE_STATUSES = (404, 410)
SHRINK_LIMIT = 0.2  # a text that loses more than 80 % at once is a broken page, not a policy


@dataclass
class RecordReport:
    first_versions: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason)
    gone: list[str] = field(default_factory=list)
    changed_docs: set[str] = field(default_factory=set)  # docs whose current version moved


def rules_for(sources: Sources, doc_id: str, url: str) -> Rules | None:
    declared = sources.get(doc_id)
    if declared is not None:
        return declared.rules
    rule = sources.rule_for_url(url)
    return rule.rules if rule is not None else None


def process_pending(store: Store, sources: Sources) -> RecordReport:
    """Process every pending check; each one is its own transaction."""
    report = RecordReport()
    rederive: set[str] = set()
    for check in store.pending_checks():
        with store.transaction():
            later = store.latest_version(check.doc_id)
            if later is not None and later.captured_at > check.checked_at:
                rederive.add(check.doc_id)  # an older capture arrived late: replay the history
            _process(store, sources, check, report)
    for doc_id in sorted(rederive):
        rebuild_history(store, sources, doc_id, report)
    return report


def rebuild_history(store: Store, sources: Sources, doc_id: str, report: RecordReport) -> None:
    """Derive a document's versions and changes again from its snapshots, in capture order."""
    with store.transaction():
        store.db.execute("DELETE FROM changes WHERE doc_id=?", (doc_id,))
        store.db.execute("DELETE FROM versions WHERE doc_id=?", (doc_id,))
        for check in store.checks(doc_id):
            if check.snapshot_id is not None:
                _process(store, sources, check, report)
    report.changed_docs.add(doc_id)


def _process(store: Store, sources: Sources, check: Check, report: RecordReport) -> None:
    def fail(reason: str, outcome: str = "failed") -> None:
        store.set_outcome(check.id, outcome, reason)
        if outcome != "gone":
            report.failed.append((check.doc_id, reason))
        elif store.previous_outcome(check) != "gone":  # a removal is reported once
            report.gone.append(check.doc_id)

    status = check.http_status
    if status in GONE_STATUSES:
        return fail(f"HTTP {status}: page removed", outcome="gone")
    if status is None or not 200 <= status < 300:
        return fail(f"HTTP {status}")
    rules = rules_for(sources, check.doc_id, check.url)
    if rules is None:
        return fail("no declaration covers this document any more")
    body = store.snapshot_body(check.snapshot_id)
    try:
        extracted = extract(body, rules, url=check.url)
    except ExtractionError as exc:
        return fail(str(exc))
    previous = store.latest_version(check.doc_id, before=check.checked_at)
    text = extracted.markdown
    if previous is not None and len(text) < SHRINK_LIMIT * len(previous.text):
        shrink = 100 - round(100 * len(text) / max(1, len(previous.text)))
        return fail(f"extracted text shrank by {shrink} % at once; check the page and the selectors")
    title = extracted.title or store.document(check.doc_id).title
    if previous is None:
        store.add_version(doc_id=check.doc_id, snapshot_id=check.snapshot_id,
                          captured_at=check.checked_at, title=title, text=text)
        store.set_outcome(check.id, "first-version")
        report.first_versions.append(check.doc_id)
        report.changed_docs.add(check.doc_id)
        return
    if previous.text == text:
        store.set_outcome(check.id, "unchanged")
        report.unchanged += 1
        return
    comparison = compare(previous.text, text)
    c = comparison.classification
    version_id = store.add_version(doc_id=check.doc_id, snapshot_id=check.snapshot_id,
                                   captured_at=check.checked_at, title=title, text=text)
    store.add_change(
        doc_id=check.doc_id, from_version_id=previous.id, to_version_id=version_id,
        detected_at=check.checked_at, label=c.label, summary=c.summary,
        reasons=[Reason(r.kind, r.text) for r in c.reasons], silent=c.silent,
        ops=comparison.ops, sections=c.sections,
    )
    store.set_outcome(check.id, "new-version")
    report.new_versions.append(check.doc_id)
    report.changed_docs.add(check.doc_id)
