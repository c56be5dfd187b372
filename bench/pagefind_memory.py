"""Pagefind's memory against the HTML it indexes: one run of its binary on the first N site
search records of a store, for each N.

    python bench/pagefind_memory.py --home DIR [--records 250,500,1000,2000]

``--home``: a policywatch home with a store, e.g. one kept by ``publish_scale.py --keep DIR``
(``DIR/after-2000``). The records are those the site search indexes
(``kb.publish.site_search.records``). It prints, for each N, the records' HTML, Pagefind's wall
and CPU time, its peak RSS (``os.wait4``: the binary's own, not ours) and the bundle's size:
what ``PART_BYTES`` is chosen from.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    from kb.publish.pages import Site
    from kb.publish.site_search import pagefind_command, record_html, records
    from kb.store import Store

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--records", default="250,500,1000,2000")
    args = parser.parse_args()
    with Store(args.home) as store, store.reading():
        site = Site(store.publish_input(texts=False))
        htmls = [(record.url, record_html(record).encode("utf-8")) for record in records(site)]
    print(f"{len(htmls)} records, {sum(len(h) for _, h in htmls) / 1e6:.1f} MB of HTML", flush=True)
    with tempfile.TemporaryDirectory(prefix="pw-pagefind-memory-") as tmp:
        for count in [int(n) for n in args.records.split(",")]:
            pages, bundle = Path(tmp) / f"pages-{count}", Path(tmp) / f"bundle-{count}"
            for url, html in htmls[:count]:
                (pages / url).mkdir(parents=True, exist_ok=True)
                (pages / url / "index.html").write_bytes(html)
            started = time.perf_counter()
            command = pagefind_command(pages, bundle)
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
            html = sum(len(h) for _, h in htmls[:count]) / 1e6
            print(
                f"{count:>6} records  {html:6.1f} MB of HTML  wall {wall:5.1f} s  "
                f"cpu {usage.ru_utime + usage.ru_stime:5.1f} s  peak RSS {usage.ru_maxrss // 1024:5d} MB  "
                f"bundle {size / 1e6:5.1f} MB",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
