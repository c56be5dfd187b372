"""Commands that read: changes, diff, show, search, history, when, compare, extract."""

from __future__ import annotations

import sys
from pathlib import Path

from kb.cli.helpers import _home, _json, _page_url, _sources, _store
from kb.cli.registry import arg, command
from kb.errors import NoVersion, UsageError
from kb.models import CLASSES

# -- reading ---------------------------------------------------------------------------------


@command("changes", "list recorded changes, newest first, each as a brief", sources=True)
@arg("--since", metavar="DATE", help="only changes detected at or after DATE (2026-08-20 or 2026-08-20T12:00:00Z)")
@arg("--source", metavar="M", help="only this marketplace, e.g. amazon-us")
@arg("--doc", help="only this document")
@arg("--class", dest="label", choices=CLASSES, help="only this class")
@arg("--severity", metavar="S", help="only this severity: high, medium or low (several: high,medium)")
@arg("--technical", action="store_true", help="include technical upgrades (changes made by new extraction rules only)")
@arg("--flaps", action="store_true", help="include flaps (switches back to a recent text, never reported)")
@arg("--json", action="store_true", help="print JSON for scripts")
def cmd_changes(args) -> int:
    from diffs.announcements import NOT_SEEN, Announcement, not_seen_note
    from diffs.announcements import note as announcement_note
    from diffs.brief import change_json
    from diffs.briefing import brief
    from diffs.severity import severity
    from kb.record.announcements import announcements
    from kb.timeutil import parse_time

    severities = _severities(args.severity)
    since = parse_time(args.since) if args.since else None
    names = _marketplace_names(args)
    with _store(args) as store:
        if args.doc:
            store.document(args.doc)
        docs = {d.doc_id: d for d in store.documents()}
        names.update(store.marketplace_names())  # the names its crawls were declared with
        if args.source and not any(d.marketplace == args.source for d in docs.values()):
            known = sorted({d.marketplace for d in docs.values()})
            raise UsageError(
                f"no marketplace '{args.source}' in the store",
                hint=f"one of: {', '.join(known)}" if known else "run `policywatch crawl` first",
            )
        changes = [
            c
            for c in store.changes(args.doc, technical=args.technical, flaps=args.flaps, since=since)
            if (not args.label or c.label == args.label)
            and (not args.source or (c.doc_id in docs and docs[c.doc_id].marketplace == args.source))
            and (not severities or severity(c) in severities)
        ]
        # Linked over every change: a filter must not turn a carried-out announcement into a missed one.
        announced = announcements(store)
    # Newest first; changes found by the same crawl by document (ids follow processing order).
    changes.sort(key=lambda c: (c.doc_id, c.key))
    changes.sort(key=lambda c: c.detected_at, reverse=True)

    def name_of(c):
        doc = docs.get(c.doc_id)
        return names.get(doc.marketplace) if doc else None

    if args.json:
        return _json([change_json(c, docs.get(c.doc_id), name_of(c), announced) for c in changes])
    # An announcement whose date passed unseen is an entry of its own, at its effective date (a
    # date sorts before the crawls of that day): it is not a change, so no class or severity
    # selects it.
    missed = [
        a
        for a in announced.not_seen()
        if not (args.label or severities)
        and args.doc in (None, a.doc_id)
        and (not args.source or a.doc_id.split("/", 1)[0] == args.source)
        and (since is None or a.effective_date >= since[:10])
    ]
    entries = [(c.detected_at, c) for c in changes] + [(a.effective_date, a) for a in missed]
    entries.sort(key=lambda e: e[0], reverse=True)  # stable: the changes keep their order
    if not entries:
        print(
            "no changes recorded yet"
            if not (args.since or args.source or args.label or severities or args.doc)
            else "no change matches"
        )
    for n, (when, c) in enumerate(entries):
        if isinstance(c, Announcement):
            doc, marketplace = docs.get(c.doc_id), c.doc_id.split("/", 1)[0]
            where = f"{names.get(marketplace) or marketplace} · {doc.title if doc else c.doc_id} ({c.doc_id})"
            text = f"{when}  {NOT_SEEN}  {c.title}\n    {where}\n    {not_seen_note(c, announced.now)}"
        else:
            text = _brief_text(c, brief(c, docs.get(c.doc_id), name_of(c)))
            if said := announcement_note(c, announced):
                text += f"\n    {said}"
        print(("\n" if n else "") + text)
    return 0


