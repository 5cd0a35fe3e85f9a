"""gmpsim: a discrete-event simulator of goroutine schedulers, from Python.

    import gmpsim
    sc = gmpsim.Scenario("examples/mm4.yaml").set("run.duration", "10s")
    r = gmpsim.run(sc, seed=3)
    r.summary["latency_us"]["request"]["p99"]     # summary.json as a dict
    r.latency                                     # histogram buckets (pandas DataFrame)
    r.timeseries                                  # sampled time series (pandas DataFrame)
    gmpsim.capacity(sc, slo="p99<5ms")            # the largest load meeting an SLO and a memory limit
    gmpsim.sweep(sc, grid={"machine.cpus": [2, 4]}, repeats=3)   # a tidy DataFrame, on any executor
    gmpsim.import_trace("trace.out").scenario     # a scenario from a real Go execution trace

A Scenario is loaded and validated by the same C++ code as the CLI (`gmpsim run`), with the same layers
and the same `--set` keys; bad input raises ScenarioError (a ValueError) with the CLI's message. A run
releases the GIL, so threads can run scenarios in parallel.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd

from . import _core
from ._core import ScenarioError

__all__ = ["CapacityResult", "ImportedTrace", "Outcome", "Result", "Scenario", "ScenarioError", "capacity",
           "import_trace", "models", "params", "point_seed", "report", "run", "sweep"]

__version__: str = _core.version()  # "0.1.0+<git rev>", as in summary.json's gmpsim_version

_LATENCY_COLUMNS = ["kind", "name", "class", "low_ns", "high_ns", "count"]


def _json_default(value: Any) -> Any:
    # NumPy scalars and arrays, paths: what a notebook's dict or a sweep's value may hold.
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not a scenario value (use str, int, float, bool, list or dict)")


def _yaml_value(value: Any) -> str:
    """A Python value as the YAML text of a `--set` value: strings as written ("2ms", "40000/s"), anything
    else as JSON (which is YAML): 4, 0.5, true, [0, 2], {dist: ...} as {"dist": ...}."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, str):
            return value
    return json.dumps(value, default=_json_default)


