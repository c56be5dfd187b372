"""The ``policywatch`` command: parse, call one library function, print.

Each command is a function declared with its arguments right above it (``@command``, ``@arg``);
the library does the work (``kb.pipeline`` for anything that runs stages, the stage packages
for reads). Known errors (``kb.errors.PolicywatchError``) become one line on stderr with a hint
and exit status 1; usage errors exit 2 (argparse); ``crawl`` and ``record`` say what they found
in their status too (``kb.models.ExitCode``, decided by ``kb.pipeline.exit_code``). What is drawn
on a terminal (colour, progress) is ``kb.console``'s. Library imports happen inside the commands:
``policywatch --help`` must not load Scrapy, Whoosh or MkDocs.
"""

from __future__ import annotations

# The command modules register their commands on import, in this order (the order of --help).
# isort: off
from kb.cli import watching, reading, keeping  # noqa: F401

# isort: on
from kb.cli.registry import COMMANDS, _ControlFree, build_parser, main

__all__ = ["COMMANDS", "_ControlFree", "build_parser", "main"]
