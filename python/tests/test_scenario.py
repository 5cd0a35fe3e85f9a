"""Scenarios from a file, YAML text and a dict (the constructor going by type, the explicit constructors);
`set` overrides; errors with the CLI's messages."""

from __future__ import annotations

import json
import pickle

import pytest

import gmpsim
from support import EXAMPLES, run_cli

TYPO_MESSAGE = (
    "run.duraton: unknown key (did you mean `run.duration`?); `gmpsim params` lists every valid key"
)


def test_file_string_and_dict_resolve_alike(mm4_path):
    from_file = gmpsim.Scenario(mm4_path)
    from_str_path = gmpsim.Scenario(str(mm4_path))
    from_text = gmpsim.Scenario.from_yaml(mm4_path.read_text())
    from_dict = gmpsim.Scenario(from_file.resolved)
    assert from_file.source == str(mm4_path)
    assert from_str_path.source == str(mm4_path)
    assert from_text.source == "<text>"
    assert from_dict.source == "<dict>"
    assert from_file.resolved == from_str_path.resolved == from_text.resolved == from_dict.resolved
    assert from_file.resolved["run"]["duration"] == "60s"
    assert from_file.model == "fifo"
    # The resolved scenario is complete, so loading it back leaves nothing to the defaults.
    assert set(from_dict.origin.values()) == {"scenario"}
    assert from_file.origin["run.duration"] == "scenario"
    assert from_file.origin["kernel.hz"] == "kernel:host-vm"


def test_explicit_constructors_and_json_text(mm4_path):
    sc = gmpsim.Scenario.from_file(mm4_path)
    assert sc.source == str(mm4_path) and gmpsim.Scenario.from_file(str(mm4_path)).resolved == sc.resolved
    assert gmpsim.Scenario.from_yaml(mm4_path.read_text(), source="mm4").source == "mm4"
    assert gmpsim.Scenario.from_yaml(json.dumps(sc.resolved)).resolved == sc.resolved
    assert gmpsim.Scenario.from_dict(sc.resolved).resolved == sc.resolved
    again = gmpsim.Scenario(sc.set("run.duration", "2s"))  # a Scenario is taken as it is
    assert again.sets == (("run.duration", "2s"),) and again.resolved["run"]["duration"] == "2s"


def test_the_constructor_goes_by_type_and_names_the_fix(mm4_path):
    # A str is always a path, whatever it holds: these are read as file names, never as YAML.
    for text in ("run: {duration: 1s}", "{}", "mm4"):
        with pytest.raises(gmpsim.ScenarioError, match=r'^cannot read scenario file "'):
            gmpsim.Scenario(text)
    with pytest.raises(ValueError, match=r"Scenario\(\) takes a file path.*use Scenario\.from_yaml\(text\)") as info:
        gmpsim.Scenario(mm4_path.read_text())
    assert not isinstance(info.value, gmpsim.ScenarioError)
    with pytest.raises(TypeError, match=r"not int; for YAML text use Scenario\.from_yaml\(text\)"):
        gmpsim.Scenario(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not bytes; decode it and use Scenario\.from_yaml\(text\)"):
        gmpsim.Scenario(mm4_path.read_bytes())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"from_yaml\(\) takes YAML text \(str\), not PosixPath; for a file use Scenario\.from_file"):
        gmpsim.Scenario.from_yaml(mm4_path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"from_yaml\(\) takes YAML text \(str\), not bytes; decode it first"):
        gmpsim.Scenario.from_yaml(mm4_path.read_bytes())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"from_dict\(\) takes a mapping, not str; for a file use Scenario\.from_file"):
        gmpsim.Scenario.from_dict(str(mm4_path))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"from_file\(\) takes a file path \(str or os\.PathLike\), not dict"):
        gmpsim.Scenario.from_file({"run": {}})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"from_file\(\) takes a file path.*use Scenario\.from_yaml\(text\)"):
        gmpsim.Scenario.from_file("run:\n  duration: 1s\n")
    # run, capacity and sweep take what Scenario() takes.
    with pytest.raises(ValueError, match=r"Scenario\.from_yaml\(text\)"):
        gmpsim.run(mm4_path.read_text())


def test_minimal_dict_gets_defaults():
    sc = gmpsim.Scenario({
        "machine": {"cpus": 2},
        "workload": {"classes": {"w": {"arrivals": {"process": "poisson", "rate": "1000/s"},
                                       "program": [{"compute": "100us"}]}}},
        "run": {"duration": "1s"},
    })
    assert sc.origin["run.duration"] == "scenario"
    assert sc.origin["run.warmup"] == "default"
    assert sc.resolved["workload"]["classes"]["w"]["program"] == [{"compute": "100us"}]


