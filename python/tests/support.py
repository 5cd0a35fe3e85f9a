"""Paths and the CLI runner shared by the tests (conftest.py holds the fixtures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the gmpsim CLI from the repository root and captures its output."""
    return subprocess.run([str(cli), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
