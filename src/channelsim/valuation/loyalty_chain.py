"""The channel choice in expectation: logit shares of a segment in a region, and the loyalty chain.

A customer's next outlet depends on the last one (the loyalty term), so the outlets of
successive purchases form a Markov chain: `M[i, j] ∝ w_j + f·w_i·[i = j]`, with `w` the logit
weights and `f = exp(loyalty) − 1` (`channelsim.model.logit`). The chain is reversible, so
its stationary shares are `π_i ∝ w_i·(W + f·w_i)` (detailed balance).

With rivals (`competition`), the rival is one more state of the chain, with weight `exp(V_0)`
and the same loyalty term; an occasion it wins ends the customer's life with probability
`switch` (`survival`). Shares of our sellers then add up to less than one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from channelsim.model.logit import log_effort, logit_shares, loyalty_factor, utility
from channelsim.scenario.demand import Segment
from channelsim.scenario.schema import Scenario
from channelsim.valuation.sellers import Seller, tier_terms


@dataclass
class Choice:
    """The logit of one segment in one region: offered sellers (indices) and their utilities."""

    offered: np.ndarray  # indices into `sellers`
    utilities: np.ndarray  # V_j without route and loyalty
    channels: list[str]
    loyalty_factor: float  # exp(loyalty) − 1
    rival: float | None = None  # V_0 of the rivals; None: a closed market
    switch: float = 0.0  # chance that a customer defects after an occasion the rivals win

    def all_shares(self, route: dict[str, float] | None = None) -> np.ndarray:
        """Logit shares of the offered sellers, then the rivals' (when there are rivals)."""
        if len(self.offered) == 0 and self.rival is None:
            return np.zeros(0)
        v = self.utilities + (np.array([route.get(c, 0.0) for c in self.channels]) if route else 0.0)
        return np.array(logit_shares(list(v) if self.rival is None else [*v, self.rival]))

    def shares(self, route: dict[str, float] | None = None) -> np.ndarray:
        """Logit shares of the offered sellers, with a source's `route` bonus per channel if given."""
        full = self.all_shares(route)
        return full if self.rival is None else full[:-1]

    def rival_share(self, route: dict[str, float] | None = None) -> float:
        """P_0: the rivals' share of an occasion without a last outlet (0 without rivals)."""
        return 0.0 if self.rival is None else float(self.all_shares(route)[-1])

    def transition(self) -> np.ndarray:
        """M[i, j] = P(next state j | last i) with the loyalty bonus on i (the rival state last)."""
        w = self.all_shares()
        f = self.loyalty_factor
        m = np.tile(w, (len(w), 1)) + np.diag(f * w)
        return m / m.sum(axis=1, keepdims=True)

    def survival(self) -> np.ndarray:
        """Per state of the chain: the chance a customer is still ours after an occasion ending there."""
        keep = np.ones(len(self.offered) + (self.rival is not None))
        if self.rival is not None:
            keep[-1] = 1.0 - self.switch
        return keep

    def stationary_all(self) -> np.ndarray:
        """The loyalty chain's long-run shares over every state: π_i ∝ w_i·(W + f·w_i)."""
        w = self.all_shares()
        pi = w * (1.0 + self.loyalty_factor * w)
        return pi / pi.sum() if len(pi) else pi

    def stationary(self) -> np.ndarray:
        """Long-run shares of our sellers (they add up to 1 − the rivals' long-run share)."""
        pi = self.stationary_all()
        return pi if self.rival is None else pi[:-1]

    def rival_stationary(self) -> float:
        """The rivals' long-run share of a customer's occasions (0 without rivals)."""
        return 0.0 if self.rival is None else float(self.stationary_all()[-1])


def choice(
    sc: Scenario, all_sellers: list[Seller], segment: Segment, region: str, tiers: dict[str, str],
    extra: dict[int, float] | None = None, bonus: dict[str, float] | None = None,
) -> Choice:  # fmt: skip
    """Who a customer of `segment` in `region` chooses among: the sellers serving the region, and
    the diverters in `extra` (index → ln of the diverter's weight); `bonus` is a member's utility
    bonus per channel."""
    offered, values = [], []
    for j, s in enumerate(all_sellers):
        home = region in s.regions
        if not home and not (extra and j in extra):
            continue
        offered.append(j)
        boost = 0.0 if s.direct else tier_terms(sc, tiers, s.id, s.channel)[1]
        values.append(utility(
            segment.channel_affinity.get(s.channel, 0.0), s.price, segment.price_sensitivity,
            log_effort(s.effort, boost), diversion=0.0 if home or extra is None else extra[j],
            bonus=(bonus or {}).get(s.channel, 0.0),
        ))  # fmt: skip
    channels = [all_sellers[j].channel for j in offered]
    rivals = segment.competition
    return Choice(np.array(offered, int), np.array(values, float), channels, loyalty_factor(segment.loyalty),
                  rivals.utility if rivals else None, rivals.switch_probability if rivals else 0.0)  # fmt: skip
