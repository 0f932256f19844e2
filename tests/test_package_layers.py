"""The Python package's modules form layers with no import cycle.

The layers are declared in a comment block of ``python/ketch/__init__.py``
(``# layer <n> <name>: <modules>``). Every module of the package is parsed
with ``ast`` (nothing is imported) and checked:

- its module-level imports (``if TYPE_CHECKING:`` blocks excluded) of ketch
  modules go to its own layer or a lower one, and no ketch modules import
  each other in a circle;
- no function imports a ketch module (a lower layer hands off to a higher one
  through a hook the higher one sets when it is imported);
- a function imports a third-party module only if it is an optional
  dependency (:data:`OPTIONAL_DEPENDENCIES`), so ``import ketch`` works
  without it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "ketch"

# Third-party packages ketch works without: imported where they are used.
OPTIONAL_DEPENDENCIES = {
    "pandas",
    "polars",
    "pyiceberg",
    "deltalake",
    "lance",
    "PIL",
    "torch",
    "ray",
    "dask",
    "mcap",
    "datasets",
    "sqlalchemy",
    "sqlglot",
    "connectorx",
}

# Function-local imports of ketch modules allowed: (module, function,
# imported module). Empty; keep it so.
LOCAL_IMPORT_EXCEPTIONS: set[tuple[str, str, str]] = set()


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path = PACKAGE) -> dict[str, ast.Module]:
    return {_module_name(p, root): ast.parse(p.read_text(), str(p)) for p in sorted(root.rglob("*.py"))}


def _is_package(name: str, root: Path = PACKAGE) -> bool:
    return (root.joinpath(*name.split(".")[1:]) / "__init__.py").exists()


def _resolve(node: ast.Import | ast.ImportFrom, module: str, is_pkg: bool, modules: set[str]) -> list[str]:
    """The ketch modules an import statement loads (for ``from x import y``,
    ``x.y`` where that is a module, else ``x``), with their parent packages
    below the root ``ketch``; other modules as their top-level name."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_pkg else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for a in node.names:
            sub = f"{base}.{a.name}"
            targets.append(sub if sub in modules else base)
    out: list[str] = []
    for t in targets:
        if t == "ketch" or t.startswith("ketch."):
            parts = t.split(".")
            # Importing ketch.a.b runs ketch.a first, unless the importer is part of ketch.a
            # (then ketch.a is already being imported). The root package is never counted.
            parents = [".".join(parts[:i]) for i in range(2, len(parts))]
            out += [p for p in parents if module != p and not module.startswith(p + ".")]
            out.append(t)
        else:
            out.append(t.split(".")[0])
    return list(dict.fromkeys(out))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: not in functions, not under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for n in nodes:
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                found.append(n)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            elif isinstance(n, ast.If):
                if not _is_type_checking(n.test):
                    visit(n.body)
                visit(n.orelse)
            elif isinstance(n, ast.ClassDef):
                visit(n.body)
            elif isinstance(n, ast.Try):
                visit(n.body)
                for h in n.handlers:
                    visit(h.body)
                visit(n.orelse)
                visit(n.finalbody)
            elif isinstance(n, (ast.With, ast.For, ast.While)):
                visit(n.body)
                visit(getattr(n, "orelse", []))

    visit(tree.body)
    return found


def _function_imports(tree: ast.Module) -> list[tuple[str, ast.Import | ast.ImportFrom]]:
    """``(qualified function name, import)`` for every import inside a function body."""
    found: list[tuple[str, ast.Import | ast.ImportFrom]] = []

    def visit(node: ast.AST, scope: list[str], in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, [*scope, child.name], True)
            elif isinstance(child, ast.ClassDef):
                visit(child, [*scope, child.name], in_function)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                if in_function:
                    found.append((".".join(scope), child))
            else:
                visit(child, scope, in_function)

    visit(tree, [], False)
    return found


def _declared_layers(init: Path = PACKAGE / "__init__.py") -> dict[str, int]:
    """``{module: layer}`` from the ``# layer <n> <name>: <modules>`` lines of ``ketch/__init__.py``."""
    layers: dict[str, int] = {}
    for line in init.read_text().splitlines():
        m = re.match(r"#\s+layer\s+(\d+)\s+[\w-]+:\s*(.*)$", line)
        if m:
            for name in m.group(2).split():
                full = "ketch" if name == "ketch" else f"ketch.{name}"
                assert full not in layers, f"{full} is declared in two layers"
                layers[full] = int(m.group(1))
    return layers


