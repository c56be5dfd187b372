"""What the commands share: the home, the store opened for reading, the declarations, JSON out."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from kb.errors import StoreError

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
