"""`policywatch crawl` as a scheduler sees it: the exit status of each kind of run, what it
prints while it runs and at the end (plain lines off a terminal, a bar on one, colour only there
and never with NO_COLOR), --quiet and --verbose, and --source/--doc, against loopback sites."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kb.models import ExitCode
from kb.store.lock import run_lock
from tests.support import GOLDEN, REPO, run_cli
from tests.support.loopback_site import LoopbackSite, declaration, help_page, policy_paragraphs

pytestmark = pytest.mark.slow

WALL = (GOLDEN / "walls" / "amazon_robot_check.html").read_text(encoding="utf-8")
MISSHAPEN = (
    "<!doctype html><html lang='en'><body><main><div class='redesign'>Fees moved here.</div></main></body></html>"
)


def page(name: str, version: int = 1) -> str:
    return help_page(name.title(), policy_paragraphs(name, version))


def serve(site: LoopbackSite, **versions: int) -> None:
    for name in ("fees", "returns", "shipping"):
        site.page(f"/help/{name}", page(name, versions.get(name, 1)))


def shop_sources(site: LoopbackSite, folder: Path, *, browser: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    docs = [
        {"id": name, "title": name.title(), "url": site.url(f"/help/{name}"), "type": "policy"}
        for name in ("fees", "returns")
    ]
    if browser:
        docs.append({"id": "js", "title": "Js", "url": site.url("/help/js"), "type": "policy", "render": "browser"})
    (folder / "shop.yaml").write_text(declaration("shop", docs))
    other = [{"id": "shipping", "title": "Shipping", "url": site.url("/help/shipping"), "type": "policy"}]
    (folder / "other.yaml").write_text(declaration("other", other))
    return folder


def crawl(sources: Path, home: Path, *args: str):
    return run_cli("crawl", "--fast", "--sources", str(sources), *args, home=home, check=False)


# -- exit status ------------------------------------------------------------------------------


def test_new_documents_and_changes_exit_3_and_nothing_new_exits_0(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        first = crawl(sources, home)
        second = crawl(sources, home)
        serve(site, returns=2)
        third = crawl(sources, home)
    assert first.returncode == ExitCode.CHANGES_FOUND, first.stderr
    assert "  new       shop/fees\n" in first.stdout and "  new       other/shipping\n" in first.stdout
    assert second.returncode == ExitCode.NOTHING_CHANGED, second.stderr
    assert second.stdout.startswith("fetched 3 pages (0 fetch failures); 0 new documents, 0 changed, 3 unchanged")
    assert len(second.stdout.splitlines()) == 1  # nothing to name
    assert third.returncode == ExitCode.CHANGES_FOUND, third.stderr
    [named] = [line for line in third.stdout.splitlines() if line.startswith("  changed")]
    assert named.startswith("  changed   shop/returns: ") and "6 USD" in named  # class and summary


def test_a_bot_wall_and_a_selector_that_matches_nothing_exit_4_even_beside_a_change(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        assert crawl(sources, home).returncode == ExitCode.CHANGES_FOUND
        serve(site, shipping=2)
        site.page("/help/fees", WALL)
        site.page("/help/returns", MISSHAPEN)
        walled = crawl(sources, home)
    assert walled.returncode == ExitCode.CHECKS_FAILED, walled.stderr  # failures win over the change
    lines = walled.stdout.splitlines()
    assert any(line.startswith("  changed   other/shipping: ") for line in lines)
    [fees] = [line for line in lines if line.startswith("  failed    shop/fees: ")]
    [returns] = [line for line in lines if line.startswith("  failed    shop/returns: ")]
    assert "bot wall" in fees
    assert "main article.policy" in returns and "matched nothing" in returns


def test_documents_skipped_for_want_of_chromium_exit_4(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "crawl.yaml").write_text("chromium: /nonexistent/chromium\n")  # as on a machine without it
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources", browser=True)
        serve(site)
        skipped = crawl(sources, home)
        paths = {h.path for h in site.hits()}
    assert skipped.returncode == ExitCode.CHECKS_FAILED, skipped.stderr
    assert "/help/js" not in paths and "/help/fees" in paths  # the others are checked all the same
    assert "1 documents need a browser and were not crawled: no Chromium at /nonexistent/chromium" in skipped.stderr
    assert "  needs a browser  shop/js" in skipped.stderr
    assert "shop/js" not in skipped.stdout  # said once, with the fix, not again as a failed check


def test_every_fetch_refused_is_failed_checks_not_a_failed_run(tmp_path):
    """The network is down: the run worked, it recorded a failed check for each document."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path / "sources"
    folder.mkdir()
    docs = [{"id": "fees", "title": "Fees", "url": f"http://127.0.0.1:{port}/help/fees", "type": "policy"}]
    (folder / "shop.yaml").write_text(declaration("shop", docs))
    refused = crawl(folder, tmp_path / "home")
    assert refused.returncode == ExitCode.CHECKS_FAILED, refused.stderr
    [line] = [line for line in refused.stdout.splitlines() if line.startswith("  failed")]
    assert line.startswith("  failed    shop/fees: ") and "refused" in line


