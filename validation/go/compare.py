#!/usr/bin/env python3
"""Runs the Go probes under validation/go/ with the installed Go toolchain and the matching gmpsim
scenarios (validation/go/scenarios/), and prints them side by side. A report, not a test: timings on a
shared VM are noisy, so each probe runs `--repeats` times and the median is shown.

Usage: python3 validation/go/compare.py [--gmpsim build/models/gmpsim] [--repeats 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_probe(binary, args, repeats):
    outs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run([binary] + args, check=True, capture_output=True, text=True).stdout.split()
        outs.append(([float(x) for x in out], time.perf_counter() - t0))
    return outs


def run_sim(gmpsim, scenario, repeats):
    results = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            subprocess.run([gmpsim, "run", scenario, "--quiet", "--out", d], check=True)
            wall = time.perf_counter() - t0
            with open(os.path.join(d, "summary.json")) as f:
                results.append((json.load(f), wall))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gmpsim", default=os.path.join(HERE, "..", "..", "build", "models", "gmpsim"))
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True, check=True).stdout.strip()
    bins = {}
    with tempfile.TemporaryDirectory() as tmp:
        for probe in ("spawn", "gosched", "idle"):
            bins[probe] = os.path.join(tmp, probe)
            subprocess.run(["go", "build", "-o", bins[probe], "./" + probe], cwd=HERE, check=True)
        scen = lambda name: os.path.join(HERE, "scenarios", name + ".yaml")
        rows = []
        # spawn + exit of a million goroutines, GOMAXPROCS=4
        real = run_probe(bins["spawn"], ["-n", "1000000", "-procs", "4"], a.repeats)
        sim = run_sim(a.gmpsim, scen("spawn"), a.repeats)
        real_ns = statistics.median(r[0][2] for r in real)
        sim_ns = statistics.median(s[0]["sim"]["simulated_ns"] / 1e6 for s in sim)
        rows.append(("spawn+exit, ns per goroutine (1M, GOMAXPROCS=4)", real_ns, sim_ns))
        real_wall = statistics.median(r[0][1] for r in real)
        sim_wall = statistics.median(s[1] for s in sim)
        rows.append(("  wall seconds: real Go run vs gmpsim simulating it", real_wall, sim_wall))
        # Gosched round trip, GOMAXPROCS=1
        real = run_probe(bins["gosched"], ["-k", "1000000"], a.repeats)
        sim = run_sim(a.gmpsim, scen("gosched"), a.repeats)
        rows.append(("runtime.Gosched, ns per yield (GOMAXPROCS=1)", statistics.median(r[0][2] for r in real),
                     statistics.median(s[0]["sim"]["simulated_ns"] / 2e6 for s in sim)))
        # memory per parked goroutine
        real = run_probe(bins["idle"], ["-n", "100000"], 1)
        sim = run_sim(a.gmpsim, scen("idle"), 1)
        mem = sim[0][0]["counters"]["memory"]
        rows.append(("parked goroutine, bytes (stack+heap; sim: g+stack+sudog)", real[0][0][3], mem["bytes_per_parked_goroutine"]))
    print(f"real: {go_version}; simulated: gmpsim go model (go1.26 profile), {a.repeats} repeats, medians")
    print(f"{'metric':58s} {'real Go':>12s} {'gmpsim':>12s} {'sim/real':>9s}")
    for name, real_v, sim_v in rows:
        print(f"{name:58s} {real_v:12.3f} {sim_v:12.3f} {sim_v / real_v:9.2f}")


if __name__ == "__main__":
    sys.exit(main())
