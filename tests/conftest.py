"""Shared fixtures. Tests never touch the network: loopback servers and saved pages only."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def run_cli(*args: str, home: Path | None = None, check: bool = True, timeout: int = 300):
    """Run the real `policywatch` entry point in a child process."""
    cmd = [sys.executable, "-m", "kb.cli", *args]
    if home is not None:
        cmd += ["--home", str(home)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real captures not found at {REALDATA} (they live beside the repository in CI)")
    return REALDATA
