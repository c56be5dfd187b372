"""A full disk (issue 16, 5a, 5c, 5d): a write the store cannot make stops the command with one
line and a non-zero exit, what was not recorded is taken up by the next run, and a command
that only reads does not need to write.

The full disk is injected: a ``sitecustomize`` hook (loaded by every Python process of the
run, the spawned crawl child included) makes the Nth and every later call of a store method
raise what SQLite raises on a full disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.models import ExitCode
from kb.store import Store
from tests.support import REPO
from tests.support.faultserver import ARTICLE_SELECTOR, FaultServer, policy_page
from tests.support.loopback_site import declaration

DOCS = [f"doc-{i}" for i in range(1, 9)]

HOOK = r'''
"""Test hook: from the Nth call of a store method on, the disk is full (test_disk_full.py)."""
import errno
import os
import sqlite3
import sys

_SPEC = os.environ.get("PW_DISK_FULL")  # process:module:owner.method:nth[:oserror]
if _SPEC:
    _process, _module, _method, _nth, *_kind = _SPEC.split(":")
    if (_process == "child") == ("--multiprocessing-fork" in sys.argv):
        import importlib
        _owner = importlib.import_module(_module)
        _name = _method
        if "." in _method:
            _owner_name, _name = _method.split(".")
            _owner = getattr(_owner, _owner_name)
        _original = getattr(_owner, _name)
        _calls = [0]

        def _full(*args, **kwargs):
            _calls[0] += 1
            if _calls[0] >= int(_nth):
                if _kind:
                    raise OSError(errno.ENOSPC, "No space left on device")
                raise sqlite3.OperationalError("database or disk is full")
            return _original(*args, **kwargs)

        setattr(_owner, _name, _full)
'''


def policywatch(*args: str, hook: Path, full: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{REPO}", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("PW_DISK_FULL", None)
    if full:
        env["PW_DISK_FULL"] = full
    return subprocess.run(
        [sys.executable, "-m", "kb.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


def serve(server: FaultServer, version: int, changed: int = len(DOCS)) -> None:
    for i, doc in enumerate(DOCS):
        server.answer(f"/doc/{doc}", "page", doc=doc, version=version if i < changed else 1, paragraphs=20)


def one_line(run: subprocess.CompletedProcess, *words: str) -> str:
    lines = run.stderr.strip().splitlines()
    assert run.returncode != 0, (run.stdout, run.stderr)
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("diskfull")
    hook = root / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    with FaultServer() as server:
        sources = root / "sources"
        sources.mkdir()
        documents = [{"id": d, "title": d, "url": server.url("/doc/" + d), "type": "policy"} for d in DOCS]
        (sources / "lab.yaml").write_text(declaration("lab", documents, defaults={"select": [ARTICLE_SELECTOR]}))
        serve(server, 1)
        home = root / "home"
        first = policywatch("crawl", "--fast", "--sources", str(sources), "--home", str(home), hook=hook)
        assert first.returncode == ExitCode.CHANGES_FOUND, first.stderr  # new documents
        yield server, sources, home, hook


def changes(home: Path) -> int:
    with Store(home) as store:
        return len(store.changes())


@pytest.mark.parametrize(
    "full",
    [
        "child:kb.store:Store.add_response:3",  # the crawl child cannot store the third page
        "parent:kb.store:Store.add_change:3",  # the recorder cannot record the third change
    ],
)
def test_a_crawl_on_a_full_disk_fails_in_one_line_and_the_next_run_resumes(lab, tmp_path, full):
    server, sources, home, hook = lab
    copy = tmp_path / "home"
    subprocess.run(["cp", "-a", str(home), str(copy)], check=True)
    serve(server, 2, changed=6)
    try:
        run = policywatch(
            "crawl", "--fast", "--quiet", "--sources", str(sources), "--home", str(copy), hook=hook, full=full
        )  # --quiet: no progress lines, so stderr holds the error alone
        one_line(run, "no space left", "policywatch")
        assert changes(copy) < 6
        again = policywatch("crawl", "--fast", "--sources", str(sources), "--home", str(copy), hook=hook)
        assert again.returncode == ExitCode.CHANGES_FOUND, again.stderr
        assert changes(copy) == 6  # nothing lost: the next run records every change
    finally:
        serve(server, 1)


def test_record_on_a_full_disk_leaves_its_checks_pending(lab, tmp_path):
    server, sources, home, hook = lab
    copy = tmp_path / "home"
    subprocess.run(["cp", "-a", str(home), str(copy)], check=True)
    with Store(copy) as store:
        for doc in DOCS[:3]:
            store.add_response(
                doc_id=f"lab/{doc}",
                requested_url=server.url("/doc/" + doc),
                url=server.url("/doc/" + doc),
                fetched_at="2030-01-01T00:00:00Z",
                http_status=200,
                headers={"content-type": "text/html"},
                body=policy_page(doc, version=3, paragraphs=20).encode(),
            )
    run = policywatch(
        "record", "--sources", str(sources), "--home", str(copy), hook=hook, full="parent:kb.store:Store.add_version:1"
    )
    one_line(run, "no space left", "policywatch record")
    with Store(copy) as store:
        assert len(store.pending_checks()) == 3


def test_index_rebuild_on_a_full_disk_is_one_line(lab):
    _, _, home, hook = lab
    run = policywatch(
        "index", "--rebuild", "--home", str(home), hook=hook, full="parent:kb.search:os.replace:1:oserror"
    )
    one_line(run, "no space left")


def test_status_on_a_full_disk_reads_without_writing(lab):
    """5d: status opened the store for writing (schema check, WAL) and blamed --home."""
    _, _, home, hook = lab
    run = policywatch("status", "--home", str(home), hook=hook, full="parent:kb.store:migrate:1")
    assert run.returncode == 0, run.stderr
