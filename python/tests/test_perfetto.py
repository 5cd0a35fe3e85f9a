"""Perfetto traces (`gmpsim.run(..., perfetto=PATH)`, `gmpsim run --perfetto`): decoded with Perfetto's own
compiled schema (the `perfetto` package's perfetto_trace_pb2, not gmpsim's .proto subset), checked against
the model's counters and the CSV trace's times; with Perfetto's trace processor when it is installed.

The trace processor (trace_processor_shell) is not on any package registry: the `perfetto` package
downloads it at run time, which this project's machines cannot. Its test runs when GMPSIM_TRACE_PROCESSOR
names the binary or `trace_processor_shell` is on PATH, and is skipped otherwise."""

from __future__ import annotations

import csv
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import gmpsim
from support import ROOT, run_cli

pb = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")

PROTO = ROOT / "models" / "output" / "perfetto" / "perfetto_trace.proto"

SERVICE: dict[str, Any] = {
    "machine": {"cpus": 4},
    "runtime": {"model": "go", "gomaxprocs": 4},
    "workload": {
        "classes": {
            "request": {
                "arrivals": {"process": "poisson", "rate": "4000/s"},
                "program": [
                    {"make": {"chan": "results", "capacity": 3}},
                    {"make": {"wg": "all"}},
                    {"wg_add": {"wg": "all", "n": 3}},
                    {"spawn": {"class": "part", "count": 3}},
                    {"wg_wait": "all"},
                    {"repeat": {"count": 3, "steps": [{"recv": "results"}]}},
                ],
            },
            "part": {"program": [{"compute": {"dist": "exponential", "mean": "100us"}}, {"send": "results"}, {"wg_done": "all"}]},
            "hog": {"arrivals": {"process": "initial", "count": 1}, "program": [{"tight_loop": "60ms"}]},
            "sys": {"arrivals": {"process": "poisson", "rate": "200/s"}, "program": [{"compute": "10us"}, {"syscall": "300us"}]},
        }
    },
    "run": {"duration": "100ms", "seed": 3},
}


class Decoded:
    """Tracks (uuid -> name, parent), slices per track (begin, end, name, terminating flows), instants."""

    def __init__(self, path: Path):
        trace = pb.Trace()
        trace.ParseFromString(path.read_bytes())
        self.names: dict[int, str] = {}
        self.parent: dict[int, int] = {}
        self.track: dict[int, str] = {}
        self.slices: dict[int, list[dict[str, Any]]] = {}
        self.instants: dict[int, list[dict[str, Any]]] = {}
        ev = pb.TrackEvent
        for p in trace.packet:
            for n in p.interned_data.event_names:
                self.names[n.iid] = n.name
            if p.HasField("track_descriptor"):
                d = p.track_descriptor
                self.track[d.uuid] = d.name
                self.parent[d.uuid] = d.parent_uuid
            if not p.HasField("track_event"):
                continue
            e = p.track_event
            assert e.track_uuid in self.track, "an event on a track not described before"
            if e.type == ev.TYPE_SLICE_BEGIN:
                self.slices.setdefault(e.track_uuid, []).append(
                    {"begin": p.timestamp, "end": None, "name": self.names[e.name_iid], "flows_in": list(e.terminating_flow_ids)})
            elif e.type == ev.TYPE_SLICE_END:
                s = self.slices[e.track_uuid][-1]
                assert s["end"] is None
                s["end"] = p.timestamp
            elif e.type == ev.TYPE_INSTANT:
                args = {a.name: a.uint_value for a in e.debug_annotations}
                self.instants.setdefault(e.track_uuid, []).append(
                    {"t": p.timestamp, "name": self.names[e.name_iid], "flows": list(e.flow_ids), **args})

    def group(self, uuid: int) -> str:
        return self.track.get(self.parent.get(uuid, 0), "")

    def count_instants(self, name: str) -> int:
        return sum(i["name"] == name for lst in self.instants.values() for i in lst)


