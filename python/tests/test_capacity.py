"""gmpsim.capacity: the C++ planner from Python, against Erlang C on fifo's M/M/4, the same report as the
CLI, and bad input raising ScenarioError with the CLI's message."""

from __future__ import annotations

import json
import math

import pytest

import gmpsim
from support import run_cli


def erlang_c(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def largest_rate(mean_sojourn_bound_s: float, c: int = 4, mu: float = 1000.0) -> float:
    """The largest arrival rate of M/M/c (mean service 1/mu) whose mean sojourn time meets the bound."""
    lo, hi = 1.0, c * mu - 1e-6
    for _ in range(100):
        mid = (lo + hi) / 2
        if erlang_c(c, mid / mu) / (c * mu - mid) + 1 / mu <= mean_sojourn_bound_s:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.fixture(scope="module")
def mm4(mm4_path):
    return gmpsim.Scenario(mm4_path).set("run.duration", "20s")


@pytest.fixture(scope="module")
def result(mm4):
    return gmpsim.capacity(mm4, "mean<2ms", jobs=2)


def test_capacity_against_erlang_c(result):
    analytic = largest_rate(0.002)  # 3339.4/s
    lo, hi = result.report["bracket"]["low"], result.report["bracket"]["high"]
    assert (hi - lo) / lo <= 0.02
    assert lo * 0.98 <= analytic <= hi * 1.02
    assert result.found and result.limited_by == "latency"
    assert result.max_value == lo and result.max_value_text.endswith("/s")
    assert math.isclose(result.at_max["cpu_utilization"], lo / 4000, rel_tol=0.03)
    assert len(result.trace) == len(result.report["trace"]) and set(result.trace["verdict"]) == {"pass", "fail"}


def test_capacity_matches_the_cli(cli, mm4_path, result, tmp_path):
    proc = run_cli(cli, "capacity", str(mm4_path), "--slo", "mean<2ms", "--set", "run.duration=20s", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "capacity.json").read_text())
    assert report["trace"] == result.report["trace"]
    assert proc.stdout == result.text.replace(str(result.report["scenario"]), report["scenario"])


def test_bad_input_raises_the_clis_message(cli, mm4_path, mm4):
    with pytest.raises(gmpsim.ScenarioError) as e:
        gmpsim.capacity(mm4, "p99=50ms")
    proc = run_cli(cli, "capacity", str(mm4_path), "--slo", "p99=50ms")
    assert proc.returncode == 2
    assert proc.stderr == f"gmpsim: error: {e.value}\n"
    assert e.value.key == "--slo"
    with pytest.raises(gmpsim.ScenarioError, match=r"^--class: no class \"nope\""):
        gmpsim.capacity(mm4, "p99<50ms", class_name="nope")
    with pytest.raises(gmpsim.ScenarioError, match=r"^run.duraton: unknown key"):
        gmpsim.capacity(mm4.set("run.duraton", "2s"), "p99<50ms")


def test_goroutines_mode_breaks_memory_down():
    sc = gmpsim.Scenario({
        "machine": {"cpus": 2, "memory": "16MiB"},
        "runtime": {"model": "go"},
        "workload": {"classes": {
            "main": {"arrivals": {"process": "initial", "count": 1},
                     "program": [{"wg_add": {"wg": "hold", "n": 1}}, {"repeat": {"count": 500, "steps": [{"spawn": "parked"}]}},
                                 {"compute": "1ms"}, {"wg_done": "hold"}]},
            "parked": {"program": [{"wg_wait": "hold"}]}}},
        "run": {"duration": "1s"},
    })
    r = gmpsim.capacity(sc, mode="goroutines", vary="workload.classes.main.program.1.repeat.count")
    assert r.limited_by == "memory"
    per = r.memory_breakdown["per_goroutine_bytes"]
    assert r.memory_breakdown["per_goroutine_total_bytes"] == pytest.approx(sum(per.values()))
    assert r.max_value * r.memory_breakdown["per_goroutine_total_bytes"] <= 16 * 2**20
