#!/usr/bin/env python3
"""The go model on a big machine: how much faster than real time gmpsim simulates a 64-CPU, 500k requests/s
HTTP-style service (validation/bench/http64.yaml; why it is representative is written there).

Runs the scenario --repeats times and prints the medians of: the real-time factor (simulated seconds per
wall second of the whole CLI process, start-up and output included), the same per CPU second of the
process (user + system: what one core gives when the machine is shared with other work, as this project's
VMs are), events per second, and the event count and fingerprint (identical in every run, or the script
fails: same scenario + seed = same result). Goal (issue 18): at least 5x real time on one core.

Usage: python3 validation/bench/gomodel.py [--gmpsim build/models/gmpsim] [--repeats 5] [--set KEY=VALUE ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOAL = 5.0


def run_once(cmd, out):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + ["--out", out, "--quiet"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"gomodel.py: {' '.join(cmd)} failed with status {status}")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)["sim"]
    return wall, usage.ru_utime + usage.ru_stime, s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gmpsim", default=os.path.join(ROOT, "build", "models", "gmpsim"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "validation", "bench", "http64.yaml"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--set", action="append", default=[], help="a scenario override, as gmpsim run --set")
    a = ap.parse_args()
    cmd = [a.gmpsim, "run", a.scenario]
    for s in a.set:
        cmd += ["--set", s]
    walls, cpus, sims = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeats):
            wall, cpu, s = run_once(cmd, os.path.join(tmp, str(i)))
            walls.append(wall)
            cpus.append(cpu)
            sims.append(s)
    prints = {(s["events"], s["fingerprint"]) for s in sims}
    if len(prints) != 1:
        sys.exit(f"gomodel.py: runs of one scenario and seed differ: {sorted(prints)}")
    events, fp = prints.pop()
    simulated = sims[0]["simulated_ns"] / 1e9
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"go model on a big machine ({os.path.relpath(a.scenario, ROOT)}; medians of {a.repeats})")
    print(f"  simulated {simulated:.3f} s, {events} events ({events / simulated / 1e6:.2f} M per simulated second), fingerprint {fp}")
    print(f"  wall {wall:7.3f} s, CPU {cpu:7.3f} s;  {events / cpu / 1e6:6.2f} M events per CPU second")
    rt_wall, rt_cpu = simulated / wall, simulated / cpu
    print(f"  real-time factor: {rt_wall:5.2f}x per wall second, {rt_cpu:5.2f}x per CPU second   "
          f"(goal >= {GOAL:.0f}x on one core: {'met' if rt_cpu >= GOAL else 'not met'})")


if __name__ == "__main__":
    main()
