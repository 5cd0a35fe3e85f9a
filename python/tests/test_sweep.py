"""gmpsim.sweep: identical tables on 1 and 2 worker processes and on a Dask LocalCluster, resume after an
interruption, failing points kept as rows, and parity with the CLI's `gmpsim sweep` for the same seed."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing

import pandas as pd
import pytest

import gmpsim
from support import run_cli

GRID = {"machine.cpus": [1, 2], "workload.classes.request.arrivals.rate": ["500/s", "900/s"]}


@pytest.fixture(scope="module")
def small(mm4_path):
    return gmpsim.Scenario(mm4_path).set({"run.duration": "1s", "run.warmup": "0s", "run.sample_interval": "100ms"})


@pytest.fixture(scope="module")
def serial(small):
    return gmpsim.sweep(small, grid=GRID, repeats=2, executor=cf.ThreadPoolExecutor(1), progress=False)


def _pool(n):
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))


def test_table_shape_and_seeds(small, serial):
    assert len(serial) == 8
    assert list(serial.columns[:7]) == ["point", "repeat", "machine.cpus", "workload.classes.request.arrivals.rate", "seed", "outcome", "detail"]
    assert (serial["outcome"] == "completed").all()
    row = serial.iloc[3]
    params = {"machine.cpus": 1, "workload.classes.request.arrivals.rate": "900/s"}
    assert row["seed"] == gmpsim.point_seed(small.seed, params, 1)
    assert serial["fingerprint"].nunique() == 8


@pytest.mark.parametrize("workers", [1, 2])
def test_process_pools_give_the_same_table(small, serial, workers):
    with _pool(workers) as pool:
        df = gmpsim.sweep(small, grid=GRID, repeats=2, executor=pool, progress=False)
    pd.testing.assert_frame_equal(df, serial)


def test_dask_local_cluster_gives_the_same_table(small, serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            df = gmpsim.sweep(small, grid=GRID, repeats=2, executor=client, progress=False)
    pd.testing.assert_frame_equal(df, serial)


class CountingExecutor(cf.ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_resume_after_an_interrupted_sweep(small, serial, tmp_path):
    out = tmp_path / "sweep.jsonl"
    gmpsim.sweep(small, grid=GRID, repeats=2, executor=cf.ThreadPoolExecutor(2), out=out, progress=False)
    lines = out.read_text().splitlines()
    assert len(lines) == 8
    # Interrupted: three rows finished, a fourth was cut mid-line.
    out.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    ex = CountingExecutor()
    df = gmpsim.sweep(small, grid=GRID, repeats=2, executor=ex, out=out, progress=False)
    assert ex.submitted == 5
    pd.testing.assert_frame_equal(df, serial)
    ex = CountingExecutor()
    gmpsim.sweep(small, grid=GRID, repeats=2, executor=ex, out=out, progress=False)
    assert ex.submitted == 0  # all done: nothing runs again


def test_a_failing_point_is_a_row_with_its_error(small):
    df = gmpsim.sweep(small, grid={"machine.cpus": [2, 0]}, executor=cf.ThreadPoolExecutor(1), progress=False)
    assert list(df["outcome"]) == ["completed", "error"]
    assert df["detail"][1].startswith("machine.cpus: ")
    with pytest.raises(gmpsim.ScenarioError, match="run.duration"):
        gmpsim.Scenario(small).set("run.duration", "2")  # the same message as the CLI (test_scenario.py)


def test_cli_sweep_matches_python_for_the_same_seed(cli, mm4_path, small, serial, tmp_path):
    sets = [a for k, v in small.sets for a in ("--set", f"{k}={v}")]
    proc = run_cli(cli, "sweep", str(mm4_path), *sets, "--grid", "machine.cpus=[1, 2]",
                   "--grid", "workload.classes.request.arrivals.rate=[500/s, 900/s]", "--repeats", "2",
                   "--jobs", "2", "--out", str(tmp_path), "-q")
    assert proc.returncode == 0, proc.stderr
    csv = pd.read_csv(tmp_path / "sweep.csv", keep_default_na=False, na_values=[""])
    assert list(csv.columns) == list(serial.columns)
    # Columns a model leaves empty (None in Python, empty in the CSV) are left out of the comparison.
    metrics = [c for c in serial.columns if c not in ("machine.cpus", "workload.classes.request.arrivals.rate", "detail",
                                                      "memory_peak_bytes", "threads", "gomaxprocs",
                                                      "cgroup.nr_periods", "cgroup.nr_throttled",
                                                      "cgroup.throttled_usec", "gc.cycles", "gc.cpu_fraction",
                                                      "gc.pause_max_s", "gc.heap_goal_bytes", "gc.heap_peak_bytes")
               and not c.startswith("memory.") and not c.startswith("numa.")]
    pd.testing.assert_frame_equal(csv[metrics], serial[metrics], check_dtype=False)
    assert list(csv["machine.cpus"]) == list(serial["machine.cpus"])


def test_cli_sweep_bad_grid_exits_2(cli, mm4_path, tmp_path):
    proc = run_cli(cli, "sweep", str(mm4_path), "--grid", "machine.cpus=[2, 0]", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith("gmpsim: error: machine.cpus: ")
    assert not (tmp_path / "sweep.csv").exists()


VM_SERVICE = {
    "machine": {"cpus": 2, "memory": "1GiB"},
    "runtime": {"model": "go"},
    "cgroup": {"memory": {"max": "200MiB"}},
    "vm": {"swap": {"size": "512MiB"}},
    "workload": {"heap": {"live": "192MiB"}, "classes": {"request": {
        "arrivals": {"process": "poisson", "rate": "300/s"},
        "program": [{"alloc": {"size": "1KiB", "count": 16}}, {"touch": "64KiB"}, {"compute": "200us"}]}}},
    "run": {"duration": "1s"},
}


def test_sweep_over_vm_keys_from_python_and_the_cli(cli, tmp_path):
    """vm.* keys sweep like any other: swappiness 0 keeps the group's reclaim off swap (OOM kill at
    memory.max), 60 swaps; the memory.* columns say why. The CLI gives the same table."""
    sc = gmpsim.Scenario(VM_SERVICE)
    grid = {"vm.swappiness": [0, 60], "vm.thp.enabled": ["always", "never"]}
    df = gmpsim.sweep(sc, grid=grid, executor=cf.ThreadPoolExecutor(1), progress=False)
    by = df.set_index(["vm.swappiness", "vm.thp.enabled"])
    assert list(by.loc[0, "outcome"]) == ["oom_killed", "oom_killed"]
    assert list(by.loc[60, "outcome"]) == ["completed", "completed"]
    assert (by.loc[60, "memory.swap_out_bytes"] > 0).all() and (by.loc[60, "memory.major_faults"] > 0).all()
    assert by.loc[(60, "always"), "memory.thp_faults"] > 0 and by.loc[(60, "never"), "memory.thp_faults"] == 0
    scenario = tmp_path / "vm.json"
    scenario.write_text(json.dumps(VM_SERVICE))
    yaml_path = tmp_path / "vm.yaml"
    yaml_path.write_text(scenario.read_text())  # JSON is YAML
    proc = run_cli(cli, "sweep", str(yaml_path), "--grid", "vm.swappiness=[0, 60]", "--grid", "vm.thp.enabled=[always, never]",
                   "--out", str(tmp_path / "out"), "-q")
    assert proc.returncode == 0, proc.stderr
    csv = pd.read_csv(tmp_path / "out" / "sweep.csv", keep_default_na=False, na_values=[""])
    assert list(csv["outcome"]) == list(df["outcome"])
    assert list(csv["memory.major_faults"]) == list(df["memory.major_faults"])
    bad = run_cli(cli, "sweep", str(yaml_path), "--grid", "vm.swappiness=[60, 201]", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "vm.swappiness" in bad.stderr


def test_sweep_over_numa_placement_has_the_numa_columns():
    # A process whose memory is bound to node 0 of a 2-socket machine, run on node 0's CPUs or on node 1's.
    sc = gmpsim.Scenario({
        "machine": {"cpus": 8, "memory": "16GiB", "numa": {"preset": "xeon-2s"}},
        "runtime": {"model": "go"},
        "numactl": {"membind": "0"},
        "workload": {"heap": {"live": "256MiB"}, "classes": {"request": {
            "arrivals": {"process": "poisson", "rate": "20000/s"},
            "program": [{"compute": {"time": "100us", "memory": {"stall": 0.5, "data": "heap"}}}]}}},
        "run": {"duration": "300ms", "warmup": "50ms"},
    })
    df = gmpsim.sweep(sc, grid={"numactl.cpunodebind": ["0", "1"]}, repeats=1, progress=False)
    df = df.set_index("numactl.cpunodebind")
    assert (df["outcome"] == "completed").all()
    assert df.loc["0", "numa.remote_share"] == 0
    assert df.loc["1", "numa.remote_share"] == pytest.approx(1.0)
    assert df.loc["1", "numa.remote_extra_s"] > 0
    assert df.loc["1", "latency_us.request.mean"] > df.loc["0", "latency_us.request.mean"]
