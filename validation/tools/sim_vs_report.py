#!/usr/bin/env python3
"""Re-run the simulated side of Go validation cases and compare it with the real values of the last report.

The real runs are not repeated: the real column comes from validation/results/metrics.csv (written by
`make validate`), so a model change can be checked against them in seconds, without an idle machine.
For each case of validation/scenarios/go-cases.yaml (fiber-cases.yaml when PREFIX starts with "fiber",
supplied-cases.yaml's Go cases when it starts with "supplied") whose name starts with PREFIX, and each toolchain,
it runs the case's scenario with its set_values and the committed profile, and prints per metric
  name=SIM/REAL(ERROR now, was ERROR in the report)
Usage: python3 validation/tools/sim_vs_report.py [PREFIX] [--gmpsim build/models/gmpsim] [--set KEY=VALUE ...]
       [--seeds N]
Counters, time per operation (simulated time / ops) and the p50/p99 of latency metrics are compared; errors
as in the report (sim / real - 1). With --seeds N each simulated value is the median over seeds 1..N, as the
report takes the median of its 5 replications; one seed (the default, the scenario's own) can sit far from
that median on a case whose runs are chaotic (go-fanout moves by 15 % between seeds).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def counter(d, path):
    """A dotted path into a summary's counters (gc.cycles, threads_peak): a number, or None."""
    v = d["counters"]
    for part in path.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v if isinstance(v, (int, float)) else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefix", nargs="?", default="go-")
    ap.add_argument("--gmpsim", default=os.path.join(ROOT, "build/models/gmpsim"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="also set KEY (after the case's own values): the same cases with a parameter changed")
    ap.add_argument("--seeds", type=int, default=1, metavar="N",
                    help="median over seeds 1..N, as the report's replications (default: one run, the scenario's seed)")
    args = ap.parse_args()
    fiber = args.prefix.startswith("fiber")
    supplied = args.prefix.startswith("supplied")
    manifest = "fiber-cases.yaml" if fiber else "supplied-cases.yaml" if supplied else "go-cases.yaml"
    cases = yaml.safe_load(open(os.path.join(ROOT, "validation/scenarios", manifest)))["cases"]
    real = {}
    for r in csv.DictReader(open(os.path.join(ROOT, "validation/results/metrics.csv"))):
        if r["real"] and r["sim"]:
            real[(r["version"], r["case"], r["metric"], r["stat"])] = (float(r["real"]), float(r["sim"]))
    out_dir = tempfile.mkdtemp(prefix="sim_vs_report.")
    for ver in ("1.74",) if fiber else ("go1.26", "go1.19"):
        for c in cases:
            if not c["name"].startswith(args.prefix) or "scenario" not in c:
                continue
            if supplied and (c.get("runtime") != "go" or c["supplied"]["version"] != ver):
                continue
            scenario = os.path.normpath(os.path.join(ROOT, "validation/scenarios", c["scenario"]))
            if fiber:  # Boost.Fiber: the host profile of the calibration
                cmd = [args.gmpsim, "run", scenario, "-q", "--out", out_dir, "--set", f"kernel.profile={ROOT}/validation/results/host.yaml"]
            elif supplied:  # another host: its machine and kernel profile come with the case's set_values
                cmd = [args.gmpsim, "run", scenario, "-q", "--out", out_dir, "--set", f"runtime.version={ver}"]
            else:
                cmd = [args.gmpsim, "run", scenario, "-q", "--out", out_dir,
                       "--set", f"kernel.profile={ROOT}/validation/results/{ver}.yaml", "--set", f"runtime.version={ver}"]
            for v in c.get("set_values", []) + args.set:
                cmd += ["--set", v]
            runs = []
            for seed in range(1, args.seeds + 1):
                if subprocess.run(cmd + (["--seed", str(seed)] if args.seeds > 1 else [])).returncode not in (0, 3):
                    raise SystemExit(f"{c['name']}: gmpsim failed")  # 3: the run ended with an outcome (oom_killed, ...)
                runs.append(json.load(open(os.path.join(out_dir, "summary.json"))))

            def median_of(value):  # value(summary) -> number or None; None if any run lacks it
                vs = [value(d) for d in runs]
                return None if any(v is None for v in vs) else statistics.median(vs)

            cols = []
            for m in c.get("metrics", []):
                if m["kind"] == "counter" and "sim" in m:
                    sim = median_of(lambda d: counter(d, m["sim"]))
                    rv = real.get((ver, c["name"], m["name"], "value"))
                    if rv and sim is not None and rv[0]:
                        cols.append(f"{m['name']}={sim:.3g}/{rv[0]:.3g}({(sim / rv[0] - 1) * 100:+.0f}%, was {(rv[1] / rv[0] - 1) * 100:+.0f}%)")
                elif m["kind"] == "per_op":
                    rv = real.get((ver, c["name"], m.get("name", "ns_per_op"), "per_op"))
                    if rv and rv[0]:
                        sim = median_of(lambda d: d["sim"]["simulated_ns"] / m["ops"])
                        cols.append(f"{m.get('name', 'ns_per_op')}={sim:.4g}/{rv[0]:.4g}({(sim / rv[0] - 1) * 100:+.0f}%, was {(rv[1] / rv[0] - 1) * 100:+.0f}%)")
                elif m["kind"] == "latency":
                    name = m.get("span") or m.get("class")
                    key = "span_latency_us" if "span" in m else "latency_us"
                    for stat in ("p50", "p99"):
                        rv = real.get((ver, c["name"], f"{name}_latency", stat))
                        sim = median_of(lambda d: d[key][name][stat] * 1000 if name in d[key] else None)
                        if rv and sim is not None and rv[0]:
                            cols.append(f"{name}.{stat}={sim / 1e3:.4g}us/{rv[0] / 1e3:.4g}us({(sim / rv[0] - 1) * 100:+.0f}%, was {(rv[1] / rv[0] - 1) * 100:+.0f}%)")
            print(ver, c["name"], " ".join(cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
