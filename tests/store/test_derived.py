"""Values derived from texts, kept beside the store (kb.store.derived), and the publish input
that reads texts one at a time (Store.publish_input(texts=False))."""

from __future__ import annotations

from dataclasses import replace

from kb.store import Store
from kb.store.derived import FILE, Derived


def test_values_are_read_back_only_under_the_code_they_were_kept_with(tmp_path):
    derived = Derived(tmp_path)
    derived.put("rules", "code-1", {"a" * 64: "[1]", "b" * 64: "[2]"})
    assert derived.get("rules", "code-1", ["a" * 64, "b" * 64, "c" * 64]) == {"a" * 64: "[1]", "b" * 64: "[2]"}
    assert derived.get("rules", "code-2", ["a" * 64]) == {}  # another code: stale, computed again
    assert derived.get("other", "code-1", ["a" * 64]) == {}
    derived.put("rules", "code-2", {"a" * 64: "[3]"})  # replaces what the old code left
    derived.close()
    again = Derived(tmp_path)
    assert again.get("rules", "code-2", ["a" * 64]) == {"a" * 64: "[3]"}
    assert again.get("rules", "code-1", ["a" * 64, "b" * 64]) == {"b" * 64: "[2]"}
    again.close()


def test_many_keys_are_read_in_batches(tmp_path):
    derived = Derived(tmp_path)
    values = {f"{n:064x}": str(n) for n in range(2_345)}
    derived.put("rules", "c", values)
    assert derived.get("rules", "c", values) == values
    derived.close()


def test_a_file_that_is_no_database_is_started_afresh(tmp_path):
    (tmp_path / FILE).write_bytes(b"not a database at all, " * 100)
    derived = Derived(tmp_path)
    assert derived.get("rules", "c", ["x"]) == {}
    derived.put("rules", "c", {"x": "1"})
    assert derived.get("rules", "c", ["x"]) == {"x": "1"}
    derived.close()


def _store_with_two_versions(home):
    store = Store(home)
    store.ensure_document(
        "shop/fees",
        title="Fees",
        url="u",
        marketplace="shop",
        doc_type="policy",
        origin="declared",
        seen_at="2026-01-01T00:00:00Z",
    )
    for n, (at, text) in enumerate(
        (("2026-01-01T00:00:00Z", "Fee is $1.\n"), ("2026-02-01T00:00:00Z", "Fee is $2.\n"))
    ):
        snapshot, _ = store.add_snapshot(
            doc_id="shop/fees", url="u", fetched_at=at, http_status=200, headers={}, body=f"{n}".encode()
        )
        store.add_version(doc_id="shop/fees", snapshot_id=snapshot, captured_at=at, title="Fees", text=text)
    return store


def test_publish_input_without_texts_reads_them_from_the_store_one_at_a_time(tmp_path):
    with _store_with_two_versions(tmp_path) as store:
        whole = store.publish_input()
        lazy = store.publish_input(texts=False)
        assert whole.texts is None and whole.derived is None
        assert all(v.text is None for v in (*lazy.versions.values(), *lazy.current.values()))
        assert {k: replace(v, text=lazy.text(v)) for k, v in lazy.versions.items()} == whole.versions
        assert lazy.current["shop/fees"].id == whole.current["shop/fees"].id
        assert replace(lazy, versions={}, current={}, texts=None, derived=None) == replace(
            whole, versions={}, current={}
        )
        assert isinstance(lazy.derived, Derived) and lazy.derived.path == tmp_path / FILE
