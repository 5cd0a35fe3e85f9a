"""Runs: the summary, histograms and time series, determinism, parity with the CLI, the GIL."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest

import gmpsim
from support import ROOT, run_cli

HOST_DEPENDENT = ("wall_s", "events_per_s")  # in summary["sim"]; everything else is a function of the inputs


@pytest.fixture(scope="module")
def short(mm4_path) -> gmpsim.Scenario:
    return gmpsim.Scenario(mm4_path).set("run.duration", "5s")


@pytest.fixture(scope="module")
def result(short) -> gmpsim.Result:
    return gmpsim.run(short, seed=3)


def strip_host(summary: dict) -> dict:
    s = json.loads(json.dumps(summary))
    for k in HOST_DEPENDENT:
        del s["sim"][k]
    return s


def test_summary_has_the_documented_keys(result):
    assert list(result.summary) == [
        "gmpsim_version", "model", "version", "seed", "scenario", "scenario_origin", "sim", "goroutines",
        "throughput_per_s", "latency_us", "wait_us", "span_latency_us", "classes", "cpu", "counters", "outcome",
    ]
    assert result.summary["seed"] == result.seed == 3
    assert result.summary["gmpsim_version"] == gmpsim.__version__
    assert result.summary["sim"]["fingerprint"] == f"{result.fingerprint:016x}"
    assert result.summary["outcome"] == {"status": "completed", "detail": ""}
    assert result.outcome == gmpsim.Outcome("completed", "") and not result.outcome.abnormal
    assert result.summary["scenario"]["run"]["seed"] == 3
    assert result.summary["scenario_origin"]["run.seed"] == "set"
    assert result.scenario.seed == 3


def test_summary_keys_equal_the_cli(cli, short, tmp_path):
    proc = run_cli(cli, "run", short.source, "--set", "run.duration=5s", "--seed", "3", "-q", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    cli_summary = json.loads((tmp_path / "summary.json").read_text())

    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            out.add(prefix + k)
            if isinstance(v, dict):
                out |= keys(v, prefix + k + ".")
        return out

    assert keys(gmpsim.run(short, seed=3).summary) == keys(cli_summary)


def test_parity_with_cli_mm4_seed3(cli, mm4_path, tmp_path):
    proc = run_cli(cli, "run", str(mm4_path), "--seed", "3", "-q", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    cli_summary = json.loads((tmp_path / "summary.json").read_text())
    r = gmpsim.run(gmpsim.Scenario(mm4_path), seed=3)
    py_summary = r.summary
    # gmpsim_version carries the git revision each build folder was configured at, which may differ
    # between the CLI's build/ and the extension's build; the release part must agree.
    assert cli_summary.pop("gmpsim_version").split("+")[0] == py_summary["gmpsim_version"].split("+")[0]
    py_summary = dict(py_summary)
    del py_summary["gmpsim_version"]
    assert strip_host(py_summary) == strip_host(cli_summary)
    assert r.latency_csv() == (tmp_path / "latency.csv").read_text()
    assert r.timeseries_csv() == (tmp_path / "timeseries.csv").read_text()


def test_same_seed_same_fingerprint_different_seed_differs(short):
    a, b = gmpsim.run(short, seed=11), gmpsim.run(short, seed=11)
    c = gmpsim.run(short, seed=12)
    assert a.fingerprint == b.fingerprint
    assert strip_host(a.summary) == strip_host(b.summary)
    assert a.latency.equals(b.latency)
    assert c.fingerprint != a.fingerprint
    assert isinstance(a.fingerprint, int) and 0 <= a.fingerprint < 2**64
    # Without seed=, run.seed comes from the scenario (1 in mm4.yaml).
    assert gmpsim.run(short).seed == 1
    assert gmpsim.run(short).fingerprint == gmpsim.run(short, seed=1).fingerprint


def test_latency_dataframe_counts_match_summary(result):
    df = result.latency
    assert list(df.columns) == ["kind", "name", "class", "low_ns", "high_ns", "count"]
    assert set(df["kind"]) == {"latency", "wait"}
    assert (df["low_ns"] <= df["high_ns"]).all() and (df["count"] > 0).all()
    for kind, key in (("latency", "latency_us"), ("wait", "wait_us")):
        for name, stats in result.summary[key].items():
            rows = df[(df["kind"] == kind) & (df["name"] == name)]
            assert int(rows["count"].sum()) == stats["count"] > 0
            assert rows["low_ns"].is_monotonic_increasing
    # The raw arrays behind it.
    hists = result.histograms()
    assert [(h["kind"], h["name"]) for h in hists] == [("latency", "request"), ("wait", "request")]
    assert hists[0]["low_ns"].dtype == np.int64 and hists[0]["count"].dtype == np.uint64


def test_spans_appear_in_latency(tmp_path):
    sc = gmpsim.Scenario({
        "machine": {"cpus": 2},
        "workload": {"classes": {"req": {
            "arrivals": {"process": "poisson", "rate": "2000/s"},
            "program": [{"compute": "50us"}, {"span": {"name": "enc", "steps": [{"compute": "20us"}]}}],
        }}},
        "run": {"duration": "1s", "warmup": "100ms"},
    })
    r = gmpsim.run(sc, seed=5)
    spans = r.latency[r.latency["kind"] == "span"]
    assert set(spans["name"]) == {"enc"} and set(spans["class"]) == {"req"}
    assert int(spans["count"].sum()) == r.summary["span_latency_us"]["enc"]["count"]


def test_timeseries_dataframe(result):
    ts = result.timeseries
    assert isinstance(ts, pd.DataFrame)
    assert ts.columns[0] == "t_s"
    assert list(ts.columns[:4]) == ["t_s", "runnable", "running", "live"]
    assert len(ts) > 0 and all(ts[c].dtype == np.float64 for c in ts.columns)
    assert ts["t_s"].is_monotonic_increasing
    assert len(ts.columns) == 4 + result.summary["scenario"]["machine"]["cpus"]


def test_run_accepts_paths_and_checks_seed(mm4_path):
    r = gmpsim.run(str(mm4_path), seed=np.uint64(2))
    assert r.seed == 2
    with pytest.raises(TypeError):
        gmpsim.run(mm4_path, seed="2")  # type: ignore[arg-type]


def test_gil_is_released_during_a_run(mm4_path):
    long = gmpsim.Scenario(mm4_path).set("run.duration", "300s")  # ~1 s of wall time here
    serial = gmpsim.run(long, seed=4)
    results: list[gmpsim.Result] = []
    worker = threading.Thread(target=lambda: results.append(gmpsim.run(long, seed=4)))
    ticks = 0
    worker.start()
    start = time.perf_counter()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    worker.join()
    # Holding the GIL for the whole run would leave this thread a handful of switches at most.
    assert elapsed > 0.05, "the run was too quick to tell"
    assert ticks >= 20, f"main thread ran {ticks} times in {elapsed:.2f} s"
    assert results[0].fingerprint == serial.fingerprint


def test_parallel_runs_in_threads_match_serial(short):
    seeds = [21, 22, 23, 24]
    serial = {s: gmpsim.run(short, seed=s).fingerprint for s in seeds}
    out: dict[int, int] = {}
    threads = [threading.Thread(target=lambda s=s: out.__setitem__(s, gmpsim.run(short, seed=s).fingerprint)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == serial


def test_schedtrace_lines_match_the_cli(cli, tmp_path):
    """Result.schedtrace holds the GODEBUG=schedtrace lines the CLI writes to schedtrace.txt."""
    path = ROOT / "examples" / "go_spawn_storm.yaml"
    proc = run_cli(cli, "run", str(path), "--schedtrace", "25ms", "-q", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    r = gmpsim.run(gmpsim.Scenario(path).set("runtime.schedtrace", "25ms"))
    assert r.schedtrace and r.schedtrace[0].startswith("SCHED 0ms: gomaxprocs=4 idleprocs=")
    assert r.schedtrace == (tmp_path / "schedtrace.txt").read_text().splitlines()
    assert gmpsim.run(gmpsim.Scenario(path)).schedtrace == []
