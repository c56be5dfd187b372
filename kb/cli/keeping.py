"""Commands that publish and keep: publish, serve, index, verify, export, restore, sources."""

from __future__ import annotations

import sys
from pathlib import Path

from kb.cli.helpers import _existing_home, _head_digest, _home, _json, _port, _sources, _store
from kb.cli.registry import arg, command

# -- publishing and keeping ------------------------------------------------------------------


@command("publish", "write the site (MkDocs-material) and the change feed")
@arg("--site", type=Path, help="output folder (default: <home>/site)")
@arg("--site-url", help="absolute URL the site will be served from (for feed links)")
def cmd_publish(args) -> int:
    from kb.pipeline import publish

    result = publish(_existing_home(args), site_dir=args.site, site_url=args.site_url)
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
@arg("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
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
