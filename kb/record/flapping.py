"""Flaps in the record stage: the rule (``diffs.flapping``) applied to a new text, and what the
store keeps of a flap.

A flap keeps all its evidence: the snapshot and its check (outcome ``flap``), a version (so
``show --as-of`` still says what the page read), and a change marked ``flap`` with the version
it returns to and the passages it switched. Being a flap, it is never reported: ``changes``,
the site and the feeds leave it out, and ``status`` names the passages that keep flapping.
A reversion is reported as a change whose summary names the version it returns to.
"""

from __future__ import annotations

from diffs.diff import Op, diff_texts
from diffs.flapping import (
    WINDOW_VERSIONS,
    Earlier,
    FlappingPassage,
    Verdict,
    flap_summary,
    flapping_passages,
    judge,
    passage_text,
    text_sha256,
)
from kb.models import Change, Reason, Version
from kb.store import Store


def judge_text(store: Store, doc_id: str, text: str, at: str, current: Version) -> Verdict:
    """Is ``text``, captured at ``at`` and different from ``current`` (the version in force), a
    change, a flap or a reversion? Reads the digests of every earlier version, and the texts of
    the last few only when no earlier version has this very text."""
    digests = store.version_digests(doc_id, at)
    texts = {current.id: current.text}
    if text_sha256(text) not in {digest for _, _, digest in digests}:  # the passages are compared
        texts = {v.id: v.text for v in store.recent_versions(doc_id, at, WINDOW_VERSIONS)}
    earlier = [Earlier(i, captured_at, digest, texts.get(i)) for i, captured_at, digest in digests]
    return judge(earlier, text, at)


def record_flap(
    store: Store, doc_id: str, previous: Version, version_id: int, text: str, verdict: Verdict, *, detected_at: str
) -> None:
    """The change row of a flap: the version it returns to and the passages it switched. No
    classification and no stored diff: a flap is never reported, and its diff, the whole text
    twice for a page that flaps hundreds of times, is made again from its versions when asked
    for (``flap_ops``)."""
    store.add_change(
        doc_id=doc_id,
        from_version_id=previous.id,
        to_version_id=version_id,
        detected_at=detected_at,
        label="noise",
        summary=flap_summary(verdict),
        reasons=[Reason("flap", passage_text(p)) for p in verdict.passages],
        silent=None,
        ops=(),
        sections=(),
        flap=True,
        returns_to=verdict.returns_to.id if verdict.returns_to else None,
        flapping=verdict.passages,
    )


def flap_ops(store: Store, change: Change) -> list[Op]:
    """A change's diff; a flap's is made from its two versions."""
    if not change.flap or change.ops:
        return list(change.ops)
    texts = {v.id: v.text for v in store.versions(change.doc_id)}
    return diff_texts(texts[change.from_version_id], texts[change.to_version_id])


def flapping(store: Store) -> dict[str, list[FlappingPassage]]:
    """doc_id → the passages that flapped in it (``diffs.flapping.flapping_passages``)."""
    by_doc: dict[str, list] = {}
    for doc_id, detected_at, passages in store.flaps():
        by_doc.setdefault(doc_id, []).append((detected_at, passages))
    last_check = {d.doc_id: d.last_good_check for d in store.documents()}
    found = {doc_id: flapping_passages(flaps, last_check.get(doc_id)) for doc_id, flaps in by_doc.items()}
    return {doc_id: passages for doc_id, passages in found.items() if passages}
