"""gmpsim.sweep: a scenario over a parameter grid, on any concurrent.futures executor or a Dask cluster.

Seeds come from the C++ core (`point_seed`: master seed, point, repeat), the same function the CLI's
`gmpsim sweep` uses, so a row does not depend on the executor, the number of workers or the order in which
runs finish; rows are sorted by (point, repeat)."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import multiprocessing
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import _core

if TYPE_CHECKING:
    from . import Scenario

_LEAD = ["point", "repeat"]
_AFTER_PARAMS = ["seed", "outcome", "detail"]


def _run_point(scenario: Scenario, params: list[tuple[str, str]], point: int, master: int, repeat: int) -> dict[str, Any]:
    """One run of a point, in a worker process: the row the CLI writes for it (see _core.run_point)."""
    return _core.run_point(scenario._text, scenario._path, scenario._source or "<text>", list(scenario._sets), params, point, master, repeat)


def _read_done(path: Path) -> dict[int, dict[str, Any]]:
    """Rows already in a sweep's file, by seed. A last line cut short by an interruption is skipped."""
    done: dict[int, dict[str, Any]] = {}
    if not path.exists():
        return done
    with path.open() as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and row.get("seed") is not None:
                done[int(row["seed"])] = row
    return done


def _executor_of(executor: Any) -> tuple[cf.Executor, bool]:
    """(executor, whether we own it). A Dask distributed.Client is used through its get_executor()."""
    if executor is None:
        workers = os.cpu_count() or 1
        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")), True
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):
        return executor.get_executor(), False
    if not hasattr(executor, "submit"):
        raise TypeError(f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, not {type(executor).__name__}")
    return executor, False


def sweep(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any], grid: Mapping[str, Iterable[Any]] | None = None,
          repeats: int = 1, executor: cf.Executor | Any | None = None, out: str | os.PathLike[str] | None = None,
          progress: bool = True, seed: int | None = None) -> pd.DataFrame:
    """Run `scenario` at every point of `grid` (dotted key -> values, as Scenario.set takes them), `repeats`
    times each, and return a tidy DataFrame: one row per point and repeat with point, repeat, the
    parameters, seed, outcome, detail and the run's metrics (the columns of the CLI's sweep.csv).

    executor: any concurrent.futures.Executor (default: a local process pool, one worker per core), or a
    Dask distributed.Client. seed: the master seed (default: the scenario's run.seed). out: a JSON-lines
    file each row is appended to as it finishes; running the same sweep again with the same `out` skips
    the runs already there, so an interrupted sweep resumes where it stopped. A point whose scenario does
    not load, or whose run fails, is a row with outcome "error" and the message in `detail`."""
    from . import Scenario  # the package's __init__ imports this module

    sc = scenario if isinstance(scenario, Scenario) else Scenario(scenario)
    if sc._path is not None and not os.path.isabs(sc._path):
        sc = Scenario._make(sc._text, os.path.abspath(sc._path), sc._source, sc._sets)  # workers may run elsewhere
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, not {repeats!r}")
    from . import _yaml_value

    axes = [(str(k), list(v)) for k, v in (grid or {}).items()]
    for key, values in axes:
        if not values:
            raise ValueError(f"grid[{key!r}] has no values")
    points = [dict(zip([k for k, _ in axes], combo)) for combo in itertools.product(*[v for _, v in axes])]
    master = sc.seed if seed is None else int(seed)
    params = [[(k, _yaml_value(v)) for k, v in p.items()] for p in points]

    runs: list[tuple[int, int, int | None]] = []  # (point, repeat, seed)
    for i, p in enumerate(params):
        for r in range(repeats):
            try:
                s: int | None = _core.point_seed(master, p, r)
            except ValueError:
                s = None  # a value that is not YAML: the run records the error
            runs.append((i, r, s))

    path = Path(out) if out is not None else None
    done = _read_done(path) if path is not None else {}
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    todo = []
    for i, r, s in runs:
        if s is not None and s in done:
            rows[(i, r)] = done[s]
        else:
            todo.append((i, r))

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(runs), initial=len(runs) - len(todo), desc="sweep", unit="run")
    sink = None
    if path is not None:
        sink = path.open("ab")
        if sink.tell() > 0:  # a line cut short by an interruption would swallow the next row: drop it
            data = path.read_bytes()
            sink.truncate(data.rfind(b"\n") + 1)
            sink.seek(0, os.SEEK_END)
    try:
        if todo:
            ex, owned = _executor_of(executor)
            try:
                futures = {ex.submit(_run_point, sc, params[i], i, master, r): (i, r) for i, r in todo}
                for fut in cf.as_completed(futures):
                    i, r = futures[fut]
                    try:
                        row = fut.result()
                    except Exception as e:  # the worker failed: keep the row, retry it on resume
                        row = {"point": i, "repeat": r, "seed": None, "outcome": "error", "detail": f"{type(e).__name__}: {e}"}
                    else:
                        if sink is not None:
                            sink.write((json.dumps(row) + "\n").encode())
                            sink.flush()
                    rows[(i, r)] = row
                    if bar is not None:
                        bar.update(1)
            finally:
                if owned:
                    ex.shutdown(wait=True, cancel_futures=True)
    finally:
        if sink is not None:
            sink.close()
        if bar is not None:
            bar.close()

    table = []
    for (i, r), row in sorted(rows.items()):
        row = dict(row)
        row["point"], row["repeat"] = i, r
        row.update(points[i])  # the values as given in the grid, not their YAML text
        table.append(row)
    keys = [k for k, _ in axes]
    columns = _LEAD + keys + _AFTER_PARAMS
    for row in table:
        columns += [c for c in row if c not in columns]
    return pd.DataFrame(table, columns=columns)
