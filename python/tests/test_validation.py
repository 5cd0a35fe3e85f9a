"""gmpsim.validation: matplotlib (the `plot` extra) is imported only when a figure is drawn, and without it
plot() raises an ImportError that names the extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gmpsim import validation


def test_importing_the_package_leaves_matplotlib_out(tmp_path):
    code = "import sys, gmpsim, gmpsim.validation; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path, timeout=120).returncode == 0


def test_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what `import matplotlib` meets when it is missing
    with pytest.raises(ImportError, match=r"pip install 'gmpsim\[plot\]'"):
        validation.plot(tmp_path)
