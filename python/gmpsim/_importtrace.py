"""gmpsim.import_trace: a real Go execution trace to a scenario, through gmpsim-importtrace (the Go program
of models/importtrace/ that `gmpsim import-trace` runs; the trace format's parser is Go's)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import Scenario, ScenarioError


@dataclasses.dataclass(frozen=True)
class ImportedTrace:
    """What `import_trace` made of a trace: the YAML text (with its comments), the scenario loaded from it,
    the report of what it could not represent, and the summary (classes, the trace's CPU totals)."""

    yaml: str
    scenario: Scenario
    report: list[str]
    summary: dict[str, Any]


def _tool(tool: str | os.PathLike[str] | None) -> str:
    """The importer: `tool`, $GMPSIM_IMPORTTRACE, beside $GMPSIM_CLI, on PATH, or the build tree's."""
    if tool is not None:
        return os.fspath(tool)
    if env := os.environ.get("GMPSIM_IMPORTTRACE"):
        return env
    candidates = []
    if cli := os.environ.get("GMPSIM_CLI"):
        candidates.append(Path(cli).parent / "gmpsim-importtrace")
    if found := shutil.which("gmpsim-importtrace"):
        candidates.append(Path(found))
    candidates.append(Path(__file__).resolve().parents[2] / "build" / "models" / "gmpsim-importtrace")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    raise FileNotFoundError("gmpsim-importtrace not found: `make build` builds it with the installed Go into "
                            "build/models/; or set GMPSIM_IMPORTTRACE, or pass tool=")


def import_trace(path: str | os.PathLike[str], *, cpus: int | None = None,
                 tool: str | os.PathLike[str] | None = None) -> ImportedTrace:
    """Turn a Go execution trace (go1.22+: runtime/trace, `go test -trace`, /debug/pprof/trace) into a
    scenario, as `gmpsim import-trace TRACE` does. `cpus` is the machine's CPU count when the trace does
    not say (default: its GOMAXPROCS). Bad input (not a trace, a missing file) raises ScenarioError with
    the importer's message."""
    argv = [_tool(tool), os.fspath(path)]
    if cpus is not None:
        if isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1:
            raise ScenarioError(f"cpus: {cpus!r} is not a positive CPU count; pass e.g. cpus=4")
        argv += ["--cpus", str(cpus)]
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        proc = subprocess.run([*argv, "--summary", str(summary_path)], capture_output=True, text=True)
        if proc.returncode == 2:
            raise ScenarioError(proc.stderr.strip().removeprefix("gmpsim: error: "))
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} exited with status {proc.returncode}: {proc.stderr.strip()}")
        summary = json.loads(summary_path.read_text())
    text = proc.stdout
    return ImportedTrace(yaml=text, scenario=Scenario.from_yaml(text, source=os.fspath(path)),
                         report=list(summary.get("report", [])), summary=summary)
