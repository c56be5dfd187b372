"""SIGKILL at chosen points of a crawl, a recording, an index update and a publish.

Each kill point runs the real ``policywatch`` command in its own session with a
``sitecustomize`` hook (written below, loaded by every Python process of the run, the spawned
crawl child included) that sends SIGKILL at the Nth call of a chosen function: inside a store
transaction, between a Whoosh segment and its table of contents, in the middle of an MkDocs
build, at the site's atomic swap, and between the two renames of the swap where there is no
atomic exchange. After each kill:

- the store opens and ``policywatch verify`` passes (nothing half-written is visible);
- the same command run again completes the work;
- the result equals a run that was never killed (versions, changes, search, the site's bytes).

One run at a time: a second crawl or publish on a busy home exits at once naming the holder,
and a killed holder leaves no stuck lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.models import ExitCode
from kb.store import Store
from tests.support import REPO, run_cli
from tests.support.faultserver import ARTICLE_SELECTOR, FaultServer

pytestmark = pytest.mark.slow

DOCS = [f"doc-{i:02d}" for i in range(1, 13)]
# A crawl that ran to its end, whatever it found (a rerun finds what the killed run had not recorded).
COMPLETED = (ExitCode.NOTHING_CHANGED, ExitCode.CHANGES_FOUND)

HOOK = r'''
"""Test hook: SIGKILL at the Nth call of a chosen function (see tests/system/test_crash.py)."""
import os
import signal
import sys

_SPEC = os.environ.get("PW_KILL")
_IN_CHILD = "--multiprocessing-fork" in sys.argv  # spawned: the crawl or the MkDocs build


def _arm(owner, name, nth, process, scope, when=lambda *a, **k: True):
    if (process == "child") != _IN_CHILD:
        return
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        if when(*args, **kwargs):
            calls[0] += 1
            if calls[0] == nth:
                if scope == "group":
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                elif scope == "parent":
                    os.kill(os.getppid(), signal.SIGKILL)  # and carry on, orphaned
                else:
                    os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


if _SPEC:
    _point, _nth, _scope = _SPEC.split(":")
    _nth = int(_nth)
    if _point in ("snapshot", "record", "outcome"):
        from kb.store import Store
        name = {"snapshot": "add_check", "record": "add_change", "outcome": "set_outcome"}[_point]
        _arm(Store, name, _nth, "child" if _point == "snapshot" else "parent", _scope)
    elif _point == "index":
        from whoosh.writing import SegmentWriter
        _arm(SegmentWriter, "_commit_toc", _nth, "parent", _scope)
    elif _point == "site-sources":
        import kb.publish.files
        _arm(kb.publish.files.os, "replace", _nth, "parent", _scope)
    elif _point == "site-build":
        import mkdocs.commands.build
        _arm(mkdocs.commands.build, "_build_page", _nth, "child", _scope)
    elif _point == "site-swap":  # the atomic exchange, as it is called
        import kb.publish.files
        _arm(kb.publish.files, "_exchange", _nth, "parent", _scope)
    elif _point == "site-swap-renames":  # a system without the exchange: between two renames
        import pathlib
        import kb.publish.files
        kb.publish.files._exchange = lambda a, b: False
        _arm(pathlib.Path, "rename", _nth, "parent", _scope,
             when=lambda self, target: pathlib.Path(target).name == "site")
'''


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def policywatch(
    *args: str, kill: str | None = None, hook: Path, timeout: float = 120, wait_session: bool = True
) -> Run:
    """Run the real command in a new session; with ``kill``, arm the hook."""
    env = {**os.environ, "PYTHONPATH": f"{hook}{os.pathsep}{REPO}", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("PW_KILL", None)
    if kill:
        env["PW_KILL"] = kill
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=timeout)
    if wait_session:
        assert session_gone(proc.pid, 10), f"processes of {args} outlived it"
    return Run(proc.returncode, out, err, time.monotonic() - started)


def session_gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        time.sleep(0.05)
    return False


def serve_state(server: FaultServer, version: int, delays: bool = False) -> None:
    for i, doc in enumerate(DOCS):
        server.answer(f"/doc/{doc}", "page", doc=doc, version=version, paragraphs=60, delay=0.4 * i if delays else 0)


def state_of(home: Path) -> dict:
    """What a home knows, without times or ids: versions' texts, changes, pending work."""
    with Store(home) as store:
        versions = {}
        for version in store.versions():
            versions.setdefault(version.doc_id, []).append(version.text_sha256)
        texts = {v.id: v.text_sha256 for v in store.versions()}
        changes = sorted(
            (c.doc_id, c.label, c.summary, texts[c.from_version_id], texts[c.to_version_id]) for c in store.changes()
        )
        pending = len(store.pending_checks())
    return {"versions": versions, "changes": changes, "pending": pending}


