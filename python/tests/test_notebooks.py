"""The notebooks under notebooks/ run headless (nbclient) and their assertion cells pass, so a broken
notebook fails `make test`. They run from notebooks/, as a user opens them."""

from __future__ import annotations

import pytest

from support import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"quickstart", "capacity_planning", "gomaxprocs_sweep"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_executed_copy_is_committed_and_current(path):
    """`make notebooks` keeps an executed copy of each notebook (notebooks/executed/, notebooks/html/) so the
    figures can be read without running anything; a copy whose code differs from the notebook is stale."""
    nbformat = pytest.importorskip("nbformat")
    executed = ROOT / "notebooks" / "executed" / path.name
    html = ROOT / "notebooks" / "html" / (path.stem + ".html")
    assert executed.is_file() and html.is_file(), f"run `make notebooks` to write {executed} and {html}"
    source = nbformat.read(path, as_version=4)
    done = nbformat.read(executed, as_version=4)
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in done.cells if c.cell_type == "code"] == code, f"{executed} is stale: run `make notebooks`"
    assert all(not c.outputs for c in source.cells if c.cell_type == "code"), f"commit {path} without outputs"
    figures = sum("image/png" in o.get("data", {}) for c in done.cells if c.cell_type == "code" for o in c.outputs)
    if "plt." in "\n".join(code) or ".plot(" in "\n".join(code):
        assert figures > 0, f"{executed} has no figure"
