"""The command registry: each command a function declared with its arguments right above it
(``@command``, ``@arg``), the parser built from them, and ``main``."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from kb import __version__
from kb.errors import PolicywatchError, from_os_error
from kb.models import ExitCode

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
        return _failed(err)
    except BrokenPipeError:
        return 0
    except OSError as err:  # the system refused something no other error covers
        return _failed(from_os_error(err))
    except KeyboardInterrupt:
        print("policywatch: interrupted; what was stored is kept", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: one line and a way to see more, not a traceback to a seller
        if os.environ.get(TRACEBACK_ENV):
            raise
        first = (str(err).strip().splitlines() or [""])[0][:300]
        print(
            f"policywatch: unexpected {type(err).__name__}: {first} (hint: this is a bug in policywatch; "
            f"run again with {TRACEBACK_ENV}=1 and report the traceback; what was stored is kept)",
            file=sys.stderr,
        )
        return ExitCode.RUN_FAILED
    finally:
        sys.stdout = stdout


TRACEBACK_ENV = "POLICYWATCH_TRACEBACK"


def _failed(err: PolicywatchError) -> int:
    hint = f" (hint: {err.hint})" if err.hint else ""
    print(f"policywatch: {err}{hint}", file=sys.stderr)
    return ExitCode.RUN_FAILED


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
