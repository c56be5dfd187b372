import sqlite3
import threading

import pytest

from kb.errors import RunLocked, StoreError, UnknownDocument
from kb.models import Reason
from kb.store import Store, sha256
from kb.store.lock import run_lock
from kb.timeutil import compact as compact_time
from kb.timeutil import parse_time


def make_doc(store, doc_id="shop/fees"):
    store.ensure_document(
        doc_id,
        title="Fees",
        url="https://shop.example/fees",
        marketplace="shop",
        doc_type="fees",
        origin="declared",
        seen_at="2026-01-01T00:00:00Z",
    )


def test_bodies_are_content_addressed_and_compressed(tmp_path):
    with Store(tmp_path) as store:
        make_doc(store)
        body = b"<html>" + b"same policy text " * 1000 + b"</html>"
        first, digest = store.add_snapshot(
            doc_id="shop/fees",
            url="u",
            fetched_at="2026-01-01T00:00:00Z",
            http_status=200,
            headers={"etag": "x"},
            body=body,
        )
        second, _ = store.add_snapshot(
            doc_id="shop/fees", url="u", fetched_at="2026-01-02T00:00:00Z", http_status=200, headers={}, body=body
        )
        assert digest == sha256(body)
        assert store.snapshot_body(first) == store.snapshot_body(second) == body
        blobs = store._db.execute("SELECT COUNT(*), SUM(LENGTH(data)) FROM blobs").fetchone()
        assert blobs[0] == 1 and blobs[1] < len(body) / 10


def test_versions_changes_and_document_status(tmp_path):
    with Store(tmp_path) as store:
        make_doc(store)
        s1, _ = store.add_snapshot(
            doc_id="shop/fees", url="u", fetched_at="2026-01-01T00:00:00Z", http_status=200, headers={}, body=b"a"
        )
        v1 = store.add_version(
            doc_id="shop/fees", snapshot_id=s1, captured_at="2026-01-01T00:00:00Z", title="Fees", text="Fee is $1.\n"
        )
        s2, _ = store.add_snapshot(
            doc_id="shop/fees", url="u", fetched_at="2026-02-01T00:00:00Z", http_status=200, headers={}, body=b"b"
        )
        v2 = store.add_version(
            doc_id="shop/fees", snapshot_id=s2, captured_at="2026-02-01T00:00:00Z", title="Fees", text="Fee is $2.\n"
        )
        key = store.add_change(
            doc_id="shop/fees",
            from_version_id=v1,
            to_version_id=v2,
            detected_at="2026-02-01T00:00:00Z",
            label="substantive",
            summary="Fee $1 → $2",
            reasons=[Reason("number", "$1 → $2")],
            silent=None,
            ops=[(0, "Fee is $"), (-1, "1"), (1, "2"), (0, ".\n")],
            sections=[],
        )
        assert key == "shop/fees/20260201T000000Z"
        [change] = store.changes()
        assert change.reasons == (Reason("number", "$1 → $2"),)
        assert change.ops[1] == (-1, "1")
        assert store.latest_version("shop/fees").id == v2
        assert store.latest_version("shop/fees", before="2026-01-15T00:00:00Z").id == v1
        store.add_check(
            doc_id="shop/fees",
            url="u",
            checked_at="2026-03-01T00:00:00Z",
            http_status=None,
            snapshot_id=None,
            outcome="failed",
            reason="connection refused",
        )
        doc = store.document("shop/fees")
        assert doc.status == "failing" and doc.failure == "connection refused"
        assert doc.last_changed == "2026-02-01T00:00:00Z"
        with pytest.raises(UnknownDocument):
            store.document("shop/nope")


def test_snapshots_reference_existing_blobs(tmp_path):
    with Store(tmp_path) as store:
        make_doc(store)
        with pytest.raises(sqlite3.IntegrityError):
            store._db.execute(
                "INSERT INTO snapshots (doc_id, url, fetched_at, http_status, headers, sha256, origin)"
                " VALUES ('shop/fees', 'u', 't', 200, '{}', 'missing', 'crawl')"
            )


def test_transaction_rolls_back_on_error(tmp_path):
    with Store(tmp_path) as store:
        with pytest.raises(RuntimeError):
            with store.transaction():
                make_doc(store)
                raise RuntimeError("boom")
        assert store.documents() == []


def test_unusable_home_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot make the home .* is a file, not a folder"):
        Store(blocker)


def test_second_run_on_the_same_home_is_refused_with_the_holder_named(tmp_path):
    entered = threading.Event()
    release = threading.Event()

    def hold():
        with run_lock(tmp_path, "crawl"):
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    try:
        with pytest.raises(RunLocked, match=r"policywatch crawl \(pid \d+\) is running"):
            with run_lock(tmp_path, "publish"):
                pass
    finally:
        release.set()
        holder.join()
    with run_lock(tmp_path, "publish"):  # free again once the holder is done
        pass


@pytest.mark.parametrize(
    "given, expected",
    [
        ("2025-12-04", "2025-12-04T00:00:00Z"),
        ("2025-12-04T12:30:02Z", "2025-12-04T12:30:02Z"),
        ("2025-12-04T12-30-02Z", "2025-12-04T12:30:02Z"),
        ("2025-12-04T13:30:02+01:00", "2025-12-04T12:30:02Z"),
    ],
)
def test_times_are_normalized_to_utc(given, expected):
    assert parse_time(given) == expected
    assert compact_time(expected).endswith("Z")


def test_bad_time_is_a_query_error():
    from kb.errors import QueryError

    with pytest.raises(QueryError, match="bad date 'yesterday'"):
        parse_time("yesterday")


def test_a_declared_role_is_kept_and_a_discovery_never_clears_it(tmp_path):
    with Store(tmp_path) as store:
        declared = dict(title="Upcoming", url="https://shop.example/upcoming", marketplace="shop", doc_type="changes")
        store.ensure_document(
            "shop/upcoming", **declared, origin="declared", seen_at="2026-01-01T00:00:00Z", role="announcements"
        )
        assert store.document("shop/upcoming").role == "announcements"
        store.ensure_document("shop/upcoming", **declared, origin="discovered", seen_at="2026-01-02T00:00:00Z")
        assert store.document("shop/upcoming").role == "announcements"
        store.ensure_document("shop/upcoming", **declared, origin="declared", seen_at="2026-01-03T00:00:00Z")
        assert store.document("shop/upcoming").role is None  # the declaration dropped it
        make_doc(store)
        assert store.document("shop/fees").role is None


def test_marketplace_names_are_kept_renamed_and_published(tmp_path):
    with Store(tmp_path) as store:
        assert store.marketplace_names() == {}
        store.name_marketplaces([("shop", "Shop"), ("mall", "Mall (US)")])
        store.name_marketplaces([("shop", "Shop Central")])  # a declaration renamed it
        assert store.marketplace_names() == {"shop": "Shop Central", "mall": "Mall (US)"}
        assert store.publish_input().marketplace_names == {"shop": "Shop Central", "mall": "Mall (US)"}
    db = sqlite3.connect(tmp_path / Store.FILE)
    db.execute("DROP TABLE marketplaces")  # a store written before names were kept
    db.commit()
    db.close()
    with Store.open_read_only(tmp_path) as old:
        assert old.marketplace_names() == {} and list(old.rows("marketplaces")) == []
