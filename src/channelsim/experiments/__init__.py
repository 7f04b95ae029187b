"""What-if experiments: compare variants, sweep parameters, tornado sensitivities (run by `channelsim.runner`)."""

from channelsim.experiments.compare import CompareResult, compare
from channelsim.experiments.sweep import SweepResult, sweep
from channelsim.experiments.tornado import TornadoResult, default_parameters, tornado
from channelsim.runner import Execution, simulate_points

__all__ = [
    "CompareResult",
    "Execution",
    "SweepResult",
    "TornadoResult",
    "compare",
    "default_parameters",
    "simulate_points",
    "sweep",
    "tornado",
]
