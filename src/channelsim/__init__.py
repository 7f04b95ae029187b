"""channelsim: channel strategy scenarios, simulated (SimPy) and optimized (PuLP)."""

from channelsim.errors import ChannelsimError, ScenarioError, UsageError
from channelsim.scenario import Scenario, load

__version__ = "0.1.0"

__all__ = ["ChannelsimError", "Scenario", "ScenarioError", "UsageError", "__version__", "load"]
