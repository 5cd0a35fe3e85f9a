"""The HTML report in a real browser: headless Chromium (Debian's `chromium`, in .ci/install-deps.sh) loads the
pages of a run (from Python and from the CLI), a capacity search and a sweep, with no console message and
every plot drawn, and takes a screenshot of the first screen. The page's content and data are tested in
models/report/report_test.cpp."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import gmpsim
from support import EXAMPLES, run_cli

WINDOW = (1280, 900)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium; .ci/install-deps.sh does it)")
    return path


def browse(chromium: str, page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # --virtual-time-budget lets the scripts run to completion before the DOM is dumped or the screenshot
    # taken; a profile folder of its own keeps parallel runs apart; the sandbox needs user namespaces,
    # which containers often lack.
    profile = tmp / "chromium-profile"
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", f"--window-size={WINDOW[0]},{WINDOW[1]}",
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)


def check_page(chromium: str, page: Path, tmp: Path, title: str, min_plots: int) -> tuple[str, Path]:
    """Loads the page: no console message (an error, an uncaught exception or anything logged), the title,
    every plot box drawn by uPlot; then a screenshot of the first screen. Returns the DOM and the PNG."""
    dom = browse(chromium, page, tmp, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert f"<title>{title}</title>" in dom.stdout
    body = re.search(r"<body([^>]*)>", dom.stdout)
    assert body and "data-error" not in body.group(1), body and body.group(1)
    m = re.search(r'data-plots="(\d+)"', body.group(1))
    assert m, "the report's script did not finish"
    drawn = len(re.findall(r'<div class="uplot[ "]', dom.stdout))
    boxes = len(re.findall(r'<div class="plot"', dom.stdout))
    assert int(m.group(1)) == drawn >= min_plots
    assert drawn == boxes, "a plot box stayed empty"
    assert len(re.findall(r"<canvas", dom.stdout)) == drawn

    png = tmp / (page.stem + ".png")
    shot = browse(chromium, page, tmp, f"--screenshot={png}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    Image = pytest.importorskip("PIL.Image")  # Pillow comes with matplotlib
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the screenshot is (nearly) blank"
    return dom.stdout, png


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gmpsim-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def short_default() -> gmpsim.Scenario:
    return gmpsim.Scenario(EXAMPLES / "default.yaml").set("run.duration", "1s").set("run.warmup", "200ms")


def test_result_report_loads_in_chromium_with_every_plot(chromium, short_default, tmp_path):
    r = gmpsim.run(short_default, seed=4)
    path = r.report(tmp_path / "run.html")
    assert path == tmp_path / "run.html" and not (tmp_path / "run.html.tmp").exists()
    title = "gmpsim report: run of HTTP service on 4 CPUs, 16 GiB - parse, database over the network, encode"
    # CDF and tail for latency, wait and span; goroutines, threads, CPU split, per CPU, Ps held, heap, GC
    # over time; the per-CPU and per-P bars.
    dom, _ = check_page(chromium, path, tmp_path, title, min_plots=15)
    for heading in ("Summary", "Latency distributions", "Over time", "Utilisation per CPU and per P", "Scenario as resolved",
                    "Execution trace"):
        assert f"<h2>{heading}</h2>" in dom
    for plot in ("Goroutines", "OS threads", "CPU split (fraction of all CPUs)", "Ps held by an M", "Heap", "Garbage collection"):
        assert f'data-title="{plot}' in dom


def test_cli_report_of_a_run_has_the_same_data_as_python(cli, short_default, tmp_path):
    out = tmp_path / "run"
    sets = [a for k, v in short_default.sets for a in ("--set", f"{k}={v}")]
    assert run_cli(cli, "run", str(EXAMPLES / "default.yaml"), *sets, "--seed", "4", "--quiet", "--out", str(out)).returncode == 0
    done = run_cli(cli, "report", str(out))
    assert done.returncode == 0, done.stderr
    cli_html = (out / "report.html").read_text()
    py_html = gmpsim.run(short_default, seed=4).report(tmp_path / "py.html").read_text()
    assert page_data(cli_html) == page_data(py_html)  # everything plotted is a function of scenario and seed
    assert f"from <code>{out}</code>" in cli_html


def test_capacity_and_sweep_pages_load_in_chromium(chromium, cli, tmp_path):
    cap = tmp_path / "capacity"
    done = run_cli(cli, "capacity", str(EXAMPLES / "mm4.yaml"), "--slo", "mean<2ms", "--set", "run.duration=2s",
                   "--precision", "0.1", "--quiet", "--out", str(cap))
    assert done.returncode == 0, done.stderr
    assert run_cli(cli, "report", str(cap)).returncode == 0
    dom, _ = check_page(chromium, cap / "report.html", tmp_path, f"gmpsim report: capacity search of {EXAMPLES / 'mm4.yaml'}",
                        min_plots=1)
    assert 'data-title="Probes: mean against workload.classes.request.arrivals.rate"' in dom

    sweep = tmp_path / "sweep"
    done = run_cli(cli, "sweep", str(EXAMPLES / "mm4.yaml"), "--grid", "machine.cpus=[2, 4]", "--repeats", "2",
                   "--set", "run.duration=2s", "--quiet", "--out", str(sweep))
    assert done.returncode == 0, done.stderr
    assert run_cli(cli, "report", str(sweep)).returncode == 0
    dom, _ = check_page(chromium, sweep / "report.html", tmp_path, "gmpsim report: sweep", min_plots=2)
    assert "4 runs from <code>sweep.csv</code>" in dom


def test_capacity_result_html_report(tmp_path, mm4_path):
    cap = gmpsim.capacity(gmpsim.Scenario(mm4_path).set("run.duration", "2s"), "mean<2ms", precision=0.1)
    html = cap.html_report(tmp_path / "cap.html").read_text()
    assert '<section id="capacity">' in html
    assert len(page_data(html)["capacity"]["value"]) == len(cap.trace)


def test_report_of_a_folder_without_output_raises(tmp_path):
    with pytest.raises(gmpsim.ScenarioError, match="holds no gmpsim output") as e:
        gmpsim.report(tmp_path)
    assert e.value.key == "OUT_DIR"
    assert not (tmp_path / "report.html").exists()


CLAIMS = {"format": "gmpsim-claims/1", "title": "two claims", "source": "notebooks/claims.ipynb", "claims": [
    {"id": 1, "claim": "a million goroutines in a few seconds", "verdict": "supported", "claimed": "a few seconds",
     "predicted": "0.74 s", "real": "2.9 s on a loaded VM", "mechanism": "newproc and goexit",
     "scenario": "examples/claims/c01_million_spawn.yaml"},
    {"id": 4, "claim": "a GPM weight in sched_entity", "verdict": "contradicted", "claimed": "kernel fields",
     "predicted": "no such fields", "mechanism": "the kernel schedules threads",
     "source": "include/linux/sched.h struct sched_entity"}]}


def test_claims_page_loads_in_chromium(chromium, cli, tmp_path):
    """The Claims section (claims.json, written by notebooks/claims.ipynb) as the CLI and Python render it."""
    out = tmp_path / "claims"
    out.mkdir()
    (out / "claims.json").write_text(json.dumps(CLAIMS))
    assert run_cli(cli, "report", str(out)).returncode == 0
    cli_html = (out / "report.html").read_text()
    dom, _ = check_page(chromium, out / "report.html", tmp_path, "gmpsim report: claims", min_plots=0)
    assert dom.count('<tr class="verdict-') == 2 and 'class="verdict-contradicted"' in dom
    section = re.compile(r'<section id="claims">.*?</section>', re.S)
    assert section.search(gmpsim.report(out).read_text())[0] == section.search(cli_html)[0]


def test_bad_claims_json_raises_naming_the_row(tmp_path):
    bad = dict(CLAIMS, claims=[dict(CLAIMS["claims"][0], verdict="probably")])
    (tmp_path / "claims.json").write_text(json.dumps(bad))
    with pytest.raises(gmpsim.ScenarioError, match=r'claims\[0\]\.verdict "probably" is not one of') as e:
        gmpsim.report(tmp_path)
    assert e.value.key == "OUT_DIR"
    assert not (tmp_path / "report.html").exists()
