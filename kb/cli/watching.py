"""Commands that watch: demo, crawl, record, import, backfill, reextract, status, notify."""

from __future__ import annotations

import sys
from pathlib import Path

from kb.cli.helpers import _existing_home, _home, _json, _page_url, _sources, _store
from kb.cli.registry import arg, command
from kb.errors import UsageError
from kb.models import ExitCode, Outcome

# -- watching --------------------------------------------------------------------------------


@command("demo", "run the whole pipeline on the bundled demo marketplace")
@arg("--site-url", help="absolute URL the site will be served from (for feed links)")
def cmd_demo(args) -> int:
    from kb.demo.run import run_demo

    run_demo(_home(args), site_url=args.site_url, out=sys.stdout)
    return 0


@command("crawl", "fetch every declared document, record changes, update the index", sources=True)
@arg("--fast", action="store_true", help="no politeness delays (only for servers you run yourself)")
@arg(
    "--source",
    dest="marketplaces",
    metavar="M",
    action="append",
    default=[],
    help="only the documents of this marketplace, and its discovery hubs (repeatable)",
)
@arg("--doc", dest="doc_ids", metavar="ID", action="append", default=[], help="only this document (repeatable)")
@arg(
    "--quiet",
    "-q",
    action="store_true",
    group="verbosity",
    help="no progress and no summary; failed checks still go to stderr, the exit status says the rest",
)
@arg(
    "--verbose",
    "-v",
    action="store_true",
    group="verbosity",
    help="a line per document, also on a terminal, and Scrapy's log",
)
def cmd_crawl(args) -> int:
    from kb.console import CrawlProgressView, Paint, colour_wanted, is_terminal
    from kb.pipeline import crawl, exit_code

    view = None
    if not args.quiet:
        lines = args.verbose or not is_terminal(sys.stderr)
        view = CrawlProgressView(sys.stderr, lines=lines, paint=Paint(colour_wanted(sys.stderr)))
    try:
        report = crawl(
            _home(args),
            _sources(args),
            fast=args.fast,
            marketplaces=args.marketplaces,
            doc_ids=args.doc_ids,
            extra_settings={"LOG_LEVEL": "INFO"} if args.verbose else None,
            progress=view,
        )
    finally:
        if view is not None:
            view.close()
    _crawl_summary(report, quiet=args.quiet)
    if report.notify is not None:
        _print_notify(report.notify)
    return exit_code(report)


NEW_LISTED = 10  # more new documents than this (a first crawl) are counted, not listed


def _crawl_summary(report, *, quiet: bool) -> None:
    """The counts, then each document that changed, appeared, went or failed, by name."""
    from kb.console import Paint, colour_wanted

    r = report.record
    out, err = Paint(colour_wanted(sys.stdout)), Paint(colour_wanted(sys.stderr))
    skipped = set(report.needs_browser)  # said once, below, with the fix
    failed = list(dict.fromkeys((doc_id, reason) for doc_id, reason in report.failed if doc_id not in skipped))
    if not quiet:
        print(
            f"fetched {report.fetched} pages ({report.fetch_failures} fetch failures); "
            f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, "
            f"{r.unchanged + report.known_unchanged + report.not_modified} unchanged, {len(r.flaps)} flaps, "
            f"{len(r.failed)} failed checks, {len(r.gone)} gone; index: {report.index.updated} updated"
        )
        if report.not_modified:
            print(f"  {report.not_modified} unchanged by conditional request (HTTP 304)")
        for change in report.changes:
            print(f"  {out.outcome(Outcome.NEW_VERSION)} {change.doc_id}: {change.label}: {change.summary}")
        new = list(dict.fromkeys(r.first_versions))
        if len(new) > NEW_LISTED:
            print(f"  {out.outcome(Outcome.FIRST_VERSION)} {len(new)} documents (`policywatch status` lists them)")
        else:
            for doc_id in new:
                print(f"  {out.outcome(Outcome.FIRST_VERSION)} {doc_id}")
        for doc_id in r.gone:
            print(f"  {out.outcome(Outcome.GONE)} {doc_id}")
        for doc_id, reason in report.moved_away:
            print(f"  {out.outcome(Outcome.GONE)} {doc_id}: {reason}")
    stream, paint = (sys.stderr, err) if quiet else (sys.stdout, out)
    for doc_id, reason in failed:
        print(f"  {paint.outcome(Outcome.FAILED)} {doc_id}: {reason}", file=stream)
    if report.needs_browser:
        print(
            f"{len(report.needs_browser)} documents need a browser and were not crawled: {report.browser_problem}",
            file=sys.stderr,
        )
        for doc_id in report.needs_browser:
            print(f"  needs a browser  {doc_id}", file=sys.stderr)


