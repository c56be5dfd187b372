"""Documentation that is tested: every command of the CLI is documented."""
import argparse

from kb.cli import build_parser
from tests.support import REPO


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_every_command_is_in_docs_cli_md():
    documented = (REPO / "docs" / "cli.md").read_text()
    missing = [name for name in subcommands(build_parser()) if f"`{name}" not in documented]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
