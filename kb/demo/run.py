"""`policywatch demo`: the whole pipeline on the bundled, fictional demo marketplace.

A loopback server serves each dated state of the demo help hub in turn; each state
is crawled by the real Scrapy crawler (its snapshots dated with the state's date),
then the final state is crawled once more (pages unchanged, noise regenerated), and
the site and feed are published. Everything goes under the home folder.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from kb.demo.server import DemoServer
from kb.errors import StoreError
from kb.pipeline import crawl, publish
from kb.sources import open_sources
from kb.store import Store
from kb.timeutil import ISO_FORMAT, to_datetime

SOURCES_TEMPLATE = Path(__file__).parent / "sources"
SERVED_AT = "http://127.0.0.1:8000/"  # where `policywatch serve` shows the site (kb.publish.serve)
MARKER = ".policywatch-demo"


@dataclass
class DemoReport:
    home: Path
    counts: dict
    failed: list[tuple[str, str, str]]  # (state, doc_id, reason)
    gone: list[tuple[str, str]]
    site_index: Path
    feed: Path


def prepare_home(home: Path) -> None:
    """A demo home is rebuilt from scratch; a home holding real data is never touched."""
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise StoreError(
                f"{home} already holds data that the demo did not make",
                hint="give the demo an empty or new folder with --home",
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("made by `policywatch demo`; rerunning the demo rebuilds this folder\n")


def write_sources(home: Path, base_url: str) -> Path:
    """The demo declarations with the server's address filled in."""
    target = home / "demo-sources"
    target.mkdir(exist_ok=True)
    for template in sorted(SOURCES_TEMPLATE.glob("*.yaml")):
        (target / template.name).write_text(
            template.read_text(encoding="utf-8").replace("{base_url}", base_url), encoding="utf-8"
        )
    return target


def run_demo(home: Path, *, site_url: str | None = None, out: TextIO | None = None) -> DemoReport:
    def say(text: str = "") -> None:
        if out is not None:
            print(text, file=out, flush=True)

    home = Path(home)
    prepare_home(home)
    failed: list[tuple[str, str, str]] = []
    gone: list[tuple[str, str]] = []
    with DemoServer() as server:
        sources = open_sources(write_sources(home, server.base_url))
        say(f"Demo marketplace served at {server.base_url}; crawling {len(server.states)} dated states")
        runs = [(state, state.date) for state in server.states]
        last = server.states[-1]
        runs.append((last, _plus_one_day(last.date)))  # same pages, fresh noise: must record nothing
        for state, when in runs:
            server.set_state(state.name)
            report = crawl(home, sources, fast=True, fixed_time=when)
            r = report.record
            say(
                f"  {when}  {state.name:<26} fetched {report.fetched:>2}  new documents "
                f"{len(r.first_versions):>2}  changed {len(r.new_versions):>2}  unchanged {r.unchanged + report.known_unchanged:>2}  "
                f"failed {len(r.failed)}  gone {len(r.gone)}"
            )
            failed += [(state.name, doc_id, reason) for doc_id, reason in r.failed]
            gone += [(state.name, doc_id) for doc_id in r.gone]
    # The demo's site is looked at where `policywatch serve` puts it: its feeds link there.
    result = publish(home, site_url=site_url or SERVED_AT)
    with Store(home) as store:
        counts = store.counts()
    report = DemoReport(
        home=home,
        counts=counts,
        failed=failed,
        gone=gone,
        site_index=result.site_dir / "index.html",
        feed=result.feed_path,
    )
    say()
    say(
        f"Documents {counts['documents']}, versions {counts['versions']}, changes {counts['changes']} "
        f"(substantive {counts['changes_substantive']}, minor {counts['changes_minor']}, "
        f"noise {counts['changes_noise']}), failed checks {counts['failed_checks']}"
    )
    for state, doc_id, reason in failed:
        say(f"  failed check ({state}) {doc_id}: {reason}")
    for state, doc_id in gone:
        say(f"  gone ({state}) {doc_id}")
    say()
    cli = _command_name()
    # Served, not opened from file://: there MkDocs' directory links land on folder listings.
    say(f"Site:  {cli} serve --home {home}   then open http://127.0.0.1:8000/")
    say(f"       (built in {result.site_dir}; open it over HTTP, not from the files)")
    say(f"Feed:  {report.feed}")
    say("Next:")
    say(f"  {cli} changes --home {home}")
    say(f'  {cli} search "late shipment rate" --home {home}')
    # The 3% target was captured on 24 August and takes effect on 1 October: on 15 September
    # the 4% target is still the one in force.
    say(f'  {cli} search "late shipment rate" --as-of 2026-09-15 --home {home}')
    say(
        f"  {cli} show northwind/customer-service-performance --as-of 2026-09-15 --section late-shipment-rate --home {home}"
    )
    say(f'  {cli} rules history "late shipment rate" --home {home}')
    say(f"  {cli} changes --severity high --home {home}")
    say(f"  {cli} status --home {home}")
    return report


def _plus_one_day(iso: str) -> str:
    return (to_datetime(iso) + timedelta(days=1)).strftime(ISO_FORMAT)


def _command_name() -> str:
    """`policywatch` if it is on PATH, else its path in this virtualenv (after `make demo`)."""
    installed = Path(sys.executable).parent / "policywatch"
    if shutil.which("policywatch") == str(installed) or not installed.exists():
        return "policywatch"
    return str(installed)