def test_proto_subset_matches_perfettos_schema() -> None:
    """Every message, field and enum value of gmpsim's .proto has Perfetto's name, number and type."""
    fdesc = pb.DESCRIPTOR
    text = re.sub(r"//.*", "", PROTO.read_text())
    stack: list[tuple[str, str]] = []  # (kind, name)
    checked = 0
    types = {"uint64": 4, "int64": 3, "uint32": 13, "int32": 5, "bool": 8, "string": 9, "fixed64": 6, "double": 1}
    for token in re.finditer(r"(message|enum|oneof)\s+(\w+)\s*\{|\}|(?:(?:optional|repeated)\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;|(\w+)\s*=\s*(\d+)\s*;", text):
        if token.group(1):
            stack.append((token.group(1), token.group(2)))
        elif token.group(0) == "}":
            stack.pop()
        else:
            messages = [n for k, n in stack if k == "message"]
            desc = fdesc.message_types_by_name[messages[0]]
            for n in messages[1:]:
                desc = desc.nested_types_by_name[n]
            if stack[-1][0] == "enum":
                values = desc.enum_types_by_name[stack[-1][1]].values_by_name
                assert values[token.group(6)].number == int(token.group(7)), token.group(0)
            else:
                f = desc.fields_by_name[token.group(4)]
                assert f.number == int(token.group(5)), token.group(0)
                t = token.group(3)
                if t in types:
                    assert f.type == types[t], token.group(0)
                else:
                    assert (f.message_type or f.enum_type).name == t, token.group(0)
            checked += 1
    assert checked >= 45


def test_run_writes_a_trace_matching_the_models_counters(tmp_path: Path) -> None:
    path = tmp_path / "run.pftrace"
    r = gmpsim.run(SERVICE, perfetto=path)
    assert r.outcome.status == "completed"
    d = Decoded(path)
    c = r.summary["counters"]
    assert d.count_instants("runqsteal") == c["steals"] > 0
    assert d.count_instants("handoffp") == c["syscalls"]["handoffs"] > 0
    assert d.count_instants("SIGURG") == c["preemption"]["signals_sent"] > 0
    assert d.count_instants("async preempt") == c["preemption"]["async"]
    groups = Counter(d.group(u) for u in d.track)
    assert groups["CPUs (kernel)"] == 4 and groups["Ps"] == 4 and groups["Ms (threads)"] >= 5
    assert {d.track[u] for u in d.track if d.group(u) == "Goroutines"} == {"class request", "class part", "class hog", "class sys"}
    for lst in d.slices.values():
        assert all(s["end"] is not None and s["end"] >= s["begin"] for s in lst)
    assert path.with_suffix(".pftrace.tmp").exists() is False


def test_wake_flow_joins_the_waker_and_the_woken(tmp_path: Path) -> None:
    path = tmp_path / "run.pftrace"
    gmpsim.run(SERVICE, perfetto=path)
    d = Decoded(path)
    ends = {f: (s["name"], s["begin"]) for lst in d.slices.values() for s in lst for f in s["flows_in"]}
    checked = 0
    for uuid, lst in d.instants.items():
        if d.group(uuid) != "Ms (threads)":
            continue
        for i in lst:
            if i["name"] != "goready" or "waker" not in i:  # (a timer's wake-up has no waker)
                continue
            # It lies in the waker's slice on this M; a goroutine does not wake itself.
            assert any(s["begin"] <= i["t"] <= s["end"] and s["name"] == f"G{i['waker']}" for s in d.slices[uuid])
            assert i["waker"] != i["g"]
            if i["flows"][0] not in ends:  # it did not run again before the run ended
                assert i["t"] > max((s["begin"] for lst in d.slices.values() for s in lst if s["name"] == f"G{i['g']}"), default=-1)
                continue
            name, begin = ends[i["flows"][0]]
            assert name == f"G{i['g']}" and begin >= i["t"]
            checked += 1
    assert checked > 100


