"""Shared fixtures: the repository's examples and, when built, the CLI (build/models/gmpsim) to compare with.

GMPSIM_CLI names another CLI binary (e.g. one in a build folder other than build/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for `support`, whatever pytest's import mode

from support import EXAMPLES, ROOT  # noqa: E402


@pytest.fixture(scope="session")
def mm4_path() -> Path:
    return EXAMPLES / "mm4.yaml"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = Path(os.environ.get("GMPSIM_CLI", ROOT / "build" / "models" / "gmpsim"))
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"the CLI is not built at {path} (run `make build`, or set GMPSIM_CLI)")
    return path
