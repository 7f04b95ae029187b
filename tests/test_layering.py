"""Data flows one way: scenario → model → engines → results → experiments and reports → the CLI.

Each top-level module or package of `channelsim` (a *unit*) sits in a layer. A module may
import its own unit, any unit of a lower layer and, in its own layer, only the pairs listed in
`PEERS` (in that direction): `sim`, `optimize` and `valuation` share a layer and never know
each other, except that the optimizer values plans with `valuation`. The import graph of the
package's modules has no cycle.

Imports are read from the source, wherever they are written: at module level and inside
functions, `import channelsim`, `from channelsim import x` and relative imports. A bare
`import channelsim` (or `from channelsim import load`) is an import of the facade
`channelsim/__init__.py`, which sits in the top layer; `from channelsim import valuation`
names the module `channelsim.valuation`.

Cycles count imports inside functions too: a deferred import still runs, and deferring one
is how a circle gets hidden rather than removed (`optimize/run.py` importing `robust.py` in
a function while `robust.py` imports `run.py` is a cycle). A cycle of module-level imports is
never allowed; one that needs a function-level import only when `DEFERRED_CYCLES` lists it,
with its reason. Imports under `if TYPE_CHECKING:` never run, so they are left out of the
cycle check; they still count for the layers.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import channelsim

PACKAGE = Path(channelsim.__file__).parent
ROOT = PACKAGE.name  # "channelsim"

LAYERS = {
    "errors": 0, "_types": 0, "choices": 0,
    "results_io": 1, "userfiles": 1, "curves": 1, "stats": 1, "progress": 1,
    "scenario": 2,
    "model": 3,
    "sim": 4, "optimize": 4, "valuation": 4,
    "kpis": 5, "kpi_catalogue": 5,
    "results": 6,
    "runner": 7,
    "experiments": 8, "report": 8,
    "app": 9, "fit": 9,  # fit: history → curves, its report and the plans of its draws
    "__init__": 10,  # the facade: only the CLI (and users) import it
    "cli": 11,
}  # fmt: skip
#: imports allowed between different units of one layer (importer, imported)
PEERS = {("optimize", "valuation")}
#: units that may import only these (besides themselves): the model is pure equations
ONLY = {"model": {"errors", "_types", "curves", "scenario"}}
#: cycles closed by a function-level import, by design (the modules, and why)
DEFERRED_CYCLES = {
    frozenset({"channelsim.scenario.schema", "channelsim.scenario.load"}):
        "Scenario.variant and .with_overrides re-validate through the loader, which builds Scenarios",
}  # fmt: skip


@dataclass(frozen=True)
class Import:
    """One `channelsim` module named by an import statement of another."""

    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (`channelsim` is the facade)
    where: str  # path:line of the statement
    runs: bool  # False under `if TYPE_CHECKING:`
    deferred: bool  # inside a function: runs when called, not when the module loads


def _module_names() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _module_names()


def _is_module(name: str) -> bool:
    """A module or a package of ours (a package being written may not have its __init__.py yet)."""
    return name in MODULES or PACKAGE.parent.joinpath(*name.split(".")).is_dir()


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _typing_only(tree: ast.Module) -> set[int]:
    """The ids of import statements under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
        if name == "TYPE_CHECKING":
            hidden.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))  # type: ignore[attr-defined]
    return hidden


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _targets(node: ast.AST, package: str) -> list[str]:
    """The package's modules one statement imports: `from X import m` names X.m when it is a module."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == ROOT]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = _absolute(node, package)
    if base.split(".")[0] != ROOT:
        return []
    modules = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
    return modules if len(modules) == len(node.names) else [*modules, base]


def _in_functions(tree: ast.Module) -> set[int]:
    """The ids of statements inside a function (or method) body."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    return {id(inner) for node in ast.walk(tree) if isinstance(node, functions) for inner in ast.walk(node)}


def _imports_of(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    hidden, deferred = _typing_only(tree), _in_functions(tree)
    where = path.relative_to(PACKAGE.parent)
    for node in ast.walk(tree):
        for target in _targets(node, package):
            line = node.lineno  # type: ignore[attr-defined]
            yield Import(module, target, f"{where}:{line}", id(node) not in hidden, id(node) in deferred)


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports_of(module, path)]


