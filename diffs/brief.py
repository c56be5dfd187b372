"""What a change says to scripts and people: one JSON shape for every change (pure).

``change_json`` is the only place that turns a change into plain data. ``changes --json``, the
feeds and ``compare --json`` all use it (``compare`` adds what only a comparison of two files
knows: the diff, its statistics and the stated dates); ``docs/changes.md`` documents the keys.
Keys are an interface: new ones are added, existing ones are never renamed.
"""

from __future__ import annotations

from diffs.announcements import Linkage, change_keys
from diffs.briefing import brief
from diffs.severity import severity, what_to_do
from diffs.taxonomy import label_of
from kb.models import Change, Document, SectionChange


def change_json(
    change: Change,
    document: Document | None = None,
    marketplace_name: str | None = None,
    announcements: Linkage | None = None,
) -> dict:
    """A change as plain data; ``document`` adds its title and URL, ``marketplace_name`` the
    marketplace's declared name (default: its id), ``announcements`` the announcement it
    carries out (``diffs.announcements``; without it: unknown). ``brief`` is the change's brief
    (``diffs.briefing``); ``headline``, ``marketplace``, ``source`` and ``actions`` repeat its
    main fields at the top, for scripts that read one level."""
    said = brief(change, document, marketplace_name)
    return {
        "key": change.key or None,  # None: a comparison of two files, not a recorded change
        "doc_id": change.doc_id or None,
        "title": document.title if document else (change.doc_id or None),
        "url": document.url if document else None,
        "detected_at": change.detected_at,
        "class": change.label,
        "summary": change.summary,
        "reasons": [{"kind": r.kind, "text": r.text, "section": r.section} for r in change.reasons],
        "silent": change.silent,
        "sections": list(change.sections),
        "section_changes": list(change.section_changes),
        "section_details": [_section(s) for s in section_details(change)],
        "tags": list(change.tags),
        "tag_labels": [label_of(t) for t in change.tags],
        "effective_date": change.effective_date,
        "notice_days": change.notice_days,
        "severity": severity(change),
        "what_to_do": what_to_do(change),
        "technical": change.technical,
        "flap": change.flap,
        "returns_to": None
        if change.returns_to is None
        else {"version_id": change.returns_to, "captured_at": change.returns_to_at},
        **change_keys(change, announcements),
        "event": str(change.event),  # edited, or the page itself: added, removed, moved, restored
        "source": said.source,
        "marketplace": said.marketplace,
        "headline": said.headline,
        "actions": list(said.actions),
        "brief": said.as_json(),
    }


def section_details(change: Change) -> tuple[SectionChange, ...]:
    """The sections a change touched, with their ids (a store made before ids were recorded
    gives the labels only, and ids are empty)."""
    if change.section_details:
        return change.section_details
    found = []
    for text in change.section_changes:
        label, _, changes = text.rpartition(": ")
        found.append(SectionChange("", "" if label == "Top of the page" else label, changes))
    return tuple(found)


def _section(section: SectionChange) -> dict:
    return {"id": section.id, "label": section.label, "changes": section.changes, "text": section.text}
