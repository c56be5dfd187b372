"""The ``policywatch`` command: parse, call one library function, print.

Known errors (``kb.errors.PolicywatchError``) become one line on stderr with a hint
and exit status 1; usage errors exit 2 (argparse).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from kb.errors import PolicywatchError, UnknownDocument

CLASSES = ("substantive", "minor", "noise")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except PolicywatchError as err:
        hint = f" (hint: {err.hint})" if err.hint else ""
        print(f"policywatch: {err}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("policywatch: interrupted; what was stored is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policywatch",
        description="Watch the rules marketplaces impose on sellers: crawl, diff, search, publish.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    def command(name: str, func, help: str, home=True, sources=False):
        p = sub.add_parser(name, help=help, description=help)
        if home:
            p.add_argument("--home", help="home folder of the store, index and site "
                                          "(default: $POLICYWATCH_HOME or ~/.policywatch)")
        if sources:
            p.add_argument("--sources", help="folder of source declarations (default: the shipped sources/)")
        p.set_defaults(func=func)
        return p

    p = command("demo", cmd_demo, "run the whole pipeline on the bundled demo marketplace")
    p.add_argument("--site-url", help="absolute URL the site will be served from (for feed links)")

    p = command("crawl", cmd_crawl, "fetch every declared document, record changes, update the index",
                sources=True)
    p.add_argument("--fast", action="store_true",
                   help="no politeness delays (only for servers you run yourself)")

    command("record", cmd_record, "process stored snapshots not processed yet (after `scrapy crawl policy`)",
            sources=True)

    p = command("import", cmd_import, "record saved captures as snapshots taken at their capture times",
                sources=True)
    p.add_argument("file", type=Path, help="saved HTML capture, or a folder of captures named by their "
                                           "UTC capture time (2025-12-04T12-30-02Z.html)")
    p.add_argument("--doc", required=True, help="document id, e.g. amazon-us/business-solutions-agreement")
    p.add_argument("--at", help="capture time of FILE, ISO 8601 UTC (2025-12-04T12:30:02Z); "
                                "default: read from the file name")
    p.add_argument("--url", help="URL the capture was taken from (default: the declared URL)")

    p = command("backfill", cmd_backfill, "record past captures from a web archive, so a history "
                                          "starts before the first crawl", sources=True)
    p.add_argument("--wayback", action="store_true", required=True,
                   help="from a Wayback Machine (CDX API); the only archive supported")
    p.add_argument("--doc", action="append", default=[],
                   help="document id (repeatable; default: every declared document)")
    p.add_argument("--wayback-url", help="archive address (default: wayback_url in <home>/crawl.yaml, "
                                         "$POLICYWATCH_WAYBACK_URL, or https://web.archive.org)")
    p.add_argument("--since", help="only captures from this date (2019-01-01)")
    p.add_argument("--until", help="only captures up to this date")
    p.add_argument("--limit", type=int, help="at most this many new captures per document")
    p.add_argument("--delay", type=float, default=1.0, help="seconds between requests to the archive")

    p = command("extract", cmd_extract, "try selectors on a saved page and print the Markdown",
                home=False, sources=True)
    p.add_argument("file", type=Path, help="saved HTML page")
    p.add_argument("--doc", help="use this document's declaration")
    p.add_argument("--select", action="append", default=[], help="CSS selector to keep (repeatable)")
    p.add_argument("--remove", action="append", default=[], help="CSS selector to drop (repeatable)")
    p.add_argument("--url", default="", help="page URL, to resolve relative links")

    p = command("compare", cmd_compare, "compare two captures (HTML or Markdown files) without a store: "
                                        "class, summary, reasons and the diff", home=False, sources=True)
    p.add_argument("old", type=Path, help="older capture: .html (extracted with --doc or --select) or .md")
    p.add_argument("new", type=Path, help="newer capture")
    p.add_argument("--doc", help="extract HTML with this document's declaration")
    p.add_argument("--select", action="append", default=[], help="CSS selector to keep in HTML (repeatable)")
    p.add_argument("--remove", action="append", default=[], help="CSS selector to drop from HTML (repeatable)")
    p.add_argument("--url", default="", help="page URL, to resolve relative links in HTML")
    p.add_argument("--detected-at", help="when NEW was first seen, ISO 8601 (for the notice period); "
                                         "default: from NEW's name if it is a capture time "
                                         "(2025-12-04T12-30-02Z.md)")
    p.add_argument("--context", type=int, default=2, help="unchanged lines shown around each edit")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("reextract", cmd_reextract, "apply the current declarations and extraction code to stored "
                                            "snapshots; differences are technical upgrades, kept out of the "
                                            "changelog and the feed", sources=True)
    p.add_argument("--doc", action="append", default=[], help="only this document (repeatable)")
    p.add_argument("--history", action="store_true",
                   help="derive each document's whole history again from every snapshot")

    p = command("changes", cmd_changes, "list recorded changes, newest first")
    p.add_argument("--doc", help="only this document")
    p.add_argument("--class", dest="label", choices=CLASSES, help="only this class")
    p.add_argument("--technical", action="store_true",
                   help="include technical upgrades (changes made by new extraction rules only)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("diff", cmd_diff, "print the diff of a document's latest change (or of --change KEY)")
    p.add_argument("doc", help="document id")
    p.add_argument("--change", help="change key (see `policywatch changes`)")
    p.add_argument("--context", type=int, default=2, help="unchanged lines shown around each edit")

    p = command("show", cmd_show, "print a document's text, now or as it read on a date, with its evidence")
    p.add_argument("doc", help="document id")
    p.add_argument("--as-of", metavar="DATE", help="the version in force at DATE (2026-08-20 or 2026-08-20T12:00:00Z)")
    p.add_argument("--section", metavar="ID", help="only this section and its subsections (id or its last part)")

    p = command("search", cmd_search, "search the rules: current text by default, or as of a date, or all versions")
    p.add_argument("query", help='words, "phrases", AND/OR/NOT, field:value (title, section, body, doc, '
                                 'source, type, class), prefix*, fuzzy~')
    p.add_argument("--source", help="only this marketplace, e.g. amazon-us")
    p.add_argument("--doc", help="only this document id")
    p.add_argument("--type", dest="doc_type", help="only this document type, e.g. agreement")
    p.add_argument("--since", metavar="DATE", help="only text that took effect at or after DATE")
    p.add_argument("--until", metavar="DATE", help="only text that took effect before DATE (a bare date: "
                                                   "until the end of that day)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--as-of", metavar="DATE", help="search the text as it read at DATE")
    scope.add_argument("--history", action="store_true", help="search every version, not just the current text")
    p.add_argument("--changed", action="store_true",
                   help="only text a recorded change introduced (in the --since/--until window; every version "
                        "unless --as-of)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("history", cmd_history, "list a document's versions and changes, with class and summary")
    p.add_argument("doc", help="document id")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("when", cmd_when, "when a phrase first appeared in, and disappeared from, each document")
    p.add_argument("phrase", help='the words to look for, e.g. "ask a buyer to change or remove a product review"')
    p.add_argument("--source", help="only this marketplace")
    p.add_argument("--doc", help="only this document id")
    p.add_argument("--type", dest="doc_type", help="only this document type")
    p.add_argument("--json", action="store_true", help="print JSON: doc_id, first_seen, last_seen, present_now, …")

    p = command("index", cmd_index, "bring the search index up to date with the store, or --rebuild it")
    p.add_argument("--rebuild", action="store_true", help="throw the index away and rebuild it from the store")

    p = command("publish", cmd_publish, "write the site (MkDocs-material) and the change feed")
    p.add_argument("--site", type=Path, help="output folder (default: <home>/site)")
    p.add_argument("--site-url", help="absolute URL the site will be served from (for feed links)")

    p = command("status", cmd_status, "every document with its last check, last change and failure")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("verify", cmd_verify, "check the store: bodies match their sha256, versions and changes "
                                      "point at what they came from; changes nothing")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("export", cmd_export, "write the store to one portable archive (WARC snapshots, JSON Lines)")
    p.add_argument("file", type=Path, help="archive to write, e.g. policywatch-export.tar")

    p = command("restore", cmd_restore, "rebuild a home from an archive written by `policywatch export`")
    p.add_argument("file", type=Path, help="archive to read")

    p = command("sources", None, "validate or list source declarations", home=False)
    sources_sub = p.add_subparsers(metavar="ACTION")
    o = sources_sub.add_parser("import-ota", help="convert an Open Terms Archive declaration")
    o.add_argument("file", type=Path, help="OTA service declaration, e.g. declarations/Etsy.json")
    o.add_argument("--out", type=Path, help="write <marketplace>.yaml into this sources folder "
                                            "(default: print it)")
    o.add_argument("--marketplace", help="marketplace slug (default: from the file name)")
    o.set_defaults(func=cmd_sources_import_ota)
    v = sources_sub.add_parser("validate", help="check every declaration strictly")
    v.add_argument("--sources", help="folder of source declarations (default: the shipped sources/)")
    v.set_defaults(func=cmd_sources_validate)
    s = sources_sub.add_parser("list", help="list declared documents")
    s.add_argument("--sources", help="folder of source declarations (default: the shipped sources/)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sources_list)
    p.set_defaults(func=lambda args: p.print_help() or 2)
    return parser


# -- commands ----------------------------------------------------------------

def _home(args) -> Path:
    from kb.store import resolve_home

    return resolve_home(args.home)


def _store(args):
    from kb.errors import StoreError
    from kb.store import Store

    home = _home(args)
    if not (home / "store.sqlite").exists():
        raise StoreError(f"no store in {home}",
                         hint="run `policywatch crawl` or `policywatch demo --home DIR` first, or pass --home")
    return Store(home)


def cmd_demo(args) -> int:
    from kb.demo import run_demo

    run_demo(_home(args), site_url=args.site_url, out=sys.stdout)
    return 0


def cmd_crawl(args) -> int:
    from kb.pipeline import crawl, open_sources

    home = _home(args)
    report = crawl(home, open_sources(args.sources), fast=args.fast)
    r = report.record
    print(f"fetched {report.fetched} pages ({report.fetch_failures} fetch failures); "
          f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, "
          f"{r.unchanged + report.known_unchanged + report.not_modified} unchanged, "
          f"{len(r.failed)} failed checks, {len(r.gone)} gone; index: {report.index.updated} updated")
    if report.not_modified:
        print(f"  {report.not_modified} unchanged by conditional request (HTTP 304)")
    for doc_id, reason in report.fetch_failed:
        print(f"  failed  {doc_id}: {reason}")
    for doc_id, reason in r.failed:
        print(f"  failed  {doc_id}: {reason}")
    for doc_id in r.gone:
        print(f"  gone    {doc_id}")
    for doc_id, reason in report.moved_away:
        print(f"  gone    {doc_id}: {reason}")
    if report.needs_browser:
        print(f"{len(report.needs_browser)} documents need a browser and were not crawled: "
              f"{report.browser_problem}", file=sys.stderr)
        for doc_id in report.needs_browser:
            print(f"  needs a browser  {doc_id}", file=sys.stderr)
    return 0


def cmd_record(args) -> int:
    from kb.pipeline import open_sources, record

    r = record(_home(args), open_sources(args.sources))
    print(f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, {r.unchanged} unchanged, "
          f"{len(r.failed)} failed checks, {len(r.gone)} gone")
    return 0


def cmd_import(args) -> int:
    from kb.record.intake import capture_time, import_folder
    from kb.pipeline import import_capture, open_sources
    from kb.timeutil import parse_time

    sources = open_sources(args.sources)
    if args.file.is_dir():
        if args.at:
            raise PolicywatchError("--at dates one file; a folder's captures are dated by their names",
                                   hint="drop --at, or import one file at a time")
        count, report = import_folder(_home(args), sources, args.doc, args.file, url=args.url)
        print(f"imported {count} captures of {args.doc} from {args.file}: "
              f"{len(report.first_versions) + len(report.new_versions)} versions, "
              f"{len(report.new_versions)} changes, {report.unchanged} unchanged, "
              f"{len(report.failed)} failed, {len(report.gone)} gone")
        for _, reason in report.failed:
            print(f"  failed  {reason}")
        return 0
    if args.at:
        at = parse_time(args.at)
    else:
        try:
            at = capture_time(args.file)
        except PolicywatchError:
            raise PolicywatchError(f"{args.file.name}: when was it captured?",
                                   hint="give --at 2025-12-04T12:30:02Z, or name the file "
                                        "2025-12-04T12-30-02Z.html") from None
    report = import_capture(_home(args), sources, doc_id=args.doc, path=args.file, at=at, url=args.url)
    outcome = ("new document" if report.first_versions else "changed" if report.new_versions
               else "unchanged" if report.unchanged else "gone" if report.gone
               else f"failed: {report.failed[0][1]}" if report.failed else "recorded")
    print(f"imported {args.file} as {args.doc} at {at}: {outcome}")
    return 0


def cmd_backfill(args) -> int:
    from kb.sources.config import load_config
    from kb.record.intake import PoliteClient, backfill_wayback
    from kb.pipeline import open_sources
    from kb.timeutil import parse_time

    home = _home(args)
    sources = open_sources(args.sources)
    config = load_config(home)
    doc_ids = args.doc or [d.doc_id for d in sources.documents]
    since = parse_time(args.since) if args.since else None
    until = parse_time(args.until) if args.until else None
    results = backfill_wayback(home, sources, doc_ids, base_url=args.wayback_url or config.wayback_url,
                               client=PoliteClient(config.user_agent, delay=args.delay),
                               since=since, until=until, limit=args.limit)
    for r in results:
        if r.note:
            print(f"{r.doc_id}: skipped, {r.note}")
            continue
        changes = len(r.record.new_versions) if r.record else 0
        print(f"{r.doc_id}: {r.found} archived captures, {r.imported} imported, {r.skipped} already "
              f"stored, {len(r.failed)} not downloaded; {changes} changes recorded")
        for problem in r.failed:
            print(f"  not downloaded  {problem}")
        for _, reason in (r.record.failed if r.record else []):
            print(f"  failed  {reason}")
    return 0


def cmd_extract(args) -> int:
    from diffs.extract import ExtractionError, Rules, extract

    if not args.file.is_file():
        raise PolicywatchError(f"{args.file}: no such file", hint="give a saved HTML page")
    rules = Rules(select=tuple(args.select), remove=tuple(args.remove))
    url = args.url
    if args.doc:
        from dataclasses import replace

        from diffs.combine import is_combined
        from kb.pipeline import open_sources

        declared = open_sources(args.sources).get(args.doc)
        if declared is None:
            raise UnknownDocument(f"unknown document '{args.doc}'", hint="see `policywatch sources list`")
        rules, url = declared.rules, url or declared.url
        if len(declared.pages) > 1 and not is_combined(args.file.read_bytes()):
            # One saved page of a combined document: use that page's rules.
            page = next((p for p in declared.pages if p.url == args.url), None)
            if page is None:
                raise PolicywatchError(f"{args.doc} combines {len(declared.pages)} pages; which one is "
                                       f"{args.file.name}?", hint="pass --url with one of: "
                                       + " ".join(p.url for p in declared.pages))
            rules = page.rules
        if args.select:
            rules = replace(rules, select=tuple(args.select), select_ranges=())
        rules = replace(rules, remove=rules.remove + tuple(args.remove))
    try:
        extracted = extract(args.file.read_bytes(), rules, url=url)
    except ExtractionError as exc:
        raise PolicywatchError(str(exc), hint="adjust --select/--remove or the declaration") from None
    sys.stdout.write(extracted.markdown)
    return 0


_CAPTURE_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})Z")


def _read_capture(path: Path, args) -> str:
    """Normalized Markdown of a capture: HTML is extracted with the declaration or selectors."""
    from dataclasses import replace

    from diffs import ExtractionError, Rules, extract, normalize_markdown

    if not path.is_file():
        raise PolicywatchError(f"{path}: no such file", hint="give two saved captures, HTML or Markdown")
    body = path.read_bytes()
    head = body[:2048].lstrip().lower()
    is_html = path.suffix.lower() in (".html", ".htm", ".xhtml") or (
        path.suffix.lower() not in (".md", ".markdown", ".txt")
        and head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml"))
    )
    if not is_html:
        return normalize_markdown(body.decode("utf-8", errors="replace"))
    rules, url = Rules(select=tuple(args.select), remove=tuple(args.remove)), args.url
    if args.doc:
        from kb.pipeline import open_sources

        declared = open_sources(args.sources).get(args.doc)
        if declared is None:
            raise UnknownDocument(f"unknown document '{args.doc}'", hint="see `policywatch sources list`")
        rules, url = declared.rules, url or declared.url
        if args.select:
            rules = replace(rules, select=tuple(args.select), select_ranges=())
        rules = replace(rules, remove=rules.remove + tuple(args.remove))
    try:
        return extract(body, rules, url=url).markdown
    except ExtractionError as exc:
        raise PolicywatchError(f"{path}: {exc}", hint="adjust --select/--remove or --doc") from None


def cmd_compare(args) -> int:
    from diffs import compare
    from diffs.diff import render_text
    from diffs.taxonomy import label_of
    from kb.timeutil import parse_time

    old, new = _read_capture(args.old, args), _read_capture(args.new, args)
    detected_at = parse_time(args.detected_at) if args.detected_at else None
    named = _CAPTURE_NAME.search(args.new.name)
    if detected_at is None and named:
        detected_at = f"{named.group(1)}T{named.group(2)}:{named.group(3)}:{named.group(4)}Z"
    result = compare(old, new, detected_at=detected_at)
    diff = render_text(list(result.ops), context_lines=args.context) if old != new else ""
    if args.json:
        data = {"old": str(args.old), "new": str(args.new), "detected_at": detected_at,
                **result.as_json(), "diff": diff}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    c = result.classification
    print(f"{c.label}: {c.summary}")
    dates = f" (stated date {c.stated_date_old or 'none'} → {c.stated_date_new or 'none'})"
    print("silent: " + {True: "yes, the page's stated date did not change" + dates,
                        False: "no" + dates, None: "unknown, the page states no date"}[c.silent])
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


def cmd_reextract(args) -> int:
    from kb.store.lock import run_lock
    from kb.pipeline import open_sources, update_index, utc_now
    from kb.record import reextract

    sources = open_sources(args.sources)
    with _store(args) as store, run_lock(store.home, "reextract"):
        report = reextract(store, sources, args.doc or None, now=utc_now(), history=args.history)
        update_index(store.home, store)
    if args.history:
        print(f"rebuilt the history of {len(report.rebuilt)} documents from their snapshots")
    else:
        print(f"{len(report.upgraded)} technical upgrades, {len(report.up_to_date)} documents up to date, "
              f"{len(report.failed)} failed")
    for doc_id, summary in report.upgraded:
        print(f"  upgraded  {doc_id}: {summary}")
    for doc_id, reason in report.failed:
        print(f"  failed    {doc_id}: {reason}")
    return 0


def _change_json(change, doc) -> dict:
    return {
        "key": change.key,
        "doc_id": change.doc_id,
        "title": doc.title if doc else change.doc_id,
        "url": doc.url if doc else None,
        "detected_at": change.detected_at,
        "class": change.label,
        "summary": change.summary,
        "reasons": [{"kind": r.kind, "text": r.text} for r in change.reasons],
        "silent": change.silent,
        "sections": list(change.sections),
        "section_changes": list(change.section_changes),
        "tags": list(change.tags),
        "effective_date": change.effective_date,
        "notice_days": change.notice_days,
        "technical": change.technical,
    }


def cmd_changes(args) -> int:
    with _store(args) as store:
        if args.doc:
            store.document(args.doc)
        docs = {d.doc_id: d for d in store.documents()}
        changes = [c for c in store.changes(args.doc, technical=args.technical)
                   if not args.label or c.label == args.label]
    changes.sort(key=lambda c: (c.detected_at, c.id), reverse=True)
    if args.json:
        print(json.dumps([_change_json(c, docs.get(c.doc_id)) for c in changes], indent=2,
                         ensure_ascii=False))
        return 0
    if not changes:
        print("no changes recorded yet")
    from diffs.taxonomy import label_of

    for c in changes:
        flags = (" [silent]" if c.silent else "") + (" [technical]" if c.technical else "")
        print(f"{c.detected_at}  {c.label:<11} {c.doc_id}{flags}\n    {c.summary}")
        for reason in c.reasons:
            print(f"      - [{reason.kind}] {reason.text}")
        for section in c.section_changes:
            print(f"      in {section}")
        if c.tags:
            print(f"      affects: {', '.join(label_of(t) for t in c.tags)}")
    return 0


def cmd_diff(args) -> int:
    from diffs.diff import render_text

    with _store(args) as store:
        store.document(args.doc)
        changes = store.changes(args.doc, technical=bool(args.change))  # a technical one by its key
    if args.change:
        changes = [c for c in changes if c.key == args.change or c.key.endswith("/" + args.change)]
        if not changes:
            raise PolicywatchError(f"no change '{args.change}' in {args.doc}",
                                   hint=f"list them with `policywatch changes --doc {args.doc}`")
    if not changes:
        print(f"{args.doc} has not changed since it was first captured")
        return 0
    change = changes[-1]
    print(f"{change.key}  {change.label}  {change.summary}")
    sys.stdout.write(render_text(list(change.ops), context_lines=args.context))
    return 0


def cmd_show(args) -> int:
    if args.as_of or args.section:
        return _show_as_of(args)
    with _store(args) as store:
        doc = store.document(args.doc)
        version = store.latest_version(args.doc)
    if version is None:
        raise PolicywatchError(f"{args.doc} has no version yet",
                               hint=f"its last check: {doc.failure or 'none'}")
    print(f"# {version.title}\n")
    print(f"<!-- {doc.doc_id} | source: {doc.url} | captured {version.captured_at} | "
          f"snapshot sha256 {version.snapshot_sha256} | status {doc.status} -->\n")
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
    print(f"<!-- {doc.doc_id} | source: {doc.url} | {when}version {span.number}, captured "
          f"{version.captured_at}, {until} | snapshot sha256 {version.snapshot_sha256} | "
          f"status {doc.status} -->\n")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_search(args) -> int:
    from kb.search import search

    hits = search(_home(args), args.query, limit=args.limit, source=args.source, doc=args.doc,
                  doc_type=args.doc_type, since=args.since, until=args.until, as_of=args.as_of,
                  history=args.history, changed=args.changed)
    if args.json:
        print(json.dumps([h.as_json() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print(f"no match for {args.query!r}")
    for rank, hit in enumerate(hits, 1):
        where = hit.section if hit.section.startswith(hit.title) else " › ".join(
            part for part in (hit.title, hit.section) if part)
        effect = (f"in effect since {hit.valid_from}" if hit.valid_to is None
                  else f"in effect {hit.valid_from} → {hit.valid_to}")
        change = "first capture" if hit.change_class == "first" else f"{hit.change_class} change"
        anchor = f"#{hit.section_id}" if hit.section_id else ""
        print(f"{rank}. {where}\n   {hit.doc_id}{anchor}  [{hit.marketplace}, {hit.doc_type}]  "
              f"{effect} ({change})  score {hit.score:.2f}\n   {hit.url}\n   {hit.snippet}")
    return 0


def cmd_history(args) -> int:
    from kb.record.history import timeline

    with _store(args) as store:
        line = timeline(store, args.doc)
    doc = line.document
    rows = [{
        "number": s.number, "version_id": s.version.id, "valid_from": s.valid_from,
        "valid_to": s.valid_to, "current": s.current, "title": s.version.title,
        "snapshot_sha256": s.version.snapshot_sha256, "text_sha256": s.version.text_sha256,
        "class": s.label, "change": None if s.change is None else {
            "key": s.change.key, "class": s.change.label, "summary": s.change.summary,
            "silent": s.change.silent, "sections": list(s.change.sections)},
    } for s in line.versions]
    if args.json:
        print(json.dumps({"doc_id": doc.doc_id, "title": doc.title, "url": doc.url, "status": doc.status,
                          "gone_at": line.gone_at, "versions": rows}, indent=2, ensure_ascii=False))
        return 0
    print(f"{doc.title}  [{doc.doc_id}]  {doc.status}\n{doc.url}")
    if not line.versions:
        print(f"no version yet (last check: {doc.failure or 'none'})")
    for s in line.versions:
        until = s.valid_to or ("now" if s.current else "?")
        what = "first capture" if s.change is None else f"{s.change.label:<11} {s.change.summary}"
        silent = " [silent]" if s.change is not None and s.change.silent else ""
        print(f"v{s.number:<3} {s.valid_from} → {until:<20}  snapshot {s.version.snapshot_sha256[:12]}  "
              f"{what}{silent}")
        if s.change is not None and s.change.sections:
            print(f"      sections: {'; '.join(s.change.sections)}")
    if line.gone_at:
        print(f"gone since {line.gone_at} ({doc.failure})")
    return 0


def cmd_when(args) -> int:
    from kb.search.when import when

    found = when(_home(args), args.phrase, source=args.source, doc=args.doc, doc_type=args.doc_type)
    if args.json:
        print(json.dumps([p.as_json() for p in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"no version of any document contains {args.phrase!r}")
    for p in found:
        state = (f"still present (last seen {p.last_seen})" if p.present_now
                 else f"disappeared {p.disappeared_at} (last seen {p.last_seen or '-'})")
        print(f"{p.doc_id}  {p.title}\n   first seen {p.first_seen}, {state}")
        if len(p.spans) > 1:
            print("   present " + ", ".join(f"{a} → {b or 'now'}" for a, b in p.spans))
        if p.sections:
            print(f"   in: {'; '.join(p.sections)}")
    return 0


def cmd_index(args) -> int:
    from kb import search as index
    from kb.record.history import timelines
    from kb.store.lock import run_lock

    home = _home(args)
    with run_lock(home, "index"):
        with _store(args) as store:
            lines = timelines(store)
        report = index.rebuild(home, lines) if args.rebuild else index.sync(home, lines)
    how = "rebuilt" if report.rebuilt else "updated"
    print(f"index {how} in {report.seconds:.1f} s: {report.updated} documents rewritten, "
          f"{report.added} sections written, {report.deleted} removed; {report.total} sections in all")
    return 0


def cmd_publish(args) -> int:
    from kb.pipeline import publish

    result = publish(_home(args), site_dir=args.site, site_url=args.site_url)
    print(f"site: {result.site_dir / 'index.html'}\nfeed: {result.feed_path}\n"
          f"pages: {result.pages_written} written, {result.pages_unchanged} unchanged")
    if result.pages_built is not None:
        how = "only what changed" if result.incremental else "the whole site"
        print(f"built: {result.pages_built} of {result.pages_total} pages ({how})")
    return 0


def cmd_status(args) -> int:
    with _store(args) as store:
        docs = store.documents()
    if args.json:
        print(json.dumps([d.__dict__ for d in docs], indent=2, ensure_ascii=False))
        return 0
    for d in docs:
        problem = f"  {d.status.upper()}: {d.failure}" if d.status != "active" else ""
        print(f"{d.doc_id:<55} checked {d.last_good_check or '-':<21} changed {d.last_changed or '-':<21}{problem}")
    return 0


def cmd_verify(args) -> int:
    from kb.store.verify import verify

    report = verify(_home(args))
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return 0 if report.ok else 1
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    pending = f"; {report.pending} checks pending (the next crawl records them)" if report.pending else ""
    if report.ok:
        print(f"ok: {report.store}: {counts}{pending}")
        return 0
    for problem in report.problems:
        print(f"problem: {problem}")
    more = report.problem_count - len(report.problems)
    if more:
        print(f"problem: … and {more} more")
    print(f"policywatch: {report.problem_count} problems in {report.store} ({counts}){pending}",
          file=sys.stderr)
    return 1


def cmd_export(args) -> int:
    from kb.store.archive import export

    report = export(_home(args), args.file)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    print(f"exported {counts} to {report.path} ({report.bytes / 1e6:.1f} MB)")
    return 0


def cmd_restore(args) -> int:
    from kb.store.archive import restore
    from kb.store.verify import verify

    home = _home(args)
    report = restore(args.file, home)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    check = verify(home)
    print(f"restored {counts} into {home}; verify: {'ok' if check.ok else f'{check.problem_count} problems'}")
    return 0 if check.ok else 1


def cmd_sources_validate(args) -> int:
    from kb.pipeline import open_sources

    sources = open_sources(args.sources)
    print(f"ok: {len(sources.files)} files, {len(sources.documents)} documents, "
          f"{len(sources.discover)} discovery rules")
    return 0


def cmd_sources_import_ota(args) -> int:
    from kb.sources import ota

    conversion = ota.convert_file(args.file, marketplace=args.marketplace)
    for warning in conversion.warnings:
        print(f"policywatch: warning: {warning}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(conversion.yaml_text())
        return 0
    target = ota.write(conversion, args.out)
    print(f"wrote {target}: {len(conversion.documents)} documents of {conversion.name} "
          f"(marketplace {conversion.marketplace})")
    return 0


def cmd_sources_list(args) -> int:
    from kb.pipeline import open_sources

    sources = open_sources(args.sources)
    rows = [{"id": d.doc_id, "title": d.title, "url": d.url, "marketplace": d.marketplace,
             "type": d.doc_type, "file": d.file, "render": "browser" if d.browser else "http",
             "pages": [p.url for p in d.pages]} for d in sources.documents]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['id']:<55} {row['url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
