"""The ``policywatch`` command: parse, call one library function, print.

Each command is a function declared with its arguments right above it (``@command``, ``@arg``);
the library does the work (``kb.pipeline`` for anything that runs stages, the stage packages
for reads). Known errors (``kb.errors.PolicywatchError``) become one line on stderr with a hint
and exit status 1; usage errors exit 2 (argparse); ``crawl`` and ``record`` say what they found
in their status too (``kb.models.ExitCode``, decided by ``kb.pipeline.exit_code``). What is drawn
on a terminal (colour, progress) is ``kb.console``'s. Library imports happen inside the commands:
``policywatch --help`` must not load Scrapy, Whoosh or MkDocs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb import __version__
from kb.errors import NoVersion, PolicywatchError, StoreError, UsageError
from kb.models import CLASSES, ExitCode, Outcome

HOME_HELP = "home folder of the store, index and site (default: $POLICYWATCH_HOME or ~/.policywatch)"
SOURCES_HELP = "folder of source declarations (default: the shipped sources/)"


# -- the command registry --------------------------------------------------------------------


@dataclass
class Command:
    name: str  # "crawl", or "sources list" for an action of a command
    func: Callable[[argparse.Namespace], int] | None
    help: str
    home: bool = True
    sources: bool = False
    arguments: list[tuple[tuple, dict]] = field(default_factory=list)


COMMANDS: list[Command] = []


def command(name: str, help: str, *, home: bool = True, sources: bool = False):
    """Register a command (or, with a space in its name, an action of one)."""

    def register(func):
        arguments = list(reversed(getattr(func, "_arguments", [])))
        COMMANDS.append(Command(name, func, help, home=home, sources=sources, arguments=arguments))
        return func

    return register


def arg(*names, **options):
    """An argument of the command declared below it (``group=`` names a mutually exclusive group)."""

    def add(func):
        func._arguments = [*getattr(func, "_arguments", []), (names, options)]
        return func

    return add


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policywatch",
        description="Watch the rules marketplaces impose on sellers: crawl, diff, search, publish.",
    )
    parser.add_argument("--version", action="version", version=f"policywatch {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")
    parents: dict[str, argparse._SubParsersAction] = {}
    made: dict[str, argparse.ArgumentParser] = {}  # commands that also have actions (`notify`, `notify test`)
    for cmd in COMMANDS:
        head, _, action = cmd.name.partition(" ")
        if action:
            if head not in parents:
                group = made.get(head)
                if group is None:
                    group = sub.add_parser(head, help=_group_help(head), description=_group_help(head))
                    group.set_defaults(func=lambda args, group=group: group.print_help() or 2)
                parents[head] = group.add_subparsers(metavar="ACTION")
            p = parents[head].add_parser(action, help=cmd.help, description=cmd.help)
        else:
            p = made[cmd.name] = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.home:
            # An action of a command that takes --home too (`notify --home H test S`): keep the command's.
            keep = {"default": argparse.SUPPRESS} if action and head in made else {}
            p.add_argument("--home", help=HOME_HELP, **keep)
        if cmd.sources:
            p.add_argument("--sources", help=SOURCES_HELP)
        groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
        for names, options in cmd.arguments:
            options = dict(options)
            group = options.pop("group", None)
            if group and group not in groups:
                # one group per name: an extra empty group makes argparse fail on usage ("empty group")
                groups[group] = p.add_mutually_exclusive_group()
            target = groups[group] if group else p
            target.add_argument(*names, **options)
        p.set_defaults(func=cmd.func)
    return parser


GROUP_HELP = {"sources": "validate, list or import source declarations"}


def _group_help(name: str) -> str:
    return GROUP_HELP.get(name, name)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    stdout = sys.stdout
    sys.stdout = _ControlFree(stdout)
    try:
        return int(args.func(args) or 0)
    except PolicywatchError as err:
        hint = f" (hint: {err.hint})" if err.hint else ""
        print(f"policywatch: {err}{hint}", file=sys.stderr)
        return ExitCode.RUN_FAILED
    except KeyboardInterrupt:
        print("policywatch: interrupted; what was stored is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stdout = stdout


_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


class _ControlFree:
    """stdout without control characters: printed text comes from crawled pages, and a
    terminal obeys ESC sequences (stored before extraction dropped them)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from diffs.normalize import drop_controls

        # kb.console's own colours (SGR: ESC [ … m) pass; every other control is dropped
        parts = _SGR.split(text)
        kept = "".join(drop_controls(part) if i % 2 == 0 else part for i, part in enumerate(parts))
        return self._stream.write(kept)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