def _breaks_layering(imp: Import) -> str | None:
    owner, target = _unit(imp.source), _unit(imp.target)
    if owner == target or owner not in LAYERS or target not in LAYERS:
        return None  # an unknown unit: test_every_module_has_a_layer says so
    if owner in ONLY and target not in ONLY[owner]:
        return f"{owner} may import only {', '.join(sorted(ONLY[owner]))}"
    if LAYERS[target] > LAYERS[owner]:
        return f"a later layer ({owner} {LAYERS[owner]} → {target} {LAYERS[target]})"
    if LAYERS[target] == LAYERS[owner] and (owner, target) not in PEERS:
        return f"a peer in layer {LAYERS[owner]} ({owner} → {target}; allowed pairs: PEERS)"
    return None


def _knots(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            component.append(node)
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _a_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A path start → … → start inside one strongly connected component (breadth-first)."""
    start, inside = component[0], set(component)
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(edges.get(node, set()) & inside):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return [*reversed(path), start]
                if nxt not in came:
                    came[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return component


def test_every_module_has_a_layer() -> None:
    units = {_unit(module) for module in MODULES}
    assert not units - set(LAYERS), "give each new top-level module a layer here"


def test_no_module_imports_a_later_layer_or_a_peer() -> None:
    problems = [f"{imp.where}: {imp.source} imports {imp.target}: {why}"
                for imp in IMPORTS if (why := _breaks_layering(imp))]  # fmt: skip
    assert not problems, "\n".join(problems)


def _described(knot: list[str], edges: dict[str, set[str]]) -> str:
    cycle = _a_cycle(knot, edges)
    rest = sorted(set(knot) - set(cycle))
    return " → ".join(cycle) + (f"  (the knot also holds {', '.join(rest)})" if rest else "")


def _graph(deferred_too: bool) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        if imp.runs and (deferred_too or not imp.deferred):
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_no_import_cycles_at_module_level() -> None:
    edges = _graph(deferred_too=False)
    cycles = [_described(knot, edges) for knot in _knots(edges)]
    assert not cycles, "\n".join(cycles)


def test_no_import_cycles_through_functions_but_the_listed_ones() -> None:
    edges = _graph(deferred_too=True)
    knots = _knots(edges)
    cycles = [_described(knot, edges) for knot in knots if frozenset(knot) not in DEFERRED_CYCLES]
    assert not cycles, "\n".join(cycles)
    stale = set(DEFERRED_CYCLES) - {frozenset(knot) for knot in knots}
    assert not stale, f"no longer cycles, remove them from DEFERRED_CYCLES: {stale}"


def test_no_two_modules_share_a_file_name() -> None:
    seen: dict[str, list[str]] = {}
    for path in MODULES.values():
        if path.name != "__init__.py":
            seen.setdefault(path.name, []).append(str(path.relative_to(PACKAGE)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, clashes


HEAVY = ("numpy", "pandas", "scipy", "pulp", "matplotlib", "simpy")
STARTUP = """
import contextlib, io, sys
from channelsim.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["validate", sys.argv[1]])
    try:
        main(["--help"])
    except SystemExit:
        pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:]))))
"""


def test_validate_and_help_load_none_of_the_engines() -> None:
    """`channelsim --help` and `channelsim validate` start at once: no numpy, pandas, SciPy, PuLP."""
    scenario = PACKAGE.parents[1] / "scenarios" / "workshop_intro.yaml"
    out = subprocess.run([sys.executable, "-c", STARTUP, str(scenario), *HEAVY],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out.split() == [], f"loaded at start-up: {out}"


def test_public_api_is_explicit() -> None:
    assert sorted(channelsim.__all__) == sorted(set(channelsim.__all__))
    for name in channelsim.__all__:
        assert hasattr(channelsim, name), name
    assert {"load", "simulate", "Scenario", "SimResult"} <= set(channelsim.__all__)
    assert (PACKAGE / "py.typed").exists()


def test_the_facade_keeps_its_names_once_the_packages_load() -> None:
    """Loading the package `channelsim.optimize` must not replace the function `channelsim.optimize`."""
    importlib.import_module("channelsim.optimize.plan")
    assert callable(channelsim.optimize) and channelsim.optimize.__module__.startswith("channelsim.optimize")
    assert channelsim.experiments.Execution is channelsim.runner.Execution  # sub-packages load on use
