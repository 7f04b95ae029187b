"""What-if experiments: compare variants, sweep parameters, tornado sensitivities, executors."""

from channelsim.experiments.compare import CompareResult, compare
from channelsim.experiments.executors import Execution, simulate_points
from channelsim.experiments.sweep import SweepResult, sweep
from channelsim.experiments.tornado import TornadoResult, default_parameters, tornado

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
