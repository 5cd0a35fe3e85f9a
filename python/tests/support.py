"""Paths and the CLI runner shared by the tests (conftest.py holds the fixtures)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the gmpsim CLI from the repository root and captures its output."""
    return subprocess.run([str(cli), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def run_point_killing_point_1(scenario: Any, params: Any, point: int, master: int, repeat: int) -> Any:
    """gmpsim's worker function, except that point 1 SIGKILLs the worker process running it (as the OOM
    killer would): for the sweep's fault tests, which put it in place of gmpsim._sweep._run_point."""
    if point == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    from gmpsim import _sweep

    return _sweep._run_point(scenario, params, point, master, repeat)
