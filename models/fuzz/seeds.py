#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs and dictionary (models/fuzz/README.md).

  seeds.py OUT_DIR   -> OUT_DIR/scenario/*, OUT_DIR/set/* (seeds, to merge into corpus/ with -merge=1)
  seeds.py --dict    -> the YAML dictionary on stdout (models/fuzz/gmpsim.dict)

Scenario seeds: every scenario file of examples/ and validation/, and every YAML string of the tests
(Catch2's *_test.cpp, python/tests), the error cases included. --set seeds: the overrides of the tests
and of the validation manifests, and one per parameter of the table (models/scenario/parameters.md)
at its default, each on each base scenario of fuzz_set.cpp.
"""
import ast
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASES = ["go", "boost-fiber-ws", "fifo"]

# A C++ string literal, plain ("...") or raw (R"(...)"), possibly several adjacent ones.
LITERAL = re.compile(r'R"([^(\s]*)\((.*?)\)\1"|"((?:[^"\\\n]|\\.)*)"', re.S)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "0": "\0"}


def cpp_strings(text):
    """The string expressions of a C++ file, adjacent literals joined as the compiler joins them."""
    out, cur, end = [], None, -1
    for m in LITERAL.finditer(text):
        if m.group(2) is not None:
            s = m.group(2)
        else:
            s = re.sub(r"\\x([0-9a-fA-F]{2})|\\(.)", lambda e: chr(int(e.group(1), 16)) if e.group(1) else ESCAPES.get(e.group(2), e.group(2)), m.group(3))
        if cur is not None and text[end:m.start()].strip() == "":
            cur += s
        else:
            if cur is not None:
                out.append(cur)
            cur = s
        end = m.end()
    if cur is not None:
        out.append(cur)
    return out


def py_strings(text):
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def looks_like_scenario(s):
    return ":" in s and any(k in s for k in ("workload", "machine", "runtime", "run:", "classes", "program"))


def tests():
    for p in sorted(ROOT.glob("models/**/*_test.cpp")) + sorted(ROOT.glob("validation/**/*_test.cpp")) + sorted(ROOT.glob("sim/*_test.cpp")):
        yield p, cpp_strings(p.read_text(errors="replace"))
    for p in sorted(ROOT.glob("python/tests/*.py")):
        yield p, py_strings(p.read_text(errors="replace"))


def scenario_seeds():
    seeds = []
    for d in ("examples", "validation"):
        for p in sorted((ROOT / d).rglob("*.yaml")):
            if "results" not in p.parts:  # host profiles, not scenarios
                seeds.append(p.read_bytes())
    for _, strings in tests():
        seeds += [s.encode() for s in strings if looks_like_scenario(s)]
    return seeds


def parameter_keys():
    md = (ROOT / "models/scenario/parameters.md").read_text()
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\| `([a-z0-9_.*]+)` \| [^|]* \| `([^`]*)` \|", md, re.M)]


def set_seeds():
    sets = set()
    for _, strings in tests():
        for s in strings:
            if re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_*]+)+=.*", s, re.S):
                sets.add(s)
    for p in sorted(ROOT.glob("models/**/*_test.cpp")):
        for k, v in re.findall(r'\{"([a-z_]+(?:\.[A-Za-z0-9_]+)+)", "((?:[^"\\]|\\.)*)"\}', p.read_text()):
            sets.add(f"{k}={v}")
    for p in sorted((ROOT / "validation/scenarios").glob("*-cases.yaml")):
        for s in re.findall(r'"([a-z_]+(?:\.[A-Za-z0-9_]+)+=[^"]*)"', p.read_text()):
            sets.add(s)
    for k, default in parameter_keys():
        if "*" not in k and default not in ("", "—"):
            sets.add(f"{k}={default}")
    seeds = []
    for i, s in enumerate(sorted(sets)):
        # Each override alone, on a base in turn, plus --seed; newlines in a value are kept (one argument
        # per line, so such a value is split: the fuzzer learns from it anyway).
        seeds.append(f"{BASES[i % 3]}\n--set={s}\n".encode())
    seeds += [b"go\n--seed=7\n", b"fifo\n--seed=0x10\n", b"boost-fiber-ws\n--set=run.seed=1e3\n"]
    return seeds


def dictionary():
    words = set()
    for k, _ in parameter_keys():
        parts = k.split(".")
        words.update(p + ":" for p in parts if p != "*")
        words.add(k.replace(".*", ".x") + "=")
    step_words = re.findall(r"`([a-z_]+)`", (ROOT / "models/workload/README.md").read_text())
    words.update(w + ":" for w in step_words)
    words.update(step_words)
    words.update(["--set=", "--seed=", "go", "boost-fiber-ws", "fifo", "&a ", "*a", "<<: ", "? ", "[", "]", "{", "}",
                  ": ", "- ", "---", "\n  ", "1ms", "10us", "5ns", "2s", "1GiB", "64KiB", "1000/s", "1e9", "0x10", "-1",
                  "9223372036854775807", "1e308", ".nan", ".inf", "null", "~", "!!str ", "true", "false", "auto", "all"])
    def quote(w):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else "\\x%02x" % ord(c) for c in w) + '"'
    return "".join(quote(w) + "\n" for w in sorted(words))


def main():
    if sys.argv[1:] == ["--dict"]:
        sys.stdout.write("# Scenario keys, step and distribution words, YAML syntax: generated by seeds.py --dict\n")
        sys.stdout.write(dictionary())
        return
    out = pathlib.Path(sys.argv[1])
    for name, seeds in (("scenario", scenario_seeds()), ("set", set_seeds())):
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        for s in seeds:
            (d / hashlib.sha1(s).hexdigest()).write_bytes(s)
        print(f"{d}: {len(set(seeds))} seeds")


if __name__ == "__main__":
    main()
