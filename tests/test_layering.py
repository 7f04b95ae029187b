"""Data flows one way: scenario → engines → results → reports. Imports must follow that flow."""

from __future__ import annotations

import ast
from pathlib import Path

import channelsim

PACKAGE = Path(channelsim.__file__).parent
# a module may import only from layers at its own level or before it
LAYERS = {
    "errors": 0, "_types": 0, "results_io": 0, "curves": 1, "scenario": 1, "stats": 1,
    "sim": 2, "optimize": 2, "valuation": 2, "kpis": 3, "results": 3, "runner": 4, "experiments": 5, "report": 5,
    "commands": 6, "cli": 6, "__init__": 6, "app": 6,
}  # fmt: skip
FORBIDDEN = {("sim", "optimize"), ("optimize", "sim"), ("sim", "report"), ("optimize", "report"),
             ("valuation", "sim"), ("sim", "valuation")}  # fmt: skip


def _layer_of(module: str) -> str:
    return module.split(".")[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("channelsim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("channelsim."))
    return found


def test_every_module_has_a_layer() -> None:
    modules = {_layer_of(p.relative_to(PACKAGE).parts[0]) for p in PACKAGE.rglob("*.py")}
    assert not modules - set(LAYERS), "give each new top-level module a layer here"


def test_no_module_imports_a_later_layer() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        owner = _layer_of(path.relative_to(PACKAGE).parts[0])
        for target in _imports(path):
            if (owner, target) in FORBIDDEN or LAYERS.get(target, 0) > LAYERS.get(owner, 0):
                problems.append(f"{path.relative_to(PACKAGE)} imports channelsim.{target}")
    assert not problems, problems


def test_public_api_is_explicit() -> None:
    assert sorted(channelsim.__all__) == sorted(set(channelsim.__all__))
    for name in channelsim.__all__:
        assert hasattr(channelsim, name), name
    assert {"load", "simulate", "Scenario", "SimResult"} <= set(channelsim.__all__)
    assert (PACKAGE / "py.typed").exists()
