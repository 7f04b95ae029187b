"""The model's equations (channelsim.model), each against a hand computation, once.

The simulation and the valuation both call these functions; their own tests check how the
equations are applied (to draws, to expectations), not the equations again.
"""

from __future__ import annotations

import math

import pytest

from channelsim.model.adstock import adstock_path, period_levels, period_terms
from channelsim.model.clv import clv, lifetime_orders
from channelsim.model.diversion import (
    diversion_gap,
    diversion_weight,
    diverting_share,
    penalty_length,
    unit_cost,
)
from channelsim.model.logit import (
    log_effort,
    logit_shares,
    logit_weights,
    loyalty_factor,
    utility,
    without_price,
)
from channelsim.model.media import media_cost, source_cost
from channelsim.model.money import order_money
from channelsim.model.service import erlang_c, mean_response, slow_share, stockout_share
from channelsim.scenario.demand import RateTier, Source


# -- money ---------------------------------------------------------------------------------
def test_a_direct_order_pays_the_brand_less_variable_cost() -> None:
    # 100 list, sold at 0.9: the customer pays 90; cost of goods 100·(1 − 0.4) = 60; 10% of 90 variable
    money = order_money(100.0, 0.9, 0.4, direct=True, variable_cost=0.1)
    assert money.payment == pytest.approx(90.0)
    assert money.brand_revenue == pytest.approx(90.0)
    assert money.contribution == pytest.approx(90.0 - 60.0 - 9.0)
    assert money.partner_margin == 0.0


def test_a_partner_order_pays_the_brand_the_wholesale_price() -> None:
    # the partner pays 100·(1 − 0.2)·(1 − 0.05) = 76 whatever its own price; it keeps 105 − 76 = 29
    money = order_money(100.0, 1.05, 0.4, direct=False, partner_margin=0.2, rebate=0.05, variable_cost=0.3)
    assert money.payment == pytest.approx(105.0)
    assert money.brand_revenue == pytest.approx(76.0)
    assert money.contribution == pytest.approx(76.0 - 60.0)  # variable cost is the direct outlet's only
    assert money.partner_margin == pytest.approx(29.0)


def test_loyalty_points_come_off_the_contribution() -> None:
    plain = order_money(50.0, 1.0, 0.5, direct=True)
    member = order_money(50.0, 1.0, 0.5, direct=True, points_cost=0.04)
    assert plain.contribution - member.contribution == pytest.approx(0.04 * 50.0)
    assert member.payment == plain.payment


# -- logit ---------------------------------------------------------------------------------
def test_utility_adds_intercepts_price_and_effort() -> None:
    # V = 0.3 + ln 0.5 + 0.2 + 0.1 − 2·(0.9 − 1) + ln(1.2·1.25)
    v = utility(0.3, 0.9, 2.0, log_effort(1.2, 0.25), diversion=math.log(0.5), route=0.2, bonus=0.1)
    assert v == pytest.approx(0.3 + math.log(0.5) + 0.2 + 0.1 + 0.2 + math.log(1.5))
    assert utility(0.0, 1.0, 5.0, 0.0) == 0.0  # list price, no intercepts, effort 1


def test_logit_shares_and_weights() -> None:
    shares = logit_shares([0.0, math.log(3.0)])
    assert shares == pytest.approx([0.25, 0.75])
    assert logit_weights([1000.0, 1000.0 + math.log(2.0)]) == pytest.approx([0.5, 1.0])  # no overflow
    assert logit_weights([]) == []


def test_loyalty_multiplies_the_last_outlets_weight() -> None:
    # exp(ln 2) − 1 = 1: the last outlet counts twice: shares 2/3 and 1/3 between two equal outlets
    f = loyalty_factor(math.log(2.0))
    assert f == pytest.approx(1.0)
    assert (1 + f) / (1 + f + 1) == pytest.approx(2 / 3)


def test_without_price_removes_the_price_term() -> None:
    weight = math.exp(utility(0.0, 0.8, 1.5, 0.0))
    assert without_price(weight, 0.8, 1.5) == pytest.approx(1.0)


