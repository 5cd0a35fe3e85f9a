"""Plots and tables of a `gmpsim validate` report.

`gmpsim validate` (C++) writes OUT/report.md, OUT/results/metrics.csv and OUT/results/cdf.csv; this module
reads the CSVs into pandas and draws the figures (`make validate` runs `python -m gmpsim.validation OUT`):

    from gmpsim import validation
    m = validation.metrics("validation")        # one row per case, metric and statistic
    validation.summary(m)                       # the report's summary table
    validation.plot("validation")               # writes OUT/results/plots/*.png, returns the paths
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["cdfs", "metrics", "plot", "summary"]


def metrics(out_dir: str | os.PathLike[str] = "validation") -> pd.DataFrame:
    """results/metrics.csv: runtime, version, case, family, set, metric, stat, unit, real, real_min, real_max,
    real_n, sim, sim_n, error ((sim - real) / real; the KS distance for stat "ks"), target, verdict."""
    return pd.read_csv(os.path.join(out_dir, "results", "metrics.csv"), keep_default_na=False,
                       na_values={"real": [""], "sim": [""], "error": [""], "real_min": [""], "real_max": [""]})


def cdfs(out_dir: str | os.PathLike[str] = "validation") -> pd.DataFrame:
    """results/cdf.csv: the real empirical CDF (up to 200 points) and the simulated one (histogram buckets)."""
    return pd.read_csv(os.path.join(out_dir, "results", "cdf.csv"))


def summary(m: pd.DataFrame) -> pd.DataFrame:
    """Per runtime, version and set, as the report's summary: time per operation MAPE (closed workloads),
    open-loop throughput MAPE, mean |p50| and |p99| errors, median KS, rows on target."""
    def agg(g: pd.DataFrame) -> pd.Series:
        per_op = g[g["stat"] == "per_op"]["error"].abs()
        thr = g[g["stat"] == "throughput"]["error"].abs()
        targeted = g[g["target"].astype(str) != ""]
        targeted = targeted[pd.to_numeric(targeted["target"], errors="coerce") > 0]
        return pd.Series({
            "per_op_mape": per_op.mean(),
            "throughput_mape": thr.mean(),
            "p50_mean_abs_error": g[g["stat"] == "p50"]["error"].abs().mean(),
            "p99_mean_abs_error": g[g["stat"] == "p99"]["error"].abs().mean(),
            "median_ks": g[g["stat"] == "ks"]["error"].median(),
            "on_target": int(targeted["verdict"].isin(["ok", "within spread"]).sum()),
            "targets": len(targeted),
        })
    out = m.groupby(["runtime", "version", "set"], sort=False).apply(agg, include_groups=False).reset_index()
    return out.astype({"on_target": int, "targets": int})


def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend; matplotlib comes with the `plot` extra."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("gmpsim.validation.plot draws with matplotlib, which comes with the plot extra: "
                          "pip install 'gmpsim[plot]'", name="matplotlib") from e
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot(out_dir: str | os.PathLike[str] = "validation", plots_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Draws one PNG per latency metric (real vs simulated CDF) and one bar chart of errors per runtime
    version; returns the files written."""
    plt = _pyplot()

    plots_dir = plots_dir or os.path.join(out_dir, "results", "plots")
    os.makedirs(plots_dir, exist_ok=True)
    written = []
    c = cdfs(out_dir)
    for (runtime, version, case, metric), g in c.groupby(["runtime", "version", "case", "metric"], sort=False):
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for side, style in (("real", "-"), ("sim", "--")):
            s = g[g["side"] == side].sort_values("x_ns")
            if len(s):
                ax.step(s["x_ns"] / 1e3, s["cdf"], style, where="post",
                        label="real" if side == "real" else "simulated")
        ax.set_xscale("log")
        ax.set_xlabel(f"{metric} (µs)")
        ax.set_ylabel("CDF")
        ax.set_title(f"{case} ({runtime} {version})", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        path = os.path.join(plots_dir, f"{case}-{version}-{metric}.png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    m = metrics(out_dir)
    m = m[m["stat"] != "ks"]
    for (runtime, version), g in m.groupby(["runtime", "version"], sort=False):
        labels = [f"{r.case} {r.metric} {r.stat}".replace(" per_op", "").replace(" throughput", "")
                  for r in g.itertuples()]
        err = 100 * g["error"].to_numpy(dtype=float)
        palette = {"calibration": "tab:gray", "supplied": "tab:orange"}  # supplied: runs from another host
        colors = [palette.get(s, "tab:blue") for s in g["set"]]
        fig, ax = plt.subplots(figsize=(7, 0.28 * len(g) + 1.2))
        y = np.arange(len(g))
        ax.barh(y, np.clip(err, -200, 200), color=colors)
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.8)
        for t in (10, 25):
            ax.axvline(t, color="tab:red", lw=0.6, ls=":")
            ax.axvline(-t, color="tab:red", lw=0.6, ls=":")
        ax.set_xlabel("error, % ((predicted − real) / real; clipped at ±200 %)")
        ax.set_title(f"{runtime} {version}: blue held-out, grey calibration set, orange supplied (another host)",
                     fontsize=9)
        fig.tight_layout()
        path = os.path.join(plots_dir, f"errors-{runtime}-{version}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gmpsim.validation", description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", default="validation", help="the --out of gmpsim validate")
    a = p.parse_args(argv)
    for path in plot(a.out_dir):
        print(path)
    print(summary(metrics(a.out_dir)).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
