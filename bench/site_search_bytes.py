"""What a browser downloads to search a published site of N documents, in headless Chromium.

    python bench/site_search_bytes.py --docs 2000 [--changes 2] [--query "late shipment rate"]
                                      [--keep DIR] [--json]

Builds a synthetic store (``bench_publish.make_store``: documents of about 5 KB in 8 sections),
publishes it with the ``kb`` that is importable (this tree by default; ``PYTHONPATH=<other tree>``
measures another one, e.g. the code before Pagefind), serves the site on loopback and, in a new
browser context (empty cache), loads the home page, then searches once:

- Material's search (a site with ``search/search_index.json``): the header's search box, the
  query typed, until the first result shows;
- Pagefind (a site with ``pagefind/``): the search page (the "Search" tab), the query typed,
  until the first result shows.

It prints the bytes of every response (their bodies, as served: the loopback server does not
compress) for the page load and for the search after it, the largest responses, and the
site's search files. Chromium is Debian's (/usr/bin/chromium), driven by Playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.append(str(REPO))  # after PYTHONPATH: the kb measured may be another tree's
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def build(home: Path, docs: int, changes: int, site_url: str) -> float:
    from bench.bench_publish import make_store, read
    from kb.publish import build_site, write_sources

    make_store(home, docs, changes, 8, seed=1)
    started = time.perf_counter()
    write_sources(read(home), home / "site-src", site_url=site_url)
    build_site(home / "site-src", home / "site")
    return time.perf_counter() - started


def search_files(site: Path) -> dict:
    material = site / "search" / "search_index.json"
    if material.is_file():
        return {"engine": "material", "files": 1, "bytes": material.stat().st_size}
    files = [p for p in (site / "pagefind").rglob("*") if p.is_file()]
    return {"engine": "pagefind", "files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def measure(base: str, engine: str, query: str) -> dict:
    from playwright.sync_api import sync_playwright

    responses: list[tuple[str, int]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()

        def seen(response) -> None:
            try:
                responses.append((response.url, len(response.body())))
            except Exception:  # noqa: BLE001 -- a redirect or an aborted request has no body
                responses.append((response.url, 0))

        page.on("response", seen)
        page.goto(base)
        page.wait_for_load_state("networkidle")
        loaded = len(responses)
        started = time.perf_counter()
        if engine == "material":
            page.locator("label.md-search__icon, .md-search__input").first.click()
            box = page.locator("input.md-search__input")
            box.click()
            box.press_sequentially(query, delay=20)
            page.wait_for_selector(".md-search-result__item", timeout=600_000)
        else:
            page.goto(base + "search/")  # the "Search" tab, loaded rather than swapped in
            box = page.locator("input.pagefind-ui__search-input")
            box.wait_for(timeout=60_000)
            box.click()
            box.press_sequentially(query, delay=20)
            page.wait_for_selector("a.pagefind-ui__result-link", timeout=60_000)
        page.wait_for_load_state("networkidle")
        search_s = time.perf_counter() - started
        browser.close()
    load, search = responses[:loaded], responses[loaded:]
    return {
        "load_bytes": sum(n for _, n in load),
        "load_requests": len(load),
        "load_search_bytes": sum(n for url, n in load if _is_search(url.removeprefix(base))),
        "search_bytes": sum(n for _, n in search),
        "search_requests": len(search),
        # what the search itself fetched: its index, scripts and fragments (not the theme
        # or the sitemap, which Material fetches on every page load)
        "search_files_bytes": sum(n for url, n in search if _is_search(url.removeprefix(base))),
        "total_bytes": sum(n for _, n in responses),
        "search_s": round(search_s, 2),
        "responses": [
            {"url": url.removeprefix(base), "bytes": n, "after_load": i >= loaded}
            for i, (url, n) in enumerate(responses)
        ],
    }


def _is_search(rel: str) -> bool:
    return rel.startswith(
        ("pagefind/", "search/search_index.json", "javascripts/pw-search.js", "assets/javascripts/workers/search")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=2)
    parser.add_argument("--query", default="late shipment rate")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build in DIR and keep it")
    parser.add_argument("--site", type=Path, metavar="DIR", help="measure this built site (no build)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="pw-search-bytes-"))
    try:
        home = work / "home"
        site = args.site.resolve() if args.site else home / "site"
        site.mkdir(parents=True, exist_ok=True)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            publish_s = 0.0 if args.site else build(home, args.docs, args.changes, base)
            files = search_files(site)
            result = {"docs": args.docs, "query": args.query, "publish_s": round(publish_s, 1), "search_index": files}
            result |= measure(base, files["engine"], args.query)
        finally:
            server.shutdown()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['docs']} documents, {files['engine']} search: {files['files']} files, "
            f"{files['bytes'] / 1e6:.2f} MB in the site (publish {result['publish_s']} s)"
        )
        print(f"page load: {result['load_bytes'] / 1e3:.0f} KB in {result['load_requests']} responses")
        print(f"  of which the search's files: {result['load_search_bytes'] / 1e3:.0f} KB")
        print(
            f"one search ({args.query!r}): {result['search_bytes'] / 1e3:.0f} KB in "
            f"{result['search_requests']} responses, {result['search_s']} s; "
            f"load + search {result['total_bytes'] / 1e3:.0f} KB"
        )
        print(f"  of which the search's files: {result['search_files_bytes'] / 1e3:.0f} KB")
        for big in sorted(result["responses"], key=lambda r: -r["bytes"])[:8]:
            print(f"  {big['bytes'] / 1e3:>9.0f} KB  {big['url']}{'' if big['after_load'] else '  (page load)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