def test_a_run_that_cannot_start_exits_1_and_a_bad_command_line_2(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        assert crawl(sources, home).returncode == ExitCode.CHANGES_FOUND
        with run_lock(home, "crawl"):  # another run holds the home
            busy = crawl(sources, home)
        unknown = crawl(sources, home, "--doc", "shop/nope")
        hits = [h.path for h in site.hits() if h.path.startswith("/help/")]
    assert busy.returncode == ExitCode.RUN_FAILED
    assert busy.stderr.startswith(f"policywatch: {home.resolve()} is busy: policywatch crawl (pid {os.getpid()})")
    assert unknown.returncode == ExitCode.RUN_FAILED
    assert unknown.stderr.strip() == (
        "policywatch: unknown document 'shop/nope' (hint: list declared documents with "
        "`policywatch sources list`, discovered ones with `policywatch status`)"
    )
    assert len(hits) == 3  # the first crawl's: neither of the others fetched anything
    usage = run_cli("crawl", "--quiet", "--verbose", home=home, check=False)
    assert usage.returncode == ExitCode.USAGE and "not allowed with argument" in usage.stderr


# -- part of the sources ----------------------------------------------------------------------


def test_source_and_doc_check_only_what_they_name(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        one = crawl(sources, home, "--doc", "shop/fees")
        fetched_one = sorted(h.path for h in site.hits() if h.path.startswith("/help/"))
        site.clear()
        market = crawl(sources, home, "--source", "other", "--doc", "shop/returns")
        fetched_market = sorted(h.path for h in site.hits() if h.path.startswith("/help/"))
        unknown = crawl(sources, home, "--source", "nowhere")
    assert one.returncode == ExitCode.CHANGES_FOUND and fetched_one == ["/help/fees"]
    assert one.stdout.startswith("fetched 1 pages")
    assert market.returncode == ExitCode.CHANGES_FOUND
    assert fetched_market == ["/help/returns", "/help/shipping"]
    assert unknown.returncode == ExitCode.RUN_FAILED
    assert unknown.stderr.strip() == (
        "policywatch: no marketplace 'nowhere' in these sources (hint: marketplaces: other, shop)"
    )


# -- what it prints ---------------------------------------------------------------------------


def test_off_a_terminal_progress_is_a_plain_line_per_document_on_stderr(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        crawl(sources, home)
        site.page("/help/fees", WALL)
        shown = crawl(sources, home)
    lines = shown.stderr.splitlines()
    assert lines[0] == "checking 3 documents"
    progress = sorted(line for line in lines if line.startswith("["))
    assert len(progress) == 3 and {line[:6] for line in progress} == {"[1/3] ", "[2/3] ", "[3/3] "}
    by_doc = {line.split()[2].rstrip(":"): line[6:] for line in progress}
    assert by_doc["other/shipping"] == "unchanged other/shipping"
    assert by_doc["shop/fees"].startswith("failed    shop/fees: ") and "bot wall" in by_doc["shop/fees"]
    assert lines[-1] == "updating the search index"
    assert "\x1b[" not in shown.stdout + shown.stderr and "\r" not in shown.stderr


def test_quiet_prints_nothing_unless_a_check_failed_and_then_only_that_on_stderr(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        new = crawl(sources, home, "--quiet")
        site.page("/help/fees", WALL)
        walled = crawl(sources, home, "-q")
    assert new.returncode == ExitCode.CHANGES_FOUND and (new.stdout, new.stderr) == ("", "")
    assert walled.returncode == ExitCode.CHECKS_FAILED and walled.stdout == ""
    [line] = walled.stderr.splitlines()
    assert line.startswith("  failed    shop/fees: ") and "bot wall" in line


def test_verbose_adds_the_crawler_log_to_the_lines(tmp_path):
    home = tmp_path / "home"
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        shown = crawl(sources, home, "--verbose", "--doc", "shop/fees")
    assert shown.returncode == ExitCode.CHANGES_FOUND
    assert "[1/1] new       shop/fees" in shown.stderr
    assert "[scrapy.core.engine] INFO: Spider closed (finished)" in shown.stderr


def on_a_terminal(sources: Path, home: Path, **env: str) -> bytes:
    """The crawl's output as a terminal receives it (stdout and stderr on one pseudo-terminal)."""
    main, follower = pty.openpty()
    cmd = [sys.executable, "-m", "kb.cli", "crawl", "--fast", "--sources", str(sources), "--home", str(home)]
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    environment.update(PYTHONPATH=str(REPO), TERM="xterm", COLUMNS="100", **env)
    proc = subprocess.Popen(cmd, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=environment, cwd=REPO)
    os.close(follower)
    received = b""
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for 120 s: {received[-500:]!r}")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(main)
    assert proc.wait(30) == ExitCode.CHANGES_FOUND, received
    return received.replace(b"\r\n", b"\n")  # the terminal's newline translation undone


def test_on_a_terminal_a_bar_is_redrawn_then_wiped_with_colour_unless_no_color(tmp_path):
    with LoopbackSite() as site:
        sources = shop_sources(site, tmp_path / "sources")
        serve(site)
        coloured = on_a_terminal(sources, tmp_path / "home1").decode()
        plain = on_a_terminal(sources, tmp_path / "home2", NO_COLOR="1").decode()
    for shown in (coloured, plain):
        bar, _, summary = shown.rpartition("\r")  # the last carriage return wipes the bar
        assert "[------------------------] 0/3" in bar and "[########################] 3/3" in bar
        assert "checking 3 documents" not in shown  # the lines are for logs, not for terminals
        assert summary.startswith("fetched 3 pages")
    assert "\x1b[36mnew\x1b[0m" in coloured  # the outcome words are coloured
    assert "\x1b[" not in plain
