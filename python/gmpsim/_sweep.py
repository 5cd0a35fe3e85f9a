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
from concurrent.futures.process import BrokenProcessPool
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
    """(executor, whether we own it). The default is threads: a run releases the GIL, so threads run points
    in parallel, and unlike processes they need no `if __name__ == "__main__":` guard, so a sweep works the
    same from a script, a REPL, standard input or a notebook. A Dask distributed.Client is used through its
    get_executor()."""
    if executor is None:
        return cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="gmpsim-sweep"), True
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):
        return executor.get_executor(), False
    if not hasattr(executor, "submit"):
        raise TypeError(f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, not {type(executor).__name__}")
    return executor, False


def _fresh_pool(broken: cf.ProcessPoolExecutor, workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A new process pool like `broken` (whose worker died), to run again what it lost."""
    n = workers or getattr(broken, "_max_workers", None) or os.cpu_count() or 1
    ctx = getattr(broken, "_mp_context", None) or multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx)


def _died_row(i: int, r: int, e: BaseException) -> dict[str, Any]:
    return {"point": i, "repeat": r, "seed": None, "outcome": "error",
            "detail": f"the worker process running this point died ({type(e).__name__}: {e}); it was run again alone and died "
                      "again (killed, or out of memory?)"}


def sweep(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any], grid: Mapping[str, Iterable[Any]] | None = None,
          repeats: int = 1, executor: cf.Executor | Any | None = None, out: str | os.PathLike[str] | None = None,
          progress: bool = True, seed: int | None = None, resume: bool = True) -> pd.DataFrame:
    """Run `scenario` at every point of `grid` (dotted key -> values, as Scenario.set takes them), `repeats`
    times each, and return a tidy DataFrame: one row per point and repeat with point, repeat, the
    parameters, seed, outcome, detail and the run's metrics (the columns of the CLI's sweep.csv).

    executor: any concurrent.futures.Executor (default: threads, one per core: runs release the GIL, and
    threads work from a script without a main guard, a REPL, stdin and a notebook alike), or a Dask
    distributed.Client. seed: the master seed (default: the scenario's run.seed). out: a JSON-lines file
    each row is appended to as it finishes; with resume=True (the default) running the same sweep again
    with the same `out` skips the runs already there, so an interrupted sweep resumes where it stopped
    (the CLI's `--resume`); resume=False starts `out` afresh. A point whose scenario does not load, or
    whose run fails, is a row with outcome "error" and the message in `detail`. A process-pool worker that
    dies mid-run (SIGKILL, the OOM killer) loses no finished row: its runs go again on a fresh pool, and a
    run that kills its worker even alone is a row with outcome "error"."""
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
    if path is not None and not resume and path.exists():
        path.unlink()
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

    def record(i: int, r: int, row: dict[str, Any], keep: bool) -> None:
        if keep and sink is not None:
            sink.write((json.dumps(row) + "\n").encode())
            sink.flush()
        rows[(i, r)] = row
        if bar is not None:
            bar.update(1)

    def run_batch(ex: cf.Executor, batch: list[tuple[int, int]]) -> list[tuple[int, int, BaseException]]:
        """Runs a batch; returns the runs lost because a worker process died (BrokenProcessPool)."""
        lost: list[tuple[int, int, BaseException]] = []
        futures = {ex.submit(_run_point, sc, params[i], i, master, r): (i, r) for i, r in batch}
        for fut in cf.as_completed(futures):
            i, r = futures[fut]
            try:
                row = fut.result()
            except BrokenProcessPool as e:  # a worker died (SIGKILL, the OOM killer): every unfinished run is lost
                lost.append((i, r, e))
                continue
            except Exception as e:  # the worker failed: keep the row, retry it on resume (not written to `out`)
                record(i, r, {"point": i, "repeat": r, "seed": None, "outcome": "error", "detail": f"{type(e).__name__}: {e}"}, False)
                continue
            record(i, r, row, True)
        return lost

    try:
        if todo:
            ex, owned = _executor_of(executor)
            try:
                lost = run_batch(ex, todo)
                if lost and isinstance(ex, cf.ProcessPoolExecutor):
                    # The runs a dead worker took down go again on a fresh pool; those lost a second time run
                    # one at a time, so the one that kills its worker is recorded with its error and no other.
                    with _fresh_pool(ex) as again:
                        lost = run_batch(again, [(i, r) for i, r, _ in lost])
                    alone: cf.ProcessPoolExecutor | None = None
                    try:
                        for i, r, _ in lost:
                            pool = alone = alone or _fresh_pool(ex, 1)
                            for i2, r2, e in run_batch(pool, [(i, r)]):
                                record(i2, r2, _died_row(i2, r2, e), False)
                                pool.shutdown(wait=True)
                                alone = None  # broken by this run alone: the next one gets a fresh worker
                    finally:
                        if alone is not None:
                            alone.shutdown(wait=True)
                else:
                    for i, r, e in lost:
                        record(i, r, _died_row(i, r, e), False)
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
