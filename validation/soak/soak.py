#!/usr/bin/env python3
"""The soak of `make test-long`: an hour of simulated time per model, memory sampled through the run.

Each case runs twice, the two runs side by side. While a run goes, the process's resident memory
(VmRSS in /proc/PID/status) is read every SAMPLE_S seconds of wall time; at steady state simulated time
advances at a constant rate, so the samples are evenly spread over the simulated hour. A case passes when

- both runs end with exit 0, outcome `completed`, and an hour of simulated time (`--duration` for a
  shorter smoke run);
- the two runs have the same event-stream fingerprint and event count (same scenario and seed give the
  same run, however long);
- memory is flat after warm-up: the mean of the last tenth of the samples exceeds the mean of the samples
  between 20 % and 30 % of the run by at most FLAT_SLACK_FRAC of it plus FLAT_SLACK_MIB. A leak of
  one pointer a request (20 000 requests/s for an hour: 550 MiB) fails it by far; the allocator's own
  noise (a few MiB) does not.

Exit 0 when every case passes, 1 otherwise. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_S = 0.05         # wall seconds between memory samples
FLAT_SLACK_FRAC = 0.05  # allowed growth after warm-up, share of the warmed-up memory ...
FLAT_SLACK_MIB = 4.0    # ... plus this (allocator noise: arenas, a histogram bucket touched late)

# (name, scenario, --set overrides). The time series is sampled once a simulated second: it is kept in
# memory until the run ends, by design, and at the default 10 ms it would itself grow by 360 000 rows.
CASES = [
    ("go: the default service", "examples/default.yaml", []),
    ("boost-fiber-ws: the same service on fibers", "validation/soak/fiber_service.yaml", []),
    ("fifo: M/M/4 at 80 % load", "examples/mm4.yaml", []),
]


@dataclass
class Run:
    rc: int = -1
    summary: dict = field(default_factory=dict)
    rss_mib: list[float] = field(default_factory=list)
    stderr: str = ""
    wall_s: float = 0.0


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_once(gmpsim: str, scenario: str, sets: list[str], out: Path, result: Run) -> None:
    cmd = [gmpsim, "run", str(ROOT / scenario), "--out", str(out), "--quiet"]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        m = rss_mib(proc.pid)
        if m is not None:
            result.rss_mib.append(m)
        time.sleep(SAMPLE_S)
    result.stderr = proc.stderr.read() if proc.stderr else ""
    result.rc = proc.returncode
    result.wall_s = time.monotonic() - t0
    if result.rc == 0:
        result.summary = json.loads((out / "summary.json").read_text())


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def check_case(runs: list[Run], duration_s: int) -> list[str]:
    problems = []
    for i, r in enumerate(runs):
        if r.rc != 0:
            problems.append(f"run {i + 1} exited {r.rc}: {r.stderr.strip()[:400]}")
            continue
        status = r.summary["outcome"]["status"]
        if status != "completed":
            problems.append(f"run {i + 1} ended with outcome {status}: {r.summary['outcome'].get('detail', '')}")
        if r.summary["sim"]["simulated_ns"] != duration_s * 10**9:
            problems.append(f"run {i + 1} simulated {r.summary['sim']['simulated_ns'] / 1e9} s, not {duration_s} s")
    if problems:
        return problems
    a, b = (r.summary["sim"] for r in runs)
    if (a["fingerprint"], a["events"]) != (b["fingerprint"], b["events"]):
        problems.append(f"reruns differ: fingerprint {a['fingerprint']} / {b['fingerprint']}, "
                        f"events {a['events']} / {b['events']}")
    for i, r in enumerate(runs):
        s = r.rss_mib
        if len(s) < 20:
            problems.append(f"run {i + 1}: only {len(s)} memory samples ({r.wall_s:.1f} s wall); too fast to judge")
            continue
        n = len(s)
        warmed = mean(s[n * 2 // 10: n * 3 // 10])
        last = mean(s[n * 9 // 10:])
        allowed = warmed * (1 + FLAT_SLACK_FRAC) + FLAT_SLACK_MIB
        if last > allowed:
            problems.append(f"run {i + 1}: memory grew after warm-up: {warmed:.1f} MiB at 20-30 % of the run, "
                            f"{last:.1f} MiB in the last tenth (allowed {allowed:.1f} MiB)")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gmpsim", default=str(ROOT / "build/models/gmpsim"), help="the CLI to soak")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("--duration", type=int, default=3600, help="simulated seconds a run (the soak: 3600)")
    args = ap.parse_args()
    failed = 0
    print(f"{'case':46} {'wall s':>7} {'events':>12} {'fingerprint':>17} {'RSS MiB: 20-30 %':>17} "
          f"{'last 10 %':>10} {'peak':>7}")
    for name, scenario, sets in CASES:
        if args.only and args.only not in name:
            continue
        runs = [Run(), Run()]
        with tempfile.TemporaryDirectory(prefix="gmpsim-soak-") as tmp:
            sets = [f"run.duration={args.duration}s", "run.sample_interval=1s"] + sets
            threads = [threading.Thread(target=run_once, args=(args.gmpsim, scenario, sets, Path(tmp) / f"run{i}", r))
                       for i, r in enumerate(runs)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        problems = check_case(runs, args.duration)
        for r in runs:
            s = r.rss_mib
            n = len(s)
            sim = r.summary.get("sim", {})
            print(f"{name:46} {r.wall_s:7.1f} {sim.get('events', 0):12d} {sim.get('fingerprint', '-'):>17} "
                  f"{mean(s[n * 2 // 10: n * 3 // 10]):17.1f} {mean(s[n * 9 // 10:]):10.1f} "
                  f"{max(s) if s else float('nan'):7.1f}")
        for p in problems:
            print(f"  FAIL {name}: {p}")
        failed += bool(problems)
    print("soak: " + ("all cases passed" if not failed else f"{failed} case(s) failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