@command("record", "process stored snapshots not processed yet (after `scrapy crawl policy`)", sources=True)
def cmd_record(args) -> int:
    from kb.console import Paint, colour_wanted
    from kb.pipeline import exit_code, record

    r = record(_existing_home(args), _sources(args))
    print(
        f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, {r.unchanged} unchanged, "
        f"{len(r.flaps)} flaps, {len(r.failed)} failed checks, {len(r.gone)} gone"
    )
    paint = Paint(colour_wanted(sys.stdout))
    for doc_id, reason in r.failed:
        print(f"  {paint.outcome(Outcome.FAILED)} {doc_id}: {reason}")
    return exit_code(r)


@command("import", "record saved captures as snapshots taken at their capture times", sources=True)
@arg(
    "file",
    type=Path,
    help="saved HTML capture or .md text version, or a folder of them named by their UTC capture time "
    "(2025-12-04T12-30-02Z.html, 2025-12-04T12-30-02Z.md)",
)
@arg("--doc", required=True, help="document id, e.g. amazon-us/business-solutions-agreement")
@arg("--at", help="capture time of FILE, ISO 8601 UTC (2025-12-04T12:30:02Z); default: read from the file name")
@arg("--url", type=_page_url, help="URL the capture was taken from (default: the declared URL)")
def cmd_import(args) -> int:
    from kb.errors import UnusableCapture
    from kb.models import Outcome
    from kb.pipeline import import_capture, import_folder
    from kb.timeutil import capture_name_time, parse_time

    sources = _sources(args)
    if args.file.is_dir():
        if args.at:
            raise UsageError(
                "--at dates one file; a folder's captures are dated by their names",
                hint="drop --at, or import one file at a time",
            )
        count, report = import_folder(_home(args), sources, args.doc, args.file, url=args.url)
        failed = [c for c in report.imported if c.outcome == Outcome.FAILED]  # the captures', once each
        print(
            f"imported {count} captures of {args.doc} from {args.file}: "
            f"{len(report.first_versions) + len(report.new_versions) + len(report.flaps)} versions, "
            f"{len(report.new_versions)} changes, {len(report.flaps)} flaps (kept, not reported), "
            f"{report.unchanged} unchanged, {len(failed)} failed, {len(report.gone)} gone"
        )
        for check in failed:
            print(f"  failed  {check.checked_at}  {check.reason}")
        return 0
    at = parse_time(args.at) if args.at else capture_name_time(args.file.stem)
    if at is None:
        raise UsageError(
            f"{args.file.name}: when was it captured?",
            hint="give --at 2025-12-04T12:30:02Z, or name the file 2025-12-04T12-30-02Z.html",
        )
    report = import_capture(_home(args), sources, doc_id=args.doc, path=args.file, at=at, url=args.url)
    check = report.imported[0]  # the capture's own check, not the re-derived history's outcomes
    if check.outcome in (Outcome.FAILED, Outcome.PENDING):
        raise UnusableCapture(
            f"{args.file} as {args.doc} at {at} was not usable: {check.reason or check.outcome}; "
            "it is kept as evidence with a failed check",
            hint="import a saved HTML page or Markdown text of the document",
        )
    outcome = {
        Outcome.FIRST_VERSION: "new document",
        Outcome.NEW_VERSION: "changed",
        Outcome.FLAP: "flap: back to a recent text, kept and not reported",
        Outcome.UNCHANGED: "unchanged",
        Outcome.GONE: "gone",
    }.get(check.outcome, check.outcome)
    print(f"imported {args.file} as {args.doc} at {at}: {outcome}")
    return 0


