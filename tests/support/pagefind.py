"""What a built site's Pagefind index holds: its fragments, one per page, read back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

FRAGMENT_HEADER = b"pagefind_dcd"  # Pagefind's gzipped fragments start with it


def pagefind_records(site: Path) -> list[dict]:
    """Each indexed page as Pagefind stores it: url, content, meta (title, …), anchors."""
    records = []
    for path in sorted((site / "pagefind").rglob("*.pf_fragment")):  # every part's
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(FRAGMENT_HEADER), path
        records.append(json.loads(raw[len(FRAGMENT_HEADER) :]))
    return records


def pagefind_text(site: Path) -> str:
    """Every indexed title, heading and text of the site, in one string."""
    parts = []
    for record in pagefind_records(site):
        parts += [record["meta"].get("title", ""), record["content"]]
        parts += [anchor.get("text", "") for anchor in record.get("anchors", [])]
    return " ".join(parts)


def bundle_urls(bundle: Path) -> set[str]:
    """The URLs one bundle (a part of a site's index) holds."""
    urls = set()
    for path in (bundle / "fragment").glob("*.pf_fragment"):
        urls.add(json.loads(gzip.decompress(path.read_bytes())[len(FRAGMENT_HEADER) :])["url"])
    return urls
