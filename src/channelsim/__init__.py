"""channelsim: channel strategy scenarios, simulated (SimPy) and optimized (PuLP)."""

from channelsim.errors import ChannelsimError, ScenarioError, UsageError
from channelsim.experiments import compare, sweep, tornado
from channelsim.optimize import Plan, optimize
from channelsim.report import write_report
from channelsim.results import SimResult
from channelsim.runner import simulate
from channelsim.scenario import Scenario, load

__version__ = "0.1.0"

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
