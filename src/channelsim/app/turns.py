"""Fair turns at the app's simulation slots: a class of browsers clicking at once, served in arrival order.

At most `slots` requests simulate or optimize at the same time (the workbench uses one); the
others wait in a queue and get a freed slot in the order they came. A simulation passes its slot on between replications
whenever someone is waiting, and queues again, so a 1-replication click waits for at most one
replication of a 20-replication one, not for all of it. A turn only decides *when* a replication
runs: each has its own seed, so the results are the same whatever else is running.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class Turns:
    """A first-come, first-served semaphore of `slots` (threading.Semaphore lets a newcomer barge in)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots: must be >= 1 (got {slots})")
        self.slots = slots
        self._free = slots
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            ticket = threading.Event()
            self._waiting.append(ticket)
        ticket.wait()  # release() hands its slot over to the first ticket in the queue

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    def pass_on(self) -> None:
        """Between two pieces of work: let the first in the queue go ahead, then queue again."""
        with self._lock:
            if not self._waiting:
                return
        self.release()
        self.acquire()

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    @contextmanager
    def turn(self) -> Iterator[Turns]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()