def verify_ok(home: Path, hook: Path) -> None:
    """`policywatch verify`, the command itself, right after a kill."""
    run = policywatch("verify", "--home", str(home), hook=hook)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("ok: ")


def verified(home: Path) -> bool:
    """The same checks in-process, after a rerun."""
    from kb.store.verify import verify

    report = verify(home)
    assert report.ok, report.problems
    return report.pending == 0


def search(home: Path, hook: Path) -> list[tuple[str, str]]:
    """What a search finds (documents and snippets; scores and capture times aside)."""
    import json

    run = policywatch("search", "sellers fee", "--limit", "20", "--json", "--home", str(home), hook=hook)
    assert run.returncode == 0, run.stderr
    return sorted((hit["doc_id"], hit["snippet"]) for hit in json.loads(run.stdout))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A server, a hook, declarations, and reference homes that were never killed."""
    root = tmp_path_factory.mktemp("crash")
    hook = root / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    with FaultServer() as server:
        sources = root / "sources"
        sources.mkdir()
        (sources / "lab.yaml").write_text(
            f"marketplace: lab\nname: Crash lab\nallow_private_addresses: true\n"
            f'defaults:\n  select: ["{ARTICLE_SELECTOR}"]\ndocuments:\n'
            + "".join(f'  - {{id: {d}, title: {d}, url: "{server.url("/doc/" + d)}", type: policy}}\n' for d in DOCS)
        )
        lab = Lab(root=root, hook=hook, server=server, sources=sources)
        serve_state(server, 1)
        assert lab.crawl(root / "state1").returncode == ExitCode.CHANGES_FOUND  # new documents
        assert lab.publish(root / "state1").returncode == 0
        shutil.copytree(root / "state1", root / "state2")
        serve_state(server, 2)
        assert lab.crawl(root / "state2").returncode == ExitCode.CHANGES_FOUND
        lab.reference = {1: state_of(root / "state1"), 2: state_of(root / "state2")}
        lab.reference_search = {1: search(root / "state1", hook), 2: search(root / "state2", hook)}
        yield lab


@dataclass
class Lab:
    root: Path
    hook: Path
    server: FaultServer
    sources: Path
    reference: dict | None = None
    reference_search: dict | None = None

    def crawl(self, home: Path, kill: str | None = None) -> Run:
        return policywatch(
            "crawl", "--fast", "--sources", str(self.sources), "--home", str(home), kill=kill, hook=self.hook
        )

    def publish(self, home: Path, kill: str | None = None) -> Run:
        return policywatch("publish", "--home", str(home), kill=kill, hook=self.hook)

    def home_at(self, state: int, name: str) -> Path:
        """A copy of a reference home, to be killed and rerun."""
        home = self.root / name
        shutil.copytree(self.root / f"state{state}", home)
        return home


KILLED = -signal.SIGKILL


# -- crawl ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kill, exit_code",
    [
        ("snapshot:1:group", KILLED),  # the first snapshot written, its check not yet: whole run killed
        ("snapshot:7:group", KILLED),  # halfway through the crawl
        ("snapshot:4:self", 1),  # only the crawl child dies: the command says so and exits 1
    ],
    ids=["crawl-first-snapshot", "crawl-mid-snapshot", "crawl-child-only"],
)
def test_kill_during_the_crawl(lab, tmp_path, kill, exit_code):
    serve_state(lab.server, 1)
    home = tmp_path / "home"
    killed = lab.crawl(home, kill=kill)
    assert killed.returncode == exit_code, killed.stderr
    if exit_code == 1:
        assert "the crawler stopped: exit code -9" in killed.stderr
    verify_ok(home, lab.hook)
    with Store(home) as store:
        snapshots = store.counts()["snapshots"]
    # committed items only, the killed one not there (the crawl child commits what queued up together)
    assert snapshots <= int(kill.split(":")[1]) - 1
    rerun = lab.crawl(home)
    assert rerun.returncode in COMPLETED, rerun.stderr
    assert verified(home)
    assert state_of(home) == lab.reference[1]
    if kill == "snapshot:7:group":
        assert search(home, lab.hook) == lab.reference_search[1]


def test_killed_parent_takes_the_crawl_child_with_it(lab, tmp_path):
    """The parent dies while its crawl child is mid-way; the child must not carry on writing."""
    serve_state(lab.server, 1, delays=True)  # document i answers after 0.4·i s: a 5 s crawl
    try:
        home = tmp_path / "home"
        killed = lab.crawl(home, kill="snapshot:3:parent")
        assert killed.returncode == KILLED
        with Store(home) as store:
            # Without the watch, the child would carry on to all 12 (the last one 4.4 s later).
            assert store.counts()["snapshots"] <= 4
    finally:
        serve_state(lab.server, 1)
    verify_ok(home, lab.hook)
    assert lab.crawl(home).returncode in COMPLETED
    assert verified(home)
    assert state_of(home) == lab.reference[1]


@pytest.mark.parametrize("after", [0.3, 1.5, 3.0])
def test_kill_at_any_moment_of_a_crawl(lab, tmp_path, after):
    """SIGKILL the whole run after a delay, wherever it is: startup, fetching, recording, index."""
    serve_state(lab.server, 2, delays=True)
    home = lab.home_at(1, f"timed-{after}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "crawl", "--fast", "--sources", str(lab.sources), "--home", str(home)],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(after)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already done: the check below still holds
    proc.wait(10)
    assert session_gone(proc.pid, 5)
    serve_state(lab.server, 2)
    verify_ok(home, lab.hook)
    assert lab.crawl(home).returncode in COMPLETED
    assert verified(home)
    assert state_of(home) == lab.reference[2]


# -- recording and index ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kill",
    [
        "record:1:group",  # a new version inserted, its change not yet, in one transaction
        "record:6:group",  # several documents recorded and committed, then a kill mid-document
        "outcome:7:group",  # a version and its change inserted, the check's outcome not yet
        "index:1:group",  # the Whoosh segment written, its table of contents not yet
    ],
    ids=["record-first-change", "record-mid", "record-outcome", "index-commit"],
)
def test_kill_while_recording_or_indexing(lab, kill):
    serve_state(lab.server, 2)
    home = lab.home_at(1, kill.replace(":", "-"))
    killed = lab.crawl(home, kill=kill)
    assert killed.returncode == KILLED, killed.stderr
    verify_ok(home, lab.hook)
    with Store(home) as store:
        for change in store.changes():  # every change recorded comes with its version, and back
            assert store.latest_version(change.doc_id).id == change.to_version_id
    rerun = lab.crawl(home)
    assert rerun.returncode in COMPLETED, rerun.stderr
    assert verified(home)
    assert state_of(home) == lab.reference[2]
    if kill.startswith("index"):
        assert search(home, lab.hook) == lab.reference_search[2]


# -- publish ----------------------------------------------------------------------------------


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(lab):
    """State 2 published without a kill, and the site it had before (state 1)."""
    home = lab.home_at(2, "published")
    before = site_files(home / "site")
    assert lab.publish(home).returncode == 0
    return before, site_files(home / "site")


@pytest.mark.parametrize(
    "kill",
    [
        "site-sources:3:group",  # rewriting the Markdown sources
        "site-build:5:group",  # MkDocs halfway through the pages
        "site-swap:1:group",  # as the new site is exchanged with the old one
        "site-swap-renames:1:group",  # no exchange: between moving the old site away and the new in
    ],
    ids=["publish-sources", "publish-build", "publish-swap", "publish-swap-renames"],
)
def test_kill_during_a_publish(lab, published, kill):
    old_site, new_site = published
    home = lab.home_at(2, kill.replace(":", "-"))
    killed = lab.publish(home, kill=kill)
    assert killed.returncode == KILLED, killed.stderr
    verify_ok(home, lab.hook)
    visible = site_files(home / "site") if (home / "site").exists() else None
    assert visible in (old_site, new_site, None)  # never a half-built site (None: see docs/reliability.md)
    if not kill.startswith("site-swap-renames"):
        assert visible == old_site
    rerun = lab.publish(home)
    assert rerun.returncode == 0, rerun.stderr
    assert site_files(home / "site") == new_site  # byte for byte


# -- one run at a time ------------------------------------------------------------------------


def test_a_second_run_exits_at_once_naming_the_first_and_a_killed_holder_frees_the_home(lab, tmp_path):
    serve_state(lab.server, 1, delays=True)
    home = lab.home_at(1, "busy")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "crawl", "--fast", "--sources", str(lab.sources), "--home", str(home)],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = home / "run.lock"
        deadline = time.monotonic() + 20
        while f"(pid {first.pid})" not in lock.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        # A second run that waited for the lock would return only after the first, and succeed.
        for command in (["crawl", "--fast", "--sources", str(lab.sources)], ["publish"]):
            second = run_cli(*command, home=home, check=False)
            assert second.returncode == 1
            assert second.stderr.strip() == (
                f"policywatch: {home.resolve()} is busy: policywatch crawl (pid {first.pid}) "
                "is running (hint: wait for it to finish, or stop it)"
            )
        assert first.poll() is None  # the first run was not disturbed
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    serve_state(lab.server, 1)
    third = run_cli("crawl", "--fast", "--sources", str(lab.sources), home=home, check=False)
    assert third.returncode in COMPLETED, third.stderr  # the kernel released the dead holder's lock
    assert verified(home)
