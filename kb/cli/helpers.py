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


def _existing_home(args) -> Path:
    """``--home``, which must hold a store: only the commands that start a history (crawl,
    import, backfill, demo, restore) create one, so a mistyped --home is said, not filled."""
    from kb.store import Store

    home = _home(args)
    if not Store.exists_in(home):
        raise StoreError(
            f"no store in {home}", hint="run `policywatch crawl` or `policywatch demo --home DIR` first, or pass --home"
        )
    return home


def _store(args):
    """The existing store of ``--home``, opened read-only (a read never creates one, and never
    needs to write: it works on a full disk or read-only media)."""
    from kb.store import Store

    return Store.open_for_reading(_existing_home(args))


HOME_SOURCES = "demo-sources"  # kb.demo.run.write_sources: the declarations a demo home was made with


def _sources(args):
    """``--sources``; by default the declarations the home was made with when it has its own
    (a demo home: its marketplace on loopback, not the 69 shipped documents), else the shipped
    ``sources/``."""
    from kb.sources import open_sources

    if args.sources is None and hasattr(args, "home"):
        own = _home(args) / HOME_SOURCES
        if own.is_dir():
            return open_sources(own)
    return open_sources(args.sources)


def _head_digest(value: str) -> str:
    """A head as published (64 hex digits), for --head."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a head: give the 64 hex digits of a published head.json")
    return value.lower()


def _page_url(value: str) -> str:
    """A page's address for --url: absolute http(s), a host, a port from 1 to 65535."""
    from kb.sources import url_problem

    if value == "":  # the default: no URL given
        return value
    problem = url_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem[0]} ({problem[1]})")
    return value


def _port(value: str) -> int:
    """A TCP port for --port: 0 (any free one) to 65535."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port: give a number from 0 (any free port) to 65535")
    return port


def _json(data) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0