def test_cli_perfetto_times_are_the_simulated_ones(cli: Path, tmp_path: Path) -> None:
    """The CSV trace's GoStart times are the begins of the goroutine tracks' running slices after runnable."""
    scenario = tmp_path / "s.yaml"
    import json

    scenario.write_text(json.dumps(SERVICE))
    out = run_cli(cli, "run", str(scenario), "-q", "--trace", str(tmp_path / "t.csv"), "--perfetto", str(tmp_path / "t.pftrace"))
    assert out.returncode == 0, out.stderr
    with open(tmp_path / "t.csv") as f:
        starts = Counter((int(row["t_ns"]), f"G{row['g']}", row["class"]) for row in csv.DictReader(f) if row["event"] == "GoStart")
    d = Decoded(tmp_path / "t.pftrace")
    got: Counter[tuple[int, str, str]] = Counter()
    for uuid, lst in d.slices.items():
        cls = d.group(uuid).removeprefix("class ")
        if not d.group(uuid).startswith("class "):
            continue
        for prev, s in zip([None, *lst], lst):
            if s["name"] == "running" and (prev is None or prev["name"] != "syscall"):
                got[(s["begin"], d.track[uuid], cls)] += 1
    assert got == starts and len(starts) > 1000


def test_cli_perfetto_options_and_errors(cli: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    import json

    scenario.write_text(json.dumps(SERVICE))
    whole = tmp_path / "a.pftrace"
    part = tmp_path / "b.pftrace"
    assert run_cli(cli, "run", str(scenario), "-q", "--perfetto", str(whole)).returncode == 0
    assert run_cli(cli, "run", str(scenario), "-q", "--perfetto", str(part), "--perfetto-window", "20ms:30ms",
                   "--perfetto-classes", "part", "--perfetto-sample", "2").returncode == 0
    assert part.stat().st_size * 4 < whole.stat().st_size
    d = Decoded(part)
    assert all(20_000_000 <= s["begin"] and s["end"] <= 30_000_000 for lst in d.slices.values() for s in lst)
    assert {d.group(u) for u in d.track if d.group(u).startswith("class ")} == {"class part"}
    bad = run_cli(cli, "run", str(scenario), "-q", "--perfetto", str(tmp_path / "c.pftrace"), "--perfetto-window", "30ms:20ms")
    assert bad.returncode == 2 and "--perfetto-window" in bad.stderr
    assert not (tmp_path / "c.pftrace").exists() and not (tmp_path / "c.pftrace.tmp").exists()
    lone = run_cli(cli, "run", str(scenario), "-q", "--perfetto-sample", "2")
    assert lone.returncode == 2 and "--perfetto FILE" in lone.stderr
    fifo = run_cli(cli, "run", str(ROOT / "examples" / "mm4.yaml"), "-q", "--perfetto", str(tmp_path / "d.pftrace"))
    assert fifo.returncode == 2 and "runtime.model=go" in fifo.stderr


def test_python_perfetto_errors(tmp_path: Path) -> None:
    with pytest.raises(gmpsim.ScenarioError, match="--perfetto-classes"):
        gmpsim.run(SERVICE, perfetto=tmp_path / "x.pftrace", perfetto_classes=["nope"])
    assert not list(tmp_path.iterdir())


def _trace_processor() -> str | None:
    return os.environ.get("GMPSIM_TRACE_PROCESSOR") or shutil.which("trace_processor_shell")


@pytest.mark.skipif(_trace_processor() is None, reason="trace_processor_shell is not installed (no registry ships it; "
                    "set GMPSIM_TRACE_PROCESSOR to a local binary)")
def test_trace_processor_reads_the_trace(tmp_path: Path) -> None:
    from perfetto.trace_processor import TraceProcessor, TraceProcessorConfig

    path = tmp_path / "run.pftrace"
    r = gmpsim.run(SERVICE, perfetto=path)
    c = r.summary["counters"]
    tp = TraceProcessor(trace=str(path), config=TraceProcessorConfig(bin_path=_trace_processor()))
    try:
        steals = tp.query("select count(*) as n from slice where name = 'runqsteal'").as_pandas_dataframe()["n"][0]
        assert steals == c["steals"]
        flows = tp.query("""select s_out.name as waker, s_in.name as woken, a.int_value as g
                            from flow f join slice s_out on f.slice_out = s_out.id join slice s_in on f.slice_in = s_in.id
                            left join args a on a.arg_set_id = s_out.arg_set_id and a.key = 'debug.g'
                            where s_out.name = 'goready'""").as_pandas_dataframe()
        assert len(flows) > 100
        assert (flows["woken"] == "G" + flows["g"].astype(str)).all()
    finally:
        tp.close()
