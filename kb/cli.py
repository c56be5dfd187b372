"""The ``policywatch`` command: parse, call one library function, print.

Known errors (``kb.errors.PolicywatchError``) become one line on stderr with a hint
and exit status 1; usage errors exit 2 (argparse).
"""
from __future__ import annotations

import argparse
import json
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

    p = command("import", cmd_import, "record a saved capture as a snapshot taken at a given time",
                sources=True)
    p.add_argument("file", type=Path, help="saved HTML capture")
    p.add_argument("--doc", required=True, help="document id, e.g. amazon-us/business-solutions-agreement")
    p.add_argument("--at", required=True, help="capture time, ISO 8601 UTC (2025-12-04T12:30:02Z)")
    p.add_argument("--url", help="URL the capture was taken from (default: the declared URL)")

    p = command("extract", cmd_extract, "try selectors on a saved page and print the Markdown",
                home=False, sources=True)
    p.add_argument("file", type=Path, help="saved HTML page")
    p.add_argument("--doc", help="use this document's declaration")
    p.add_argument("--select", action="append", default=[], help="CSS selector to keep (repeatable)")
    p.add_argument("--remove", action="append", default=[], help="CSS selector to drop (repeatable)")
    p.add_argument("--url", default="", help="page URL, to resolve relative links")

    p = command("changes", cmd_changes, "list recorded changes, newest first")
    p.add_argument("--doc", help="only this document")
    p.add_argument("--class", dest="label", choices=CLASSES, help="only this class")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("diff", cmd_diff, "print the diff of a document's latest change (or of --change KEY)")
    p.add_argument("doc", help="document id")
    p.add_argument("--change", help="change key (see `policywatch changes`)")
    p.add_argument("--context", type=int, default=2, help="unchanged lines shown around each edit")

    p = command("show", cmd_show, "print a document's current text with its evidence")
    p.add_argument("doc", help="document id")

    p = command("search", cmd_search, "full-text search of the current documents")
    p.add_argument("query", help='words, "phrases", AND/OR/NOT, field:value, prefix*, fuzzy~')
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("publish", cmd_publish, "write the site (MkDocs-material) and the change feed")
    p.add_argument("--site", type=Path, help="output folder (default: <home>/site)")
    p.add_argument("--site-url", help="absolute URL the site will be served from (for feed links)")

    p = command("status", cmd_status, "every document with its last check, last change and failure")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")

    p = command("sources", None, "validate or list source declarations", home=False)
    sources_sub = p.add_subparsers(metavar="ACTION")
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
          f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, {r.unchanged} unchanged, "
          f"{len(r.failed)} failed checks, {len(r.gone)} gone; index: {report.index.updated} updated")
    for doc_id, reason in r.failed:
        print(f"  failed  {doc_id}: {reason}")
    for doc_id in r.gone:
        print(f"  gone    {doc_id}")
    return 0


def cmd_record(args) -> int:
    from kb.pipeline import open_sources, record

    r = record(_home(args), open_sources(args.sources))
    print(f"{len(r.first_versions)} new documents, {len(r.new_versions)} changed, {r.unchanged} unchanged, "
          f"{len(r.failed)} failed checks, {len(r.gone)} gone")
    return 0


def cmd_import(args) -> int:
    from kb.pipeline import import_capture, open_sources
    from kb.timeutil import parse_time

    report = import_capture(_home(args), open_sources(args.sources), doc_id=args.doc,
                            path=args.file, at=parse_time(args.at), url=args.url)
    outcome = ("new document" if report.first_versions else "changed" if report.new_versions
               else "unchanged" if report.unchanged else "gone" if report.gone
               else f"failed: {report.failed[0][1]}" if report.failed else "recorded")
    print(f"imported {args.file} as {args.doc} at {parse_time(args.at)}: {outcome}")
    return 0


def cmd_extract(args) -> int:
    from diffs.extract import ExtractionError, Rules, extract

    if not args.file.is_file():
        raise PolicywatchError(f"{args.file}: no such file", hint="give a saved HTML page")
    rules = Rules(select=tuple(args.select), remove=tuple(args.remove))
    url = args.url
    if args.doc:
        from kb.pipeline import open_sources

        declared = open_sources(args.sources).get(args.doc)
        if declared is None:
            raise UnknownDocument(f"unknown document '{args.doc}'", hint="see `policywatch sources list`")
        rules = Rules(select=tuple(args.select) or declared.rules.select,
                      remove=declared.rules.remove + tuple(args.remove))
        url = url or declared.url
    try:
        extracted = extract(args.file.read_bytes(), rules, url=url)
    except ExtractionError as exc:
        raise PolicywatchError(str(exc), hint="adjust --select/--remove or the declaration") from None
    sys.stdout.write(extracted.markdown)
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
    }


def cmd_changes(args) -> int:
    with _store(args) as store:
        if args.doc:
            store.document(args.doc)
        docs = {d.doc_id: d for d in store.documents()}
        changes = [c for c in store.changes(args.doc) if not args.label or c.label == args.label]
    changes.sort(key=lambda c: (c.detected_at, c.id), reverse=True)
    if args.json:
        print(json.dumps([_change_json(c, docs.get(c.doc_id)) for c in changes], indent=2,
                         ensure_ascii=False))
        return 0
    if not changes:
        print("no changes recorded yet")
    for c in changes:
        silent = " [silent]" if c.silent else ""
        print(f"{c.detected_at}  {c.label:<11} {c.doc_id}{silent}\n    {c.summary}")
        for reason in c.reasons:
            print(f"      - {reason.text}")
    return 0


def cmd_diff(args) -> int:
    from diffs.diff import render_text

    with _store(args) as store:
        store.document(args.doc)
        changes = store.changes(args.doc)
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


def cmd_search(args) -> int:
    from kb.index import search

    hits = search(_home(args), args.query, limit=args.limit)
    if args.json:
        print(json.dumps([h.as_json() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print(f"no match for {args.query!r}")
    for rank, hit in enumerate(hits, 1):
        print(f"{rank}. {hit.title}  [{hit.doc_id}]  score {hit.score:.2f}\n   {hit.url}\n   {hit.snippet}")
    return 0


def cmd_publish(args) -> int:
    from kb.pipeline import publish

    result = publish(_home(args), site_dir=args.site, site_url=args.site_url)
    print(f"site: {result.site_dir / 'index.html'}\nfeed: {result.feed_path}\n"
          f"pages: {result.pages_written} written, {result.pages_unchanged} unchanged")
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


def cmd_sources_validate(args) -> int:
    from kb.pipeline import open_sources

    sources = open_sources(args.sources)
    print(f"ok: {len(sources.files)} files, {len(sources.documents)} documents, "
          f"{len(sources.discover)} discovery rules")
    return 0


def cmd_sources_list(args) -> int:
    from kb.pipeline import open_sources

    sources = open_sources(args.sources)
    rows = [{"id": d.doc_id, "title": d.title, "url": d.url, "marketplace": d.marketplace,
             "type": d.doc_type, "file": d.file} for d in sources.documents]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['id']:<55} {row['url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
