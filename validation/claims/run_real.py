#!/usr/bin/env python3
"""Real Go runs for the claims notebook (notebooks/claims.ipynb), claims 1, 2, 14 and 17: builds the probes
of validation/go with each toolchain, runs them on this machine and writes validation/claims/real.json,
which the notebook puts beside the model's predictions (it never runs Go itself, to stay quick).

    python3 validation/claims/run_real.py            # about 5 minutes on a 2-vCPU VM
    python3 validation/claims/run_real.py --quick    # one repeat, smaller sweeps (a smoke test)

Each figure records the host (CPUs, the 1-minute load average before the run) because a shared VM's other
work shows in every timing. Peak memory is the child's ru_maxrss from wait4(2), resident set in KiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GO_DIR = HERE.parent / "go"
TOOLCHAINS = {"go1.26": "go", "go1.19": "/usr/lib/go-1.19/bin/go"}


def build(go: str, probe: str, out: Path) -> Path:
    exe = out / f"{probe}-{Path(go).parent.parent.name if '/' in go else 'go'}"
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    subprocess.run([go, "build", "-o", str(exe), f"./{probe}"], cwd=GO_DIR, env=env, check=True)
    return exe


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, str, float, float]:
    """stdout, stderr, wall seconds, peak RSS in MiB of one child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(), err.read().decode()
        if p.returncode != 0:
            raise RuntimeError(f"{cmd} exited {p.returncode}: {e[-2000:]}")
        return o, e, wall, ru.ru_maxrss / 1024


def host() -> dict:
    return {"cpus": os.cpu_count(), "kernel": platform.release(), "loadavg_1m": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def claim1(exes: dict[str, Path], repeats: int) -> list[dict]:
    """The classic million-goroutine loop at GOMAXPROCS 4 (validation/go/spawn): wall time and peak RSS."""
    rows = []
    for tc, exe in exes.items():
        walls, rss = [], []
        for _ in range(repeats):
            o, _, wall, peak = run([str(exe), "-n", "1000000", "-procs", "4"])
            walls.append(wall)
            rss.append(peak)
        rows.append({"toolchain": tc, "n": 1_000_000, "gomaxprocs": 4, "wall_s": statistics.median(walls),
                     "wall_s_runs": walls, "peak_rss_mib": statistics.median(rss), "peak_rss_mib_runs": rss, "host": host()})
    return rows


def claim2(exes: dict[str, Path], repeats: int, n: int) -> list[dict]:
    """n goroutines parked on a channel (validation/go/idle): bytes per parked goroutine from MemStats."""
    rows = []
    for tc, exe in exes.items():
        per_g, rss = [], []
        for _ in range(repeats):
            o, _, _, peak = run([str(exe), "-n", str(n)])
            fields = o.split()
            per_g.append(float(fields[3]))
            rss.append(peak)
        b = statistics.median(per_g)
        rows.append({"toolchain": tc, "n": n, "bytes_per_goroutine": b, "bytes_per_goroutine_runs": per_g,
                     "goroutines_in_512mib": int(512 * 2**20 // b), "peak_rss_mib": statistics.median(rss), "host": host()})
    return rows


def claim14(exes: dict[str, Path], quick: bool) -> list[dict]:
    """Scheduler latency (/sched/latencies:seconds) against the goroutine count (validation/go/schedlat):
    'period' sweeps a fixed period per goroutine (the load grows with the count), 'load' scales the period
    with the count (the load stays at ~0.4 CPU), 'parked' adds parked goroutines to a fixed active set."""
    counts = [1000, 10000, 50000] if quick else [1000, 10000, 50000, 100000]
    work = "5us"
    rows = []
    exe = exes["go1.26"]
    for n in counts:
        for mode, period_ms in (("period", 100.0), ("load", max(1.0, n * 0.005 / 0.4))):
            o, _, _, _ = run([str(exe), "-n", str(n), "-period", f"{period_ms}ms", "-work", work, "-duration", "2s", "-json"])
            r = json.loads(o)
            r.update({"mode": mode, "period_ms": period_ms, "work": work, "host": host()})
            rows.append(r)
    for parked in (0, 100000):
        o, _, _, _ = run([str(exe), "-n", "1000", "-parked", str(parked), "-period", "12.5ms", "-work", work, "-duration", "2s", "-json"])
        r = json.loads(o)
        r.update({"mode": "parked", "period_ms": 12.5, "work": work, "host": host()})
        rows.append(r)
    return rows


SCHED = re.compile(r"SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) .*?runqueue=(\d+)")
GC = re.compile(r"^gc (\d+) @([\d.]+)s", re.M)


def claim17(exes: dict[str, Path], quick: bool) -> list[dict]:
    """GODEBUG=schedtrace=1000,gctrace=1 on an allocating open-loop service (validation/go/gcalloc: 64 KiB
    per request beside a 16 MiB live heap, 200 µs of CPU each, GOMAXPROCS 2) at 5 %, 50 % and 125 % of the
    CPUs: idleprocs per line and the interval between GC cycles."""
    rows = []
    exe = exes["go1.26"]
    for rate in ([500, 12500] if quick else [500, 5000, 12500]):
        env = dict(os.environ, GODEBUG="schedtrace=1000,gctrace=1")
        o, e, _, peak = run([str(exe), "-rate", str(rate), "-work", "200us", "-live", "16MiB", "-duration", "5s", "-drain", "3s", "-procs", "2",
                             "-gctrace-phases=false"], env=env)
        sched = [{"ms": int(m[1]), "idleprocs": int(m[3]), "runqueue": int(m[4])} for m in SCHED.finditer(e)]
        gcs = [float(m[2]) for m in GC.finditer(e)]
        gaps = [b - a for a, b in zip(gcs, gcs[1:])]
        fields = o.split()
        rows.append({"rate": rate, "offered_cpus": rate * 200e-6, "gomaxprocs": 2, "sched": sched, "gc_times_s": gcs,
                     "gc_interval_median_s": statistics.median(gaps) if gaps else None, "gc_cycles": len(gcs),
                     "throughput_per_s": float(fields[1]), "p99_ms": float(fields[3]) / 1e6, "peak_rss_mib": peak, "host": host()})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(HERE / "real.json"))
    args = ap.parse_args()
    repeats = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        spawn = {tc: build(go, "spawn", t) for tc, go in TOOLCHAINS.items() if go == "go" or Path(go).exists()}
        idle = {tc: build(go, "idle", t) for tc, go in TOOLCHAINS.items() if go == "go" or Path(go).exists()}
        schedlat = {"go1.26": build("go", "schedlat", t)}
        gcalloc = {"go1.26": build("go", "gcalloc", t)}
        versions = {tc: subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
                    for tc, go in TOOLCHAINS.items() if go == "go" or Path(go).exists()}
        result = {"format": "gmpsim-claims-real/1", "made_by": "validation/claims/run_real.py" + (" --quick" if args.quick else ""),
                  "toolchains": versions, "host": host(),
                  "claim1": claim1(spawn, repeats), "claim2": claim2(idle, repeats, 250_000),
                  "claim14": claim14(schedlat, args.quick), "claim17": claim17(gcalloc, args.quick)}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
