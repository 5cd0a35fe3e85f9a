"""The CLI under faults: bad and extreme input exits 2 with a message naming the key (never 1, never a
crash); an interrupted or killed run leaves its outputs complete or absent, and says so; an interrupted
`gmpsim sweep` keeps its finished runs and `--resume` runs only the rest. Interrupts and kills are real
signals, sent while the command runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from support import ROOT, run_cli

GOOD = """machine: {cpus: 2}
workload: {classes: {r: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}
run: {duration: 2s, sample_interval: 100ms}
"""

# Seconds of wall time per run on a loaded 2-core machine: long enough to be interrupted mid-run.
LONG = """machine: {cpus: 2}
workload: {classes: {r: {arrivals: {process: poisson, rate: 1500/s}, program: [{compute: {dist: exponential, mean: 1ms}}]}}}
run: {duration: 3000s, sample_interval: 10s}
"""


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


BOMB = "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10))


@pytest.mark.parametrize("case,args,message", [
    ("directory", ["{tmp}"], 'SCENARIO: "{tmp}" is a directory'),
    ("/dev/zero", ["/dev/zero"], "is larger than 64 MiB"),
    ("alias bomb", ["{bomb}"], "expands to more than 4000000 nodes"),
    ("self alias via --set", ["{good}", "--set", "workload.classes.r.program=&p [{repeat: {count: 1, steps: *p}}]"],
     "workload.classes.r.program.0.repeat.steps: an alias refers to a node that contains it"),
    ("complex key via --set", ["{good}", "--set", "workload={? [a, b]: 1}"], "a key that is a list or map"),
    ("huge list index", ["{good}", "--set", "workload.classes.r.program.184467440737095516160.compute=1ms"], "addresses a list of 1 items"),
    ("duplicate key", ["{dup}"], "run.duration: given twice in the same map"),
    ("time series too large", ["{good}", "--set", "run.duration=1000000s", "--set", "run.sample_interval=1us"],
     "run.sample_interval: the time series"),
])
def test_bad_and_extreme_input_exits_2_naming_the_key(cli, tmp_path, case, args, message):
    paths = {"tmp": str(tmp_path), "bomb": str(_scenario(tmp_path, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + BOMB, "bomb.yaml")),
             "good": str(_scenario(tmp_path, GOOD)),
             "dup": str(_scenario(tmp_path, "run: {duration: 1s, duration: 2s}\n", "dup.yaml"))}
    def fill(text: str) -> str:
        for k, v in paths.items():
            text = text.replace("{" + k + "}", v)
        return text

    proc = run_cli(cli, "run", *[fill(a) for a in args])
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("gmpsim: error: "), proc.stderr
    assert fill(message) in proc.stderr
    assert proc.stderr.count("\n") == 1  # one line


def test_control_characters_are_not_echoed_raw(cli, tmp_path):
    sc = _scenario(tmp_path, GOOD)
    proc = run_cli(cli, "run", str(sc), "--set", "workload.classes.r.arrivals.rate=\x1b[2J\x1b]0;pwned\x07")
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "\\x1b[2J" in proc.stderr


def _start(cli: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(cli), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _wait_for(cond, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_run_leaves_no_trace_file_behind(cli, tmp_path):
    sc = _scenario(tmp_path, LONG)
    out = tmp_path / "out"
    out.mkdir()
    proc = _start(cli, "run", str(sc), "--trace", str(out / "trace.csv"), "-q")
    time.sleep(1.0)  # the run is under way, its trace growing in an unnamed file
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert sorted(os.listdir(out)) == []  # no trace.csv, no .tmp


def test_an_interrupted_run_keeps_the_previous_output_and_says_so(cli, tmp_path):
    good, long = _scenario(tmp_path, GOOD, "good.yaml"), _scenario(tmp_path, LONG, "long.yaml")
    out = tmp_path / "out"
    assert run_cli(cli, "run", str(good), "--out", str(out), "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = _start(cli, "run", str(long), "--out", str(out), "--trace", str(out / "trace.csv"), "-q")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "gmpsim: interrupted (SIGINT); no output of this run was written" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the older run's complete set, nothing else


def test_an_interrupted_sweep_resumes_without_running_a_finished_run_again(cli, tmp_path):
    sc = _scenario(tmp_path, LONG.replace("3000s", "1000s"))
    grid = ["--grid", "workload.classes.r.arrivals.rate=[500/s, 600/s, 700/s, 800/s, 900/s]", "--jobs", "1"]
    clean = tmp_path / "clean"
    assert run_cli(cli, "sweep", str(sc), *grid, "--out", str(clean), "-q").returncode == 0
    out = tmp_path / "out"
    journal = out / "sweep.partial.jsonl"
    proc = _start(cli, "sweep", str(sc), *grid, "--out", str(out))
    _wait_for(lambda: journal.exists() and journal.read_text().count("\n") >= 3, "two finished runs")  # header + 2 rows
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume" in err and str(journal) in err
    assert not (out / "sweep.csv").exists()
    done = journal.read_text().count("\n") - 1
    assert done >= 2
    again = run_cli(cli, "sweep", str(sc), *grid, "--out", str(out))
    assert again.returncode == 2 and "add --resume" in again.stderr
    resumed = run_cli(cli, "sweep", str(sc), *grid, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {done} of 5 runs already done" in resumed.stderr
    assert resumed.stderr.count("] point ") == 5 - done  # only the rest ran
    assert (out / "sweep.csv").read_text() == (clean / "sweep.csv").read_text()
    assert not journal.exists()


def test_a_sweep_journal_of_another_sweep_is_refused(cli, tmp_path):
    sc = _scenario(tmp_path, GOOD)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.partial.jsonl").write_text('{"sweep": {"points": ["other"]}}\n{"point": 0, "repeat": 0, "outcome": "completed"}\n')
    proc = run_cli(cli, "sweep", str(sc), "--grid", "machine.cpus=[1, 2]", "--out", str(out), "--resume")
    assert proc.returncode == 2
    assert "is the journal of another sweep" in proc.stderr
