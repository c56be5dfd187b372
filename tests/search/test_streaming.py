"""The index reads the store's texts only as it needs them: a sync reads those of the
documents whose timeline moved, a rebuild a batch of documents at a time; fingerprints come
from the versions' digests (``timeline_heads``), and give what the full timelines give."""

from __future__ import annotations

from kb import search as index
from kb.record.history import timeline_heads, timelines
from kb.search.units import fingerprint
from kb.store import Store
from tests.support.builders import document, record

T1, T2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


def _store(home, docs: int = 5) -> None:
    with Store(home) as store:
        for i in range(docs):
            document(store, f"acme/rule-{i}", f"Rule {i}", "acme", "policy")
            record(store, f"acme/rule-{i}", T1, f"# Rule {i}\n\n## Fees\n\nThe fee is {i} %.\n")


class CountingTexts:
    """``Store.version_texts``, noting which versions were asked for and how many at once."""

    def __init__(self, store: Store):
        self.store, self.asked, self.calls = store, [], []

    def __call__(self, ids):
        ids = list(ids)
        self.asked += ids
        self.calls.append(len(ids))
        return self.store.version_texts(ids)


def test_heads_carry_no_text_and_fingerprint_as_the_full_timelines(tmp_path):
    _store(tmp_path)
    with Store(tmp_path) as store:
        record(store, "acme/rule-1", T2, "# Rule 1\n\n## Fees\n\nThe fee is 9 %.\n", previous=2)
        heads, full = timeline_heads(store), timelines(store)
    assert all(span.version.text == "" for line in heads for span in line.versions)
    assert [fingerprint(line) for line in heads] == [fingerprint(line) for line in full]
    assert [index.units(line) for line in index.with_texts(heads, Store(tmp_path).version_texts)] == [
        index.units(line) for line in full
    ]


def test_a_sync_reads_the_texts_of_the_moved_documents_only(tmp_path):
    _store(tmp_path)
    with Store(tmp_path) as store:
        index.sync(tmp_path, timeline_heads(store), store.version_texts)  # builds the index
        new = record(store, "acme/rule-3", T2, "# Rule 3\n\n## Fees\n\nThe fee is 30 %.\n", previous=4)
        texts = CountingTexts(store)
        report = index.sync(tmp_path, timeline_heads(store), texts)
        assert report.updated == 1 and report.added == 2 and report.deleted == 1
        assert sorted(texts.asked) == sorted(v.id for v in store.versions("acme/rule-3"))
        assert new in texts.asked
        again = CountingTexts(store)
        assert index.sync(tmp_path, timeline_heads(store), again).updated == 0
        assert again.asked == []
    assert [h.doc_id for h in index.search(tmp_path, "30")] == ["acme/rule-3"]


def test_a_rebuild_reads_the_texts_a_batch_at_a_time(tmp_path, monkeypatch):
    _store(tmp_path, docs=7)
    monkeypatch.setattr(index, "TEXT_BATCH", 3)
    with Store(tmp_path) as store:
        texts = CountingTexts(store)
        report = index.rebuild(tmp_path, timeline_heads(store), texts)
    assert report.total == 7
    assert max(texts.calls) == 3  # never more than one batch of documents' versions at once
    assert len(index.search(tmp_path, "fee", limit=None)) == 7