def test_set_reaches_resolved_and_origin_says_set(mm4_path):
    base = gmpsim.Scenario(mm4_path)
    sc = base.set("runtime.version", "v1").set("run.duration", "2s").set("machine.cpus", 2)
    assert sc.resolved["run"]["duration"] == "2s"
    assert sc.resolved["machine"]["cpus"] == 2
    assert sc.origin["runtime.version"] == "set"
    assert sc.origin["run.duration"] == "set"
    assert sc.origin["machine.cpus"] == "set"
    assert sc.sets == (("runtime.version", "v1"), ("run.duration", "2s"), ("machine.cpus", "2"))
    # Scenarios are immutable: the original keeps its values.
    assert base.resolved["run"]["duration"] == "60s"
    assert base.origin["run.duration"] == "scenario"
    assert base.sets == ()


def test_set_values_are_yaml_like_the_cli(mm4_path):
    sc = gmpsim.Scenario(mm4_path).set({
        "machine.cpus": [0, 2],                                   # a list, as --set machine.cpus=[0,2]
        "workload.classes.request.program.0.compute": {"dist": "exponential", "mean": "2ms"},
        "workload.classes.request.arrivals.rate": "1000/s",       # strings go through as YAML text
    })
    r = sc.resolved
    assert r["machine"]["cpus"] == [0, 2]
    assert r["workload"]["classes"]["request"]["program"][0]["compute"] == {"dist": "exponential", "mean": "2ms"}
    assert r["workload"]["classes"]["request"]["arrivals"]["rate"] == "1000/s"
    assert sc.origin["workload.classes.request.arrivals.rate"] == "set"


def test_typo_raises_scenario_error_with_cli_message(mm4_path):
    with pytest.raises(gmpsim.ScenarioError) as info:
        gmpsim.Scenario(mm4_path).set("run.duraton", "2s")
    assert str(info.value) == TYPO_MESSAGE
    assert info.value.key == "run.duraton"
    assert isinstance(info.value, ValueError)
    assert gmpsim.ScenarioError.__module__ == "gmpsim"
    # The same typo in the file text, and in a dict.
    with pytest.raises(gmpsim.ScenarioError, match=r"^run\.duraton: unknown key"):
        gmpsim.Scenario.from_yaml(mm4_path.read_text().replace("{duration: 60s", "{duraton: 60s"))
    with pytest.raises(gmpsim.ScenarioError) as info:
        gmpsim.Scenario({"run": {"duraton": "1s"}})
    assert str(info.value) == TYPO_MESSAGE


def test_scenario_error_text_equals_the_cli(cli, mm4_path):
    for args in (["--set", "run.duraton=2s"], ["--set", "run.duration=2"], ["--set", "machine.cpus=0"]):
        proc = run_cli(cli, "check", str(mm4_path), *args)
        assert proc.returncode == 2, proc.stderr
        key, value = args[1].split("=", 1)
        with pytest.raises(gmpsim.ScenarioError) as info:
            gmpsim.Scenario(mm4_path).set(key, value)
        assert proc.stderr == f"gmpsim: error: {info.value}\n"


def test_other_bad_input():
    with pytest.raises(gmpsim.ScenarioError, match=r'^cannot read scenario file "no/such\.yaml"$'):
        gmpsim.Scenario("no/such.yaml")
    with pytest.raises(gmpsim.ScenarioError, match=r"^<text>:\d+:\d+: YAML syntax error"):
        gmpsim.Scenario.from_yaml("run: {duration: [1s\n")
    with pytest.raises(gmpsim.ScenarioError, match=r'^run\.duration: "2" has no unit'):
        gmpsim.Scenario({"run": {"duration": 2}})
    with pytest.raises(TypeError):
        gmpsim.Scenario(42)  # type: ignore[arg-type]


def test_scenario_and_error_pickle(mm4_path):
    sc = gmpsim.Scenario(mm4_path).set("run.duration", "2s")
    back = pickle.loads(pickle.dumps(sc))
    assert back.resolved == sc.resolved and back.origin == sc.origin and back.sets == sc.sets
    try:
        sc.set("run.duraton", "1s")
    except gmpsim.ScenarioError as e:
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is gmpsim.ScenarioError and str(again) == TYPO_MESSAGE


def test_models_and_params():
    names = [m["name"] for m in gmpsim.models()]
    assert "fifo" in names
    fifo = next(m for m in gmpsim.models() if m["name"] == "fifo")
    assert fifo["default_version"] == fifo["versions"][-1]["name"]
    assert "run.duration" in gmpsim.params()
    assert "run.duration" in gmpsim.params("fifo")
    with pytest.raises(gmpsim.ScenarioError, match='unknown model "nope"'):
        gmpsim.params("nope")


def test_every_example_loads():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert gmpsim.Scenario(path).resolved["runtime"]["model"]
