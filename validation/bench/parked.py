#!/usr/bin/env python3
"""Scale: N parked goroutines in one run (validation/bench/parked100m.yaml, N = 100M by default), the long
variant of `make bench` (`make bench-long`). Prints the wall time of the whole CLI run, the simulator's
peak RSS divided by N (everything the process holds: goroutine records, the event queue, the allocator's
slack) and the model's own accounting of goroutine state (summary.json sim.memory_bytes / N).
Goal (issue 18): 100M parked goroutines in one run on the project's 24 GB machine.

Usage: python3 validation/bench/parked.py [--gmpsim build/models/gmpsim] [--count 100000000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COUNT_KEY = "workload.classes.main.program.1.repeat.count"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gmpsim", default=os.path.join(ROOT, "build", "models", "gmpsim"))
    ap.add_argument("--count", type=int, default=100_000_000)
    a = ap.parse_args()
    scenario = os.path.join(ROOT, "validation", "bench", "parked100m.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.gmpsim, "run", scenario, "--quiet", "--out", tmp, "--set", f"{COUNT_KEY}={a.count}"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = proc.stderr.read().decode(errors="replace")  # the deadlock outcome's line, expected
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 3):
            sys.exit(f"parked.py: {' '.join(cmd)} failed with status {code}: {err}")
        with open(os.path.join(tmp, "summary.json")) as f:
            s = json.load(f)
    parked = s["goroutines"]["peak_live"] - 1  # main is the one that is not a parked goroutine
    rss = usage.ru_maxrss * 1024
    ok = s["outcome"]["status"] == "deadlock" and parked == a.count
    print(f"{a.count:,} parked goroutines (validation/bench/parked100m.yaml)")
    print(f"  outcome {s['outcome']['status']}, {parked:,} parked at the end   (goal: all {a.count:,} in one run: {'met' if ok else 'not met'})")
    print(f"  wall {wall:8.1f} s (CPU {usage.ru_utime + usage.ru_stime:.1f} s), {s['sim']['events']:,} events")
    print(f"  simulator memory: peak RSS {rss / 2**30:.2f} GiB = {rss / a.count:6.1f} B per goroutine; "
          f"the model's own accounting {s['sim']['memory_bytes'] / a.count:6.1f} B per goroutine")


if __name__ == "__main__":
    main()