# -- helpers ---------------------------------------------------------------------------------


def _home(args) -> Path:
    from kb.store import resolve_home

    return resolve_home(args.home)


def _store(args):
    """The existing store of ``--home``, opened read-only (a read never creates one, and never
    needs to write: it works on a full disk or read-only media)."""
    from kb.store import Store

    home = _home(args)
    if not Store.exists_in(home):
        raise StoreError(
            f"no store in {home}", hint="run `policywatch crawl` or `policywatch demo --home DIR` first, or pass --home"
        )
    return Store.open_for_reading(home)


def _sources(args):
    from kb.sources import open_sources

    return open_sources(args.sources)


def _head_digest(value: str) -> str:
    """A head as published (64 hex digits), for --head."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a head: give the 64 hex digits of a published head.json")
    return value.lower()


def _json(data) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


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

    r = record(_home(args), _sources(args))
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
@arg("--url", help="URL the capture was taken from (default: the declared URL)")
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


# -- reading ---------------------------------------------------------------------------------


@command("changes", "list recorded changes, newest first")
@arg("--doc", help="only this document")
@arg("--class", dest="label", choices=CLASSES, help="only this class")
@arg("--technical", action="store_true", help="include technical upgrades (changes made by new extraction rules only)")
@arg("--flaps", action="store_true", help="include flaps (switches back to a recent text, never reported)")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_changes(args) -> int:
    from diffs.brief import change_json
    from diffs.taxonomy import label_of

    with _store(args) as store:
        if args.doc:
            store.document(args.doc)
        docs = {d.doc_id: d for d in store.documents()}
        changes = [
            c
            for c in store.changes(args.doc, technical=args.technical, flaps=args.flaps)
            if not args.label or c.label == args.label
        ]
    # Newest first; changes found by the same crawl by document (ids follow processing order).
    changes.sort(key=lambda c: (c.doc_id, c.key))
    changes.sort(key=lambda c: c.detected_at, reverse=True)
    if args.json:
        return _json([change_json(c, docs.get(c.doc_id)) for c in changes])
    if not changes:
        print("no changes recorded yet")
    for c in changes:
        flags = (
            (" [silent]" if c.silent else "") + (" [technical]" if c.technical else "") + (" [flap]" if c.flap else "")
        )
        print(f"{c.detected_at}  {c.label:<11} {c.doc_id}{flags}\n    {c.summary}")
        for reason in c.reasons:
            print(f"      - [{reason.kind}] {reason.text}")
        for section in c.section_changes:
            print(f"      in {section}")
        if c.tags:
            print(f"      affects: {', '.join(label_of(t) for t in c.tags)}")
    return 0


@command("diff", "print the diff of a document's latest change (or of --change KEY)")
@arg("doc", help="document id")
@arg("--change", help="change key (see `policywatch changes`)")
@arg("--context", type=int, default=2, help="unchanged lines shown around each edit")
def cmd_diff(args) -> int:
    from diffs.diff import render_text
    from kb.record.flapping import flap_ops

    with _store(args) as store:
        store.document(args.doc)
        # a technical upgrade or a flap by its key only
        changes = store.changes(args.doc, technical=bool(args.change), flaps=bool(args.change))
        if args.change:
            changes = [c for c in changes if c.key == args.change or c.key.endswith("/" + args.change)]
            if not changes:
                raise UsageError(
                    f"no change '{args.change}' in {args.doc}",
                    hint=f"list them with `policywatch changes --doc {args.doc}`",
                )
        if not changes:
            print(f"{args.doc} has not changed since it was first captured")
            return 0
        change = changes[-1]
        ops = flap_ops(store, change)
    print(f"{change.key}  {change.label}  {change.summary}")
    sys.stdout.write(render_text(ops, context_lines=args.context))
    return 0


@command("show", "print a document's text, now or as it read on a date, with its evidence")
@arg("doc", help="document id")
@arg("--as-of", metavar="DATE", help="the version in force at DATE (2026-08-20 or 2026-08-20T12:00:00Z)")
@arg("--section", metavar="ID", help="only this section and its subsections (id or its last part)")
def cmd_show(args) -> int:
    if args.as_of or args.section:
        return _show_as_of(args)
    with _store(args) as store:
        doc = store.document(args.doc)
        version = store.latest_version(args.doc)
    if version is None:
        raise NoVersion(f"{args.doc} has no version yet", hint=f"its last check: {doc.failure or 'none'}")
    print(f"# {version.title}\n")
    print(
        f"<!-- {doc.doc_id} | source: {doc.url} | captured {version.captured_at} | "
        f"snapshot sha256 {version.snapshot_sha256} | status {doc.status} -->\n"
    )
    sys.stdout.write(version.text)
    return 0


def _show_as_of(args) -> int:
    from kb.record.history import as_of, find_section

    with _store(args) as store:
        doc = store.document(args.doc)
        span = as_of(store, args.doc, args.as_of)
    version, text, heading = span.version, span.version.text, span.version.title
    if args.section:
        section, text = find_section(version.text, args.section)
        heading = section.label
    when = f"as of {args.as_of}: " if args.as_of else ""
    until = f"until {span.valid_to}" if span.valid_to else "still in force" if span.current else "open"
    print(f"# {heading}\n")
    print(
        f"<!-- {doc.doc_id} | source: {doc.url} | {when}version {span.number}, captured "
        f"{version.captured_at}, {until} | snapshot sha256 {version.snapshot_sha256} | "
        f"status {doc.status} -->\n"
    )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


@command("search", "search the rules: current text by default, or as of a date, or all versions")
@arg(
    "query",
    help='words, "phrases", AND/OR/NOT, field:value (title, section, body, doc, source, type, class), prefix*, fuzzy~',
)
@arg("--source", help="only this marketplace, e.g. amazon-us")
@arg("--doc", help="only this document id")
@arg("--type", dest="doc_type", help="only this document type, e.g. agreement")
@arg("--since", metavar="DATE", help="only text that took effect at or after DATE")
@arg("--until", metavar="DATE", help="only text that took effect before DATE (a bare date: until the end of that day)")
@arg("--as-of", metavar="DATE", group="scope", help="search the text as it read at DATE")
@arg("--history", action="store_true", group="scope", help="search every version, not just the current text")
@arg(
    "--changed",
    action="store_true",
    help="only text a recorded change introduced (in the --since/--until window; every version unless --as-of)",
)
@arg("--limit", type=int, default=10, help="at most this many hits")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_search(args) -> int:
    from kb.search import search

    hits = search(
        _home(args),
        args.query,
        limit=args.limit,
        source=args.source,
        doc=args.doc,
        doc_type=args.doc_type,
        since=args.since,
        until=args.until,
        as_of=args.as_of,
        history=args.history,
        changed=args.changed,
    )
    if args.json:
        return _json([h.as_json() for h in hits])
    if not hits:
        print(f"no match for {args.query!r}")
    for rank, hit in enumerate(hits, 1):
        where = (
            hit.section
            if hit.section.startswith(hit.title)
            else " › ".join(part for part in (hit.title, hit.section) if part)
        )
        effect = (
            f"in effect since {hit.valid_from}"
            if hit.valid_to is None
            else f"in effect {hit.valid_from} → {hit.valid_to}"
        )
        change = "first capture" if hit.change_class == "first" else f"{hit.change_class} change"
        anchor = f"#{hit.section_id}" if hit.section_id else ""
        print(
            f"{rank}. {where}\n   {hit.doc_id}{anchor}  [{hit.marketplace}, {hit.doc_type}]  "
            f"{effect} ({change})  score {hit.score:.2f}\n   {hit.url}\n   {hit.snippet}"
        )
    return 0


@command("history", "list a document's versions and changes, with class and summary")
@arg("doc", help="document id")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_history(args) -> int:
    from kb.record.history import timeline

    with _store(args) as store:
        line = timeline(store, args.doc)
    if args.json:
        return _json(line.as_json())
    doc = line.document
    print(f"{doc.title}  [{doc.doc_id}]  {doc.status}\n{doc.url}")
    if not line.versions:
        print(f"no version yet (last check: {doc.failure or 'none'})")
    for run in _flap_runs(line.versions):
        s, end = run[0], run[-1]
        until = end.valid_to or ("now" if end.current else "?")
        if len(run) > 1:  # a run of flaps is one line: they are the page going back and forth
            print(
                f"v{s.number}-v{end.number} {s.valid_from} → {until:<20}  {len(run)} flaps: back and forth "
                "between texts seen just before (kept, not reported)"
            )
            continue
        what = "first capture" if s.change is None else f"{s.change.label:<11} {s.change.summary}"
        flags = (" [silent]" if s.change is not None and s.change.silent else "") + (
            " [flap]" if s.change is not None and s.change.flap else ""
        )
        print(f"v{s.number:<3} {s.valid_from} → {until:<20}  snapshot {s.version.snapshot_sha256[:12]}  {what}{flags}")
        if s.change is not None and s.change.sections:
            print(f"      sections: {'; '.join(s.change.sections)}")
    if line.gone_at:
        print(f"gone since {line.gone_at} ({doc.failure})")
    return 0


def _flap_runs(spans):
    """Consecutive version spans, flaps grouped into runs, every other span alone."""
    runs: list[list] = []
    for span in spans:
        flap = span.change is not None and span.change.flap
        if flap and runs and runs[-1][-1].change is not None and runs[-1][-1].change.flap:
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


@command("when", "when a phrase first appeared in, and disappeared from, each document")
@arg("phrase", help='the words to look for, e.g. "ask a buyer to change or remove a product review"')
@arg("--source", help="only this marketplace")
@arg("--doc", help="only this document id")
@arg("--type", dest="doc_type", help="only this document type")
@arg("--json", action="store_true", help="print JSON: doc_id, first_seen, last_seen, present_now, …")
def cmd_when(args) -> int:
    from kb.search.when import when

    found = when(_home(args), args.phrase, source=args.source, doc=args.doc, doc_type=args.doc_type)
    if args.json:
        return _json([p.as_json() for p in found])
    if not found:
        print(f"no version of any document contains {args.phrase!r}")
    for p in found:
        state = (
            f"still present (last seen {p.last_seen})"
            if p.present_now
            else f"disappeared {p.disappeared_at} (last seen {p.last_seen or '-'})"
        )
        print(f"{p.doc_id}  {p.title}\n   first seen {p.first_seen}, {state}")
        if len(p.spans) > 1:
            print("   present " + ", ".join(f"{a} → {b or 'now'}" for a, b in p.spans))
        if p.sections:
            print(f"   in: {'; '.join(p.sections)}")
    return 0


@command(
    "compare",
    "compare two captures (HTML or Markdown files) without a store: class, summary, reasons and the diff",
    home=False,
    sources=True,
)
@arg("old", type=Path, help="older capture: .html (extracted with --doc or --select) or .md")
@arg("new", type=Path, help="newer capture")
@arg("--doc", help="extract HTML with this document's declaration")
@arg("--select", action="append", default=[], help="CSS selector to keep in HTML (repeatable)")
@arg("--remove", action="append", default=[], help="CSS selector to drop from HTML (repeatable)")
@arg("--url", default="", help="page URL, to resolve relative links in HTML")
@arg(
    "--detected-at",
    help="when NEW was first seen, ISO 8601 (for the notice period); default: from NEW's "
    "name if it is a capture time (2025-12-04T12-30-02Z.md)",
)
@arg("--context", type=int, default=2, help="unchanged lines shown around each edit")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_compare(args) -> int:
    from diffs.diff import render_text
    from diffs.taxonomy import label_of
    from kb.pipeline import compare_captures
    from kb.timeutil import parse_time

    sources = _sources(args) if args.doc else None
    result, detected_at = compare_captures(
        args.old,
        args.new,
        sources,
        doc_id=args.doc,
        select=tuple(args.select),
        remove=tuple(args.remove),
        url=args.url,
        detected_at=parse_time(args.detected_at) if args.detected_at else None,
    )
    unchanged = not any(op for op, _ in result.ops)
    diff = "" if unchanged else render_text(list(result.ops), context_lines=args.context)
    if args.json:
        return _json(
            {
                "old": str(args.old),
                "new": str(args.new),
                **result.as_json(detected_at=detected_at),
                "detected_at": detected_at,
                "diff": diff,
            }
        )
    c = result.classification
    print(f"{c.label}: {c.summary}")
    dates = f" (stated date {c.stated_date_old or 'none'} → {c.stated_date_new or 'none'})"
    print(
        "silent: "
        + {
            True: "yes, the page's stated date did not change" + dates,
            False: "no" + dates,
            None: "unknown, the page states no date",
        }[c.silent]
    )
    if c.tags:
        print("affects: " + ", ".join(label_of(t) for t in c.tags))
    if c.reasons:
        print("reasons:")
        for r in c.reasons:
            print(f"  - [{r.kind}] {r.text}")
    if c.section_changes:
        print("sections:")
        for section in c.section_changes:
            print(f"  - {section.text}")
    if diff:
        print("diff:")
        sys.stdout.write(diff)
    return 0


@command("extract", "try selectors on a saved page and print the Markdown", home=False, sources=True)
@arg("file", type=Path, help="saved HTML page")
@arg("--doc", help="use this document's declaration")
@arg("--select", action="append", default=[], help="CSS selector to keep (repeatable)")
@arg("--remove", action="append", default=[], help="CSS selector to drop (repeatable)")
@arg("--url", default="", help="page URL, to resolve relative links")
def cmd_extract(args) -> int:
    from kb.record.intake import claim_fault, extract_file

    sources = _sources(args) if args.doc else None
    text = extract_file(
        args.file, sources, doc_id=args.doc, select=tuple(args.select), remove=tuple(args.remove), url=args.url
    )
    sys.stdout.write(text)
    fault = claim_fault(args.file, sources, args.doc, text, url=args.url) if args.doc else None
    if fault is not None:  # what a crawl would record: a failed check, not a version
        print(f"policywatch: {args.file}: not {args.doc} as declared ({fault.kind}): {fault.reason}", file=sys.stderr)
        return 1
    return 0


# -- publishing and keeping ------------------------------------------------------------------


@command("publish", "write the site (MkDocs-material) and the change feed")
@arg("--site", type=Path, help="output folder (default: <home>/site)")
@arg("--site-url", help="absolute URL the site will be served from (for feed links)")
def cmd_publish(args) -> int:
    from kb.pipeline import publish

    result = publish(_home(args), site_dir=args.site, site_url=args.site_url)
    print(
        f"site: {result.site_dir / 'index.html'}\nfeed: {result.feed_path}\n"
        f"pages: {result.pages_written} written, {result.pages_unchanged} unchanged"
    )
    if result.pages_built is not None:
        how = "only what changed" if result.incremental else "the whole site"
        print(f"built: {result.pages_built} of {result.pages_total} pages ({how})")
    site = f" --site {result.site_dir}" if args.site else ""
    print(f"look at it: policywatch serve --home {_home(args)}{site}")
    return 0


@command("serve", "serve the built site on 127.0.0.1 to look at it in a browser (Ctrl-C stops)")
@arg("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
@arg("--site", type=Path, help="the site folder (default: <home>/site)")
def cmd_serve(args) -> int:
    from kb.publish.serve import address, site_server

    site = args.site or _home(args) / "site"
    with site_server(site, args.port) as server:
        print(f"serving {site} at {address(server)} (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # the way to stop it: not an interruption of work
            print("stopped")
    return 0


@command("index", "bring the search index up to date with the store, or --rebuild it")
@arg("--rebuild", action="store_true", help="throw the index away and rebuild it from the store")
def cmd_index(args) -> int:
    from kb.pipeline import reindex

    with _store(args) as store:
        home = store.home
    report = reindex(home, rebuild=args.rebuild)
    how = "rebuilt" if report.rebuilt else "updated"
    print(
        f"index {how} in {report.seconds:.1f} s: {report.updated} documents rewritten, "
        f"{report.added} sections written, {report.deleted} removed; {report.total} sections in all"
    )
    return 0


@command(
    "verify",
    "check the store: bodies match their sha256, versions and changes point at what they came from "
    "and match their chain of digests; changes nothing",
    sources=True,
)
@arg("--json", action="store_true", help="print JSON for scripts")
@arg(
    "--deep",
    action="store_true",
    help="also re-extract each version made by the current extractor from its snapshot, "
    "under the current declarations (--sources), and report a text its snapshot does not yield",
)
@arg(
    "--head",
    type=_head_digest,
    help="a head published before (site's head.json, a feed): report if this store never had it",
)
def cmd_verify(args) -> int:
    from kb.pipeline import verify_home

    report, deep = verify_home(_home(args), head=args.head, sources=_sources(args) if args.deep else None)
    if args.json:
        data = report.as_json()
        if deep is not None:
            data["deep"] = {
                "checked": deep.checked,
                "older_extractor": deep.older_extractor,
                "undeclared": deep.undeclared,
            }
        _json(data)
        return 0 if report.ok else 1
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    if deep is not None:
        counts += f"; deep: {deep.checked} versions re-extracted"
    pending = f"; {report.pending} checks pending (the next crawl records them)" if report.pending else ""
    if report.ok:
        print(f"ok: {report.store}: {counts}; head {report.head}{pending}")
        return 0
    for problem in report.problems:
        print(f"problem: {problem}")
    more = report.problem_count - len(report.problems)
    if more:
        print(f"problem: … and {more} more")
    print(f"policywatch: {report.problem_count} problems in {report.store} ({counts}){pending}", file=sys.stderr)
    return 1


@command("export", "write the store to one portable archive (WARC snapshots, JSON Lines)")
@arg("file", type=Path, help="archive to write, e.g. policywatch-export.tar")
def cmd_export(args) -> int:
    from kb.store.archive import export

    report = export(_home(args), args.file)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    print(f"exported {counts} to {report.path} ({report.bytes / 1e6:.1f} MB)")
    return 0


@command("restore", "rebuild a home from an archive written by `policywatch export`")
@arg("file", type=Path, help="archive to read")
@arg("--head", type=_head_digest, help="a head published before: restore nothing unless the archive's history had it")
def cmd_restore(args) -> int:
    from kb.pipeline import restore

    home = _home(args)
    report, check = restore(args.file, home, head=args.head)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    print(f"restored {counts} into {home}; verify: {'ok' if check.ok else f'{check.problem_count} problems'}")
    return 0 if check.ok else 1


@command("sources import-ota", "convert an Open Terms Archive declaration", home=False)
@arg("file", type=Path, help="OTA service declaration, e.g. declarations/Etsy.json")
@arg("--out", type=Path, help="write <marketplace>.yaml into this sources folder (default: print it)")
@arg("--marketplace", help="marketplace slug (default: from the file name)")
def cmd_sources_import_ota(args) -> int:
    from kb.sources import ota

    conversion = ota.convert_file(args.file, marketplace=args.marketplace)
    for warning in conversion.warnings:
        print(f"policywatch: warning: {warning}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(conversion.yaml_text())
        return 0
    target = ota.write(conversion, args.out)
    print(
        f"wrote {target}: {len(conversion.documents)} documents of {conversion.name} "
        f"(marketplace {conversion.marketplace})"
    )
    return 0


@command("sources validate", "check every declaration strictly", home=False, sources=True)
def cmd_sources_validate(args) -> int:
    sources = _sources(args)
    print(
        f"ok: {len(sources.files)} files, {len(sources.documents)} documents, {len(sources.discover)} discovery rules"
    )
    return 0


@command("sources list", "list declared documents", home=False, sources=True)
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_sources_list(args) -> int:
    sources = _sources(args)
    rows = [d.as_json() for d in sources.documents]
    if args.json:
        return _json(rows)
    for row in rows:
        print(f"{row['id']:<55} {row['url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
