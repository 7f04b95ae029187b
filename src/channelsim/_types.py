"""The base model and constrained number types every scenario section is built from.

Every number has a finite range. The general ceilings are far above any real market (they
exist so that a slip such as `1.0e+308` is refused with its file position instead of
overflowing deep in the simulation or the optimizer); a few quantities the model puts into
an exponent get tighter ones. All of them are listed in docs/scenario-reference.md.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

#: The largest random seed (a NumPy seed of 32 bits).
MAX_SEED = 2**32 - 1

#: The largest amount: money per week or per order, spend, leads, rates, durations, counts.
MAX_AMOUNT = 1_000_000_000
#: The largest logit utility (an affinity, a route, a bonus, loyalty): e^50 ≈ 5·10^21 already
#: makes every other choice impossible.
MAX_UTILITY = 50
#: The highest price index (10: ten times the list price); the price term enters an exponent.
MAX_PRICE_INDEX = 10
#: The largest price sensitivity (utility lost per unit of price index above 1).
MAX_PRICE_SENSITIVITY = 50

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
NonNeg = Annotated[float, Field(ge=0, le=MAX_AMOUNT)]
Positive = Annotated[float, Field(gt=0, le=MAX_AMOUNT)]
Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
PosCount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
#: Whole units of a lumpy source (the optimizer has one decision per possible count).
UnitCount = Annotated[int, Field(ge=0, le=1000)]
#: Purchases a week of one customer (100: fourteen a day).
Purchases = Annotated[float, Field(ge=0, le=100)]
Utility = Annotated[float, Field(ge=-MAX_UTILITY, le=MAX_UTILITY)]
Price = Annotated[float, Field(gt=0, le=MAX_PRICE_INDEX)]
Sensitivity = Annotated[float, Field(ge=0, le=MAX_PRICE_SENSITIVITY)]
#: A threshold or target compared with a KPI (any sign).
Bound = Annotated[float, Field(ge=-1e15, le=1e15)]


class Model(BaseModel):
    """A scenario section: unknown keys are errors, values are not coerced from text, no NaN or inf."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
