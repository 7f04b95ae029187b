"""Service levels (docs/model.md "Fulfilment and stock"): an outlet's order queue and its stock.

An outlet with `fulfilment` is an M/M/c queue: orders arrive as a Poisson stream (the
customers' occasions), `servers` serve them first come, first served, in exponential times of
mean `mean_service_weeks`. An order answered later than the segment's
`service_expectation_weeks` disappoints its customer (`slow_share`).

An outlet with `inventory` runs a continuous-review (s, S) policy with lost sales: each order
takes a unit, the position (on hand + on order) reaching `reorder_point` s orders up to
`order_up_to` S, delivered after `lead_time_weeks` L; while nothing is on hand the outlet is out
of the choice (its customers buy elsewhere or from rivals) and a customer whose usual outlet it
is is disappointed (`stockout_share`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammainc, gammaln


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


def stockout_share(rate: float, reorder_point: int, order_up_to: int, lead_time: float) -> float:
    """Long-run share of time an (s, S) outlet with lost sales is out of stock, for Poisson demand of
    `rate` a week while it has stock.

    With Q = S − s > s at most one order is outstanding, and a cycle from one reorder to the next
    is exact: the s units on hand meet the lead-time demand N ~ Poisson(λL); stock is out for
    E[(L − T_s)^+] = L·P(N ≥ s) − (s/λ)·P(N ≥ s + 1) (T_s the s-th arrival), and after the delivery
    R + Q − s more units sell before the next reorder, R = (s − N)^+ left over. With Q ≤ s several
    orders can be outstanding; then the backorder model's P(N ≥ position), the position uniform
    on s+1..S, is the approximation."""
    s, quantity = reorder_point, order_up_to - reorder_point
    at_least = _at_least
    if rate <= 0.0:
        return 0.0 if s > 0 or lead_time <= 0.0 else 1.0
    demand = rate * lead_time
    if quantity > s:
        out = lead_time * at_least(s, demand) - (s / rate) * at_least(s + 1, demand)
        below = np.arange(s)
        left = float(((s - below) * np.exp(below * math.log(demand) - demand - gammaln(below + 1))).sum())  # E[(s − N)^+]
        cycle = lead_time + (left + quantity - s) / rate
        return min(1.0, max(0.0, out / cycle))
    positions = np.arange(s + 1, order_up_to + 1)
    return float(np.mean([at_least(int(y), demand) for y in positions])) if len(positions) else 1.0


def _at_least(k: int, mean: float) -> float:
    """P(N ≥ k) for N ~ Poisson(mean): the regularised lower incomplete gamma P(k, mean)."""
    return 1.0 if k <= 0 else float(gammainc(k, mean))
