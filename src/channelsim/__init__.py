"""channelsim: channel strategy scenarios, simulated (SimPy) and optimized (PuLP).

The public names load on first use (`cs.simulate` imports the engine, `cs.optimize` the
optimizer), so `import channelsim` and the `channelsim` command start at once.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from channelsim.errors import ChannelsimError, ScenarioError, UsageError
    from channelsim.experiments import compare, sweep, tornado
    from channelsim.optimize import Plan, optimize
    from channelsim.report import write_report
    from channelsim.results import SimResult
    from channelsim.runner import simulate
    from channelsim.scenario import Scenario, load

__version__ = "0.1.0"

#: each public name and the module it comes from
_API = {
    "ChannelsimError": "channelsim.errors",
    "Plan": "channelsim.optimize",
    "Scenario": "channelsim.scenario",
    "ScenarioError": "channelsim.errors",
    "SimResult": "channelsim.results",
    "UsageError": "channelsim.errors",
    "compare": "channelsim.experiments",
    "load": "channelsim.scenario",
    "optimize": "channelsim.optimize",
    "simulate": "channelsim.runner",
    "sweep": "channelsim.experiments",
    "tornado": "channelsim.experiments",
    "write_report": "channelsim.report",
}

__all__ = [
    "ChannelsimError",
    "Plan",
    "Scenario",
    "ScenarioError",
    "SimResult",
    "UsageError",
    "__version__",
    "compare",
    "load",
    "optimize",
    "simulate",
    "sweep",
    "tornado",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for; or a sub-package
    (`cs.experiments.Execution`), as after an eager import."""
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":
            raise  # the sub-package exists but needs something missing: say what
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})


class _Facade(types.ModuleType):
    """`channelsim.optimize` is the function even once the package `channelsim.optimize` loads
    (importing a sub-module sets it as an attribute of its parent)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
