#!/usr/bin/env python3
"""The million-goroutine benchmark, real Go and the simulator side by side in one run:

  1. wall time of real Go running the classic program (main starts 1,000,000 goroutines, each does
     `_ = id * 2; wg.Done()`, main waits; GOMAXPROCS=4; validation/go/spawn) against the wall time of
     gmpsim simulating it (validation/go/scenarios/spawn.yaml). Goal: simulated wall <= 0.5 x real.
  2. simulator memory per parked goroutine with 1,000,000 parked (validation/go/scenarios/idle.yaml at
     1M): the peak RSS of the gmpsim process minus that of the same run with 1,000 parked, divided by the
     difference. Goal: <= 256 bytes.

Medians over --repeats runs; process wall time includes start-up for both sides. Needs `go` on PATH for
part 1 (skipped otherwise). Usage: python3 validation/bench/million.py [--gmpsim build/models/gmpsim]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GO_DIR = os.path.join(ROOT, "validation", "go")


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS in bytes)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        sys.exit(f"million.py: {' '.join(cmd)} failed with status {status}")
    return wall, usage.ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gmpsim", default=os.path.join(ROOT, "build", "models", "gmpsim"))
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    print("million-goroutine benchmark (medians of %d)" % a.repeats)
    go = shutil.which("go")
    if go:
        env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "spawn")
            subprocess.run([go, "build", "-o", probe, "./spawn"], cwd=GO_DIR, check=True, env=env)
            real = statistics.median(timed([probe, "-n", "1000000", "-procs", "4"])[0] for _ in range(a.repeats))
        sim = statistics.median(timed([a.gmpsim, "run", os.path.join(GO_DIR, "scenarios", "spawn.yaml"), "--quiet"])[0]
                                for _ in range(a.repeats))
        version = subprocess.run([go, "version"], capture_output=True, text=True, env=env).stdout.strip()
        print(f"  real Go ({version}) runs it:   {real:8.3f} s wall")
        print(f"  gmpsim simulates it:            {sim:8.3f} s wall")
        print(f"  ratio gmpsim / real:            {sim / real:8.2f}   (goal <= 0.50: {'met' if sim / real <= 0.5 else 'not met'})")
    else:
        print("  `go` not found: the wall-time comparison is skipped")
    idle = os.path.join(GO_DIR, "scenarios", "idle.yaml")
    count = "workload.classes.main.program.1.repeat.count"
    small = statistics.median(timed([a.gmpsim, "run", idle, "--quiet", "--set", f"{count}=1000"])[1] for _ in range(3))
    big = statistics.median(timed([a.gmpsim, "run", idle, "--quiet", "--set", f"{count}=1000000"])[1] for _ in range(3))
    per = (big - small) / (1_000_000 - 1000)
    print(f"  simulator memory per parked goroutine (1M parked): {per:6.1f} B   (goal <= 256: {'met' if per <= 256 else 'not met'})")


if __name__ == "__main__":
    main()
