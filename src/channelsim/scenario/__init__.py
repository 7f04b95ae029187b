"""The scenario file: its schema (one class per section), loading, validation and variants."""

from channelsim.scenario.load import load, validate_data
from channelsim.scenario.schema import Scenario

__all__ = ["Scenario", "load", "validate_data"]