def _severities(value: str | None) -> tuple[str, ...]:
    """``high,medium`` → ("high", "medium"); a word that is not a severity is a usage error."""
    from diffs.severity import SEVERITIES

    if not value:
        return ()
    chosen = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    wrong = [v for v in chosen if v not in SEVERITIES]
    if wrong or not chosen:
        raise UsageError(f"unknown severity '{value}'", hint=f"one of: {', '.join(SEVERITIES)} (several: high,medium)")
    return chosen


def _marketplace_names(args) -> dict[str, str]:
    """Each declared marketplace's name; the shipped declarations unless --sources (the store's
    own names, kept at each crawl, come on top of these)."""
    from kb.errors import DeclarationError

    try:
        return dict(_sources(args).names)
    except DeclarationError:
        if args.sources:
            raise
        return {}


def _brief_text(c, said) -> str:
    """A brief on a terminal: the headline, where and when, why, what to do."""
    where = said.document if said.document == c.doc_id else f"{said.document} ({c.doc_id})"
    flags = (" · silent" if c.silent else "") + (" [technical]" if c.technical else "") + (" [flap]" if c.flap else "")
    lines = [
        f"{c.detected_at[:10]}  {said.severity.upper():<6}  {said.headline}",
        f"    {said.marketplace} · {where}",
        f"    {c.label}{flags} · change {c.key.rpartition('/')[2]}",
    ]
    if said.notice:
        lines.append(f"    {said.notice[0].upper()}{said.notice[1:]}")
    if said.why:
        lines.append("    Why it matters:")
        lines += [f"      - {sentence}" for sentence in said.why]
    if said.actions:
        lines.append("    What to do:")
        lines += [f"      - {action}" for action in said.actions]
    if said.affects:
        lines.append(f"    Affects: {', '.join(said.affects_labels)}")
    return "\n".join(lines)


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
    if change.event != "edited":  # the page came or went: nothing to compare
        print(f"no diff: the page was {change.event} (`policywatch show {args.doc}` prints its text)")
        return 0
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
    from kb.record.history import as_of, find_section, in_force

    with _store(args) as store:
        doc = store.document(args.doc)
        found = in_force(store, args.doc, args.as_of) if args.as_of else None
        span = found.span if found is not None else as_of(store, args.doc)
    version, text, heading = span.version, span.version.text, span.version.title
    if args.section:
        section, text = find_section(version.text, args.section)
        heading = section.label
    when = f"as of {found.moment}: " if found is not None else ""
    print(f"# {heading}\n")
    print(
        f"<!-- {doc.doc_id} | source: {doc.url} | {when}version {span.number}, {_span_dates(span)} | "
        f"snapshot sha256 {version.snapshot_sha256} | status {doc.status} -->\n"
    )
    upcoming = found.taking_effect if found is not None else None
    if upcoming is not None:  # captured by then, not yet in force: the reader must know
        change = upcoming.change
        what = f" ({change.summary})" if change is not None and change.summary else ""
        print(
            f"<!-- announced: version {upcoming.number}, captured {upcoming.valid_from}; in force from "
            f"{upcoming.in_force_from}{what}; on {found.moment[:10]} the text in force read as below -->\n"
        )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _span_dates(span) -> str:
    """Both dates of a version: when it was captured, when (and until when) it was in force."""
    if span.in_force_to is not None and span.in_force_to <= span.in_force_from:
        return f"captured {span.valid_from}, announced for {span.in_force_from} but replaced before it took effect"
    until = f"until {span.in_force_to}" if span.in_force_to else "still in force" if span.current else "open"
    return f"captured {span.valid_from}, in force from {span.in_force_from} {until}"


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
        effect = _hit_dates(hit)
        change = "first capture" if hit.change_class == "first" else f"{hit.change_class} change"
        anchor = f"#{hit.section_id}" if hit.section_id else ""
        print(
            f"{rank}. {where}\n   {hit.doc_id}{anchor}  [{hit.marketplace}, {hit.doc_type}]  "
            f"{effect} ({change})  score {hit.score:.2f}\n   {hit.url}\n   {hit.snippet}"
        )
    return 0


