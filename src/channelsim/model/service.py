"""Service levels (docs/model.md "Fulfilment and stock"): an outlet's order queue and its stock.

An outlet with `fulfilment` is an M/M/c queue: orders arrive as a Poisson stream (the
customers' occasions), `servers` serve them first come, first served, in exponential times of
mean `mean_service_weeks`. An order answered later than the segment's
`service_expectation_weeks` disappoints its customer (`slow_share`).

An outlet with `inventory` runs a continuous-review (s, S) policy with lost sales: each order
takes a unit, the position (on hand + on order) reaching `reorder_point` s orders up to
`order_up_to` S, delivered after `lead_time_weeks` L; while nothing is on hand the outlet is out
of the choice (its customers buy elsewhere or from rivals) and a customer whose usual outlet it
is is disappointed (`stockout_share`). A retailer's stock is replenished from its wholesaler's
(two-level channels), so its reorder waits while the wholesaler is short (`supplier_wait`, the
wait's distribution from the wholesaler's own cycle; docs/model.md "A retailer's wait at its
wholesaler").
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammainc


def erlang_c(servers: int, offered: float) -> float:
    """Erlang's C: the chance an arrival waits in an M/M/c queue with offered load a = λ/μ < c
    (1 at or above capacity). Through Erlang's B recursion, stable for many servers."""
    if offered >= servers:
        return 1.0
    blocked = 1.0
    for k in range(1, servers + 1):
        blocked = offered * blocked / (k + offered * blocked)
    return servers * blocked / (servers - offered * (1.0 - blocked))


def mean_response(arrival: float, servers: int, mean_service: float) -> float:
    """Mean time in an M/M/c system (wait + service): C/(cμ − λ) + 1/μ; inf at or above capacity."""
    mu = 1.0 / mean_service
    if arrival >= servers * mu:
        return math.inf
    return erlang_c(servers, arrival * mean_service) / (servers * mu - arrival) + mean_service


def slow_share(arrival: float, servers: int, mean_service: float, limit: float) -> float:
    """P(response > limit) in an M/M/c FCFS queue: no wait with 1 − C, else an exponential wait of
    rate θ = cμ − λ before the service, Exp(θ) + Exp(μ); 1 at or above capacity (the queue grows)."""
    if mean_service <= 0.0 or arrival <= 0.0:
        return 0.0 if mean_service <= 0.0 or limit > 0.0 else 1.0
    mu = 1.0 / mean_service
    theta = servers * mu - arrival
    if theta <= 0.0:
        return 1.0
    waits = erlang_c(servers, arrival * mean_service)
    served = math.exp(-mu * limit)
    if abs(theta - mu) < 1e-9 * mu:
        both = (1.0 + mu * limit) * served
    else:
        both = (theta * served - mu * math.exp(-theta * limit)) / (theta - mu)
    return (1.0 - waits) * served + waits * both


#: A supplier's wait as a distribution: waits in weeks and their chances (adding up to 1).
Waits = tuple[np.ndarray, np.ndarray]
#: No wait: what a retailer of a supplier without stock (or never short) gets.
NO_WAIT: Waits = (np.zeros(1), np.ones(1))
#: Equal slices of a supplier's lead time that its wait is put in (each at its midpoint, with its
#: exact chance); the midpoint rule leaves ~2e-4 of the mean wait (docs/model.md "A retailer's
#: wait at its wholesaler").
WAIT_SLICES = 48
#: A supplier out of stock less than this share of the time is taken as never short (no wait): its
#: retailers' shares would move by less than that, and the wait's slices are not worth computing.
NEVER_SHORT = 1e-12


