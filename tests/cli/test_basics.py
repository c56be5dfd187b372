"""The command itself: --version, and what it does without a command."""

from __future__ import annotations

import tomllib

import kb
from kb.cli import main
from kb.models import ExitCode
from tests.support import REPO, run_cli


def test_version_is_the_package_version():
    shown = run_cli("--version")
    assert shown.stdout == f"policywatch {kb.__version__}\n"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    # One place: the wheel's version is read from kb.__version__, so the two never disagree.
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kb.__version__"}


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == ExitCode.USAGE
    assert capsys.readouterr().out.startswith("usage: policywatch")