@command(
    "backfill", "record past captures from a web archive, so a history starts before the first crawl", sources=True
)
@arg(
    "--wayback", action="store_true", required=True, help="from a Wayback Machine (CDX API); the only archive supported"
)
@arg("--doc", action="append", default=[], help="document id (repeatable; default: every declared document)")
@arg(
    "--wayback-url",
    help="archive address (default: wayback_url in <home>/crawl.yaml, "
    "$POLICYWATCH_WAYBACK_URL, or https://web.archive.org)",
)
@arg("--since", help="only captures from this date (2019-01-01)")
@arg("--until", help="only captures up to this date")
@arg("--limit", type=int, help="at most this many new captures per document")
@arg("--delay", type=float, default=1.0, help="seconds between requests to the archive")
def cmd_backfill(args) -> int:
    from kb.pipeline import backfill
    from kb.timeutil import parse_time

    sources = _sources(args)
    results = backfill(
        _home(args),
        sources,
        args.doc or [d.doc_id for d in sources.documents],
        base_url=args.wayback_url,
        delay=args.delay,
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        limit=args.limit,
    )
    for r in results:
        if r.note:
            print(f"{r.doc_id}: skipped, {r.note}")
            continue
        changes = len(r.record.new_versions) if r.record else 0
        flaps = len(r.record.flaps) if r.record else 0
        print(
            f"{r.doc_id}: {r.found} archived captures, {r.imported} imported, {r.skipped} already "
            f"stored, {len(r.failed)} not downloaded; {changes} changes recorded, {flaps} flaps"
        )
        for problem in r.failed:
            print(f"  not downloaded  {problem}")
        for _, reason in r.record.failed if r.record else []:
            print(f"  failed  {reason}")
    # Captures that could not be downloaded are tried again by the next backfill: worth a status.
    return ExitCode.CHECKS_FAILED if any(r.failed for r in results) else ExitCode.NOTHING_CHANGED


@command(
    "reextract",
    "apply the current declarations and extraction code to stored snapshots; "
    "differences are technical upgrades, kept out of the changelog and the feed",
    sources=True,
)
@arg("--doc", action="append", default=[], help="only this document (repeatable)")
@arg("--history", action="store_true", help="derive each document's whole history again from every snapshot")
def cmd_reextract(args) -> int:
    from kb.pipeline import reextract

    sources = _sources(args)
    with _store(args) as store:
        home = store.home
    report = reextract(home, sources, args.doc or None, history=args.history)
    if args.history:
        print(f"rebuilt the history of {len(report.rebuilt)} documents from their snapshots")
    else:
        print(
            f"{len(report.upgraded)} technical upgrades, {len(report.up_to_date)} documents up to date, "
            f"{len(report.failed)} failed"
        )
    for doc_id, summary in report.upgraded:
        print(f"  upgraded  {doc_id}: {summary}")
    for doc_id, reason in report.failed:
        print(f"  failed    {doc_id}: {reason}")
    return 0


