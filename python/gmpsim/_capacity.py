"""gmpsim.capacity: the capacity planner of the C++ core (`gmpsim capacity`), from Python."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from . import _core

if TYPE_CHECKING:
    from . import Scenario


class CapacityResult:
    """The planner's report: `report` is capacity.json as a dict; `text` is what the CLI prints."""

    def __init__(self, report: dict[str, Any], text: str):
        self.report = report
        self.text = text

    @property
    def found(self) -> bool:
        return bool(self.report["found"])

    @property
    def max_value(self) -> float | None:
        """The largest value of the varied parameter that met every objective (a rate in /s, a count, ...)."""
        return self.report["max_value"]

    @property
    def max_value_text(self) -> str | None:
        """The same with its unit, as written in a scenario ("3300/s")."""
        return self.report["max_value_text"]

    @property
    def limited_by(self) -> str:
        """What ran out first: latency, cpu, memory, threads, or an abnormal outcome (deadlock, ...)."""
        return self.report["limited_by"]

    @property
    def at_max(self) -> dict[str, Any]:
        """Figures at the answer: the SLO statistic and its CI, CPU, live goroutines, threads, memory."""
        return self.report["at_max"]

    @property
    def memory_breakdown(self) -> dict[str, Any] | None:
        """Bytes per goroutine by component (g struct, stack, sudog, heap, ...), when the model reports memory."""
        return self.report["memory_breakdown"]

    @cached_property
    def trace(self) -> pd.DataFrame:
        """The search, one row per probe: value, replications, verdict, reason, statistic, CPU, memory."""
        return pd.DataFrame(self.report["trace"])

    def html_report(self, path: str | os.PathLike[str] = "report.html") -> Path:
        """Write the HTML report of this search (what `gmpsim report` writes for a `gmpsim capacity --out`
        folder: the answer, what ran out first, the probes plotted and tabulated) to `path`; returns it.
        (`report` is capacity.json as a dict, hence the name.)"""
        from . import _write_html
        return _write_html(path, _core.capacity_report_html(json.dumps(self.report)), "CapacityResult.html_report()")

    def __str__(self) -> str:
        return self.text

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython shows the report
        p.text(self.text)

    def __repr__(self) -> str:
        return (f"<gmpsim.CapacityResult {self.report['vary']} max {self.max_value_text} "
                f"limited by {self.limited_by}>")


def capacity(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any], slo: str | None = None, *,
             class_name: str | None = None, memory_limit: str | int | None = None, vary: str | None = None,
             mode: Literal["load", "goroutines"] = "load",
             precision: float = 0.02, confidence: float = 0.95, replications: int = 3, max_replications: int = 12,
             max_probes: int = 60, jobs: int | None = None, seed: int | None = None) -> CapacityResult:
    """The largest load (mode="load": the varied parameter, by default the first open-loop class's arrival
    rate) that meets `slo` ("p99<50ms", "mean<2ms") on `class_name`'s sojourn latency and `memory_limit`
    ("16GiB" or bytes; default machine.memory); or, with mode="goroutines", the largest population that
    fits the memory limit, with bytes per goroutine. Bracket then bisection, `replications` to
    `max_replications` runs per probe with independent seeds, a t-interval at `confidence`, until the
    answer is known within `precision`. The same C++ function as `gmpsim capacity`; the GIL is released.
    Bad input raises ScenarioError with the CLI's message."""
    from . import Scenario  # the package's __init__ imports this module

    sc = scenario if isinstance(scenario, Scenario) else Scenario(scenario)
    if isinstance(memory_limit, bool):
        raise TypeError("memory_limit must be a size such as \"16GiB\" or a number of bytes")
    limit = f"{int(memory_limit)}B" if isinstance(memory_limit, int) else memory_limit
    report, text = _core.capacity(
        sc._text, sc._path, sc._source or "<text>", list(sc._sets), mode=mode, slo=slo, class_name=class_name or "",
        memory_limit=limit, vary=vary or "", precision=float(precision), confidence=float(confidence),
        replications=int(replications), max_replications=int(max_replications), max_probes=int(max_probes),
        jobs=int(jobs) if jobs is not None else (os.cpu_count() or 1), seed=seed)
    return CapacityResult(report, text)