# -- adstock -------------------------------------------------------------------------------
def test_adstock_carries_last_weeks_level() -> None:
    # e_t = 0.5·e_(t−1) + 0.5·x_t from e_0 = 100: 0 spend halves it, 200 brings it up
    assert adstock_path(0.5, 100.0, [0.0, 0.0, 200.0]) == pytest.approx([50.0, 25.0, 112.5])
    assert adstock_path(0.0, 100.0, [7.0, 9.0]) == [7.0, 9.0]  # no carry-over
    assert adstock_path(0.7, 40.0, [40.0] * 5) == pytest.approx([40.0] * 5)  # constant spend: e = x


def test_period_average_is_the_mean_of_the_weekly_path() -> None:
    carry, start, spends, weeks = 0.6, 80.0, [200.0, 0.0, 50.0], [4, 3, 5]
    ends, mix = period_terms(carry, weeks)
    weekly = adstock_path(carry, start, [x for x, n in zip(spends, weeks, strict=True) for _ in range(n)])
    means, first = [], 0
    for n in weeks:
        means.append(sum(weekly[first : first + n]) / n)
        first += n
    assert period_levels(start, spends, ends, mix) == pytest.approx(means)
    assert ends == pytest.approx([carry**4, carry**3, carry**5])
    assert period_terms(0.0, [4]) == ([0.0], [0.0])


# -- diversion -----------------------------------------------------------------------------
def test_unit_cost_is_the_wholesale_share() -> None:
    assert unit_cost(0.2, 0.0) == pytest.approx(0.8)
    assert unit_cost(0.2, 0.1) == pytest.approx(0.72)


def test_diversion_gap_takes_the_most_exposed_victim() -> None:
    # cost advantage (k_j − k_i) plus price advantage (p_j − p_i), against the best target
    assert diversion_gap(0.72, 1.0, [(0.8, 1.0), (0.78, 1.05)]) == pytest.approx(0.11)
    assert diversion_gap(0.8, 1.0, [(0.8, 1.0)]) == 0.0
    assert diversion_gap(0.8, 1.0, []) == -math.inf  # nobody to divert against


def test_diversion_weight_starts_at_the_threshold_and_saturates_at_twice_it() -> None:
    assert diversion_weight(0.03, 0.03, 0.5) == 0.0
    assert diversion_weight(0.045, 0.03, 0.5) == pytest.approx(0.25)
    assert diversion_weight(0.06, 0.03, 0.5) == pytest.approx(0.5)
    assert diversion_weight(0.5, 0.03, 0.5) == pytest.approx(0.5)
    assert diversion_weight(0.01, 0.0, 0.4) == 0.4
    assert diversion_weight(0.5, 0.03, 0.0) == 0.0
    assert diversion_weight(-math.inf, 0.0, 0.4) == 0.0


def test_penalty_counts_started_weeks_and_sets_the_diverting_share() -> None:
    assert [penalty_length(p) for p in (0, 0.5, 1, 4, 4.2)] == [0, 1, 1, 4, 5]
    # detected at 0.25 a week, 2.5 → 3 weeks of penalty: free to divert 1 / (1 + 0.75) of the time
    assert diverting_share(0.25, 2.5) == pytest.approx(1 / 1.75)
    assert diverting_share(0.0, 4.0) == 1.0


# -- media ---------------------------------------------------------------------------------
def test_rate_card_charges_each_tier_at_its_price() -> None:
    card = [RateTier(up_to=1000, price=1.0), RateTier(up_to=3000, price=0.8)]
    assert media_cost(None, 1234.0) == 1234.0
    assert media_cost(card, 500.0) == pytest.approx(500.0)
    assert media_cost(card, 2000.0) == pytest.approx(1000 + 0.8 * 1000)
    assert media_cost(card, 5000.0) == pytest.approx(1000 + 0.8 * 2000 + 0.8 * 2000)  # past the card


