"""The architecture, checked: dependencies run one way and never in a circle.

Every import of every module of spikey, codegen and spikey_train is read from the source
(those inside functions too). The packages form layers, each importing only those below:

    spikey        the runtime codec: imports none of the others, nor torch
    codegen       the compiler: imports spikey, never spikey_train or torch
    spikey_train  training (torch): imports spikey and codegen

and no module reaches itself through its imports (a circle of any length, inside a
package too). The runtime and the compiler must also load without torch.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("spikey", "codegen", "spikey_train")     # lowest first
FORBIDDEN = {"spikey": {"codegen", "spikey_train", "torch"}, "codegen": {"spikey_train", "torch"}}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        for path in sorted((REPO / pkg).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports_of(name: str, path: Path) -> set[str]:
    """The modules a module imports (absolute names; ``from p import m`` counts m when it is
    a module, else p)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(name, path).split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if sub in MODULES else mod)
    return out


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def _top(name: str) -> str:
    return name.split(".")[0]


def test_every_module_is_read():
    assert {"spikey.cli", "spikey.learned", "codegen.build", "codegen.ops.dense", "spikey_train.train"} <= set(GRAPH)
    assert "spikey.recordings.wav" in GRAPH["spikey.codec"] or "spikey.recordings" in GRAPH["spikey.codec"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downwards(layer):
    bad = sorted(f"{m} imports {i}" for m, deps in GRAPH.items() if _top(m) == layer
                 for i in deps if _top(i) in FORBIDDEN[layer])
    assert not bad, "; ".join(bad)


def circles(graph: dict) -> list[list[str]]:
    """The import circles of a graph (module -> imported modules): Tarjan's strongly
    connected components of more than one module, and modules that import themselves."""
    internal = {m: {i for i in deps if i in graph} for m, deps in graph.items()}
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(internal[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in internal[v]:
                found.append(sorted(comp))

    for v in sorted(internal):
        if v not in index:
            visit(v)
    return found


def test_no_module_reaches_itself():
    assert not circles(GRAPH), f"import circles: {circles(GRAPH)}"


def test_the_circle_check_finds_a_circle(tmp_path):
    """The check is not vacuous: a circle through an import inside a function is read and
    found, and so is a longer one."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import b\n")
    b.write_text("def f():\n    import a\n")
    graph = {"a": imports_of("a", a), "b": imports_of("b", b)}
    assert graph == {"a": {"b"}, "b": {"a"}}
    assert circles(graph) == [["a", "b"]]
    assert circles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z"]]
    assert circles({"x": {"y"}, "y": set()}) == []


def test_runtime_and_compiler_load_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"     # any import of torch now fails
            "import spikey, spikey.cli, spikey.learned, codegen.report, codegen.build, codegen.cli\n"
            "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "assert not any(m.startswith('spikey_train') for m in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr


def test_codegen_report_imports_no_torch():
    r = subprocess.run([sys.executable, "-c", "import sys, spikey, codegen.report; print('torch' in sys.modules)"],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


C_LIKE = re.compile(r"#\s*include\b|#\s*define\b|\bstatic\s+(?:inline|const|void|u?int)|"
                    r"\b(?:u?int(?:8|16|32|64)_t|void|char)\b[^\n]*[;{]")


def _strings(tree):
    """Every string constant of a module but its docstrings (f-string parts included)."""
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_c_in_python_strings():
    """All C is in firmware/ or in a Jinja template: no Python string of the packages, the
    tests or the benchmarks holds lines of C (declarations, statements, #include or #define
    lines). One-line fragments stay allowed: the patterns a test looks for in generated
    code, an include a script renames, cffi's one-line wrapper source."""
    found = []
    for path in sorted([*REPO.glob("spikey/**/*.py"), *REPO.glob("codegen/**/*.py"), *REPO.glob("spikey_train/**/*.py"),
                        *REPO.glob("tests/*.py"), *REPO.glob("hil_tests/*.py"), *REPO.glob("bench/*.py")]):
        rel = path.relative_to(REPO).as_posix()
        if rel == "tests/test_layers.py":
            continue
        for node in _strings(ast.parse(path.read_text())):
            if "\n" in node.value.strip("\n") and C_LIKE.search(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


ROUNDING = re.compile(r"\+ \(*1 << \([^()]*- ?1\)\)*\)? ?>>|\+ off\) >>|floor\(.*\+ 0\.5\)|<< \w+\) >> 1\) ?\) ?>>")
SATURATION = re.compile(r"[<>]=? ?-?3276[78]\b[^\n]*\?|np\.clip\([^)]*(?:32767|INT16_MAX)")
RULE_HOMES = {"spikey/fixed.py", "firmware/include/spikey_fixed.h"}


def test_each_rule_is_spelled_once():
    """The rounding rule (add 2^(s-1), then shift; floor(x + 1/2) for reals) and the int16
    saturation rule are written out only in spikey/fixed.py and spikey_fixed.h; every other
    Python module, C file and template calls them."""
    files = [*REPO.glob("spikey/**/*.py"), *REPO.glob("codegen/**/*.py"), *REPO.glob("spikey_train/**/*.py"),
             *REPO.glob("firmware/**/*.[ch]"), *REPO.glob("codegen/emit/templates/**/*.j2")]
    found = []
    for path in sorted(files):
        rel = path.relative_to(REPO).as_posix()
        if rel in RULE_HOMES or rel.startswith("firmware/tests/"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0] if path.suffix == ".py" else line
            if ROUNDING.search(code) or SATURATION.search(code):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
    assert ROUNDING.search("(x + (1 << (s - 1))) >> s") and ROUNDING.search("((int32_t)v * 8 + off) >> r")
    assert ROUNDING.search("int(math.floor(v * 256 + 0.5))") and SATURATION.search("v > 32767 ? 32767 : v")


def test_the_runtime_never_includes_generated_code():
    """firmware/src and firmware/include are the hand-written runtime: they include each
    other and the C library, never the generated spk_net / spk_pred / spk_codec (the
    generated code includes the runtime, as CMSIS libraries never include generated code)."""
    generated = re.compile(r'#\s*include\s+"(spk_(?:net|pred|codec|lat|head|hil_model)\w*\.h)"')
    bad = [f"{p.relative_to(REPO)}: {m.group(1)}" for d in ("src", "include")
           for p in sorted((REPO / "firmware" / d).glob("*.[ch]")) for m in generated.finditer(p.read_text())]
    assert not bad, bad


def test_every_package_is_in_the_wheel():
    """pyproject.toml lists the packages by name: a new subpackage not listed there would be
    missing from the wheel (an editable install hides that)."""
    import tomllib
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for top in ("spikey", "codegen", "spikey_train")
             for p in (REPO / top).rglob("__init__.py")}
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"
