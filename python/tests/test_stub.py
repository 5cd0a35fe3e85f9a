"""gmpsim/_core.pyi against the compiled extension, where mypy's stubtest cannot look: pybind11 functions
carry no __text_signature__, so stubtest checks that they exist but not their parameters. pybind11 writes
each signature as the first line of the docstring, in Python syntax; this compares the parameter names,
their order and their defaults with the stub's."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from gmpsim import _core
from support import ROOT

STUB = ROOT / "python" / "gmpsim" / "_core.pyi"
MISSING = object()


def parameters(fn: ast.FunctionDef) -> list[tuple[str, Any]]:
    """(name, default) for each parameter but self; a default of `...` in a stub is Ellipsis."""
    args = fn.args.posonlyargs + fn.args.args
    defaults = [MISSING] * (len(args) - len(fn.args.defaults)) + [ast.literal_eval(d) for d in fn.args.defaults]
    out = [(a.arg, d) for a, d in zip(args, defaults)]
    out += [(a.arg, MISSING if d is None else ast.literal_eval(d)) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults)]
    return [(n, d) for n, d in out if n != "self"]


def runtime_parameters(name: str, obj: Any) -> list[tuple[str, Any]]:
    line = (obj.__doc__ or "").splitlines()[0]
    assert line.startswith(name + "("), f"{name}: no pybind11 signature in its docstring: {line!r}"
    (fn,) = ast.parse(f"def {line}: ...").body
    assert isinstance(fn, ast.FunctionDef)
    return parameters(fn)


def stub_functions() -> dict[str, ast.FunctionDef]:
    """Dotted name -> definition, for the module's functions and the classes' methods (not properties)."""
    out: dict[str, ast.FunctionDef] = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not any(
                        isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list):
                    out[f"{node.name}.{item.name}"] = item
    return out


def runtime_functions() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, obj in vars(_core).items():
        if inspect.isbuiltin(obj) and not name.startswith("_"):
            out[name] = obj
        elif inspect.isclass(obj) and obj.__module__ == _core.__name__:
            for member, value in vars(obj).items():
                if callable(value) and not member.startswith("_"):
                    out[f"{name}.{member}"] = value
    return out


def test_the_stub_names_every_function_and_method():
    assert set(stub_functions()) == set(runtime_functions())


@pytest.mark.parametrize("name", sorted(runtime_functions()))
def test_parameters_and_defaults_match_the_stub(name):
    stub = parameters(stub_functions()[name])
    runtime = runtime_parameters(name.rsplit(".", 1)[-1], runtime_functions()[name])
    assert [n for n, _ in stub] == [n for n, _ in runtime], f"{name}: the parameters differ"
    for (param, s), (_, r) in zip(stub, runtime):
        assert (s is MISSING) == (r is MISSING), f"{name}({param}): a default on one side only"
        if s is not MISSING and s is not Ellipsis:
            assert s == r, f"{name}({param}): default {s!r} in the stub, {r!r} in the extension"
