"""The words a user chooses among (objectives, solvers, risks, frontiers, executors).

They live here, apart from the code that acts on them, so that the command line can offer
them (`--objective {profit,revenue,customers}`) without loading the optimizer or the engine.
"""

from __future__ import annotations

OBJECTIVES = ("profit", "revenue", "customers")
SOLVERS = ("cbc", "highs")
RISKS = ("expected", "worst", "cvar")  # robust planning over several futures
FRONTIER_KINDS = ("budget", "conflict")  # the limit a frontier moves
EXECUTORS = ("local", "dask")  # where replications run

__all__ = ["EXECUTORS", "FRONTIER_KINDS", "OBJECTIVES", "RISKS", "SOLVERS"]
