"""Documentation that is tested: every command, action and option of the CLI is in docs/cli.md,
no unit test asserts a wall-clock bound (timings belong in bench/), and the base error class is
never raised (kb/errors.py)."""

import ast
import re

import pytest

from kb.cli import COMMANDS
from tests.support import REPO

CLI_MD = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
COMMON = {"--home", "--sources", "--help"}  # described once, at the top of the page


def section(name: str) -> str:
    """The part of docs/cli.md under the heading ``### `name …` ``."""
    match = re.search(rf"^### `{re.escape(name)}\b[^\n]*\n(.*?)(?=^##|\Z)", CLI_MD, re.M | re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_command_and_option_is_in_docs_cli_md(cmd):
    assert re.search(rf"^### `{re.escape(cmd.name)}\b", CLI_MD, re.M), (
        f"add a '### `{cmd.name}`' section to docs/cli.md"
    )
    text = section(cmd.name)
    assert text.strip(), f"docs/cli.md: say what `{cmd.name}` does"
    options = [n for names, _ in cmd.arguments for n in names if n.startswith("--")]
    missing = [o for o in options if o not in COMMON and not re.search(rf"`{re.escape(o)}\b", text)]
    assert not missing, f"docs/cli.md, section `{cmd.name}`: document {missing}"


def test_the_documented_commands_exist():
    names = {c.name for c in COMMANDS}
    documented = re.findall(r"^### `([a-z-]+(?: [a-z-]+)?)", CLI_MD, re.M)
    stale = [d for d in documented if d not in names and d.split()[0] not in names]
    assert not stale, f"docs/cli.md documents commands that do not exist: {stale}"


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_readme_counts_the_shipped_documents_that_need_chromium():
    """A new user must know before the first crawl how much of it needs a browser."""
    from kb.sources import open_sources

    documents = open_sources(None).documents
    browser = sum(1 for d in documents if d.browser)
    readme = (REPO / "README.md").read_text()
    said = f"{browser} of the {len(documents)} shipped documents are declared `render: browser`"
    assert said in " ".join(readme.split()), f"README.md, 'The first real crawl': write '{said}'"


CLOCKS = {"perf_counter", "monotonic", "time", "process_time"}


def _reads_clock(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in CLOCKS
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "time"
        for n in ast.walk(node)
    )


def test_no_unit_test_asserts_an_upper_bound_on_wall_clock_time():
    """``assert time.x() - started < N`` (or ``elapsed < N`` of such a difference) fails on a loaded
    machine; what it means to prove belongs in a benchmark under bench/."""
    found = []
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        timed = {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign) and _reads_clock(n.value)
            for t in n.targets
            if isinstance(t, ast.Name) and "deadline" not in t.id
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
                continue
            left, ops = node.test.left, node.test.ops
            upper = any(isinstance(op, (ast.Lt, ast.LtE)) for op in ops)
            uses_time = _reads_clock(left) or (isinstance(left, ast.Name) and left.id in timed)
            if upper and uses_time:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"move these timings to bench/: {found}"


def test_the_base_error_class_is_never_raised():
    """kb/errors.py promises a concrete class for every error (the tree is the docs): a bare
    ``raise PolicywatchError(...)`` tells a caller nothing it can catch by kind."""
    found = []
    for path in sorted(p for package in ("kb", "diffs", "crawler") for p in (REPO / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "PolicywatchError":
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"raise a concrete class of kb/errors.py instead: {found}"
