"""Shared fixtures. Tests never touch the network: loopback servers and saved pages only.

Helpers that tests import live in ``tests/support``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import REALDATA

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real captures not found at {REALDATA} (they live beside the repository in CI)")
    return REALDATA
