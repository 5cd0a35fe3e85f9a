"""gmpsim.import_trace: a trace of a real Go program (the validation's HTTP-style server over loopback,
recorded here with runtime/trace) becomes a scenario that loads and runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import gmpsim
from gmpsim._importtrace import _tool

from support import ROOT


@pytest.fixture(scope="module")
def importer() -> str:
    try:
        return _tool(None)
    except FileNotFoundError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def server_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("go") is None:
        pytest.skip("no `go` on PATH to build the traced program")
    path = tmp_path_factory.mktemp("trace") / "server.trace"
    subprocess.run(["go", "run", "./httpserver", "-rate", "800", "-duration", "300ms", "-work", "100us",
                    "-procs", "2", "-trace", str(path)], cwd=ROOT / "validation" / "go", check=True,
                   capture_output=True, timeout=300, env={**os.environ, "GOTOOLCHAIN": "local"})
    return path


def test_import_trace_of_a_real_server(importer: str, server_trace: Path) -> None:
    imp = gmpsim.import_trace(server_trace, tool=importer)
    classes = imp.summary["classes"]
    assert "handle" in classes and classes["handle"]["request"], classes
    assert classes["handle"]["goroutines"] > 100  # ~240 requests at 800/s for 300 ms
    resolved = imp.scenario.resolved
    assert resolved["runtime"]["gomaxprocs"] == 2
    assert resolved["workload"]["classes"]["handle"]["arrivals"]["process"] in ("poisson", "constant")
    assert any("arrival mechanism" in line for line in imp.report), imp.report
    assert "# Report: what the scenario does not represent" in imp.yaml
    result = gmpsim.run(imp.scenario)
    assert result.outcome.status == "completed"
    assert result.summary["classes"]["handle"]["completed"] > 100


def test_import_trace_bad_input(importer: str, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-trace.out"
    bad.write_text("hello")
    with pytest.raises(gmpsim.ScenarioError, match="not a Go execution trace"):
        gmpsim.import_trace(bad, tool=importer)
    with pytest.raises(gmpsim.ScenarioError, match="cannot open"):
        gmpsim.import_trace(tmp_path / "missing.out", tool=importer)
