"""kb.pipeline.exit_code: what a crawl (or a ``record``) found, as the exit status a scheduler
reads. One case per row of the table in docs/cli.md ("Exit status")."""

from __future__ import annotations

import pytest

from kb.models import ExitCode
from kb.pipeline import CrawlReport, exit_code
from kb.record import RecordReport
from kb.search import SyncReport

WALL = ("m/fees", "the site served a bot wall instead of the document (Amazon robot check)")
NO_BROWSER = "no Chromium at /usr/bin/chromium: install Debian's browser (sudo apt-get install chromium)"


def report(*, fetch_failed=(), needs_browser=(), **record) -> CrawlReport:
    return CrawlReport(
        fetched=3,
        fetch_failures=len(fetch_failed),
        record=RecordReport(**record),
        index=SyncReport(updated=0, added=0, deleted=0, total=0),
        fetch_failed=list(fetch_failed),
        needs_browser=list(needs_browser),
        browser_problem=NO_BROWSER if needs_browser else None,
    )


CASES = {
    "nothing-changed": (report(unchanged=3), ExitCode.NOTHING_CHANGED),
    "nothing-at-all": (report(), ExitCode.NOTHING_CHANGED),
    "flaps-are-not-changes": (report(unchanged=2, flaps=["m/a"]), ExitCode.NOTHING_CHANGED),
    "changed": (report(new_versions=["m/a"], unchanged=2), ExitCode.CHANGES_FOUND),
    "new-document": (report(first_versions=["m/a"]), ExitCode.CHANGES_FOUND),
    "gone": (report(gone=["m/a"], unchanged=2), ExitCode.CHANGES_FOUND),
    "bot-wall": (report(failed=[WALL], unchanged=2), ExitCode.CHECKS_FAILED),
    "selector": (report(failed=[("m/a", "selector 'main' matched nothing")]), ExitCode.CHECKS_FAILED),
    "wrong-language": (report(failed=[("m/a", "the text is in French, not English")]), ExitCode.CHECKS_FAILED),
    "no-response": (report(fetch_failed=[("m/a", "connection refused by 127.0.0.1:9")]), ExitCode.CHECKS_FAILED),
    "no-browser": (
        report(fetch_failed=[("m/js", f"needs a browser (render: browser), but {NO_BROWSER}")], needs_browser=["m/js"]),
        ExitCode.CHECKS_FAILED,
    ),
    "failures-win-over-changes": (report(new_versions=["m/a"], failed=[WALL]), ExitCode.CHECKS_FAILED),
}


def test_a_notification_that_could_not_be_delivered_is_noticed_like_a_failed_check():
    from dataclasses import replace

    from kb.notify import NotifyReport

    changed = report(new_versions=["m/a"])
    assert exit_code(replace(changed, notify=NotifyReport())) is ExitCode.CHANGES_FOUND
    assert exit_code(replace(changed, notify=NotifyReport(problem="template broken"))) is ExitCode.CHECKS_FAILED
    failed = NotifyReport(failed=[(None, "SMTP refused")])
    assert exit_code(replace(report(unchanged=1), notify=failed)) is ExitCode.CHECKS_FAILED


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_crawl_has_its_exit_status(case):
    crawled, expected = CASES[case]
    assert exit_code(crawled) is expected


@pytest.mark.parametrize("case", [c for c, (crawled, _) in CASES.items() if not crawled.fetch_failed])
def test_record_alone_is_judged_the_same_way(case):
    """`record` fetches nothing: its report is the crawl's without the fetch failures."""
    crawled, expected = CASES[case]
    assert exit_code(crawled.record) is expected


def test_the_codes_are_the_documented_numbers():
    """Schedulers' scripts compare numbers: they never change."""
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("NOTHING_CHANGED", 0),
        ("RUN_FAILED", 1),
        ("USAGE", 2),
        ("CHANGES_FOUND", 3),
        ("CHECKS_FAILED", 4),
    ]
