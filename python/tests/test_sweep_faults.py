"""Sweeps that survive faults: the default executor (threads) from a script without a main guard, standard
input, a REPL and a notebook; a process-pool worker killed mid-point (SIGKILL) and a Dask worker lost lose
no finished row and run none twice; a point that kills its worker is a row with its error; `resume`.
Workers are killed for real, with SIGKILL, while they run."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

import gmpsim
import support

GRID = {"workload.classes.request.arrivals.rate": ["500/s", "900/s", "700/s", "800/s"]}

# A sweep in a few lines, as a user writes it: no `if __name__ == "__main__":` guard.
SCRIPT = f"""
import gmpsim
sc = gmpsim.Scenario({str(support.EXAMPLES / "mm4.yaml")!r}).set({{"run.duration": "1s", "run.warmup": "0s"}})
df = gmpsim.sweep(sc, grid={{"machine.cpus": [1, 2]}}, progress=False)
print("OUTCOMES", ",".join(df["outcome"]))
"""


@pytest.fixture(scope="module")
def slow(mm4_path):
    # A few tenths of a second a run, so that a worker can be killed while it runs one.
    return gmpsim.Scenario(mm4_path).set({"run.duration": "600s", "run.warmup": "0s", "run.sample_interval": "10s"})


@pytest.fixture(scope="module")
def slow_serial(slow):
    return gmpsim.sweep(slow, grid=GRID, executor=cf.ThreadPoolExecutor(2), progress=False)


def _check_outcomes(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "OUTCOMES completed,completed" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("form", ["script", "stdin", "repl"])
def test_the_default_executor_works_without_a_main_guard(form, tmp_path):
    if form == "script":
        path = tmp_path / "sweep_script.py"
        path.write_text(SCRIPT)
        proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    elif form == "stdin":
        proc = subprocess.run([sys.executable, "-"], input=SCRIPT, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    else:  # the interactive interpreter, fed line by line as at a terminal
        lines = [line for line in SCRIPT.strip().splitlines()] + ["", "exit()"]
        proc = subprocess.run([sys.executable, "-i", "-q"], input="\n".join(lines) + "\n", capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
    _check_outcomes(proc)


def test_the_default_executor_works_in_a_notebook(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SCRIPT)])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "OUTCOMES completed,completed" in out, nb.cells[0].outputs


def _kill_once_a_row_is_in(out, pid) -> threading.Thread:
    """SIGKILLs the worker `pid()` names once the first row is in `out`: the workers are up, and the other
    runs are in flight or queued."""
    def kill() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") >= 1):
            time.sleep(0.01)
        os.kill(pid(), signal.SIGKILL)
    t = threading.Thread(target=kill, daemon=True)
    t.start()
    return t


def _one_row_per_run(out, serial) -> None:
    seeds = [json.loads(line)["seed"] for line in out.read_text().splitlines()]
    assert sorted(seeds) == sorted(serial["seed"])  # every run once in `out`: none lost, none twice


def test_a_worker_killed_mid_point_loses_nothing_and_runs_nothing_twice(slow, slow_serial, tmp_path):
    out = tmp_path / "rows.jsonl"
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        killer = _kill_once_a_row_is_in(out, lambda: next(iter(pool._processes)))
        df = gmpsim.sweep(slow, grid=GRID, executor=pool, out=out, progress=False)
        killer.join()
        assert pool._broken  # the kill did break the pool: the rows below survived it
    pd.testing.assert_frame_equal(df, slow_serial)
    _one_row_per_run(out, slow_serial)


def test_a_point_that_kills_its_worker_is_a_row_with_its_error(slow, monkeypatch):
    monkeypatch.setattr(gmpsim._sweep, "_run_point", support.run_point_killing_point_1)
    with cf.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        df = gmpsim.sweep(slow.set("run.duration", "2s"), grid=GRID, executor=pool, progress=False)
    assert list(df["outcome"]) == ["completed", "error", "completed", "completed"]
    assert "worker process running this point died" in df["detail"][1]


def test_a_lost_dask_worker_loses_nothing(slow, slow_serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "rows.jsonl"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            # The nanny starts a new worker; the scheduler runs the lost worker's tasks again.
            killer = _kill_once_a_row_is_in(out, lambda: next(iter(client.run(os.getpid).values())))
            df = gmpsim.sweep(slow, grid=GRID, executor=client, out=out, progress=False)
            killer.join()
    pd.testing.assert_frame_equal(df, slow_serial)
    _one_row_per_run(out, slow_serial)


def test_resume_false_starts_over(mm4_path, tmp_path):
    sc = gmpsim.Scenario(mm4_path).set({"run.duration": "1s", "run.warmup": "0s"})
    out = tmp_path / "rows.jsonl"
    gmpsim.sweep(sc, grid={"machine.cpus": [1, 2]}, out=out, progress=False)
    out.write_text(out.read_text().splitlines()[0] + "\n")  # interrupted after one run
    gmpsim.sweep(sc, grid={"machine.cpus": [1, 2]}, out=out, progress=False, resume=False)
    assert len(out.read_text().splitlines()) == 2  # both ran again, none duplicated
