"""The optimizer: a PuLP MILP that allocates marketing spend across sources and incentive tiers across partners."""

from channelsim.optimize.diagnose import InfeasibleError
from channelsim.optimize.plan import Plan
from channelsim.optimize.run import optimize

__all__ = ["InfeasibleError", "Plan", "optimize"]
