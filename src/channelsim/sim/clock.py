"""Calls at a time on SimPy's clock, without a process: the engine's cheapest event.

A SimPy process pays, per wait, a generator resume and a `Timeout` (an `Event` with its
value, its environment and a list of callbacks). The engine's busiest loops (a cohort's
clocks, the lead streams) only need a function called at a time, so they schedule a `Call`:
the smallest object SimPy's `Environment.step` accepts (it reads `callbacks` and `_ok`),
on SimPy's own event queue, ordered with every other event by (time, priority, insertion).
Nothing else changes: the environment's clock, the order of events and every process and
resource (queues, stock, partners, the weekly tick) are SimPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["NORMAL", "URGENT", "Call", "call_in"]


class Call:
    """An event that calls one function (given the event) when it is processed."""

    __slots__ = ("_ok", "callbacks")

    def __init__(self, call: Callable[[Call], Any]) -> None:
        self.callbacks: list[Callable[[Call], Any]] | None = [call]
        self._ok = True  # it never fails (SimPy checks this after the callbacks)


def call_in(
    env: simpy.Environment, delay: float, call: Callable[[Call], Any], priority: int = NORMAL
) -> Call:
    """Call `call` after `delay` weeks (at once: `delay` 0), as SimPy would resume a process there."""
    event = Call(call)
    env.schedule(event, priority, delay)  # type: ignore[arg-type]  # SimPy reads callbacks and _ok only
    return event