def _path_of(path: str | os.PathLike[str], call: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{call} takes a file path (str or os.PathLike), not {type(path).__name__}")
    text = os.fsdecode(path)
    if "\n" in text:  # no scenario file is named so; YAML text has a dedicated constructor
        raise ValueError(f"{call} takes a file path, and a path has no line break; for YAML text use "
                         "Scenario.from_yaml(text)")
    return text


def _dict_text(data: Mapping[str, Any], call: str) -> str:
    if not isinstance(data, Mapping):
        raise TypeError(f"{call} takes a mapping, not {type(data).__name__}; for a file use "
                        "Scenario.from_file(path), for YAML text Scenario.from_yaml(text)")
    return json.dumps(dict(data), default=_json_default)


class Scenario:
    """A validated scenario: a YAML file, YAML text or a dict, plus `set` overrides.

    `Scenario(x)` goes by the type of x alone: a str or os.PathLike is the path of a YAML file, a mapping
    is the scenario as nested dicts (the shape of the file, dumped as JSON, which is YAML; quantities are
    strings with units, as in a file: "10s", "3200/s"), and a Scenario is taken as it is. YAML text goes
    through `Scenario.from_yaml(text)`; `from_file` and `from_dict` name the other two. Loading validates
    at once; bad input raises ScenarioError. Scenarios are immutable: `set` returns a new one.
    """

    __slots__ = ("_core", "_path", "_sets", "_source", "_text")

    def __init__(self, scenario: str | os.PathLike[str] | Mapping[str, Any] | Scenario):
        if isinstance(scenario, Scenario):
            self._init(scenario._text, scenario._path, scenario._source, scenario._sets, scenario._core)
        elif isinstance(scenario, Mapping):
            self._init(_dict_text(scenario, "Scenario()"), None, "<dict>", ())
        elif isinstance(scenario, (str, os.PathLike)):
            self._init(None, _path_of(scenario, "Scenario()"), None, ())
        else:
            fix = ("decode it and use Scenario.from_yaml(text)" if isinstance(scenario, (bytes, bytearray))
                   else "for YAML text use Scenario.from_yaml(text)")
            raise TypeError(f"Scenario() takes a file path (str or os.PathLike), a dict or a Scenario, not "
                            f"{type(scenario).__name__}; {fix}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a scenario file (relative kernel-profile paths resolve against its folder, as in the CLI)."""
        return cls._make(None, _path_of(path, "Scenario.from_file()"), None, ())

    @classmethod
    def from_yaml(cls, text: str, source: str = "<text>") -> Scenario:
        """Load YAML text; `source` names it in syntax-error messages."""
        if not isinstance(text, str):
            fix = ("decode it first" if isinstance(text, (bytes, bytearray))
                   else "for a file use Scenario.from_file(path), for a dict Scenario.from_dict(data)")
            raise TypeError(f"Scenario.from_yaml() takes YAML text (str), not {type(text).__name__}; {fix}")
        return cls._make(text, None, source, ())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Load a scenario given as nested dicts (the shape of the YAML file)."""
        return cls._make(_dict_text(data, "Scenario.from_dict()"), None, "<dict>", ())

    @classmethod
    def _make(cls, text: str | None, path: str | None, source: str | None, sets: tuple[tuple[str, str], ...]) -> Scenario:
        self = cls.__new__(cls)
        self._init(text, path, source, sets)
        return self

    def _init(self, text: str | None, path: str | None, source: str | None, sets: tuple[tuple[str, str], ...],
              core: _core.Scenario | None = None) -> None:
        self._text, self._path, self._source, self._sets = text, path, source, tuple(sets)
        self._core = core if core is not None else self._load()

    def _load(self) -> _core.Scenario:
        sets = list(self._sets)
        if self._path is not None:
            return _core.load_scenario_file(self._path, sets)
        assert self._text is not None and self._source is not None
        return _core.load_scenario(self._text, self._source, sets)

    @overload
    def set(self, key: str, value: Any) -> Scenario: ...
    @overload
    def set(self, key: Mapping[str, Any]) -> Scenario: ...

    def set(self, key: str | Mapping[str, Any], value: Any = None) -> Scenario:
        """A new scenario with overrides added, as the CLI's `--set key=value`: `set("run.duration", "2s")`
        or `set({"machine.cpus": 8, "runtime.version": "v1"})`. Strings are YAML text as on the command
        line; other values are written as JSON. Later overrides win."""
        if isinstance(key, Mapping):
            if value is not None:
                raise TypeError("set(mapping) takes no value")
            added = tuple((str(k), _yaml_value(v)) for k, v in key.items())
        else:
            added = ((key, _yaml_value(value)),)
        return Scenario._make(self._text, self._path, self._source, self._sets + added)

    @property
    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario, every default filled in (summary.json's `scenario`)."""
        return self._core.resolved()

    @property
    def origin(self) -> dict[str, str]:
        """Key -> the layer that supplied it: default, version:<model>/<v>, kernel:<profile>, scenario, set."""
        return self._core.origin()

    @property
    def source(self) -> str:
        """The file path, "<dict>", or from_yaml's `source` ("<text>" unless given)."""
        return self._core.source

    @property
    def sets(self) -> tuple[tuple[str, str], ...]:
        """The overrides, in order, as (key, YAML text) pairs."""
        return self._sets

    @property
    def model(self) -> str:
        return self._core.model

    @property
    def seed(self) -> int:
        return self._core.seed

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles as its inputs and loads again on the other side (for process pools).
        return (Scenario._make, (self._text, self._path, self._source, self._sets))

    def __repr__(self) -> str:
        sets = "".join(f" --set {k}={v}" for k, v in self._sets)
        return f"<gmpsim.Scenario {self.source} model {self.model}{sets}>"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How the simulated program ended: completed, deadlock, panic, starved, thread_exhaustion,
    out_of_memory, oom_killed, too_many_open_files, time_limit or sim_memory_limit (the CLI exits 3 for all
    but completed), with a detail line."""

    status: str
    detail: str

    @property
    def abnormal(self) -> bool:
        return self.status != "completed"


class Result:
    """The result of one run: summary.json as a dict, the latency histograms and the time series as pandas
    DataFrames, the outcome and the event-stream fingerprint."""

    def __init__(self, core: _core.RunResult, scenario: Scenario):
        self._core = core
        self.scenario = scenario

    @cached_property
    def summary(self) -> dict[str, Any]:
        """summary.json (what `gmpsim run --out DIR` writes) as a dict."""
        return self._core.summary()

    @cached_property
    def latency(self) -> pd.DataFrame:
        """Histogram buckets, latency.csv's rows: kind (latency, wait, span), name, class, low_ns and high_ns
        (inclusive bounds) and count, for the non-empty buckets of every class and span."""
        frames = []
        for h in self._core.histograms():
            n = len(h["count"])
            frames.append(pd.DataFrame({
                "kind": [h["kind"]] * n, "name": [h["name"]] * n, "class": [h["class"]] * n,
                "low_ns": h["low_ns"], "high_ns": h["high_ns"], "count": h["count"],
            }))
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({
                "kind": pd.Series([], dtype=str), "name": pd.Series([], dtype=str),
                "class": pd.Series([], dtype=str), "low_ns": np.array([], dtype=np.int64),
                "high_ns": np.array([], dtype=np.int64), "count": np.array([], dtype=np.uint64),
            })
        return pd.concat(frames, ignore_index=True)[_LATENCY_COLUMNS]

    def histograms(self) -> list[dict[str, Any]]:
        """The histograms as NumPy arrays: dicts of kind, name, class, low_ns, high_ns, count."""
        return self._core.histograms()

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """The sampled time series (timeseries.csv): t_s, then runnable, running, live, cpuN_busy, ..."""
        return pd.DataFrame(self._core.timeseries())

    @property
    def outcome(self) -> Outcome:
        return Outcome(self._core.outcome_status, self._core.outcome_detail)

    @property
    def fingerprint(self) -> int:
        """64-bit fingerprint of the event stream: equal for equal scenario, build and seed."""
        return self._core.fingerprint

    @property
    def seed(self) -> int:
        return self._core.seed

    @property
    def model(self) -> str:
        return self._core.model

    @property
    def version(self) -> str:
        """The model's version profile (e.g. v1)."""
        return self._core.version

    @property
    def events(self) -> int:
        return self._core.events

    @property
    def wall_s(self) -> float:
        return self._core.wall_s

    def latency_csv(self) -> str:
        """latency.csv as the CLI writes it."""
        return self._core.latency_csv()

    def timeseries_csv(self) -> str:
        """timeseries.csv as the CLI writes it."""
        return self._core.timeseries_csv()

    @property
    def schedtrace(self) -> list[str]:
        """The GODEBUG=schedtrace lines of a go-model run with runtime.schedtrace set (schedtrace.txt of
        --out), one string per line without its newline; empty otherwise."""
        return [line.rstrip("\n") for line in self._core.schedtrace]

    def report(self, path: str | os.PathLike[str] = "report.html") -> Path:
        """Write this run's HTML report (what `gmpsim report` writes for a `gmpsim run --out` folder: summary,
        latency CDFs, time series, per-CPU and per-P utilisation, the resolved scenario) to `path`, one
        self-contained page that opens without a network connection. Returns the path."""
        return _write_html(path, self._core.report_html(), "Result.report()")

    def __repr__(self) -> str:
        return (f"<gmpsim.Result model {self.model} ({self.version}) seed {self.seed} "
                f"outcome {self.outcome.status} fingerprint {self.fingerprint:016x}>")


def run(
    scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any],
    seed: int | None = None,
    *,
    perfetto: str | os.PathLike[str] | None = None,
    perfetto_window: str = "",
    perfetto_classes: str | Sequence[str] = "",
    perfetto_sample: int = 1,
) -> Result:
    """Run a scenario on its model (`runtime.model`) and return the result. `seed` overrides run.seed (as
    the CLI's --seed). The GIL is released during the run.

    `perfetto` writes a Perfetto trace of the run to that path, as `gmpsim run --perfetto` (the go model);
    `perfetto_window` ("1s:1.5s"), `perfetto_classes` ("a,b" or a list) and `perfetto_sample` (N) limit
    it like --perfetto-window, --perfetto-classes and --perfetto-sample."""
    sc = scenario if isinstance(scenario, Scenario) else Scenario(scenario)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        sc = sc.set("run.seed", int(seed))
    else:
        sc = Scenario._make(sc._text, sc._path, sc._source, sc._sets)  # a fresh load: runs never share one
    if perfetto is None:
        return Result(_core.run(sc._core), sc)
    classes = perfetto_classes if isinstance(perfetto_classes, str) else ",".join(perfetto_classes)
    if isinstance(perfetto_sample, bool) or not isinstance(perfetto_sample, (int, np.integer)):
        raise TypeError(f"perfetto_sample must be an int, not {type(perfetto_sample).__name__}")
    core = _core.run(sc._core, os.fspath(perfetto), perfetto_window, classes, int(perfetto_sample))
    return Result(core, sc)


def _write_html(path: str | os.PathLike[str], html: str, call: str) -> Path:
    # Through a temporary name and a rename, as the CLI writes its files: never half a page.
    target = Path(_path_of(path, call))
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target


def report(out_dir: str | os.PathLike[str]) -> Path:
    """`gmpsim report OUT_DIR`: write OUT_DIR/report.html from what `gmpsim run|capacity|sweep --out OUT_DIR`
    wrote there. Returns the report's path; a folder without gmpsim output raises ScenarioError."""
    return Path(_core.write_report(_path_of(out_dir, "report()")))


def models() -> list[dict[str, Any]]:
    """The models (`gmpsim models`): name, description, source, versions (name, doc, values), default_version."""
    return _core.models()


def params(model: str | None = None) -> str:
    """`gmpsim params [MODEL]`: every parameter (those MODEL reads), with defaults and sources, as text."""
    return _core.params_text(model or "")


def point_seed(master: int, params: Mapping[str, Any], repeat: int) -> int:
    """The seed of repeat `repeat` of a sweep point (dotted key -> value), derived from the master seed by
    the core function that `gmpsim sweep` and `gmpsim.sweep` use."""
    return _core.point_seed(int(master), [(str(k), _yaml_value(v)) for k, v in params.items()], int(repeat))


from ._capacity import CapacityResult, capacity  # noqa: E402  (they use Scenario)
from ._sweep import sweep  # noqa: E402
from ._importtrace import ImportedTrace, import_trace  # noqa: E402