def test_setup_cost_is_paid_in_weeks_the_source_is_used() -> None:
    source = Source.model_validate(
        {"id": "tv", "spend_per_week": 0, "setup_cost_per_week": 250,
         "rate_card": [{"up_to": 1000, "price": 1.0}, {"up_to": 3000, "price": 0.8}],
         "response": {"curve": "linear", "leads_per_unit_spend": 0.01}}
    )  # fmt: skip
    assert source_cost(source, 0.0) == 0.0
    assert source_cost(source, 2000.0) == pytest.approx(1800.0 + 250.0)


# -- customer lifetime ---------------------------------------------------------------------
def test_clv_counts_the_lifetime_orders_of_non_members_who_may_join() -> None:
    # r = 0.5, d = 0.2, one programme joined at e = 0.3 with m_p = 1.5, m_c = 0.5:
    # 1 + r/(d+e) + e/(d+e)·r·m_p/(d·m_c) = 1 + 1 + 0.6·7.5 = 6.5 orders
    assert lifetime_orders(0.5, 0.2, 52, ((0.3, 1.5, 0.5),)) == pytest.approx(6.5)
    assert clv(10.0, 0.5, 0.2, 52, ((0.3, 1.5, 0.5),)) == pytest.approx(65.0)
    assert clv(10.0, 0.5, 0.2, 52) == pytest.approx(10.0 * (1 + 2.5))
    assert clv(10.0, 0.5, 0.0, 52) == pytest.approx(10.0 * (1 + 26))  # nobody lapses: horizon cap
    assert math.isnan(clv(math.nan, 0.5, 0.2, 52))


# -- service: queues and stock ----------------------------------------------------------------
def _erlang_c_by_factorials(servers: int, offered: float) -> float:
    """Erlang's C as textbooks write it: (a^c/c!)·c/(c − a) over Σ_{k<c} a^k/k! + the same."""
    top = offered**servers / math.factorial(servers) * servers / (servers - offered)
    return top / (sum(offered**k / math.factorial(k) for k in range(servers)) + top)


@pytest.mark.parametrize(("servers", "offered"), [(1, 0.5), (3, 2.4), (12, 10.0), (40, 31.5)])
def test_erlang_c_is_the_textbook_formula(servers: int, offered: float) -> None:
    assert erlang_c(servers, offered) == pytest.approx(_erlang_c_by_factorials(servers, offered), rel=1e-9)
    assert erlang_c(servers, servers) == 1.0


def test_response_of_one_server_is_exponential_at_the_spare_rate() -> None:
    # M/M/1: the time in the system is Exp(μ − λ)
    arrival, mean = 6.0, 0.1
    assert mean_response(arrival, 1, mean) == pytest.approx(1.0 / (10.0 - 6.0))
    for limit in (0.0, 0.05, 0.3, 1.0):
        assert slow_share(arrival, 1, mean, limit) == pytest.approx(math.exp(-4.0 * limit))
    assert slow_share(10.0, 1, mean, 5.0) == 1.0  # at capacity the queue only grows
    # many servers: nobody waits, so late is the service alone, e^(−μ·t)
    assert slow_share(1.0, 50, mean, 0.2) == pytest.approx(math.exp(-2.0), rel=1e-9)


def test_stockout_share_of_a_reorder_at_zero_is_the_lead_time_over_the_cycle() -> None:
    # s = 0: out for the whole lead time L of each cycle of L + Q/λ
    assert stockout_share(20.0, 0, 40, 1.5) == pytest.approx(1.5 / (1.5 + 40 / 20.0))
    # s = 1: out for E[(L − T_1)^+] = L − (1 − e^(−λL))/λ of a cycle of L + (E[(1 − N)^+] + Q − 1)/λ
    rate, lead, quantity = 4.0, 0.5, 10
    out = lead - (1 - math.exp(-rate * lead)) / rate
    assert stockout_share(rate, 1, 1 + quantity, lead) == pytest.approx(
        out / (lead + (math.exp(-rate * lead) + quantity - 1) / rate)
    )
    assert stockout_share(20.0, 400, 900, 1.0) < 1e-12  # far more on hand than a lead time sells
