"""Recording in worker processes (issue 18): the pure part of each check (``diffs.reading``)
is computed outside the write transaction, in parallel across documents, and the store ends
exactly as the serial recorder leaves it, with a pool, with a worker that died and with a pool
that cannot start."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

import kb.record
import kb.workers
from diffs.reading import Response
from kb.models import Outcome
from kb.record import RecordReport, process_pending
from kb.record.work import RecordPool
from kb.sources import open_sources
from kb.store import Store

DOCS = [f"doc{i}" for i in range(6)]
URL = "https://shop.example/help/{}"


def page(fee: str, *, content: bool = True, words: int = 12) -> bytes:
    body = " ".join(["Fees are charged when the item sells and shown in the report."] * words)
    main = f"<main id='content'><h1>Selling fees</h1><p>A per-item fee of {fee} applies.</p><p>{body}</p></main>"
    return f"<html><head><title>Fees</title></head><body>{main if content else '<p>Sign in</p>'}</body></html>".encode()


@pytest.fixture
def sources(tmp_path: Path):
    folder = tmp_path / "sources"
    folder.mkdir()
    documents = "".join(f"  - id: {d}\n    title: Fees {d}\n    url: {URL.format(d)}\n    type: fees\n" for d in DOCS)
    (folder / "shop.yaml").write_text(
        f"marketplace: shop\nname: Test shop\ndefaults:\n  select: ['#content']\ndocuments:\n{documents}",
        encoding="utf-8",
    )
    return open_sources(folder)


def respond(store: Store, doc: str, at: str, body: bytes, status: int = 200) -> None:
    with store.transaction():
        store.ensure_document(
            f"shop/{doc}", title=f"Fees {doc}", url=URL.format(doc), marketplace="shop", doc_type="fees",
            origin="declared", seen_at="2026-01-01T00:00:00Z",
        )  # fmt: skip
        store.add_response(
            doc_id=f"shop/{doc}", requested_url=URL.format(doc), url=URL.format(doc), fetched_at=at,
            http_status=status, headers={}, body=body, origin="import",
        )  # fmt: skip


def first_round(store: Store) -> None:
    """Every document's checks interleaved: first versions, changes, a flap back, failures."""
    for day, fees in enumerate(
        [["$1"] * 6, ["$2", "$1", "$3", "$1", "$2", "$1"], ["$1", "$1", "$3", "$4", "$1", "$1"]]
    ):
        for doc, fee in zip(DOCS, fees, strict=True):
            respond(store, doc, f"2026-03-0{day + 1}T10:00:0{DOCS.index(doc)}Z", page(fee))
    respond(store, "doc1", "2026-03-04T10:00:00Z", page("$1", content=False))  # the selector finds nothing
    respond(store, "doc2", "2026-03-04T10:00:00Z", page("$3", words=1))  # shrank
    respond(store, "doc3", "2026-03-04T10:00:00Z", b"gone", status=404)


def second_round(store: Store) -> None:
    respond(store, "doc0", "2026-02-01T10:00:00Z", page("$0"))  # late: the history is derived again
    for doc in DOCS[1:]:
        respond(store, doc, "2026-03-05T10:00:00Z", page("$5"))


def dump(home: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the store, in the order written."""
    db = sqlite3.connect(home / Store.FILE)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in tables}
    finally:
        db.close()


def record(home: Path, sources, workers: RecordPool | None) -> list[RecordReport]:
    reports = []
    with Store(home) as store:
        first_round(store)
        reports.append(process_pending(store, sources, workers=workers))
        second_round(store)
        reports.append(process_pending(store, sources, workers=workers))
    return reports


@pytest.fixture
def serial(tmp_path: Path, sources):
    home = tmp_path / "serial"
    reports = record(home, sources, None)
    return reports, dump(home)


@pytest.fixture
def few(monkeypatch):
    """Workers even for the few documents of these tests (the serial fixture ran before)."""
    monkeypatch.setattr(kb.record, "PARALLEL_FROM", 2)


def test_workers_record_what_the_serial_recorder_records(tmp_path, sources, serial, few):
    home = tmp_path / "parallel"
    with RecordPool(2) as workers:
        reports = record(home, sources, workers)
        assert workers._executor is not None and not workers.broken  # the workers did read
    assert reports == serial[0]
    assert dump(home) == serial[1]
    with Store(home) as store:  # the case covers what it should
        outcomes = {c.outcome for c in store.checks()}
    assert {Outcome.FIRST_VERSION, Outcome.NEW_VERSION, Outcome.FLAP, Outcome.FAILED} <= outcomes
    assert serial[1]["changes"]


def test_a_worker_that_dies_leaves_the_same_store(tmp_path, sources, serial, few):
    home = tmp_path / "parallel"
    with RecordPool(2) as workers, Store(home) as store:
        first_round(store)
        started = workers.submit(Response(200, {}, page("$1"), URL, URL, "2026-03-01T00:00:00Z", None, None, None))
        assert workers.result(started, None).fault is not None  # the workers are up: kill them
        for pid in list(workers._executor._processes):
            os.kill(pid, signal.SIGKILL)
        reports = [process_pending(store, sources, workers=workers)]
        second_round(store)
        reports.append(process_pending(store, sources, workers=workers))
        assert workers.broken
    assert reports == serial[0]
    assert dump(home) == serial[1]


def test_a_pool_that_cannot_start_leaves_the_same_store(tmp_path, sources, serial, few, monkeypatch):
    def cannot(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(kb.workers, "ProcessPoolExecutor", cannot)
    home = tmp_path / "parallel"
    with RecordPool(2) as workers:
        reports = record(home, sources, workers)
        assert workers.broken
    assert reports == serial[0]
    assert dump(home) == serial[1]


def test_a_backlog_of_many_documents_starts_its_own_workers(tmp_path, sources, serial, monkeypatch):
    """Without a crawl's pool, process_pending starts one for a call with many documents."""
    started = []
    real = kb.record.RecordPool

    class Counted(real):
        def submit(self, response):
            started.append(response.requested_url)
            return super().submit(response)

    monkeypatch.setattr(kb.record, "RecordPool", Counted)
    monkeypatch.setattr(kb.record, "PARALLEL_FROM", 2)
    home = tmp_path / "parallel"
    assert record(home, sources, None) == serial[0]
    assert dump(home) == serial[1]
    assert started  # its workers read


def _own_a_started_pool(pids_file: str) -> None:
    """In a child process: start a pool's workers, write their pids, then wait to be killed."""
    import time

    pool = RecordPool(2)
    url = "https://shop.example/x"
    response = Response(200, {}, b"<html></html>", url, url, "2024-01-01T00:00:00Z", None, None, None)
    pool.result(pool.submit(response), response)  # the workers are up
    pids = [str(pid) for pid in pool._executor._processes]
    Path(pids_file).write_text(" ".join(pids))
    time.sleep(120)


def test_a_killed_recorder_leaves_no_worker_behind(tmp_path):
    import multiprocessing
    import time

    pids_file = tmp_path / "pids"
    owner = multiprocessing.get_context("spawn").Process(target=_own_a_started_pool, args=(str(pids_file),))
    owner.start()
    deadline = time.monotonic() + 60
    while not (pids_file.exists() and pids_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(pid) for pid in pids_file.read_text().split()]
    assert workers  # the executor starts its workers as it needs them: one at least
    os.kill(owner.pid, signal.SIGKILL)
    owner.join()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers {alive} outlived their killed recorder"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a dead worker reparented to init may linger as a zombie until reaped
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False
