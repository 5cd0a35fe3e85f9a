#!/usr/bin/env python3
"""Measure how this machine's kernel places a thread woken by a thread running on the wakee's previous CPU
while another CPU idles, and one woken by a thread on another CPU while its previous CPU idles: the source of
kernel.wake_pack_hot, kernel.wake_pack and kernel.wake_pack_remote (models/scenario/params.cpp).

Mainline Linux's select_idle_sibling takes the idle CPU (at the utilizations of this run SIS_UTIL still
scans); a kernel that packs wake-ups onto busy vCPUs keeps the wakee queued behind its waker. The script
runs one of validation/go's probes (default: the calibration-set gc-alloc service, GOMAXPROCS=2, 1000
requests/s of 200 us with a generator goroutine; --probe overprocs for the held-out open loop it was first
written for) under `perf sched record`, reads `perf sched timehist -w -M`, and for every wake-up of one of the
probe's threads by another whose CPU is the wakee's previous CPU while the other CPU is idle, records whether
the wakee was placed on the waker's CPU (it stays, or is migrated later by a balance) or moved to the idle
CPU at once, split by how long the wakee had been off a CPU (cache hot: < 0.5 ms, sysctl_sched_migration_cost);
and for every wake-up of one by another running on the other CPU while the wakee's previous CPU is idle,
whether the wakee was placed on the waker's CPU (mainline keeps the idle previous CPU), with the same split
shown.
Needs root, perf, Go and 2 CPUs.
Usage: python3 validation/tools/wake_pack.py [--seconds 3] [--probe DIR [-- PROBE ARGS...]]
"""
import argparse
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--probe", default="gcalloc", help="a probe directory of validation/go")
    ap.add_argument("probe_args", nargs="*", help="the probe's arguments (after --); -duration is added")
    args = ap.parse_args()
    defaults = {"gcalloc": ["-gogc", "100", "-rate", "1000", "-alloc", "64KiB", "-obj", "1KiB", "-work", "200us",
                            "-live", "64MiB", "-procs", "2"],
                "overprocs": ["-rate", "800", "-work", "1ms", "-procs", "2"]}
    probe_args = args.probe_args or defaults.get(args.probe, [])
    tmp = tempfile.mkdtemp(prefix="wake_pack.")
    name = os.path.basename(args.probe.rstrip("/"))[:15]  # the kernel's comm: 15 characters
    probe = os.path.join(tmp, name)
    subprocess.run(["go", "build", "-o", probe, "./" + args.probe], cwd=os.path.join(ROOT, "validation/go"), check=True)
    data = os.path.join(tmp, "perf.data")
    subprocess.run(["perf", "sched", "record", "-o", data, "--", probe, *probe_args, "-duration", f"{args.seconds}s"],
                   check=True, capture_output=True)
    out = subprocess.run(["perf", "sched", "timehist", "-i", data, "-w", "-M"], check=True, capture_output=True,
                         text=True).stdout
    seq = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)\s+\[(\d+)\]\s+(\S+)\s+(.*)", line)
        if m:
            seq.append((float(m.group(1)), int(m.group(2)), m.group(3), m.group(4)))
    idle = {0: [], 1: []}  # each CPU's idle intervals, from the idle task's switch-out lines
    for t, c, task, rest in seq:
        f = rest.split()
        if task == "<idle>" and len(f) >= 3 and c in idle:
            idle[c].append((t - float(f[2]) / 1e3, t))

    def is_idle(c: int, t: float) -> bool:
        return any(a <= t <= b for a, b in idle[c])

    last_cpu, last_end = {}, {}
    counts = {True: [0, 0], False: [0, 0]}  # hot -> [stayed, moved]
    remote = {True: [0, 0], False: [0, 0]}  # hot -> previous CPU idle, waker on the other: [kept it, queued on the waker's]
    for i, (t, c, task, rest) in enumerate(seq):
        if "awakened:" in rest:
            who = rest.split("awakened: ")[1].strip()
            if not task.startswith(name) or not who.startswith(name) or c not in idle:
                continue
            if last_cpu.get(who) == 1 - c and is_idle(1 - c, t):
                for t2, c2, task2, rest2 in seq[i + 1:]:
                    # it ran on the waker's CPU: queued there (no balance moves a thread off an idle CPU)
                    if task2 == who and "awakened" not in rest2 and "migrated" not in rest2:
                        remote[t - last_end[who] < 0.5e-3][c2 == c] += 1
                        break
                continue
            if last_cpu.get(who) != c or not is_idle(1 - c, t):
                continue
            moved_at = None
            for t2, c2, task2, rest2 in seq[i + 1:]:
                if "migrated: " + who in rest2:
                    moved_at = t2 - t
                    continue
                if task2 == who and "awakened" not in rest2 and "migrated" not in rest2:
                    moved = c2 != c and moved_at is not None and moved_at < 5e-6
                    counts[t - last_end[who] < 0.5e-3][moved] += 1
                    break
        elif "migrated" not in rest and task.startswith(name):
            last_cpu[task], last_end[task] = c, t
    for hot in (True, False):
        stayed, moved = counts[hot]
        n = stayed + moved
        key = "kernel.wake_pack_hot" if hot else "kernel.wake_pack"
        share = f"{stayed / n:.2f}" if n else "n/a"
        print(f"{key}: {share} ({stayed} of {n} wake-ups of a {'cache-hot' if hot else 'cold'} thread stayed "
              f"on its waker's CPU while the other CPU idled)")
    n, packed = sum(map(sum, remote.values())), remote[True][1] + remote[False][1]
    share = f"{packed / n:.2f}" if n else "n/a"
    split = ", ".join(f"{'cache-hot' if hot else 'cold'} {remote[hot][1]} of {sum(remote[hot])}" for hot in (True, False))
    print(f"kernel.wake_pack_remote: {share} ({packed} of {n} wake-ups of a thread whose previous CPU idled, by one "
          f"running on the other CPU, queued it on the waker's CPU; {split})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