def _graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, ast.Module]]:
    trees = _modules(root)
    names = set(trees) | {"ketch._native"}
    graph: dict[str, set[str]] = {}
    for name, tree in trees.items():
        is_pkg = _is_package(name, root)
        deps = set()
        for node in _module_level_imports(tree):
            deps |= {t for t in _resolve(node, name, is_pkg, names) if t in names and t != name}
        graph[name] = deps
    return graph, trees


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return [*path[path.index(d) :], d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_every_module_has_a_layer():
    layers = _declared_layers()
    trees = _modules()
    missing = sorted(set(trees) - set(layers))
    assert not missing, f"modules with no layer in ketch/__init__.py: {missing}"
    unknown = sorted(set(layers) - set(trees) - {"ketch._native"})
    assert not unknown, f"layers name modules that do not exist: {unknown}"
    assert layers["ketch"] == max(layers.values()), "the package itself is the top layer"


def test_no_import_cycle():
    graph, _ = _graph()
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _upward(layers: dict[str, int], graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{m} (layer {layers[m]}) imports {d} (layer {layers[d]})"
        for m, deps in sorted(graph.items())
        for d in sorted(deps)
        if layers[d] > layers[m]
    ]


def test_imports_go_down_the_layers():
    upward = _upward(_declared_layers(), _graph()[0])
    assert not upward, "imports up the layers:\n" + "\n".join(upward)


def test_function_local_imports():
    trees = _modules()
    names = set(trees) | {"ketch._native"}
    stdlib = set(sys.stdlib_module_names)
    bad = []
    excepted = set()
    for name, tree in trees.items():
        is_pkg = _is_package(name)
        for fn, node in _function_imports(tree):
            for target in _resolve(node, name, is_pkg, names):
                if target == "ketch" or target.startswith("ketch."):
                    if (name, fn, target) in LOCAL_IMPORT_EXCEPTIONS:
                        excepted.add((name, fn, target))
                    else:
                        bad.append(f"{name}:{node.lineno} {fn} imports {target} (import it at module level)")
                elif target in stdlib or target not in OPTIONAL_DEPENDENCIES:
                    bad.append(f"{name}:{node.lineno} {fn} imports {target} (not an optional dependency)")
    assert not bad, "function-local imports:\n" + "\n".join(bad)
    stale = sorted(LOCAL_IMPORT_EXCEPTIONS - excepted)
    assert not stale, f"no longer needed, remove from LOCAL_IMPORT_EXCEPTIONS: {stale}"


def test_no_hidden_imports_of_ketch_modules():
    """``importlib.import_module("ketch...")`` / ``__import__`` would dodge the checks above."""
    hidden = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
                arg = node.args[0].value
                if called in ("import_module", "__import__") and isinstance(arg, str) and arg.startswith("ketch"):
                    hidden.append(f"{name}:{node.lineno} imports {arg}")
    assert not hidden, hidden


@pytest.mark.parametrize(
    "files",
    [
        # a.py and b.py import each other: a cycle in one layer
        {
            "__init__.py": "# layer 1 core: a b\n# layer 2 top: ketch\n",
            "a.py": "import ketch.b\n",
            "b.py": "from ketch import a\n",
        },
        # three modules in a circle through a relative import
        {
            "__init__.py": "# layer 1 core: a b c\n# layer 2 top: ketch\n",
            "a.py": "from ketch.b import x\n",
            "b.py": "from .c import y\nx = 1\n",
            "c.py": "from ketch.a import *\ny = 1\n",
        },
    ],
)
def test_a_cycle_is_found(tmp_path, files):
    root = tmp_path / "ketch"
    root.mkdir()
    for f, text in files.items():
        (root / f).write_text(text)
    graph, _ = _graph(root)
    assert _cycle(graph) is not None


def test_an_upward_import_is_found(tmp_path):
    root = tmp_path / "ketch"
    root.mkdir()
    (root / "__init__.py").write_text("# layer 1 core: a\n# layer 2 top: b ketch\n")
    (root / "a.py").write_text("from ketch.b import x\n")
    (root / "b.py").write_text("x = 1\n")
    assert _upward(_declared_layers(root / "__init__.py"), _graph(root)[0]) == [
        "ketch.a (layer 1) imports ketch.b (layer 2)"
    ]


def test_type_checking_imports_and_functions_are_not_edges(tmp_path):
    root = tmp_path / "ketch"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ketch.b import x\n")
    (root / "b.py").write_text("import ketch.a\nx = 1\ndef f():\n    import ketch.a\n")
    graph, trees = _graph(root)
    assert graph == {"ketch": set(), "ketch.a": set(), "ketch.b": {"ketch.a"}}
    assert [(fn, n.lineno) for fn, n in _function_imports(trees["ketch.b"])] == [("f", 4)]