def stockout_share(rate: float, reorder_point: int, order_up_to: int, lead_time: float,
                   waits: Waits = NO_WAIT) -> float:  # fmt: skip
    """Long-run share of time an (s, S) outlet with lost sales is out of stock, for Poisson demand of
    `rate` a week while it has stock, its replenishment taking `lead_time` plus a random wait at its
    supplier (`waits`, from `supplier_wait`; none by default).

    With Q = S − s > s at most one order is outstanding, and a cycle from one reorder to the next
    is exact: the s units on hand meet the lead-time demand N ~ Poisson(λL); stock is out for
    E[(L − T_s)^+] = L·P(N ≥ s) − (s/λ)·P(N ≥ s + 1) (T_s the s-th arrival), and after the delivery
    R + Q − s more units sell before the next reorder, R = (s − N)^+ left over. A wait W at the
    supplier makes the cycle's lead time L + W (independent of the outlet's own demand): by
    renewal-reward the share is E_W[out(L + W)] / E_W[cycle(L + W)]. With Q ≤ s several orders
    can be outstanding; then the backorder model's P(N ≥ position), the position uniform on
    s+1..S, averaged over W, is the approximation."""
    s, quantity = reorder_point, order_up_to - reorder_point
    if rate <= 0.0:
        return 0.0 if s > 0 or lead_time <= 0.0 else 1.0
    delays, chances = waits
    if quantity > s:
        out, cycle = _one_cycle(rate, s, quantity, lead_time + delays)
        return min(1.0, max(0.0, float(chances @ out) / float(chances @ cycle)))
    positions = np.arange(s + 1, order_up_to + 1)
    if not len(positions):
        return 1.0
    return float(chances @ _beyond(positions, rate * (lead_time + delays)))


def _one_cycle(rate: float, s: int, quantity: int, lead_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(expected time out of stock, expected length) of a reorder cycle with Q > s, at each lead time L:
    out as above, length L + (E[(s − N)^+] + Q − s)/λ with E[(s − N)^+] = s·P(N < s) − λL·P(N < s − 1)."""
    demand = rate * lead_time
    at_least_s = _at_least(s, demand)
    out = lead_time * at_least_s - (s / rate) * _at_least(s + 1, demand)
    left = s * (1.0 - at_least_s) - demand * (1.0 - _at_least(s - 1, demand))
    return out, lead_time + (left + quantity - s) / rate


def _beyond(positions: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """At each mean: the average over the positions y of P(N ≥ y), N ~ Poisson(mean) (the backorder
    model's share out)."""
    return np.asarray(gammainc(positions[:, None], np.atleast_1d(mean)[None, :]).mean(axis=0))


def supplier_wait(rate: float, reorder_point: int, order_up_to: int, lead_time: float) -> Waits:
    """The wait of a unit ordered from a supplier's (s, S) stock (Poisson demand of `rate` a week at
    it, replenished `lead_time` L after a reorder) until it can leave, first come first served:
    zero while the supplier has stock, else until its next delivery arrives.

    With Q = S − s > s (one order outstanding), in a cycle the supplier is out from the s-th sale
    T_s to the delivery at L. A unit asked for at a random moment waits more than w < L when the
    stock is out then and stays out w longer: P(W > w) = E[(L − w − T_s)^+] / E[cycle], the cycle's
    time out at lead time L − w over its length (`_one_cycle`), so P(W > 0) is the stock-out share.
    Returned as an atom at 0 and `WAIT_SLICES` equal slices of (0, L), each at its midpoint with its
    exact chance.

    With Q ≤ s (several orders outstanding) no wait is modelled (none): the backorder model behind
    that stock-out share keeps each owed unit until its own order arrives, while the simulation's
    owed units leave with the next delivery of any order, and a short supplier's share from it is
    far too high (docs/model.md "A retailer's wait at its wholesaler": 0.97 against 0.42, and
    its wait would put its retailers out 0.999 of the time against 0.085 and 0.013)."""
    s, quantity = reorder_point, order_up_to - reorder_point
    if rate <= 0.0 or lead_time <= 0.0 or quantity <= s:
        return NO_WAIT
    edges = np.linspace(0.0, lead_time, WAIT_SLICES + 1)
    out, cycle = _one_cycle(rate, s, quantity, lead_time - edges)  # edges[0] = 0: the cycle at lead time L
    if out[0] / cycle[0] <= NEVER_SHORT:
        return NO_WAIT
    longer = np.clip(out / cycle[0], 0.0, 1.0)  # P(W > w) at the edges (0 at w = L)
    nodes = 0.5 * (edges[1:] + edges[:-1])
    return np.concatenate([[0.0], nodes]), np.concatenate([[1.0 - longer[0]], -np.diff(longer)])


def mean_wait(waits: Waits) -> float:
    """The expected wait of a `Waits` distribution (by Little's law, the supplier's mean units owed
    over its demand rate)."""
    delays, chances = waits
    return float(delays @ chances)


def _at_least(k: int, mean: np.ndarray) -> np.ndarray:
    """P(N ≥ k) for N ~ Poisson(mean), elementwise: the regularised lower incomplete gamma P(k, mean)."""
    return np.ones_like(mean) if k <= 0 else np.asarray(gammainc(k, mean))
