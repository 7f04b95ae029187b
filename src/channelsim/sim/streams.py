"""Random numbers for one replication: independent streams per purpose, drawn in blocks.

Every stream is spawned from the replication's `SeedSequence`, so a replication's numbers
do not depend on how many worker processes run or in which order. Uniforms are drawn
4,096 at a time because one numpy call per event would dominate the event loop; a batch of
events drawn at once (a week of paid leads) takes its numbers from the generator directly.

Common random numbers across plans: a process whose draws depend only on its own lever has a
stream of its own, so a plan that moves one lever leaves the others' numbers where they were.
Each paid source draws from its own child of `leads`, each partner from its own child of
`partners`, each segment's organic growth from its own child of `organic` and its customers'
lives from their own child of `customers`, win-back from `winback` (`child_streams`).
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

#: New streams go at the end: a stream is the i-th child of the seed, so the others stay as they were.
#: `leads`, `organic`, `customers` and `partners` are not drawn from themselves: their children
#: are the streams of each paid source, segment and partner (`child_streams`).
STREAMS = ("leads", "organic", "customers", "choice", "service", "stock", "conflict", "rivals", "partners",
           "winback")  # fmt: skip
_BLOCK = 4096


class Draws:
    """Block-buffered uniforms on (0, 1] and unit exponentials, with the picks the model needs."""

    __slots__ = ("_block", "_exp_block", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        # each block is used from its end (`pop`, the cheapest read), so it is stored reversed:
        # the draws come out in the generator's order
        self._block: list[float] = []
        self._exp_block: list[float] = []

    def uniform(self) -> float:
        """A uniform draw on (0, 1] (never 0, so its logarithm is finite)."""
        try:
            return self._block.pop()
        except IndexError:
            self._block = (1.0 - self._rng.random(_BLOCK))[::-1].tolist()
            return self._block.pop()

    def exponential(self, mean: float) -> float:
        """An exponential draw with the given mean."""
        try:
            return self._exp_block.pop() * mean
        except IndexError:
            self._exp_block = self._rng.standard_exponential(_BLOCK)[::-1].tolist()
            return self._exp_block.pop() * mean

    def bernoulli(self, p: float) -> bool:
        return (self._block.pop() if self._block else self.uniform()) <= p

    def poisson(self, mean: float) -> int:
        """A Poisson count (from the generator itself, not the blocks)."""
        return int(self._rng.poisson(mean))

    def uniforms(self, n: int) -> np.ndarray:
        """`n` uniform draws on (0, 1] at once, for a batch of events (from the generator itself)."""
        return 1.0 - self._rng.random(n)

    def pick(self, cumulative: list[float]) -> int:
        """An index drawn with probabilities given as cumulative weights (last = total)."""
        u = self._block.pop() if self._block else self.uniform()
        index = bisect_left(cumulative, u * cumulative[-1])
        return index if index < len(cumulative) else len(cumulative) - 1


def child_streams(seed: np.random.SeedSequence, name: str, count: int) -> list[Draws]:
    """`count` streams, the children of the named stream's seed: the k-th is the same for any
    `count` and whatever the other streams draw, so one consumer drawing more (a source whose
    spend rose) leaves its siblings' numbers as they were (common random numbers).

    Derived, not spawned (as `streams_for`): the k-th child is what the named stream's seed
    gives as its k-th `spawn()`."""
    index = STREAMS.index(name)
    return [
        Draws(np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, index, k), pool_size=seed.pool_size)
        )))
        for k in range(count)
    ]  # fmt: skip


def partner_streams(seed: np.random.SeedSequence, partners: int) -> list[Draws]:
    """One stream per partner for its own prospecting: a partner's prospects do not move when
    another partner's rate changes."""
    return child_streams(seed, "partners", partners)


def source_streams(seed: np.random.SeedSequence, sources: int) -> list[Draws]:
    """One stream per paid source for its leads (their count, times, segments, regions and who
    converts): a source's leads depend on its own rate path only, so a plan that moves one
    source's spend leaves every other source's leads exactly as they were."""
    return child_streams(seed, "leads", sources)


def organic_streams(seed: np.random.SeedSequence, segments: int) -> list[Draws]:
    """One stream per segment for its organic leads (Bass): a segment's organic draws do not shift
    when another segment's organic leads come faster (its own still follow its own state)."""
    return child_streams(seed, "organic", segments)


def customer_streams(seed: np.random.SeedSequence, segments: int) -> list[Draws]:
    """One stream per segment for its customers' lives (the cohort's clocks, whether a prospect
    converts, which programme they join): a lead more in one segment does not shift another's."""
    return child_streams(seed, "customers", segments)


def cumulative(weights: list[float]) -> list[float]:
    """Running sums of weights: what `Draws.pick` takes."""
    out, running = [], 0.0
    for weight in weights:
        running += weight
        out.append(running)
    return out


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """One seed sequence per replication, spawned from the scenario's seed."""
    return np.random.SeedSequence(seed).spawn(replications)


def streams_for(seed: np.random.SeedSequence) -> dict[str, Draws]:
    """The named streams of one replication (same names, same order, always).

    The children are derived, not spawned, so reusing a `SeedSequence` (which counts its
    spawns) gives the same streams again: they equal what a fresh `seed.spawn()` gives.
    """
    children = [
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i), pool_size=seed.pool_size)
        for i in range(len(STREAMS))
    ]
    return {
        name: Draws(np.random.Generator(np.random.PCG64(child)))
        for name, child in zip(STREAMS, children, strict=True)
    }
