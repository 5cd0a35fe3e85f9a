#!/usr/bin/env python3
"""Runs the Go probes under validation/go/ with the installed Go toolchain and the matching gmpsim
scenarios (validation/go/scenarios/), and prints them side by side. A report, not a test: timings on a
shared VM are noisy, so each probe runs `--repeats` times and the median is shown.

Usage: python3 validation/go/compare.py [--gmpsim build/models/gmpsim] [--repeats 3] [--only spawn]

Probes (`--only` takes one name): spawn, gosched, idle, pingpong, sleep, pipeline, fanout, sleepspin,
syscalldelay, syscallthreads; what each measures and how to read the table: validation/README.md.

Each installed toolchain is compared with the matching version profile: `go` (Go 1.26) with go1.26, and
Debian's golang-1.19 (/usr/lib/go-1.19/bin/go, `make validate-go` installs it) with go1.19.
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


def run_sim(gmpsim, scenario, repeats, version, sets=()):
    results = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            cmd = [gmpsim, "run", scenario, "--quiet", "--out", d, "--set", "runtime.version=" + version]
            for kv in sets:
                cmd += ["--set", kv]
            subprocess.run(cmd, check=True)
            wall = time.perf_counter() - t0
            with open(os.path.join(d, "summary.json")) as f:
                results.append((json.load(f), wall))
    return results


PROBES = ["spawn", "gosched", "idle", "pingpong", "sleep", "pipeline", "fanout", "sleepspin", "syscalldelay",
          "syscallthreads"]
SLEEPS_US = [1, 10, 50, 100, 500, 1000, 2000]  # requested durations of the sleep probe
PINGPONG_N, PIPELINE_N, FANOUT_M = 1_000_000, 20_000, 5_000  # as in the scenarios
SLEEPSPIN_N, SYSCALL_ROUNDS, SYSCALL_THREADS_N = 100, 10, 200  # as in the scenarios

TOOLCHAINS = [("go1.26", "go"), ("go1.19", "/usr/lib/go-1.19/bin/go")]


def compare(a, profile, go):
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    go_version = subprocess.run([go, "version"], capture_output=True, text=True, check=True, env=env).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bins = {}
        for probe in PROBES:
            bins[probe] = os.path.join(tmp, probe)
            subprocess.run([go, "build", "-o", bins[probe], "./" + probe], cwd=HERE, check=True, env=env)
        scen = lambda name: os.path.join(HERE, "scenarios", name + ".yaml")
        if a.only in (None, "spawn"):
            real = run_probe(bins["spawn"], ["-n", "1000000", "-procs", "4"], a.repeats)
            sim = run_sim(a.gmpsim, scen("spawn"), a.repeats, profile)
            rows.append(("spawn+exit, ns per goroutine (1M, GOMAXPROCS=4)", statistics.median(r[0][2] for r in real),
                         statistics.median(s[0]["sim"]["simulated_ns"] / 1e6 for s in sim)))
            rows.append(("  wall s: real Go running it / gmpsim simulating it", statistics.median(r[0][1] for r in real),
                         statistics.median(s[1] for s in sim)))
        if a.only in (None, "gosched"):
            real = run_probe(bins["gosched"], ["-k", "1000000"], a.repeats)
            sim = run_sim(a.gmpsim, scen("gosched"), a.repeats, profile)
            rows.append(("runtime.Gosched, ns per yield (GOMAXPROCS=1)", statistics.median(r[0][2] for r in real),
                         statistics.median(s[0]["sim"]["simulated_ns"] / 2e6 for s in sim)))
        if a.only in (None, "idle"):
            real = run_probe(bins["idle"], ["-n", "100000"], 1)
            sim = run_sim(a.gmpsim, scen("idle"), 1, profile)
            rows.append(("parked goroutine, bytes (stack+heap; sim: g+stack+sudog)", real[0][0][3],
                         sim[0][0]["counters"]["memory"]["bytes_per_parked_goroutine"]))
        # The new probes' simulated figures are pure functions of scenario and seed: one simulation each.
        med = lambda real, i: statistics.median(r[0][i] for r in real)
        if a.only in (None, "pingpong"):
            for procs in (1, 4):
                real = run_probe(bins["pingpong"], ["-n", str(PINGPONG_N), "-procs", str(procs)], a.repeats)
                sim = run_sim(a.gmpsim, scen("pingpong"), 1, profile, [f"runtime.gomaxprocs={procs}"])
                rows.append((f"chan ping-pong, ns per round trip (GOMAXPROCS={procs})", med(real, 2),
                             sim[0][0]["sim"]["simulated_ns"] / PINGPONG_N))
        if a.only in (None, "sleep"):
            real = run_probe(bins["sleep"], ["-n", "200", "-d", ",".join(f"{d}us" for d in SLEEPS_US)], a.repeats)
            for i, d in enumerate(SLEEPS_US):
                sim = run_sim(a.gmpsim, scen("sleep"), 1, profile,
                              [f"workload.classes.sleeper.program.0.repeat.steps.0.span.steps.0.sleep={d}us"])
                late = sim[0][0]["counters"]["sleep_lateness_s"]
                for j, q in ((1, "p50"), (2, "p90")):
                    rows.append((f"time.Sleep({d}us) idle, actual {q} us" if j == 1 else f"  {q} us",
                                 med(real, 3 * i + j) / 1e3, d + late[q] * 1e6))
        if a.only in (None, "pipeline"):
            for procs in (2, 4):
                real = run_probe(bins["pipeline"], ["-n", str(PIPELINE_N), "-work", "10us", "-procs", str(procs)], a.repeats)
                sim = run_sim(a.gmpsim, scen("pipeline"), 1, profile, [f"runtime.gomaxprocs={procs}"])
                ns = sim[0][0]["sim"]["simulated_ns"] / PIPELINE_N
                rows.append((f"pipeline 16|10us|16, items/s (GOMAXPROCS={procs})", med(real, 2), 1e9 / ns))
                rows.append(("  ns per item", med(real, 3), ns))
                rows.append(("  ns of wall per 10us spin (sim: the compute step)", med(real, 4), 10_000))
                rows.append(("  ns per item outside the spin (channels, wakes)",
                             statistics.median(r[0][3] - r[0][4] for r in real), ns - 10_000))
        if a.only in (None, "fanout"):
            real = run_probe(bins["fanout"], ["-m", str(FANOUT_M), "-k", "8", "-work", "20us", "-procs", "4"], a.repeats)
            sim = run_sim(a.gmpsim, scen("fanout"), 1, profile)
            rows.append(("fan-out 8 x 20us + fan-in, us per request (GOMAXPROCS=4)", med(real, 2),
                         sim[0][0]["sim"]["simulated_ns"] / FANOUT_M / 1e3))
            rows.append(("  us of wall per 20us spin (sim: the compute step)", med(real, 3), 20))
        if a.only in (None, "sleepspin"):
            for procs in (1, 2, 4):
                real = run_probe(bins["sleepspin"], ["-n", str(SLEEPSPIN_N), "-d", "1ms", "-procs", str(procs)], a.repeats)
                sim = run_sim(a.gmpsim, scen("sleepspin"), 1, profile, [
                    f"runtime.gomaxprocs={procs}", f"workload.classes.sleeper.program.0.spawn.count={procs}"])
                late = sim[0][0]["counters"]["sleep_lateness_s"]
                if late["count"] != SLEEPSPIN_N:
                    print(f"warning: sleepspin GOMAXPROCS={procs}: {late['count']} simulated sleeps", file=sys.stderr)
                for j, q in ((1, "p50"), (2, "p90"), (3, "p99")):
                    rows.append((f"time.Sleep(1ms) vs {procs} tight loop(s), GOMAXPROCS={procs}: late {q} ms" if j == 1
                                 else f"  {q} ms", med(real, j) / 1e6, late[q] * 1e3))
        if a.only in (None, "syscalldelay"):
            real = run_probe(bins["syscalldelay"], ["-n", str(SYSCALL_ROUNDS), "-block", "100ms", "-cpu", "100ms"], a.repeats)
            lat = run_sim(a.gmpsim, scen("syscalldelay"), 1, profile)[0][0]["latency_us"]
            rows.append(("100ms syscall, runnable G waits (P=1): fresh p50 us", med(real, 0) / 1e3, lat["fresh"]["p50"]))
            rows.append(("  after 100ms CPU-bound: p50 ms", med(real, 1) / 1e6, lat["late"]["p50"] / 1e3))
            rows.append(("  after 100ms CPU-bound: p90 ms", med(real, 2) / 1e6, lat["late"]["p90"] / 1e3))
        if a.only in (None, "syscallthreads"):
            real = run_probe(bins["syscallthreads"], ["-n", str(SYSCALL_THREADS_N), "-block", "100ms", "-procs", "2"],
                             a.repeats)
            sim = run_sim(a.gmpsim, scen("syscallthreads"), 1, profile)
            rows.append((f"threads, peak, {SYSCALL_THREADS_N} Gs in 100ms syscalls (P=2)", med(real, 0),
                         sim[0][0]["counters"]["threads_peak"]))
            rows.append(("  threads created (threadcreate profile; sim: Ms)", med(real, 1),
                         sim[0][0]["counters"]["threads_peak"]))
    print(f"real: {go_version}; simulated: gmpsim go model, profile {profile}; medians of {a.repeats}")
    print(f"host: {os.cpu_count()} CPUs, 1-min load average {a.load:.2f} before the run (real Go shares the CPUs with "
          "that load; the simulated machine has them to itself)")
    print(f"{'metric':58s} {'real Go':>12s} {'gmpsim':>12s} {'sim/real':>9s}")
    for name, real_v, sim_v in rows:
        print(f"{name:58s} {real_v:12.3f} {sim_v:12.3f} {sim_v / real_v:9.2f}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gmpsim", default=os.path.join(HERE, "..", "..", "build", "models", "gmpsim"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=PROBES)
    a = ap.parse_args()
    a.load = os.getloadavg()[0]
    for profile, go in TOOLCHAINS:
        if go != "go" and not os.path.exists(go):
            print(f"{profile}: {go} is not installed; skipped (apt-get install golang-1.19-go)\n")
            continue
        compare(a, profile, go)


if __name__ == "__main__":
    sys.exit(main())