def _hit_dates(hit) -> str:
    """Both dates of a hit's text: captured, and in force (from its effective date), and the
    announcement that ends it when the page changed before the new text took effect."""
    start, end = hit.in_force_from, hit.in_force_to
    if end is not None and end <= start:
        return f"captured {hit.valid_from}; announced for {start}, replaced before it took effect"
    dates = f"captured {hit.valid_from}; in force from {start}" + (f" until {end}" if end else "")
    if hit.valid_to is not None and (end is None or hit.valid_to < end):
        dates += f"; replaced on the page {hit.valid_to} by a text in force from {end or 'a later date'}"
    return dates


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


@command("rules", "list the quantified rules (thresholds, deadlines, fees, limits), now or in force on a date")
@arg("--source", help="only this marketplace, e.g. amazon-us")
@arg("--doc", help="only this document id")
@arg("--as-of", metavar="DATE", help="the rules in force on DATE (by the date each value took effect)")
@arg("--json", action="store_true", help="print JSON: doc_id, section, subject, comparison, value, unit, window, …")
def cmd_rules(args) -> int:
    from kb.record.rules import rules

    with _store(args) as store:
        answer = rules(store, source=args.source, doc_id=args.doc, as_of=args.as_of)
    if args.json:
        return _json([{**s.as_json(), "as_of": answer.as_of} if answer.as_of else s.as_json() for s in answer.spans])
    if answer.as_of:
        print(f"rules in force at {answer.as_of} (each: when its text was captured, and when it took effect)")
    if not answer.spans:
        print("no quantified rule " + ("in force then" if answer.as_of else "in the latest versions"))
    doc_id = None
    for span in answer.spans:
        if span.doc_id != doc_id:
            doc_id = span.doc_id
            print(doc_id)
        print(f"  {_rule_line(span)}\n      {_rule_dates(span)}\n      “{_shorten(span.rule.quote)}”")
    return 0


@command("rules history", "every value a rule's subject has had, with the dates captured and in force")
@arg("subject", help='the subject, e.g. "late shipment rate" (see `policywatch rules`)')
@arg("--source", help="only this marketplace")
@arg("--json", action="store_true", help="print JSON: one object per value, oldest first")
def cmd_rules_history(args) -> int:
    from kb.record.rules import rule_history

    with _store(args) as store:
        spans = rule_history(store, args.subject, source=args.source)
    if args.json:
        return _json([s.as_json() for s in spans])
    heading = None
    for span in spans:
        where = (span.doc_id, span.rule.subject, span.rule.condition)
        if where != heading:
            heading = where
            condition = f" [{span.rule.condition}]" if span.rule.condition else ""
            print(f"{span.rule.subject_label}{condition}  {span.doc_id}  ({span.rule.section or 'top of the page'})")
        print(f"  {span.rule.display_value:<24} {_rule_dates(span)}")
    return 0


def _rule_line(span) -> str:
    from diffs.rulebook import describe

    return describe(span)


def _rule_dates(span) -> str:
    until = f" until {span.valid_until} ({span.ended})" if span.valid_until else ", no end yet" if span.current else ""
    basis = "" if span.in_force_basis == "captured" else f" ({span.in_force_basis})"
    return f"captured {span.captured_at}, in force from {span.in_force_from}{basis}{until}"


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
@arg("--url", default="", type=_page_url, help="page URL, to resolve relative links in HTML")
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
@arg("--url", default="", type=_page_url, help="page URL, to resolve relative links")
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