@command("status", "every document with its last check, last change, failure and flapping passages")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_status(args) -> int:
    from kb.record.flapping import flapping

    with _store(args) as store:
        docs = store.documents()
        passages = flapping(store)
        deliveries = store.delivery_problems()
    if args.json:
        return _json(
            [
                {
                    **d.as_json(),
                    "flapping": [p.as_json() for p in passages.get(d.doc_id, ())],
                    "notify_problems": [
                        _delivery_json(x)
                        for x in deliveries
                        if any(k.startswith(d.doc_id + "/") for k in x.change_keys)
                    ],
                }
                for d in docs
            ]
        )
    for d in docs:
        problem = f"  {d.status.upper()}: {d.failure}" if d.status != "active" else ""
        print(f"{d.doc_id:<55} checked {d.last_good_check or '-':<21} changed {d.last_changed or '-':<21}{problem}")
        for passage in passages.get(d.doc_id, ()):
            print(f"    flapping  {passage.text}")
    for x in deliveries:
        if x.state == "failed":
            print(
                f"notify {x.subscription} → {x.shown_as}  FAILING since {x.finished_at}: {x.error} "
                f"(retried by the next crawl or `policywatch notify`)"
            )
        else:
            print(
                f"notify {x.subscription} → {x.shown_as}  UNCONFIRMED: a run stopped while sending at "
                f"{x.started_at}; not sent again ({len(x.change_keys)} changes)"
            )
    return 0


def _delivery_json(delivery) -> dict:
    """A destination's problem in `status --json` (no URL: only its masked form)."""
    return {
        "subscription": delivery.subscription,
        "destination": delivery.shown_as,
        "state": "failing" if delivery.state == "failed" else delivery.state,
        "error": delivery.error,
        "since": delivery.finished_at,
        "changes": list(delivery.change_keys),
    }


@command("notify", "send the notifications that are due (notify.yaml in the home); every crawl runs it at its end")
@arg("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
def cmd_notify(args) -> int:
    from kb.pipeline import notify

    report = notify(_home(args), dry_run=args.dry_run)
    if args.dry_run:
        for message in report.planned:
            count = len(message.batch.changes)
            what = f"{message.batch.kind} digest, {count} change{'s' if count != 1 else ''}"
            what = "1 change" if message.batch.kind == "each" else what
            print(f"=== {message.subscription} → {message.shown_as} ({message.fmt}, {what})")
            print(f"Title: {message.title}\n")
            print(message.body)
        print(f"would send {len(report.planned)} messages" + _waiting(report))
        return 0
    _print_notify(report)
    return 1 if report.failed else 0


@command("notify test", "send a sample message to every destination of one subscription")
@arg("subscription", help="name of a subscription in notify.yaml")
def cmd_notify_test(args) -> int:
    from kb.pipeline import notify_test

    results = notify_test(_home(args), args.subscription)
    for shown, error in results:
        print(f"  {'sent' if error is None else 'FAILED'}  {shown}" + (f": {error}" if error else ""))
    failed = sum(error is not None for _, error in results)
    if failed:
        print(f"policywatch: {failed} of {len(results)} destinations failed", file=sys.stderr)
        return 1
    print(f"sent a sample to {len(results)} destinations of {args.subscription}")
    return 0


def _waiting(report) -> str:
    return f"; {report.waiting} changes wait for a digest whose period has not ended" if report.waiting else ""


def _print_notify(report) -> None:
    """What one notify run did, for `notify` and the end of `crawl`."""
    if report.problem:
        print(f"notify: nothing sent: {report.problem}", file=sys.stderr)
        return
    print(f"notify: {len(report.sent)} sent, {len(report.failed)} failed" + _waiting(report))
    for name in report.started:
        print(f"  started  {name}: it gets the changes detected from now on (or since its since: date)")
    for message in report.sent:
        print(f"  sent    {message.subscription} → {message.shown_as}: {message.title}")
    for message, error in report.failed:
        print(
            f"  FAILED  {message.subscription} → {message.shown_as}: {error} (retried on the next run)",
            file=sys.stderr,
        )
    for delivery in report.unconfirmed:
        print(
            f"  UNCONFIRMED  {delivery.subscription} → {delivery.shown_as}: a run stopped while sending it "
            f"({len(delivery.change_keys)} changes); perhaps delivered, not sent again",
            file=sys.stderr,
        )
