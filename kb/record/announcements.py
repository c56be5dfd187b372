"""Announcements over the store: the entries of every page declared ``role: announcements``,
over all its versions, linked to the recorded changes (``diffs.announcements`` does the work).

"Now", for an announcement whose date has passed, is the newest check in the store (the
publish's ``generated_at``): an announcement is *announced, not seen* only when the crawls
went past its date without seeing it carried out, and a store read months later says the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from diffs.announcements import ROLE, Linkage, linkage
from kb.models import Change
from kb.store import Store


def announcements(store: Store, changes: Sequence[Change] | None = None) -> Linkage:
    """The linkage for ``changes`` (default: every recorded change)."""
    documents = store.documents()
    versions = [v for d in documents if d.role == ROLE for v in store.versions(d.doc_id)]
    return linkage(documents, versions, store.changes() if changes is None else changes, store.newest_check_time())
