"""What tests share: paths, the real CLI in a child process, servers, builders and goldens.

Test modules import from here (or use the fixtures of ``tests/conftest.py``), never from each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REALDATA = REPO.parent / "shared" / "realdata"
GOLDEN = REPO / "tests" / "golden"


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
